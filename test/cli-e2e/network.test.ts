// `interimap` over the network: the remote server over imaps (TLS with a pinned SPKI fingerprint,
// PLAIN authentication), directly and through a SOCKS5 proxy, the local one over a tunnel; and
// refused credentials named per side.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startSocks5Server } from '../helpers/socks5-server.js';
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
