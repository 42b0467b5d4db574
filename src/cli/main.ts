#!/usr/bin/env node
// Entry point of the `interimap` command. Exit codes: 0 success, 1 error. No top-level await: the
// shipped program is this module bundled as CommonJS (tools/bundle.mjs).
import { createRunEngine } from '../run/engine.js';
import { limitHeapGrowth } from '../run/heap-sizing.js';
import { runCli } from './run.js';
import { announceSyncCode, syncCodeOf } from './sync-code.js';

// The heap is sized once the Node modules a run needs are loaded (see heap-sizing.ts).
const engine = createRunEngine(undefined, {
  modulesLoaded: limitHeapGrowth,
  mailboxesSynced: (counts) => announceSyncCode(syncCodeOf(counts)),
});
void runCli(process.argv.slice(2), process.env, engine).then((code) => {
  process.exitCode = code;
});
