// How the program tells the launcher's compile cache (src/cli/compile-cache.ts) which kinds of work
// this run did, so that the code it saves covers them: V8 compiles a function on its first call,
// and a run with nothing to do never compiles the mailbox steps, an initial sync never the flag
// and expunge propagation. The launcher and the program are bundled apart (and this module into
// each): they meet on a registered symbol.
import type { SyncCounts } from '../../machines/contracts.js';

const SYNC_CODE_RAN = Symbol.for('interimap.compile-cache.sync-code-ran');

/** The kinds of work whose code only the runs doing them compile: bits of a mask. */
export const SYNC_CODE = { mailbox: 1, copy: 2, flags: 4, expunge: 8 } as const;

/** The kinds of work a run that synchronized mailboxes with these counts did. */
export function syncCodeOf(counts: SyncCounts): number {
  const [local, remote] = [counts.toLocal, counts.toRemote];
  return (
    SYNC_CODE.mailbox |
    (local.copied + remote.copied > 0 ? SYNC_CODE.copy : 0) |
    (local.flagsUpdated + remote.flagsUpdated > 0 ? SYNC_CODE.flags : 0) |
    (local.expunged + remote.expunged > 0 ? SYNC_CODE.expunge : 0)
  );
}

export function announceSyncCode(kinds: number): void {
  const global = globalThis as Record<symbol, unknown>;
  global[SYNC_CODE_RAN] = announcedSyncCode() | kinds;
}

/** What this run announced (0: no mailbox synchronized). */
export function announcedSyncCode(): number {
  const kinds = (globalThis as Record<symbol, unknown>)[SYNC_CODE_RAN];
  return typeof kinds === 'number' ? kinds : 0;
}
