// The connection runtime's traffic against real Dovecot: 1,000 pipelined commands with changes
// from a second connection, COMPRESS measured on the wire, a ~50 MiB body streamed from one
// server into APPEND on another under back-pressure, and what --debug logs.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { UntaggedResponse } from '../../src/protocol/types.js';
import { type Dovecot, startDovecot } from '../helpers/dovecot.js';
import { closeAll, message, openTracked, optionsFor, recordingLogger } from './setup.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('connection traffic against Dovecot', { timeout: 120_000 }, () => {
  let dovecot: Dovecot;
  let other: Dovecot;
  before(async () => {
    [dovecot, other] = await Promise.all([startDovecot({ tls: true }), startDovecot()]);
  });
  after(async () => {
    await closeAll();
    await Promise.all([dovecot?.stop(), other?.stop()]);
  });
  const connect = (...args: Parameters<typeof optionsFor>) => openTracked(optionsFor(...args));

  test('1,000 pipelined UID FETCHes complete in tag order; changes by another client are seen', async () => {
    const conn = await connect(dovecot, 'starttls');
    await conn.commands.session.command('CREATE', [{ type: 'mailbox', name: 'pipe' }]);
    const messages = Array.from({ length: 1000 }, (_, i) => {
      const body = message(`m${i}`);
      return { body, size: body.length };
    });
    await conn.commands.append('pipe', messages);
    await conn.select('pipe');
    const unsolicited: UntaggedResponse[] = [];
    conn.onUnsolicited((r) => unsolicited.push(r));

    const writer = await connect(dovecot, 'tunnel');
    const order: number[] = [];
    const fetch = (uid: number) =>
      conn.commands.uidFetch(String(uid), ['FLAGS']).then((result) => {
        order.push(uid);
        return result;
      });
    const first = Array.from({ length: 500 }, (_, i) => fetch(i + 1));
    // Another client appends one message and expunges UID 3 while the FETCHes are on the wire.
    await writer.select('pipe');
    const extra = message('extra');
    await writer.commands.append('pipe', [{ body: extra, size: extra.length }]);
    await writer.commands.uidStore('3', '+FLAGS', ['\\Deleted'], { silent: true });
    await writer.commands.uidExpunge('3');
    const second = Array.from({ length: 500 }, (_, i) => fetch(i + 501));
    const results = await Promise.all([...first, ...second, conn.commands.noop()]);

    assert.deepEqual(
      order,
      Array.from({ length: 1000 }, (_, i) => i + 1),
    );
    // Dovecot answers pipelined FETCHes before their tagged OKs, so an untagged FETCH cannot be
    // told apart between in-flight claimants: the session gives it to the oldest (and the
    // listeners). Every UID is still reported, UID 3 perhaps also with its \Deleted flag.
    const fetches = results.slice(0, 1000) as Awaited<ReturnType<typeof fetch>>[];
    const seen = new Set(fetches.flatMap((r) => r.fetched.map((f) => f.attributes.uid)));
    seen.add(3); // expunged, maybe before its FETCH ran
    assert.deepEqual(
      [...seen].sort((a, b) => a! - b!),
      Array.from({ length: 1000 }, (_, i) => i + 1),
    );
    assert.ok(
      // 1,000 + 1 appended, or 1,000 when Dovecot reports the expunge first.
      unsolicited.some((r) => r.type === 'EXISTS' && r.number >= 1000),
      `the EXISTS for the appended message reached the listener: ${JSON.stringify(unsolicited.filter((r) => r.type !== 'FETCH'))}`,
    );
    // Under QRESYNC the expunge comes as VANISHED: to a listener, or to an in-flight UID FETCH.
    const vanished = new Set(
      [
        ...unsolicited.flatMap((r) => (r.type === 'VANISHED' ? r.uids : [])),
        ...fetches.flatMap((r) => r.vanished),
      ].map((range) => range.join(':')),
    );
    assert.deepEqual([...vanished], ['3:3']);
  });

  test('COMPRESS=DEFLATE: a large FETCH moves fewer raw bytes than its literal', async () => {
    const logger = recordingLogger();
    const conn = await openTracked(optionsFor(dovecot, 'starttls', { compress: true, debug: 1 }), logger);
    assert.equal(conn.state, 'authenticated.ready');
    const big = message('compressible', 2 * 1024 * 1024);
    await conn.commands.session.command('CREATE', [{ type: 'mailbox', name: 'zip' }]);
    assert.doesNotMatch(logger.lines.join('\n'), /COMPRESS/, 'COMPRESS waits to be asked for');
    await conn.compress();
    const written = conn.bytesWritten;
    await conn.commands.append('zip', [{ body: big, size: big.length }]);
    assert.ok(conn.bytesWritten - written < big.length / 4, 'the APPEND was compressed');
    await conn.select('zip');
    const read = conn.bytesRead;
    const result = await conn.commands.uidFetch('1', ['BODY.PEEK[]']);
    const body = result.fetched[0]?.attributes.bodies?.[0]?.data;
    assert.ok(body?.equals(big), 'the body came back intact');
    assert.ok(conn.bytesRead - read < big.length / 4, `read ${conn.bytesRead - read} raw bytes`);
    // The log shows literals by size only.
    const log = logger.lines.join('\n');
    assert.match(log, /C: a\d+ COMPRESS DEFLATE\n/);
    assert.match(log, new RegExp(`C: a\\d+ APPEND zip \\{${big.length} bytes\\}`));
    assert.match(log, new RegExp(`S: \\* 1 FETCH \\(UID 1 BODY\\[\\] \\{${big.length} bytes\\}\\)`));
    assert.ok(!log.includes('quick brown fox'), 'no message content in the log');
  });

  test('a ~50 MiB body streams from one server into APPEND on another, byte for byte', async () => {
    const source = await connect(dovecot, 'tunnel');
    const target = await connect(other, 'tunnel');
    const big = message('large', 50 * 1024 * 1024);
    await source.commands.session.command('CREATE', [{ type: 'mailbox', name: 'large' }]);
    await source.commands.append('large', [{ body: big, size: big.length }]);
    await source.select('large');
    const body = await source.fetchBody(1);
    assert.equal(body.size, big.length);
    // The consumer is slower than the server: what was read but not consumed stays bounded.
    let consumed = 0;
    let maxAhead = 0;
    const readBefore = source.bytesRead;
    async function* slow(): AsyncIterable<Buffer> {
      for await (const chunk of body.chunks) {
        consumed += chunk.length;
        maxAhead = Math.max(maxAhead, source.bytesRead - readBefore - consumed);
        if (consumed % (4 * 1024 * 1024) < chunk.length) await new Promise((r) => setTimeout(r, 20));
        yield chunk;
      }
    }
    const appended = await target.commands.append('INBOX', [{ body: slow(), size: body.size }]);
    assert.ok(appended, 'APPENDUID');
    assert.ok(maxAhead < 16 * 1024 * 1024, `read at most ${maxAhead} bytes ahead of the consumer`);
    await target.select('INBOX');
    const copy = await target.fetchBody(appended.uids[0]![0]);
    const hash = createHash('sha256');
    for await (const chunk of copy.chunks) hash.update(chunk);
    assert.equal(hash.digest('hex'), sha256(big));
  });

  test('--debug once logs traffic without the password; twice shows it', async () => {
    const logs: string[] = [];
    for (const debug of [1, 2] as const) {
      for (const auth of [['LOGIN'], ['PLAIN']]) {
        const logger = recordingLogger();
        const conn = await openTracked(optionsFor(dovecot, 'starttls', { debug, auth }), logger);
        await conn.logout();
        logs.push(logger.lines.join('\n'));
      }
    }
    const plain = Buffer.from(`\0${dovecot.user}\0${dovecot.password}`).toString('base64');
    for (const log of logs) assert.match(log, /^debug remote: C: a\d+ ENABLE QRESYNC$/m);
    const [login1, plain1, login2, plain2] = logs as [string, string, string, string];
    assert.match(login1, /C: a\d+ LOGIN <redacted>/);
    assert.match(plain1, /C: a\d+ AUTHENTICATE PLAIN <redacted>/);
    for (const log of [login1, plain1]) {
      assert.ok(!log.includes(dovecot.password) && !log.includes(plain), 'no credentials at level 1');
    }
    assert.match(login2, new RegExp(`C: a\\d+ LOGIN ${dovecot.user} ${dovecot.password}`));
    assert.ok(plain2.includes(plain), 'the SASL response at level 2');
  });
});
