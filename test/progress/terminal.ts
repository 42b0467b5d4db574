// Runs a command on a pseudo-terminal (util-linux `script`) or with stderr to a file, and checks
// what reached the terminal: shared by the progress tests and, once the engine lands, the
// end-to-end check of `interimap` syncing two Dovecot servers.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Ran {
  status: number | null;
  /** Everything written to the terminal (stdout and stderr, newlines as CR LF), or to the stderr file. */
  output: string;
}

/** Single quotes for sh: `script -c` takes one command line. */
function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function runOnTerminal(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  timeout = 60_000,
): Ran {
  const run = spawnSync('script', ['-qfc', argv.map(shellQuote).join(' '), '/dev/null'], {
    encoding: 'utf8',
    timeout,
    env: { TERM: 'xterm', ...env },
  });
  return { status: run.status, output: run.stdout };
}

export function runWithStderrToFile(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  timeout = 60_000,
): Ran {
  const dir = mkdtempSync(join(tmpdir(), 'interimap-stderr-'));
  const file = join(dir, 'stderr');
  const fd = openSync(file, 'w');
  try {
    const run = spawnSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', fd], timeout, env });
    return { status: run.status, output: readFileSync(file, 'utf8') };
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** ANSI: carriage return, erase line. */
export const ERASE = '\r\x1b[2K';

/** A status line for `mailbox` was drawn in place, and the summary line is the last status output. */
export function assertLiveProgress(output: string, mailbox: string): string {
  assert.ok(output.includes(`${ERASE}${mailbox} `), `a status line for ${mailbox}`);
  const summary = /\r\x1b\[2K(interimap: \d+ mailbox(?:es)? synced[^\r\n]*)\r\n(?![\s\S]*\x1b)/.exec(output);
  assert.ok(summary !== null, `the summary ends the progress: ${JSON.stringify(output.slice(-300))}`);
  return summary[1]!;
}

/** Off a terminal: no control sequence and no carriage return at all. */
export function assertPlain(output: string): void {
  assert.ok(!/[\x1b\r]/.test(output), JSON.stringify(output.slice(0, 300)));
}
