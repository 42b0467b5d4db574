// node:zlib, loaded when a connection starts COMPRESS rather than with the program: a run that never
// selects a mailbox (a no-op) never compresses, and loading the module cost ~1 ms of its start.
import { createRequire } from 'node:module';
import type * as Zlib from 'node:zlib';

let loaded: typeof Zlib | undefined;

/** The node:zlib module, required on first use. */
export function zlib(): typeof Zlib {
  loaded ??= createRequire(import.meta.url)('node:zlib') as typeof Zlib;
  return loaded;
}
