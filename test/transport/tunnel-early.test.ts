// startTunnelEarly: a tunnel started before its connection is taken over by the next spawnTunnel
// of the same command with what it already wrote; one nobody takes is stopped; a command that
// cannot start fails the spawnTunnel that takes it, never as an unhandled rejection.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { spawnTunnel, startTunnelEarly, type TunnelProcess } from '../../src/transport/tunnel.js';

const exited = (child: TunnelProcess) =>
  new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `check` until it yields a value (errors count as not yet). */
async function until<T>(check: () => T | undefined): Promise<T> {
  for (;;) {
    try {
      const value = check();
      if (value !== undefined && value !== false) return value;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function firstLine(child: TunnelProcess): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(text.slice(0, text.indexOf('\n')));
    });
  });
}

test('the next spawnTunnel of the command takes the early tunnel, its output intact', {
  timeout: 10_000,
}, async () => {
  // Each tunnel first writes when it started (ms since the epoch).
  const command = 'date +%s%3N; exec cat';
  const stop = startTunnelEarly(command, true);
  // Written before anybody reads: it waits in the pipe.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const now = Date.now();
  const child = await spawnTunnel(command, true);
  const other = await spawnTunnel(command, true);
  const [started, otherStarted] = await Promise.all([firstLine(child), firstLine(other)]);
  assert.ok(Number(started) < now, 'the first spawnTunnel took the early tunnel over');
  assert.ok(Number(otherStarted) >= now - 5, 'the second one started its own');
  stop(); // a no-op once taken over
  assert.equal(child.exitCode, null);
  child.stdin.end();
  other.stdin.end();
  assert.deepEqual(await Promise.all([exited(child), exited(other)]), [0, 0]);
});

test('two early starts of one command (both servers alike) are two tunnels', {
  timeout: 10_000,
}, async () => {
  const command = 'date +%s%3N; exec cat';
  const stops = [startTunnelEarly(command, true), startTunnelEarly(command, true)];
  await new Promise((resolve) => setTimeout(resolve, 100));
  const now = Date.now();
  const children = [await spawnTunnel(command, true), await spawnTunnel(command, true)];
  const started = await Promise.all(children.map(firstLine));
  assert.ok(
    started.every((ms) => Number(ms) < now),
    `both started early: ${started} < ${now}`,
  );
  assert.notEqual(children[0]!.pid, children[1]!.pid);
  for (const stop of stops) stop(); // both taken over: nothing to stop
  for (const child of children) child.stdin.end();
  assert.deepEqual(await Promise.all(children.map(exited)), [0, 0]);
});

test('an early tunnel nobody takes is killed by its stop function', { timeout: 10_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'interimap-tunnel-early-'));
  try {
    const pidFile = join(dir, 'pid');
    const stop = startTunnelEarly(`echo $$ > ${pidFile}; exec cat`, true);
    const pid = Number(await until(() => readFileSync(pidFile, 'utf8').trim() || undefined));
    assert.ok(alive(pid));
    stop();
    await until(() => !alive(pid) || undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a command that cannot start fails the spawnTunnel that takes it over', {
  timeout: 10_000,
}, async () => {
  const command = '/nonexistent/imapd';
  const stop = startTunnelEarly(command, true);
  await new Promise((resolve) => setTimeout(resolve, 50));
  await assert.rejects(spawnTunnel(command, true), {
    name: 'TransportError',
    message: /^cannot run tunnel command '\/nonexistent\/imapd': spawn \/nonexistent\/imapd ENOENT/,
  });
  stop();
});
