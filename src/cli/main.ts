#!/usr/bin/env node
// Entry point of the `interimap` command. Exit codes: 0 success, 1 error. No top-level await: the
// shipped program is this module bundled as CommonJS (tools/bundle.mjs).
import { createRunEngine } from '../run/engine.js';
import { limitHeapGrowth } from '../run/heap-sizing.js';
import { runCli } from './run.js';

// Once the Node modules a run needs are loaded (see heap-sizing.ts): the engine says when.
void runCli(process.argv.slice(2), process.env, createRunEngine(undefined, limitHeapGrowth)).then((code) => {
  process.exitCode = code;
});
