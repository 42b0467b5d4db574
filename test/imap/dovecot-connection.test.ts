// The connection runtime against a real Dovecot: each transport, STARTTLS and authentication,
// the chart's state, COMPRESS on the wire, SELECT, LOGOUT, refused credentials, and ENABLE QRESYNC
// written together with the credentials.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ImapConnection } from '../../src/imap/connection.js';
import { parseFingerprint, parseProxyUrl } from '../../src/transport/transport.js';
import { type Dovecot, startDovecot } from '../helpers/dovecot.js';
import { startRecordingRelay } from '../helpers/recording-relay.js';
import { startSocks5Server } from '../helpers/socks5-server.js';
import { closeAll, message, openTracked, optionsFor, recordingLogger } from './setup.js';

describe('connection runtime against Dovecot', { timeout: 60_000 }, () => {
  let dovecot: Dovecot;
  let strict: Dovecot;
  before(async () => {
    [dovecot, strict] = await Promise.all([
      startDovecot({ tls: true }),
      startDovecot({ tls: true, loginDisabledPlaintext: true }),
    ]);
  });
  after(async () => {
    await closeAll();
    await Promise.all([dovecot?.stop(), strict?.stop()]);
  });

  for (const via of ['tunnel', 'starttls', 'imaps'] as const) {
    test(`${via}: ready with QRESYNC enabled, SELECT, LOGOUT`, async () => {
      const logger = recordingLogger();
      const conn = await openTracked(optionsFor(dovecot, via, { debug: 1 }), logger);
      assert.equal(conn.state, 'authenticated.ready');
      assert.ok(conn.capabilities.includes('QRESYNC'));
      const selected = await conn.select('INBOX');
      assert.equal(conn.state, 'selected');
      assert.equal(conn.mailbox, 'INBOX');
      assert.ok(selected.uidValidity > 0);
      assert.equal(await conn.unselect(), true);
      assert.equal(conn.state, 'authenticated.ready');
      assert.equal(conn.mailbox, null);
      await conn.select('INBOX', { readOnly: true });
      const closed = await conn.logout();
      assert.equal(closed.reason, 'logout');
      assert.equal(conn.state, 'closed');
      const traffic = logger.lines.join('\n');
      assert.match(traffic, /C: a\d+ ENABLE QRESYNC/);
      assert.match(traffic, /C: a\d+ UNSELECT\n[\s\S]*C: a\d+ EXAMINE INBOX\n[\s\S]*C: a\d+ LOGOUT/);
      assert.doesNotMatch(traffic, /C: a\d+ CLOSE/);
      if (via === 'starttls') {
        assert.match(traffic, /C: a\d+ STARTTLS[\s\S]*C: a\d+ CAPABILITY[\s\S]*AUTHENTICATE/);
      }
    });
  }

  test('refused credentials: one line naming the server, nothing left running', async () => {
    await assert.rejects(openTracked(optionsFor(dovecot, 'imaps', { password: 'wrong' })), (error: Error) => {
      assert.match(error.message, /^remote: authentication failed: .*AUTHENTICATE failed: NO/);
      assert.doesNotMatch(error.message, /\n/);
      return true;
    });
  });

  for (const [auth, compress] of [
    ['PLAIN', false],
    ['LOGIN', false],
    ['PLAIN', true],
  ] as const) {
    test(`${auth}${compress ? ' + COMPRESS' : ''}: ENABLE QRESYNC leaves in the write of the credentials`, async () => {
      const relay = await startRecordingRelay(dovecot.host, dovecot.imapPort!);
      try {
        const options = optionsFor(dovecot, 'starttls', { startTls: false, auth: [auth], compress });
        options.transport.port = relay.port;
        const conn = await openTracked(options);
        const credentials = auth === 'PLAIN' ? 'AUTHENTICATE PLAIN \\S+' : 'LOGIN \\S+ \\S+';
        assert.match(relay.chunks[0]!, new RegExp(`^a1 ${credentials}\r\na2 ENABLE QRESYNC\r\n$`));
        assert.equal(relay.chunks.length, 1);
        // QRESYNC is on: SELECT takes its parameters (RFC 7162 §3.2.5), without a second ENABLE.
        const { uidValidity } = await conn.commands.status('INBOX', ['UIDVALIDITY']);
        // COMPRESS waits to be asked for (a no-op run never is), alone in its write; what follows is deflated.
        const compressing = conn.compress();
        assert.equal(
          compressing !== undefined,
          compress,
          'compress() has something to wait for only with COMPRESS',
        );
        await compressing;
        const selected = await conn.select('INBOX', { qresync: { uidValidity: uidValidity!, modseq: 1n } });
        assert.equal(selected.uidValidity, uidValidity);
        assert.equal(conn.compress(), undefined, 'nothing more to do once selected');
        assert.match(relay.chunks[1]!, /^a3 STATUS /);
        if (compress) assert.equal(relay.chunks[2], 'a4 COMPRESS DEFLATE\r\n');
        else assert.match(relay.chunks[2]!, /^a4 SELECT /);
        if (!compress) assert.ok(!relay.chunks.slice(1).join('').includes('ENABLE'));
        assert.equal((await conn.logout()).reason, 'logout');
      } finally {
        await relay.close();
      }
    });
  }

  test('LOGIN mechanism, IP literal host, imaps with an SPKI pin instead of a CA', async () => {
    const logger = recordingLogger();
    const options = optionsFor(dovecot, 'starttls', { auth: ['LOGIN'], debug: 1 });
    options.transport.host = `[${dovecot.host}]`;
    const viaLogin = await openTracked(options, logger);
    assert.match(logger.lines.join('\n'), /C: a\d+ LOGIN <redacted>/);
    assert.equal((await viaLogin.logout()).reason, 'logout');
    const pinned = optionsFor(dovecot, 'imaps');
    pinned.transport.tls = {
      verify: false,
      fingerprints: [parseFingerprint(`sha256$${dovecot.spkiSha256}`)],
    };
    assert.equal((await (await openTracked(pinned)).logout()).reason, 'logout');
  });

  test('LOGINDISABLED before TLS: no mechanism is usable, nothing is sent', async () => {
    const options = optionsFor(strict, 'starttls', { startTls: false });
    options.transport.host = strict.remoteHost; // not a "secured" local client for Dovecot
    const logger = recordingLogger();
    await assert.rejects(openTracked({ ...options, debug: 1 }, logger), (error: Error) => {
      assert.match(
        error.message,
        /^remote: no usable authentication mechanism \(wanted PLAIN LOGIN; server offers LOGINDISABLED\)$/,
      );
      return true;
    });
    assert.doesNotMatch(logger.lines.join('\n'), /LOGIN <|AUTHENTICATE/);
    // With STARTTLS (the default) the same server lets us in.
    const secured = optionsFor(strict, 'starttls');
    secured.transport.host = strict.remoteHost;
    assert.equal((await (await openTracked(secured)).logout()).reason, 'logout');
  });

  test('SOCKS5 proxies: socks5 resolves locally, socks5h at the proxy, with user:password', async () => {
    const proxy = await startSocks5Server({ auth: { username: 'proxyuser', password: 'proxypass' } });
    try {
      for (const [scheme, host] of [
        ['socks5', dovecot.host],
        ['socks5h', 'localhost'],
      ] as const) {
        const options = optionsFor(dovecot, 'imaps');
        options.transport.host = host;
        options.transport.proxy = parseProxyUrl(`${scheme}://proxyuser:proxypass@127.0.0.1:${proxy.port}`);
        const connection = await openTracked(options);
        assert.equal(connection.state, 'authenticated.ready');
        await connection.logout();
      }
      assert.deepEqual(
        proxy.requests.map((r) => [r.addressType, r.host, r.username]),
        [
          ['ipv4', '127.0.0.1', 'proxyuser'],
          ['domain', 'localhost', 'proxyuser'],
        ],
      );
    } finally {
      await proxy.close();
    }
  });

  test('IDLE: a message appended by another client ends the wait; abort sends DONE', async () => {
    const watcher = await openTracked(optionsFor(dovecot, 'tunnel'));
    const writer = await openTracked(optionsFor(dovecot, 'tunnel'));
    await watcher.select('INBOX');
    const waiting = watcher.waitForChange();
    await waitForState(watcher, 'idle');
    const extra = message('wake up');
    await writer.commands.append('INBOX', [{ body: extra, size: extra.length }]);
    assert.equal(await waiting, true);
    assert.equal(watcher.state, 'selected');
    const abort = new AbortController();
    const stopped = watcher.waitForChange(abort.signal);
    await waitForState(watcher, 'idle');
    abort.abort();
    assert.equal(await stopped, false);
    assert.equal(watcher.state, 'selected');
    await watcher.commands.noop(); // IDLE is over on the wire too
    await Promise.all([watcher.logout(), writer.logout()]);
  });

  test('synchronising literals under LITERAL- wait for "+" while other responses flow', async () => {
    const literalMinus = await startDovecot({ extraConf: 'imap_literal_minus = yes' });
    try {
      const conn = await openTracked(optionsFor(literalMinus, 'tunnel'));
      assert.ok(conn.capabilities.includes('LITERAL-') && !conn.capabilities.includes('LITERAL+'));
      const big = message('big', 100_000);
      const small = message('small');
      const results = await Promise.all([
        conn.commands.noop(),
        conn.commands.append('INBOX', [{ body: big, size: big.length }]), // {N}: waits for "+"
        conn.commands.status('INBOX', ['MESSAGES']),
        conn.commands.append('INBOX', [{ body: small, size: small.length }]), // {N+}
        conn.commands.noop(),
      ]);
      assert.equal(results.length, 5);
      assert.equal((await conn.commands.status('INBOX', ['MESSAGES'])).messages, 2);
      await conn.logout();
    } finally {
      await literalMinus.stop();
    }
  });

  test('a refused SELECT leaves no mailbox selected and the connection usable', async () => {
    const conn = await openTracked(optionsFor(dovecot, 'tunnel'));
    await conn.select('INBOX');
    await assert.rejects(conn.select('no such mailbox'), (error: Error) => {
      assert.match(error.message, /^remote: SELECT no such mailbox: SELECT failed: NO /);
      return true;
    });
    assert.equal(conn.state, 'authenticated.ready');
    assert.equal(conn.mailbox, null);
    await assert.rejects(
      conn.unselect(),
      /^ImapConnectionError: remote: cannot UNSELECT in state authenticated.ready$/,
    );
    await conn.select('INBOX');
    assert.equal(conn.mailbox, 'INBOX');
    await conn.logout();
  });

  test('fetchBody: a missing UID rejects; one UID at a time; the same UID again once it arrived', async () => {
    const conn = await openTracked(optionsFor(dovecot, 'tunnel'));
    await conn.session.command('CREATE', [{ type: 'mailbox', name: 'bodies' }]);
    const mail = message('body');
    await conn.commands.append('bodies', [{ body: mail, size: mail.length }]);
    await conn.select('bodies');
    await assert.rejects(conn.fetchBody(99), /^Error: remote: UID 99: the server sent no body$/);
    const first = conn.fetchBody(1);
    await assert.rejects(conn.fetchBody(1), /the body of UID 1 is already being fetched/);
    const again = (await first) && conn.fetchBody(1); // asked before the first FETCH completed
    for (const body of [await first, await again]) {
      const chunks: Buffer[] = [];
      for await (const chunk of body.chunks) chunks.push(chunk);
      assert.ok(Buffer.concat(chunks).equals(mail));
    }
    await conn.logout();
  });

  test('streamAllBodies: every body of one UID FETCH 1:* with the attributes sent before it', async () => {
    const conn = await openTracked(optionsFor(dovecot, 'tunnel'));
    await conn.session.command('CREATE', [{ type: 'mailbox', name: 'all-bodies' }]);
    const mails = [message('one'), message('two'), message('three')];
    await conn.commands.append(
      'all-bodies',
      mails.map((body, i) => ({ body, size: body.length, flags: i === 1 ? ['\\Flagged'] : [] })),
    );
    await conn.select('all-bodies');
    const received: Promise<{ uid: number; flags: string[]; data: Buffer }>[] = [];
    const stop = conn.streamAllBodies((body, attributes) => {
      received.push(
        (async () => {
          const chunks: Buffer[] = [];
          for await (const chunk of body.chunks) chunks.push(chunk);
          return { uid: body.uid, flags: attributes.flags ?? [], data: Buffer.concat(chunks) };
        })(),
      );
    });
    assert.throws(() => conn.streamAllBodies(() => {}), /already streamed to another consumer/);
    await conn.commands.uidFetch('1:*', ['UID', 'FLAGS', 'BODY.PEEK[]'], { onUntagged: () => {} });
    stop();
    const bodies = await Promise.all(received);
    assert.deepEqual(
      bodies.map((b) => b.uid),
      [1, 2, 3],
    );
    for (const [i, b] of bodies.entries()) assert.ok(b.data.equals(mails[i]!), `body of UID ${b.uid}`);
    assert.ok(bodies[1]!.flags.includes('\\Flagged'), bodies[1]!.flags.join(' '));
    assert.ok(!bodies[0]!.flags.includes('\\Flagged'), bodies[0]!.flags.join(' '));
    // Once stopped, bodies are buffered by the parser again, as usual.
    const fetched = await conn.commands.uidFetch('1', ['UID', 'BODY.PEEK[]']);
    assert.ok(fetched.fetched[0]?.attributes.bodies?.[0]?.data?.equals(mails[0]!));
    await conn.logout();
  });

  test('a streamed body shorter than its declared size fails the APPEND and the connection', async () => {
    const conn = await openTracked(optionsFor(dovecot, 'tunnel'));
    async function* short(): AsyncIterable<Buffer> {
      yield message('short');
    }
    await assert.rejects(
      conn.commands.append('INBOX', [{ body: short(), size: 100_000 }]),
      /write failed: streamed literal ended after \d+ of its declared 100000 bytes/,
    );
    assert.equal((await conn.closed).reason, 'transport');
  });
});

async function waitForState(connection: ImapConnection, state: string): Promise<void> {
  for (let i = 0; i < 1000 && connection.state !== state; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(connection.state, state);
}
