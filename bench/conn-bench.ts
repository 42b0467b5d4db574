// The connection runtime against a local throw-away Dovecot, over the tunnel, TCP, and TCP through
// a relay adding 1 ms each way (a LAN-like round trip; loopback's ~40 µs is below Dovecot's own
// per-command cost): 10,000 `UID FETCH n (FLAGS)` pipelined vs one at a time — and the same from a
// bare socket, the ceiling of that ratio on loopback for any client — and the throughput of
// fetching a 100 MiB mailbox's bodies with and without COMPRESS=DEFLATE. Usage: node dist/bench/conn-bench.js

import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { type ConnectionOptions, type ImapConnection, openConnection } from '../src/imap/connection.js';
import { type Dovecot, startDovecot } from '../test/helpers/dovecot.js';

const MiB = 1024 * 1024;
const SMALL_MESSAGES = 10_000;
const LARGE_MESSAGES = 100; // of 1 MiB each

const ONE_WAY_DELAY_MS = 1;

type Via = 'tunnel' | 'tcp' | 'tcp+2ms';

/** Forwards each chunk, in order, `delayMs` after it arrived, in both directions. */
async function startDelayRelay(port: number, delayMs: number): Promise<{ port: number; server: Server }> {
  const delayed = (from: Socket, to: Socket) => {
    const queue: { due: number; chunk: Buffer }[] = [];
    let scheduled = false;
    const pump = () => {
      while (queue.length > 0 && queue[0]!.due <= performance.now()) to.write(queue.shift()!.chunk);
      scheduled = queue.length > 0;
      if (scheduled) setTimeout(pump, queue[0]!.due - performance.now());
    };
    from.on('data', (chunk) => {
      queue.push({ due: performance.now() + delayMs, chunk });
      if (!scheduled) {
        scheduled = true;
        setTimeout(pump, delayMs);
      }
    });
    from.on('close', () => to.destroy());
    from.on('error', () => to.destroy());
  };
  const server = createServer((client) => {
    client.setNoDelay(true);
    const upstream = tcpConnect(port, '127.0.0.1');
    upstream.setNoDelay(true);
    delayed(client, upstream);
    delayed(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

let relayPort = 0;

function options(dovecot: Dovecot, via: Via, compress = false): ConnectionOptions {
  const tls = { verify: false };
  if (via === 'tunnel') {
    return { name: 'remote', transport: { type: 'tunnel', command: dovecot.tunnelCommand, tls }, compress };
  }
  return {
    name: 'remote',
    transport: { type: 'imap', host: dovecot.host, port: via === 'tcp' ? dovecot.imapPort : relayPort, tls },
    startTls: false,
    username: dovecot.user,
    password: dovecot.password,
    compress,
  };
}

/** A CRLF message: headers, some prose, and a base64 attachment (compresses like real mail does). */
function message(index: number, size: number): Buffer {
  const head = `From: bench@example.org\r\nSubject: message ${index}\r\nMIME-Version: 1.0\r\n\r\n`;
  const prose = 'The quick brown fox jumps over the lazy dog; pack my box with five dozen jugs.\r\n';
  const proseBytes = Math.floor(size / 2);
  const text = prose.repeat(Math.max(1, Math.floor(proseBytes / prose.length)));
  const attachment = (
    randomBytes(Math.max(0, Math.floor(((size - proseBytes) * 3) / 4)))
      .toString('base64')
      .match(/.{1,76}/g) ?? []
  ).join('\r\n');
  return Buffer.from(`${head}${text}${attachment}\r\n`);
}

async function fill(dovecot: Dovecot): Promise<void> {
  const conn = await openConnection(options(dovecot, 'tunnel'));
  for (const [name, count, size] of [
    ['small', SMALL_MESSAGES, 300],
    ['large', LARGE_MESSAGES, MiB],
  ] as const) {
    await conn.session.command('CREATE', [{ type: 'mailbox', name }]);
    for (let first = 0; first < count; first += 500) {
      const batch = Array.from({ length: Math.min(500, count - first) }, (_, i) => {
        const body = message(first + i, size);
        return { body, size: body.length };
      });
      await conn.commands.append(name, batch);
    }
  }
  await conn.logout();
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await work();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

async function fetchFlags(conn: ImapConnection, pipelined: boolean): Promise<number> {
  const { ms } = await timed(async () => {
    if (pipelined) {
      const all: Promise<unknown>[] = [];
      for (let uid = 1; uid <= SMALL_MESSAGES; uid++)
        all.push(conn.commands.uidFetch(String(uid), ['FLAGS']));
      await Promise.all(all);
    } else {
      for (let uid = 1; uid <= SMALL_MESSAGES; uid++) await conn.commands.uidFetch(String(uid), ['FLAGS']);
    }
  });
  return ms;
}

/**
 * The same 10,000 FETCHes from a bare TCP socket (no parser, no session; a tagged line is found
 * by searching the text): what Dovecot and loopback allow any client, pipelined or not.
 */
async function bareFetchFlags(dovecot: Dovecot): Promise<{ pipelined: number; serial: number }> {
  const socket = tcpConnect({ host: '127.0.0.1', port: dovecot.imapPort! });
  // The text since the last tagged line awaited, searched for the next one: a tail is kept, not
  // the whole stream, as a tagged line is short and starts after the last CRLF of the tail.
  let text = '';
  let waiting: { tag: string; resolve: () => void } | undefined;
  const check = () => {
    if (waiting && text.includes(`\r\n${waiting.tag} `)) {
      const { resolve } = waiting;
      waiting = undefined;
      text = '\r\n';
      resolve();
    }
  };
  socket.on('data', (chunk) => {
    text += chunk.toString('latin1');
    check();
    text = text.slice(-256);
  });
  const send = (lines: string, lastTag: string) =>
    new Promise<void>((resolve) => {
      waiting = { tag: lastTag, resolve };
      socket.write(lines);
      check();
    });
  await new Promise((resolve) => socket.once('data', resolve));
  text = '\r\n';
  await send(`l LOGIN ${dovecot.user} ${dovecot.password}\r\n`, 'l');
  await send('s SELECT small\r\n', 's');
  const line = (uid: number) => `f${uid} UID FETCH ${uid} (FLAGS)\r\n`;
  const all = Array.from({ length: SMALL_MESSAGES }, (_, i) => line(i + 1)).join('');
  await send(all, `f${SMALL_MESSAGES}`); // warm up
  const pipelined = await timed(() => send(all, `f${SMALL_MESSAGES}`));
  const serial = await timed(async () => {
    for (let uid = 1; uid <= SMALL_MESSAGES; uid++) await send(line(uid), `f${uid}`);
  });
  socket.destroy();
  return { pipelined: pipelined.ms, serial: serial.ms };
}

async function fetchBodies(dovecot: Dovecot, via: Via, compress: boolean): Promise<string> {
  const conn = await openConnection(options(dovecot, via, compress));
  await conn.compress();
  await conn.select('large');
  const read = conn.bytesRead;
  let bodyBytes = 0;
  const { ms } = await timed(() =>
    conn.commands.uidFetch(`1:${LARGE_MESSAGES}`, ['BODY.PEEK[]'], {
      onUntagged: (r) => {
        if (r.type === 'FETCH') for (const body of r.attributes.bodies ?? []) bodyBytes += body.size;
      },
    }),
  );
  const raw = conn.bytesRead - read;
  await conn.logout();
  const mib = bodyBytes / MiB;
  return (
    `${via.padEnd(6)} ${compress ? 'COMPRESS' : 'plain   '}  ${mib.toFixed(0)} MiB of bodies in ` +
    `${ms.toFixed(0)} ms = ${((mib * 1000) / ms).toFixed(0)} MiB/s; ${(raw / MiB).toFixed(1)} MiB on the wire`
  );
}

async function main(): Promise<void> {
  const dovecot = await startDovecot({ tcp: true });
  const relay = await startDelayRelay(dovecot.imapPort!, ONE_WAY_DELAY_MS);
  relayPort = relay.port;
  try {
    await fill(dovecot);
    console.log(`${SMALL_MESSAGES} x UID FETCH n (FLAGS):`);
    for (const via of ['tunnel', 'tcp', 'tcp+2ms'] as const) {
      const conn = await openConnection(options(dovecot, via));
      await conn.select('small');
      if (via !== 'tcp+2ms') await fetchFlags(conn, true); // warm up Dovecot's index and the JIT
      const pipelined = await fetchFlags(conn, true);
      const serial = await fetchFlags(conn, false);
      await conn.logout();
      console.log(
        `  ${via.padEnd(7)} pipelined ${pipelined.toFixed(0)} ms, one at a time ${serial.toFixed(0)} ms: ` +
          `${(serial / pipelined).toFixed(1)}x`,
      );
    }
    // The ceiling on loopback: even a client costing nothing cannot pipeline faster than Dovecot
    // answers, nor wait less than a loopback round trip between two serial commands.
    const bare = await bareFetchFlags(dovecot);
    console.log(
      `  bare tcp socket (no client code): pipelined ${bare.pipelined.toFixed(0)} ms, one at a time ` +
        `${bare.serial.toFixed(0)} ms: ${(bare.serial / bare.pipelined).toFixed(1)}x`,
    );
    console.log(`Bodies of a ${LARGE_MESSAGES} MiB mailbox (UID FETCH 1:${LARGE_MESSAGES} BODY.PEEK[]):`);
    for (const via of ['tunnel', 'tcp'] as const) {
      for (const compress of [false, true]) console.log(`  ${await fetchBodies(dovecot, via, compress)}`);
    }
  } finally {
    relay.server.close();
    await dovecot.stop();
  }
}

await main();
