#!/usr/bin/env node
// Entry point of the `interimap` command. The full command line lives in src/cli/ (issue 5).
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
const args = process.argv.slice(2);
if (args.includes('--version')) {
  process.stdout.write(`interimap ${pkg.version}\n`);
} else {
  process.stdout.write('Usage: interimap [OPTION ...] [COMMAND] [MAILBOX ...]\n');
}
