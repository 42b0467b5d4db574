// type=imap over TCP against real Dovecot: greeting, STARTTLS upgrade in place (and its refusals),
// COMPRESS over TLS, close reporting, SO_KEEPALIVE, connect errors. A scripted server plays what
// Dovecot cannot: plaintext injected after the STARTTLS reply, compressed data right after COMPRESS's OK.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { deflateRawSync, inflateRawSync, constants as zlibConstants } from 'node:zlib';
import {
  openTransport,
  type TlsOptions,
  type Transport,
  type TransportClosed,
  type TransportOptions,
} from '../../src/transport/transport.js';
import { type Dovecot, startDovecot } from '../helpers/dovecot.js';
import { RawImap } from '../helpers/imap-client-raw.js';
import { freePort } from '../helpers/ports.js';

const opened: Transport[] = [];
after(() => {
  for (const transport of opened) transport.close();
});

interface Connection {
  transport: Transport;
  imap: RawImap;
  closed: Promise<TransportClosed>;
  /** Every byte delivered to the receiver, for "nothing was delivered" checks. */
  received: Buffer[];
}

async function connect(options: Omit<TransportOptions, 'tls'> & { tls?: TlsOptions }): Promise<Connection> {
  const transport = await openTransport({ tls: { verify: true }, ...options });
  opened.push(transport);
  const imap = new RawImap((data) => transport.write(data));
  const received: Buffer[] = [];
  transport.onData((chunk) => {
    received.push(chunk);
    imap.feed(chunk);
  });
  const closed = new Promise<TransportClosed>((resolve) => transport.onClose(resolve));
  return { transport, imap, closed, received };
}

describe('imap over TCP', { timeout: 60_000 }, () => {
  let server: Dovecot;
  before(async () => {
    server = await startDovecot({ tls: true });
  });
  after(() => server.stop());

  test('reads the greeting; a server-side close is reported as such', async () => {
    const { transport, imap, closed } = await connect({
      type: 'imap',
      host: 'localhost',
      port: server.imapPort!,
    });
    assert.match(await imap.nextLine(), /^\* OK \[CAPABILITY .*STARTTLS/);
    assert.equal(transport.describe(), `imap://localhost:${server.imapPort}`);
    assert.match((await imap.command('LOGOUT')).tagged, /^OK /);
    assert.deepEqual(await closed, { byUs: false, message: 'connection closed by the server' });
    assert.ok(transport.bytesRead > 0 && transport.bytesWritten > 0);
  });

  test('plaintext only (startTls false): the TLS settings are not read, and TLS cannot start', async () => {
    const { transport, imap } = await connect({
      type: 'imap',
      host: 'localhost',
      port: server.imapPort!,
      tls: { verify: true, caFile: '/nonexistent/ca.pem' },
      startTls: false,
    });
    assert.match(await imap.nextLine(), /^\* OK /);
    assert.match((await imap.command('STARTTLS')).tagged, /^OK /);
    await assert.rejects(transport.startTls(Buffer.alloc(0)), /opened for plaintext only, not TLS/);
  });

  test('STARTTLS upgrades in place; a command written mid-handshake and LOGIN then go over TLS', async () => {
    const tls = { verify: true, caFile: server.caFile! };
    const { transport, imap, closed } = await connect({
      type: 'imap',
      host: 'localhost',
      port: server.imapPort!,
      tls,
    });
    await imap.nextLine();
    assert.match((await imap.command('STARTTLS')).tagged, /^OK /);
    const upgraded = transport.startTls(Buffer.alloc(0));
    // Written during the handshake: held back, then sent over TLS (write() said false, drain follows).
    let drained = false;
    transport.onDrain(() => {
      drained = true;
    });
    const capability = imap.command('CAPABILITY');
    await upgraded;
    assert.equal(drained, true);
    assert.match(transport.describe(), /^imap:\/\/localhost:\d+ TLSv1\.3 /);
    assert.doesNotMatch((await capability).untagged[0]!, /STARTTLS/);
    assert.match((await imap.command(`LOGIN ${server.user} ${server.password}`)).tagged, /^OK /);
    await assert.rejects(transport.startTls(), /STARTTLS needs a plain TCP connection/);
    transport.close();
    assert.equal((await closed).byUs, true);
  });

  test('a refused certificate during STARTTLS fails the upgrade; nothing after the OK is delivered', async () => {
    const tls = {
      verify: true,
      caFile: server.caFile!,
      fingerprints: [{ algorithm: 'sha256', digest: '11'.repeat(32) }],
    };
    const conn = await connect({ type: 'imap', host: 'localhost', port: server.imapPort!, tls });
    await conn.imap.nextLine();
    assert.match((await conn.imap.command('STARTTLS')).tagged, /^OK /);
    const deliveredBefore = Buffer.concat(conn.received).length;
    await assert.rejects(conn.transport.startTls(), /SPKI fingerprint mismatch \(got sha256\$[0-9a-f]{64}\)/);
    const closed = await conn.closed;
    assert.match(closed.error!.message, /SPKI fingerprint mismatch/);
    assert.equal(Buffer.concat(conn.received).length, deliveredBefore);
  });

  test('COMPRESS over imaps after LOGIN: the session goes on, compressed', async () => {
    const tls = { verify: true, caFile: server.caFile! };
    const { transport, imap } = await connect({
      type: 'imaps',
      host: 'localhost',
      port: server.imapsPort!,
      tls,
    });
    await imap.nextLine();
    assert.match((await imap.command(`LOGIN ${server.user} ${server.password}`)).tagged, /^OK /);
    assert.match((await imap.command('COMPRESS DEFLATE')).tagged, /^OK /);
    transport.startCompression();
    assert.throws(() => transport.startCompression(), /compression is already active/);
    for (let i = 0; i < 20; i++) assert.match((await imap.command('LIST "" "*"')).tagged, /^OK /);
    assert.match(transport.describe(), /TLSv1\.3 .* \+DEFLATE$/);
    await assert.rejects(transport.startTls(), /STARTTLS needs a plain TCP connection/);
    assert.match((await imap.command('LOGOUT')).tagged, /^OK /);
  });

  test('keepAlive sets SO_KEEPALIVE on the socket (seen by ss)', async () => {
    const port = server.imapPort!;
    const keepAliveTimers = () =>
      execFileSync('ss', ['-tnoH', 'state', 'established', `dport = :${port}`], { encoding: 'utf8' });
    const plain = await connect({ type: 'imap', host: '127.0.0.1', port });
    await plain.imap.nextLine();
    assert.doesNotMatch(keepAliveTimers(), /keepalive/);
    const watching = await connect({ type: 'imap', host: '127.0.0.1', port, keepAlive: true });
    await watching.imap.nextLine();
    assert.match(keepAliveTimers(), /timer:\(keepalive/);
    plain.transport.close();
    watching.transport.close();
  });
});

describe('close()', { timeout: 30_000 }, () => {
  test('a peer that never closes its side is cut off after a grace period', async () => {
    const peers: Socket[] = [];
    const server = createServer({ allowHalfOpen: true }, (socket) => {
      peers.push(socket);
      socket.write('* OK never leaving\r\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const { transport, imap, closed } = await connect({ type: 'imap', host: '127.0.0.1', port });
      await imap.nextLine();
      transport.close();
      assert.equal(transport.write(Buffer.from('a NOOP\r\n')), false, 'no writes after close()');
      assert.deepEqual(await closed, { byUs: true, message: 'connection closed' });
    } finally {
      for (const peer of peers) peer.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('connect errors', () => {
  test('refused connection, bad host, bad port', async () => {
    const port = await freePort();
    await assert.rejects(
      openTransport({ type: 'imap', host: '127.0.0.1', port, tls: { verify: true } }),
      new RegExp(
        `^TransportError: cannot connect to 127\\.0\\.0\\.1:${port}: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}$`,
      ),
    );
    await assert.rejects(
      openTransport({ type: 'imap', host: '[localhost]', tls: { verify: true } }),
      /^TransportError: invalid IP literal "\[localhost\]"$/,
    );
    await assert.rejects(
      openTransport({ type: 'imaps', port: 70000, tls: { verify: true } }),
      /invalid port '70000'/,
    );
  });
});

describe('scripted server: STARTTLS injection, COMPRESS remainder', { timeout: 30_000 }, () => {
  let server: Server;
  let port: number;
  /** The scripted server's tagged reply to the first command, and what it sends 50 ms later if anything. */
  let reply: (string | Buffer)[] = [];
  /** Bytes the scripted server received after the first command. */
  let afterFirst: Buffer[] = [];
  before(async () => {
    server = createServer((socket: Socket) => {
      socket.on('error', () => {});
      socket.write('* OK ready\r\n');
      socket.once('data', (command) => {
        const tag = command.toString().split(' ')[0]!;
        socket.write(Buffer.concat([Buffer.from(`${tag} `), Buffer.from(reply[0]!)]));
        if (reply[1]) setTimeout(() => socket.write(reply[1]!), 50);
        socket.on('data', (chunk) => afterFirst.push(chunk));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Collects what the transport delivers until `text` has been seen. */
  async function deliveredUntil(chunks: Buffer[], text: string): Promise<Buffer> {
    while (!Buffer.concat(chunks).includes(text)) await new Promise((resolve) => setTimeout(resolve, 5));
    return Buffer.concat(chunks);
  }

  test('compressed bytes in the same read as the COMPRESS OK are inflated from the remainder', async () => {
    const okLine = 'OK DEFLATE active\r\n';
    const compressed = deflateRawSync('* 1 EXISTS\r\n', { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    reply = [Buffer.concat([Buffer.from(okLine), compressed])];
    afterFirst = [];
    const { transport } = await connect({ type: 'imap', host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    transport.onData((chunk) => chunks.push(chunk));
    transport.write(Buffer.from('z COMPRESS DEFLATE\r\n'));
    const all = await deliveredUntil(chunks, okLine);
    const end = all.indexOf(okLine) + okLine.length;
    while (Buffer.concat(chunks).length < end + compressed.length) await new Promise((r) => setTimeout(r, 5));
    const remainder = Buffer.concat(chunks).subarray(end);
    chunks.length = 0;
    transport.startCompression(remainder);
    assert.equal((await deliveredUntil(chunks, '\r\n')).toString(), '* 1 EXISTS\r\n');
    transport.write(Buffer.from('y NOOP\r\n'));
    transport.write(Buffer.from('x NOOP\r\n'));
    // One burst, one sync flush: the server can inflate both commands from what it has received.
    for (;;) {
      const received = Buffer.concat(afterFirst);
      if (received.length > 0 && received.subarray(-4).equals(Buffer.from([0, 0, 0xff, 0xff]))) {
        assert.equal(
          inflateRawSync(received, { finishFlush: zlibConstants.Z_SYNC_FLUSH }).toString(),
          'y NOOP\r\nx NOOP\r\n',
        );
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    transport.close();
  });

  test('bytes after the STARTTLS OK in the same read are refused (the caller hands them over)', async () => {
    reply = ['OK Begin TLS now\r\n* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n'];
    const { transport, closed } = await connect({ type: 'imap', host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    transport.onData((chunk) => chunks.push(chunk));
    transport.write(Buffer.from('a STARTTLS\r\n'));
    const all = await deliveredUntil(chunks, 'AUTH=PLAIN\r\n');
    const remainder = all.subarray(all.indexOf('* CAPABILITY'));
    const refused = `imap://127.0.0.1:${port}: ${remainder.length} bytes of plaintext arrived after the STARTTLS reply`;
    await assert.rejects(transport.startTls(remainder), {
      message: `${refused}, before the handshake; refusing them`,
    });
    assert.match((await closed).error!.message, /bytes of plaintext arrived/);
  });

  test('bytes arriving later are fed to the TLS handshake, never delivered as data', async () => {
    reply = ['OK Begin TLS now\r\n', '* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n'];
    const conn = await connect({ type: 'imap', host: '127.0.0.1', port });
    await conn.imap.nextLine();
    assert.match((await conn.imap.command('STARTTLS')).tagged, /^OK /);
    const delivered = Buffer.concat(conn.received).length;
    await assert.rejects(
      conn.transport.startTls(),
      /^TransportError: TLS handshake with 127\.0\.0\.1 failed: /,
    );
    assert.equal(Buffer.concat(conn.received).length, delivered);
    assert.ok((await conn.closed).error);
  });
});
