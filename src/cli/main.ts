#!/usr/bin/env node
// Entry point of the `interimap` command. Exit codes: 0 success, 1 error.
import { createRunEngine } from '../run/engine.js';
import { runCli } from './run.js';

process.exitCode = await runCli(process.argv.slice(2), process.env, createRunEngine());
