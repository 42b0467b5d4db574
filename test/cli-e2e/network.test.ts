// `interimap` over the network: the remote server over imaps (TLS with a pinned SPKI fingerprint,
// PLAIN authentication), directly and through a SOCKS5 proxy, the local one over a tunnel; and
// refused credentials named per side. Over plain TCP, what a no-op writes, write by write; and,
// the remote far away, when the extra lanes' connections start.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type DelayProxy, startDelayProxy } from '../../bench/delay-proxy.js';
import { type RecordingRelay, startRecordingRelay } from '../helpers/recording-relay.js';
import { startSocks5Server } from '../helpers/socks5-server.js';
import { startTcpRelay } from '../helpers/tcp-relay.js';
import { assertInSync, Pair, saveMessage } from './harness.js';

describe('remote over imaps', { timeout: 120_000 }, () => {
  let pair: Pair;
  let imaps: string[];

  before(async () => {
    pair = await Pair.start({ remote: { tls: true } });
    const { remote } = pair;
    imaps = [
      'type = imaps',
      `host = ${remote.host}`,
      `port = ${remote.imapsPort}`,
      `username = ${remote.user}`,
      // Pinned rather than verified by name: the test CA's certificates carry no subjectAltName
      // with this OpenSSL (test/helpers/tls-ca.ts), which chain verification would refuse.
      'SSL_verify = NO',
      `SSL_fingerprint = sha256$${remote.spkiSha256}`,
    ];
    await saveMessage(pair.local, 'INBOX', 'over-tls');
    await pair.remote.doveadm(['mailbox', 'create', '-s', 'Remote']);
  });
  after(() => pair.stop());

  test('initial sync over TLS', async () => {
    pair.writeConfig({ remote: [...imaps, `password = ${pair.remote.password}`] });
    const run = await pair.run();
    assert.equal(run.code, 0, run.stderr);
    await assertInSync(pair);
  });

  test('a sync through a SOCKS5 proxy', async () => {
    const proxy = await startSocks5Server();
    try {
      await saveMessage(pair.local, 'INBOX', 'over-socks');
      const through = `proxy = socks5h://127.0.0.1:${proxy.port}`;
      pair.writeConfig({ remote: [...imaps, `password = ${pair.remote.password}`, through] });
      const run = await pair.run();
      assert.equal(run.code, 0, run.stderr);
      assert.ok(proxy.requests.length > 0, 'no connection went through the proxy');
      await assertInSync(pair);
    } finally {
      await proxy.close();
    }
  });

  test('a refused password is one line naming the remote server', async () => {
    pair.writeConfig({ remote: [...imaps, 'password = wrong'] });
    const run = await pair.run();
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^remote: ERROR: authentication refused/m);
  });

  test('a refused connection is one line naming the server', async () => {
    pair.writeConfig({ remote: ['type = imap', 'host = 127.0.0.1', 'port = 1', 'STARTTLS = NO'] });
    const run = await pair.run();
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^remote: ERROR: .*(refused|ECONNREFUSED)/m);
  });
});

describe('remote over plain TCP', { timeout: 120_000 }, () => {
  let pair: Pair;
  let relay: RecordingRelay;
  let tcp: string[];

  before(async () => {
    pair = await Pair.start({ remote: { tcp: true } });
    relay = await startRecordingRelay(pair.remote.host, pair.remote.imapPort!);
    // compress is left on (the remote's default): COMPRESS waits for a SELECT, which a no-op never sends.
    tcp = ['type = imap', 'host = 127.0.0.1', `port = ${relay.port}`, 'STARTTLS = NO'];
    tcp.push(`username = ${pair.remote.user}`);
    await saveMessage(pair.local, 'INBOX', 'over-tcp');
  });
  after(async () => {
    await relay.close();
    await pair.stop();
  });

  test('a no-op is two writes: the credentials with ENABLE and the listing, then LOGOUT', async () => {
    pair.writeConfig({ remote: [...tcp, `password = ${pair.remote.password}`] });
    const initial = await pair.run();
    assert.equal(initial.code, 0, initial.stderr);
    await assertInSync(pair);
    assert.ok(
      relay.chunks.includes('a5 COMPRESS DEFLATE\r\n'),
      'the initial sync, which selects, compressed',
    );
    relay.chunks.length = 0;
    const noop = await pair.run();
    assert.equal(noop.code, 0, noop.stderr);
    assert.match(noop.stderr, /0 mailbox\(es\) synced/);
    const [first, ...rest] = relay.chunks;
    assert.match(
      first ?? '',
      /^a1 AUTHENTICATE PLAIN \S+\r\na2 ENABLE QRESYNC\r\na3 LIST "" ""\r\na4 LIST "" \("\*"\) RETURN \(SUBSCRIBED CHILDREN STATUS \(UIDVALIDITY UIDNEXT HIGHESTMODSEQ\)\)\r\n$/,
    );
    assert.deepEqual(rest, ['a5 LOGOUT\r\n']);
  });

  test('a SELECT and the UID FETCH of its new mail leave in one write (compress = NO: readable)', async () => {
    pair.writeConfig({ remote: [...tcp, 'compress = NO', `password = ${pair.remote.password}`] });
    await saveMessage(pair.remote, 'INBOX', 'new-on-remote');
    relay.chunks.length = 0;
    const run = await pair.run();
    assert.equal(run.code, 0, run.stderr);
    await assertInSync(pair);
    const selects = relay.chunks.filter((chunk) => / SELECT /.test(chunk));
    assert.equal(selects.length, 1, relay.chunks.join('|'));
    assert.match(selects[0]!, / SELECT "?INBOX"? \(QRESYNC .*\r\na\d+ UID FETCH /);
  });

  test("a refused password: the listing sent behind it fails quietly, the error is the login's", async () => {
    pair.writeConfig({ remote: [...tcp, 'password = wrong'] });
    const run = await pair.run();
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^remote: ERROR: authentication refused/m);
    assert.doesNotMatch(run.stderr, /LIST|unhandled|TypeError/i);
  });
});

describe('a distant remote', { timeout: 120_000 }, () => {
  // The remote 2 × 100 ms away behind a delay proxy, a recording relay in front of the proxy: the
  // relay sees when each connection came against the replies that had come back.
  const MAILBOXES = ['INBOX', 'a', 'b', 'c', 'd'];
  let pair: Pair;
  let delay: DelayProxy;
  let relay: RecordingRelay;
  const remoteConfig = (password: string) => [
    'type = imap',
    'host = 127.0.0.1',
    `port = ${relay.port}`,
    'STARTTLS = NO',
    'compress = NO',
    `username = ${pair.remote.user}`,
    `password = ${password}`,
  ];

  before(async () => {
    pair = await Pair.start({ remote: { tcp: true } });
    delay = await startDelayProxy({
      targetHost: pair.remote.host,
      targetPort: pair.remote.imapPort!,
      delayMs: 100,
    });
    relay = await startRecordingRelay('127.0.0.1', delay.port);
    for (const mailbox of MAILBOXES.slice(1)) await pair.local.doveadm(['mailbox', 'create', '-s', mailbox]);
    pair.writeConfig({ remote: remoteConfig(pair.remote.password) });
    const initial = await pair.run();
    assert.equal(initial.code, 0, initial.stderr);
  });
  after(async () => {
    await Promise.all([relay.close(), delay.close()]);
    await pair.stop();
  });

  /** Connections to the remote made before the first reply to its listing came back, and in all. */
  async function connectionsOfARun(): Promise<{ beforeListing: number; total: number }> {
    relay.both.length = 0;
    const run = await pair.run();
    assert.equal(run.code, 0, run.stderr);
    await assertInSync(pair);
    const listed = relay.both.findIndex((c) => c.from === 'server' && / OK List completed/.test(c.text));
    assert.ok(listed > 0, 'no listing reply seen');
    const connects = (chunks: typeof relay.both) => chunks.filter((c) => c.from === 'connect').length;
    return { beforeListing: connects(relay.both.slice(0, listed)), total: connects(relay.both) };
  }

  test("lanes open while the remote's listing is on its way when the local one shows the work", async () => {
    for (const [i, mailbox] of MAILBOXES.entries()) await saveMessage(pair.local, mailbox, `new-${i}`);
    // Five changed mailboxes locally: the second lane at once, all four (the default) once the
    // remote has lagged the local listing by a slow link's round trip; and, once the first lane
    // is in, a second connection for the one lane that will have a next mailbox (the fifth).
    assert.deepEqual(await connectionsOfARun(), { beforeListing: 4, total: 5 });
  });

  test('more changed mailboxes than lanes: the next one is selected on a second connection', async () => {
    for (const [i, mailbox] of MAILBOXES.entries()) await saveMessage(pair.local, mailbox, `ahead-${i}`);
    relay.both.length = 0;
    const run = await pair.run();
    assert.equal(run.code, 0, run.stderr);
    await assertInSync(pair);
    // Four lanes and five mailboxes: the fifth is selected on the second connection of a lane,
    // the last to connect, opened once that lane was in; each mailbox is selected once.
    const connections = relay.both.filter((c) => c.from === 'connect').map((c) => c.connection);
    assert.equal(connections.length, MAILBOXES.length);
    const selectsOn = (connection: number) =>
      relay.both
        .filter((c) => c.from === 'client' && c.connection === connection)
        .flatMap((c) => c.text.match(/ SELECT /g) ?? []).length;
    assert.equal(selectsOn(connections.at(-1)!), 1);
    assert.equal(
      connections.reduce((n, c) => n + selectsOn(c), 0),
      MAILBOXES.length,
    );
  });

  test('one changed mailbox opens no other lane', async () => {
    await saveMessage(pair.local, 'b', 'alone');
    assert.deepEqual(await connectionsOfARun(), { beforeListing: 1, total: 1 });
  });

  test('a refused password while lanes open: one error line, and the run ends', async () => {
    for (const mailbox of MAILBOXES) await saveMessage(pair.local, mailbox, `refused-${mailbox}`);
    pair.writeConfig({ remote: remoteConfig('wrong') });
    relay.both.length = 0;
    const run = await pair.run();
    assert.equal(run.code, 1);
    const errors = run.stderr.split('\n').filter((line) => /error/i.test(line));
    assert.equal(errors.length, 1, run.stderr);
    assert.match(errors[0]!, /^remote: ERROR: authentication refused/);
    assert.ok(relay.both.filter((c) => c.from === 'connect').length > 1, 'no other lane was opening');
  });
});

describe('a remote that accepts one connection per user and address', { timeout: 120_000 }, () => {
  let pair: Pair;

  before(async () => {
    pair = await Pair.start({
      maxConnections: 4,
      remote: { tcp: true, extraConf: 'mail_max_userip_connections = 1' },
    });
    for (const mailbox of ['a', 'b', 'c', 'd', 'e']) {
      await pair.local.doveadm(['mailbox', 'create', '-s', mailbox]);
      await saveMessage(pair.local, mailbox, `limited-${mailbox}`);
    }
    pair.writeConfig({ remote: remoteAt(pair.remote.imapPort!) });
  });
  after(() => pair.stop());

  const remoteAt = (port: number) => [
    'type = imap',
    `host = ${pair.remote.host}`,
    `port = ${port}`,
    'STARTTLS = NO',
    `username = ${pair.remote.user}`,
    `password = ${pair.remote.password}`,
  ];

  test('the lanes it refuses are given up with a warning; every mailbox syncs', async () => {
    // Named mailboxes: no early listing, so the first pair is in before any other connects (lanes
    // opened while it logs in race it for the server's last places).
    const run = await pair.run(['a', 'b', 'c', 'd', 'e']);
    assert.equal(run.code, 0, run.stderr);
    await assertInSync(pair);
    // Lanes 1 to 3 open together once lane 0 is in, and are refused: one warning per refused lane
    // a mailbox was given to before the first refusal came back.
    const warnings = run.stderr.split('\n').filter((line) => /going on with fewer connections/.test(line));
    assert.ok(warnings.length >= 1 && warnings.length <= 3, run.stderr);
    for (const line of warnings)
      assert.match(
        line,
        /^remote: WARNING: authentication refused: authentication failed: .*Maximum number of connections/,
      );
    assert.match(run.stderr, /5 mailbox\(es\) synced/);
  });

  test('a lane that logs in before the first one takes its place: it stands in for it', async () => {
    // The first connection's commands reach the server 300 ms late, so the lanes opened while the
    // remote's listing is awaited log in first and take the one place.
    let connections = 0;
    const relay = await startTcpRelay(pair.remote.host, pair.remote.imapPort!, (client, upstream) => {
      const late = connections++ === 0;
      client.on('data', (chunk: Buffer) => {
        if (late) setTimeout(() => upstream.write(chunk), 300);
        else upstream.write(chunk);
      });
      upstream.pipe(client);
      client.on('end', () => (late ? setTimeout(() => upstream.end(), 300) : upstream.end()));
    });
    try {
      for (const mailbox of ['a', 'b', 'c']) await saveMessage(pair.local, mailbox, `stand-in-${mailbox}`);
      pair.writeConfig({ remote: remoteAt(relay.port) });
      const run = await pair.run();
      assert.equal(run.code, 0, run.stderr);
      assert.ok(connections >= 2, 'no other lane opened');
      await assertInSync(pair);
      // a, b, c, and INBOX, which the first test's named mailboxes left out of the database.
      assert.match(run.stderr, /4 mailbox\(es\) synced/);
    } finally {
      pair.writeConfig({ remote: remoteAt(pair.remote.imapPort!) });
      await relay.close();
    }
  });
});
