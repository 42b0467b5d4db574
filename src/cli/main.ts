#!/usr/bin/env node
// Entry point of the `interimap` command. Exit codes: 0 success, 1 error. No top-level await: the
// shipped program is this module bundled as CommonJS (tools/bundle.mjs).
import { createRunEngine } from '../run/engine.js';
import { runCli } from './run.js';

void runCli(process.argv.slice(2), process.env, createRunEngine()).then((code) => {
  process.exitCode = code;
});
