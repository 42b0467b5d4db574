// type=tunnel: command splitting, a PREAUTH Dovecot over pipes, exit reporting, back-pressure, and
// COMPRESS=DEFLATE proven by the raw byte counters.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  openTransport,
  splitTunnelCommand,
  type Transport,
  type TransportClosed,
  type TransportOptions,
} from '../../src/transport/transport.js';
import { type Dovecot, startDovecot } from '../helpers/dovecot.js';
import { RawImap } from '../helpers/imap-client-raw.js';

const noTls = { verify: true };

/** Every transport a test opens, closed after the suite even when an assertion failed midway. */
const opened: Transport[] = [];
async function open(options: Omit<TransportOptions, 'tls'>): Promise<Transport> {
  const transport = await openTransport({ ...options, tls: noTls });
  opened.push(transport);
  return transport;
}
after(() => {
  for (const transport of opened) transport.close();
});

function closedPromise(transport: Transport): Promise<TransportClosed> {
  return new Promise((resolve) => transport.onClose(resolve));
}

function rawImap(transport: Transport): RawImap {
  const imap = new RawImap((data) => transport.write(data));
  transport.onData((chunk) => imap.feed(chunk));
  return imap;
}

describe('splitTunnelCommand', () => {
  test('plain words are exec’d directly', () => {
    assert.deepEqual(splitTunnelCommand('  /usr/lib/dovecot/imap -c /x/dovecot.conf '), {
      file: '/usr/lib/dovecot/imap',
      args: ['-c', '/x/dovecot.conf'],
    });
    assert.deepEqual(splitTunnelCommand('env USER=a imap'), { file: 'env', args: ['USER=a', 'imap'] });
  });

  test('shell metacharacters or a leading assignment go through /bin/sh -c', () => {
    for (const command of [
      'ssh host imap 2>/dev/null',
      'a | b',
      'echo $HOME',
      "imap -o 'x y'",
      'a; b',
      'cd ~',
      'USER=x imap',
    ]) {
      assert.deepEqual(splitTunnelCommand(command), { shell: command }, command);
    }
  });

  test('an empty command is an error', () => {
    assert.throws(() => splitTunnelCommand('  '), /tunnel command is empty/);
  });
});

describe('tunnel transport', { timeout: 30_000 }, () => {
  let dovecot: Dovecot;
  before(async () => {
    dovecot = await startDovecot();
  });
  after(() => dovecot.stop());

  test('reads the PREAUTH greeting; close() ends stdin and reports a clean exit', async () => {
    const transport = await open({ type: 'tunnel', command: dovecot.tunnelCommand, nullStderr: true });
    const closed = closedPromise(transport);
    const imap = rawImap(transport);
    assert.match(await imap.nextLine(), /^\* PREAUTH /);
    assert.match((await imap.command('NOOP')).tagged, /^OK /);
    transport.close();
    assert.deepEqual(await closed, {
      byUs: true,
      exit: { code: 0, signal: null },
      message: 'tunnel command exited with status 0',
    });
    assert.match(transport.describe(), /^tunnel '/);
  });

  test('a command that exits on its own is a close with its exit status', async () => {
    const transport = await open({ type: 'tunnel', command: 'sh -c "echo hello; exit 3"' });
    const closed = closedPromise(transport);
    const received: Buffer[] = [];
    transport.onData((chunk) => received.push(chunk));
    const reason = await closed;
    assert.equal(Buffer.concat(received).toString(), 'hello\n');
    assert.deepEqual(reason.exit, { code: 3, signal: null });
    assert.equal(reason.byUs, false);
    assert.equal(reason.error, undefined);
    assert.equal(reason.message, 'tunnel command exited with status 3');
  });

  test('a command killed by a signal reports the signal', async () => {
    const transport = await open({ type: 'tunnel', command: 'sh -c "kill -TERM $$"' });
    const closed = closedPromise(transport);
    transport.onData(() => {});
    assert.deepEqual((await closed).exit, { code: null, signal: 'SIGTERM' });
  });

  test('close(): a command that ignores the end of its input is killed after a grace period', async () => {
    const transport = await open({ type: 'tunnel', command: 'sleep 60' });
    const closed = closedPromise(transport);
    transport.onData(() => {});
    transport.close();
    assert.deepEqual(await closed, {
      byUs: true,
      exit: { code: null, signal: 'SIGTERM' },
      message: 'tunnel command killed by signal SIGTERM',
    });
  });

  test('a command that cannot start rejects with a clear error', async () => {
    await assert.rejects(
      openTransport({ type: 'tunnel', command: '/nonexistent/imap -c x', tls: noTls }),
      /^TransportError: cannot run tunnel command '\/nonexistent\/imap -c x': spawn \/nonexistent\/imap ENOENT$/,
    );
    await assert.rejects(openTransport({ type: 'tunnel', tls: noTls }), /type=tunnel needs a command/);
  });

  test('back-pressure: write() returns false while the peer is blocked, onDrain fires once it reads', async () => {
    const transport = await open({ type: 'tunnel', command: 'cat' });
    const closed = closedPromise(transport);
    let echoed = 0;
    transport.onData((chunk) => {
      echoed += chunk.length;
    });
    transport.pause(); // cat blocks on its stdout, stops reading its stdin, our writes pile up
    const block = Buffer.alloc(64 * 1024, 'x');
    let written = 0;
    while (transport.write(block)) {
      written += block.length;
      assert.ok(written < 64 * 1024 * 1024, 'write() never reported a full buffer');
    }
    written += block.length;
    const drained = new Promise<void>((resolve) => transport.onDrain(resolve));
    transport.resume();
    await drained;
    transport.close();
    await closed;
    assert.equal(echoed, written);
    assert.equal(transport.bytesRead, written);
    assert.equal(transport.bytesWritten, written);
  });

  test('back-pressure under COMPRESS: write() returns false while the peer is blocked, onDrain fires once it reads', async () => {
    // cat echoes our deflate stream, which our inflater reads back.
    const transport = await open({ type: 'tunnel', command: 'cat' });
    const closed = closedPromise(transport);
    transport.startCompression();
    const echoed: Buffer[] = [];
    transport.onData((chunk) => echoed.push(chunk));
    transport.pause();
    const sent: Buffer[] = [];
    for (;;) {
      const block = randomBytes(64 * 1024); // incompressible: the pipes fill as fast as without COMPRESS
      sent.push(block);
      if (!transport.write(block)) break;
      assert.ok(sent.length < 1024, 'write() never reported a full buffer');
    }
    const drained = new Promise<void>((resolve) => transport.onDrain(resolve));
    transport.resume();
    await drained;
    transport.close();
    await closed;
    assert.ok(Buffer.concat(echoed).equals(Buffer.concat(sent)), 'what came back is not what was written');
  });

  test('COMPRESS=DEFLATE: commands work after the switch and far fewer raw bytes cross the pipes', async () => {
    const transport = await open({ type: 'tunnel', command: dovecot.tunnelCommand, nullStderr: true });
    const closed = closedPromise(transport);
    const imap = rawImap(transport);
    await imap.nextLine();
    assert.match((await imap.command('COMPRESS DEFLATE')).tagged, /^OK /);
    transport.startCompression();
    const message = `Subject: big\r\n\r\n${'All work and no play makes Jack a dull boy.\r\n'.repeat(5000)}`;
    const size = Buffer.byteLength(message);

    let written = transport.bytesWritten;
    const append = await imap.command(`APPEND INBOX {${size}+}\r\n${message}`);
    assert.match(append.tagged, /^OK \[APPENDUID /);
    written = transport.bytesWritten - written;
    assert.ok(written * 20 < size, `${written} raw bytes written for a ${size}-byte message`);

    assert.match((await imap.command('EXAMINE INBOX')).tagged, /^OK /);
    let read = transport.bytesRead;
    const fetch = await imap.command('FETCH 1:* BODY.PEEK[]');
    assert.match(fetch.untagged[0]!, new RegExp(`^\\* 1 FETCH \\(BODY\\[\\] \\{${size}\\}$`));
    assert.equal(fetch.untagged.length, 5004); // FETCH line, 2 header lines, 5000 body lines, ')'
    read = transport.bytesRead - read;
    assert.ok(read * 20 < size, `${read} raw bytes read for a ${size}-byte message`);
    assert.match(transport.describe(), /\+DEFLATE$/);
    assert.match((await imap.command('LOGOUT')).tagged, /^OK /);
    transport.close();
    assert.deepEqual((await closed).exit, { code: 0, signal: null });
  });
});
