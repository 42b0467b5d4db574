#!/usr/bin/env node
// Entry point of the `interimap` command. Exit codes: 0 success, 1 error.
import type { RunEngine } from './invocation.js';
import { runCli } from './run.js';

/** Placeholder until the integrator wires the sync engine in. */
const notBuilt: RunEngine = async () => {
  process.stderr.write('interimap: the sync engine is not built yet\n');
  return 1;
};

process.exitCode = await runCli(process.argv.slice(2), process.env, notBuilt);
