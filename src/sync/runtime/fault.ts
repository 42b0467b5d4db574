// Fault injection for the crash-safety tests: INTERIMAP_TEST_KILL_AFTER=<n> kills the process
// (SIGKILL, no clean-up) at the n-th APPEND, STORE, EXPUNGE or database commit event.
const limit = Number(process.env.INTERIMAP_TEST_KILL_AFTER ?? 0);
let events = 0;

/** Called after each write event the tests want to interrupt; a no-op outside those tests. */
export function faultPoint(): void {
  if (limit > 0 && ++events >= limit) process.kill(process.pid, 'SIGKILL');
}
