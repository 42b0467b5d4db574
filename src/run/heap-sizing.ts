// V8's heap sizing for a run that streams mail, set at run time rather than on Node's command line.
//
// By default V8 grows the young generation to 2 × 16 MiB semi-spaces as objects survive
// scavenges, and lets the old generation reach up to 4 × its live data before a full collection;
// the Buffers promoted meanwhile keep their socket reads allocated. A 185 MiB initial sync peaked
// at 125-150 MiB of RSS, nearly all garbage (a heap snapshot at the peak finds ~9 MiB live).
// Keeping the semi-spaces at their initial 1 MiB (growth factor 1) and the old generation's growth
// at 1.5× brings it to 89-96 MiB (docs/performance.md, Memory).
//
// Why not Node's command line (`--max-semi-space-size`): it cannot be set later, and any
// non-default V8 option on the command line changes V8's flag hash from the start, so V8 refuses
// the code cache Node ships for its own modules. Both options here are read by V8 at each
// collection and can be set at run time, once the run's Node modules are loaded (the engine says
// when: after node:tls, which compiles in 7-8 ms instead of 3-4 once they are set). They cost a
// tunnel no-op ~4-8 ms (bench, alternating series) by what they do: a harmless option set the same
// way, which changes the flag hash as much, costs it nothing. Set later, when a listing shows a
// bulk copy, they come too late: the young generation has grown meanwhile and the peak reached
// 104 MiB. The flag hash also guards our own code cache (src/cli/compile-cache.ts), which is
// written at exit: the options go back to V8's defaults before then, so the cache is written
// under the hash the next start computes.
import { setFlagsFromString } from 'node:v8';

/** What a run sets, and V8's defaults (V8 11, Node 20) that `restore` puts back. */
const RUN_FLAGS = ['--semi-space-growth-factor=1', '--heap-growing-percent=50'];
const V8_DEFAULTS = ['--semi-space-growth-factor=2', '--heap-growing-percent=0'];

/** True when the user already sizes V8's heap (Node options): theirs are kept. */
function userSizesHeap(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)];
  return given.some((option) => /^--(semi[-_]space|heap[-_]growing|max[-_]semi|min[-_]semi)/.test(option));
}

/**
 * Limits the young generation's growth and the old one's for the rest of the process, and puts
 * V8's defaults back at exit, before the compile cache may be written (an 'exit' listener that
 * runs first). Call once the run's Node modules are loaded: a module first loaded after it compiles
 * without Node's code cache.
 */
export function limitHeapGrowth(): void {
  if (userSizesHeap(process.execArgv, process.env.NODE_OPTIONS)) return;
  for (const flag of RUN_FLAGS) setFlagsFromString(flag);
  process.prependOnceListener('exit', () => {
    for (const flag of V8_DEFAULTS) setFlagsFromString(flag);
  });
}
