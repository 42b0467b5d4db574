// How the program tells the launcher's compile cache (src/cli/compile-cache.ts) that this run
// synchronized a mailbox, so that the code it saves covers the mailbox steps and the copy: a run
// with nothing to do never compiles them. The launcher and the program are bundled apart (and
// this module into each): they meet on a registered symbol.

export const SYNC_CODE_RAN = Symbol.for('interimap.compile-cache.sync-code-ran');

export function announceSyncCode(): void {
  (globalThis as Record<symbol, unknown>)[SYNC_CODE_RAN] = true;
}
