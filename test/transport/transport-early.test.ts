// startTransportEarly: a transport opened before its connection (a tunnel's server started, a TCP
// connection made) is taken over by the next openTransport with the same options, with what the
// server already sent; one nobody takes is closed; one that cannot open fails the openTransport
// that takes it, never as an unhandled rejection.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openTransport, startTransportEarly, type Transport } from '../../src/transport/transport.js';
import type { TransportOptions } from '../../src/transport/types.js';

const tunnel = (command: string): TransportOptions => ({
  type: 'tunnel',
  command,
  nullStderr: true,
  tls: { verify: true },
});

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

function firstLine(transport: Transport): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    transport.onData((chunk) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(text.slice(0, text.indexOf('\n')));
    });
  });
}

const closed = (transport: Transport) => new Promise<void>((resolve) => transport.onClose(() => resolve()));

test('the next openTransport of the tunnel takes the early one, its output intact', {
  timeout: 10_000,
}, async () => {
  // Each tunnel first writes when it started (ms since the epoch).
  const options = tunnel('date +%s%3N; exec cat');
  const stop = startTransportEarly(options);
  // Written before anybody reads: it waits in the pipe.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const now = Date.now();
  const taken = await openTransport(options);
  const other = await openTransport(options);
  const [started, otherStarted] = await Promise.all([firstLine(taken), firstLine(other)]);
  assert.ok(Number(started) < now, 'the first openTransport took the early tunnel over');
  assert.ok(Number(otherStarted) >= now - 5, 'the second one started its own');
  stop(); // a no-op once taken over
  for (const t of [taken, other]) t.close();
  await Promise.all([closed(taken), closed(other)]);
});

test('two early starts with the same options (both servers alike) are two tunnels', {
  timeout: 10_000,
}, async () => {
  const options = tunnel('date +%s%3N; exec cat');
  const stops = [startTransportEarly(options), startTransportEarly(options)];
  await new Promise((resolve) => setTimeout(resolve, 100));
  const now = Date.now();
  const transports = [await openTransport(options), await openTransport(options)];
  const started = await Promise.all(transports.map(firstLine));
  assert.ok(
    started.every((ms) => Number(ms) < now),
    `both started early: ${started} < ${now}`,
  );
  for (const stop of stops) stop(); // both taken over: nothing to stop
  for (const t of transports) t.close();
  await Promise.all(transports.map(closed));
});

test('an early tunnel nobody takes is stopped by its stop function', { timeout: 10_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'interimap-transport-early-'));
  try {
    const pidFile = join(dir, 'pid');
    const stop = startTransportEarly(tunnel(`echo $$ > ${pidFile}; exec cat`));
    const pid = Number(await until(() => readFileSync(pidFile, 'utf8').trim() || undefined));
    assert.ok(alive(pid));
    stop();
    await until(() => !alive(pid) || undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a tunnel that cannot start fails the openTransport that takes it over', {
  timeout: 10_000,
}, async () => {
  const options = tunnel('/nonexistent/imapd');
  const stop = startTransportEarly(options);
  await new Promise((resolve) => setTimeout(resolve, 50));
  await assert.rejects(openTransport(options), {
    name: 'TransportError',
    message: /^cannot run tunnel command '\/nonexistent\/imapd': spawn \/nonexistent\/imapd ENOENT/,
  });
  stop();
});

test('TCP: the early connection is the one taken over, the greeting waiting in it; other ports connect anew', {
  timeout: 10_000,
}, async () => {
  const accepted: Socket[] = [];
  const server = createServer((socket) => {
    accepted.push(socket);
    socket.write(`* OK greeting ${accepted.length}\r\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const options: TransportOptions = { type: 'imap', host: '127.0.0.1', port, tls: { verify: true } };
  try {
    const stop = startTransportEarly(options);
    await until(() => accepted.length === 1 || undefined);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the greeting is in our socket by now
    const taken = await openTransport(options);
    assert.equal(await firstLine(taken), '* OK greeting 1\r');
    assert.equal(accepted.length, 1, 'no second connection');
    const other = await openTransport({ ...options, keepAlive: true });
    assert.equal(await firstLine(other), '* OK greeting 2\r');
    stop();
    for (const t of [taken, other]) t.close();
    await Promise.all([closed(taken), closed(other)]);

    // Nobody takes it: closed by its stop function.
    const unused = startTransportEarly(options);
    await until(() => accepted.length === 3 || undefined);
    const gone = new Promise<void>((resolve) => accepted[2]!.once('close', () => resolve()));
    unused();
    await gone;
  } finally {
    for (const socket of accepted) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
