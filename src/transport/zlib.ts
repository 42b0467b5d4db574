// node:zlib, loaded when a connection starts COMPRESS rather than with the program: a run that never
// selects a mailbox (a no-op) never compresses, and loading the module cost ~1 ms of its start. It
// is then loaded after V8's heap options are set (src/run/heap-sizing.ts), which makes some of
// Node's modules compile without their code cache (node:tls, loaded before them for that reason);
// node:zlib and its streams measured no slower: 1.8-2.0 ms against 2.1-2.5 ms.
import { createRequire } from 'node:module';
import type * as Zlib from 'node:zlib';

let loaded: typeof Zlib | undefined;

/** The node:zlib module, required on first use. */
export function zlib(): typeof Zlib {
  loaded ??= createRequire(import.meta.url)('node:zlib') as typeof Zlib;
  return loaded;
}
