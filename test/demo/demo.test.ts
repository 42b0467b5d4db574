// `npm run demo` as a user runs it: dist/demo/demo.js must sync its two throw-away Dovecot servers,
// print the verification line, exit 0 and leave nothing behind; Ctrl-C must clean up as well.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

const DEMO = 'dist/demo/demo.js';
const DEMO_TIMEOUT_MS = 120_000;

interface DemoRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the demo; `onOutput` sees stdout as it grows (to interrupt it at some point). */
function runDemo(onOutput: (stdout: string, child: ChildProcess) => void = () => {}): Promise<DemoRun> {
  const child = spawn(process.execPath, [DEMO], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    onOutput(stdout, child);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), DEMO_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The demo's work directory and its two servers' directories, as its output names them. */
function directoriesNamed(stdout: string): string[] {
  const dirs = new Set(
    [...stdout.matchAll(/\/\S+\/interimap-(?:demo|dovecot)-[A-Za-z0-9]+/g)].map((m) => m[0]),
  );
  assert.equal(dirs.size, 3, `the output names a work directory and two server directories:\n${stdout}`);
  return [...dirs];
}

/** Command lines of running processes that mention one of `dirs` (a master, a tunnel imap). */
function processesUsing(dirs: string[]): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue; // gone meanwhile
    }
    if (dirs.some((dir) => cmdline.includes(dir))) found.push(`${pid}: ${cmdline}`);
  }
  return found;
}

/** Nothing of the demo may remain: no directory, and (after a short grace for exiting children) no process. */
async function assertNothingLeft(stdout: string): Promise<void> {
  const dirs = directoriesNamed(stdout);
  for (const dir of dirs) assert.ok(!existsSync(dir), `${dir} was left behind`);
  for (let waited = 0; processesUsing(dirs).length > 0 && waited < 5_000; waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.deepEqual(processesUsing(dirs), []);
}

describe('npm run demo', { timeout: 2 * DEMO_TIMEOUT_MS + 30_000 }, () => {
  test('syncs both ways, verifies the servers identical, exits 0 and removes its files', async () => {
    const run = await runDemo();
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    // 300 local + 12 remote messages, 6 deleted and 6 added on each side; 11 + 1 mailboxes.
    assert.match(
      run.stdout,
      /^ {6}Verified: local and remote hold identical mail \(12 mailboxes, 312 messages on each side\)\.$/m,
    );
    assert.match(run.stdout, /\[4\/6\] First run: interimap --config=/);
    assert.match(run.stdout, /\[5\/6\] Changes on both sides/);
    await assertNothingLeft(run.stdout);
  });

  test('Ctrl-C stops the servers, removes the files and exits 130', async () => {
    let interrupted = false;
    const run = await runDemo((stdout, child) => {
      if (!interrupted && stdout.includes('[4/6]')) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    assert.ok(interrupted, `the demo never reached its first run:\n${run.stdout}\n${run.stderr}`);
    assert.equal(run.code, 130, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /Interrupted: stopping the servers/);
    assert.doesNotMatch(run.stderr, /FAILED/);
    await assertNothingLeft(run.stdout);
  });
});
