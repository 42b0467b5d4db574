// The proxy option: URL parsing, and imap/imaps to real Dovecot through a SOCKS5 relay that records the
// address type it was asked for (socks5 resolves locally and sends an IP, socks5h sends the name).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openTransport, parseProxyUrl, type TransportOptions } from '../../src/transport/transport.js';
import { type Dovecot, startDovecot } from '../helpers/dovecot.js';
import { RawImap } from '../helpers/imap-client-raw.js';
import { type Socks5Server, startSocks5Server } from '../helpers/socks5-server.js';

describe('parseProxyUrl', () => {
  test('defaults, credentials, IP literals', () => {
    assert.deepEqual(parseProxyUrl('socks5://proxy.example'), {
      protocol: 'socks5',
      host: 'proxy.example',
      port: 1080,
    });
    assert.deepEqual(parseProxyUrl('socks5h://us:p:a@ss@[::1]:9050'), {
      protocol: 'socks5h',
      host: '::1',
      port: 9050,
      username: 'us',
      password: 'p:a@ss',
    });
    assert.deepEqual(parseProxyUrl('socks5://me@10.0.0.1:1'), {
      protocol: 'socks5',
      host: '10.0.0.1',
      port: 1,
      username: 'me',
      password: '',
    });
  });

  test('bad URLs name what is wrong', () => {
    const expected = 'expected socks5://[USER:PASSWORD@]HOST[:PORT]';
    const cases: [string, string][] = [
      ['proxy.example:1080', `invalid value "proxy.example:1080": ${expected}`],
      ['http://proxy.example', 'unsupported proxy protocol "http": expected socks5 or socks5h'],
      ['SOCKS5://proxy.example', 'unsupported proxy protocol "SOCKS5": expected socks5 or socks5h'],
      ['socks5://', `invalid value "socks5://": ${expected}`],
      ['socks5://host:99999', 'invalid value "99999": expected a port number (1-65535)'],
      ['socks5://host:', 'invalid value "": expected a port number (1-65535)'],
      ['socks5://[nohost]:1', 'invalid IP literal "[nohost]"'],
      ['socks5://host/path', `invalid value "socks5://host/path": ${expected}`],
    ];
    for (const [url, message] of cases) {
      assert.throws(() => parseProxyUrl(url), { name: 'TransportError', message }, url);
    }
  });
});

describe('imap through a SOCKS5 proxy', { timeout: 30_000 }, () => {
  let server: Dovecot;
  let relay: Socks5Server;
  let authRelay: Socks5Server;
  before(async () => {
    [server, relay, authRelay] = await Promise.all([
      startDovecot({ tls: true }),
      startSocks5Server(),
      startSocks5Server({ auth: { username: 'alice', password: 'se:cr@t' } }),
    ]);
  });
  after(() => Promise.all([server.stop(), relay.close(), authRelay.close()]));

  async function greeting(options: Omit<TransportOptions, 'tls'>): Promise<string> {
    const tls = { verify: true, caFile: server.caFile! };
    const transport = await openTransport({ host: 'localhost', ...options, tls });
    const imap = new RawImap((data) => transport.write(data));
    transport.onData((chunk) => imap.feed(chunk));
    try {
      return await imap.nextLine();
    } finally {
      transport.close();
    }
  }

  test('socks5:// resolves the host locally and sends its IP', async () => {
    const proxy = parseProxyUrl(`socks5://127.0.0.1:${relay.port}`);
    assert.match(await greeting({ type: 'imap', port: server.imapPort!, proxy }), /^\* OK /);
    assert.deepEqual(relay.requests.at(-1), {
      addressType: 'ipv4',
      host: '127.0.0.1',
      port: server.imapPort,
    });
  });

  test('socks5h:// sends the host name; imaps verifies the name through the tunnel', async () => {
    const proxy = parseProxyUrl(`socks5h://127.0.0.1:${relay.port}`);
    assert.match(await greeting({ type: 'imaps', port: server.imapsPort!, proxy }), /^\* OK /);
    assert.deepEqual(relay.requests.at(-1), {
      addressType: 'domain',
      host: 'localhost',
      port: server.imapsPort,
    });
  });

  test('user:password@ authenticates; a wrong password is a clear error', async () => {
    const proxy = parseProxyUrl(`socks5h://alice:se:cr@t@127.0.0.1:${authRelay.port}`);
    assert.match(await greeting({ type: 'imap', port: server.imapPort!, proxy }), /^\* OK /);
    assert.equal(authRelay.requests.at(-1)?.username, 'alice');
    assert.deepEqual(authRelay.refusedLogins, []);
    await assert.rejects(
      greeting({
        type: 'imap',
        port: server.imapPort!,
        proxy: { ...proxy, password: 'wrong' },
      }),
      new RegExp(
        `^TransportError: cannot connect to localhost:${server.imapPort} through proxy socks5h://127\\.0\\.0\\.1:${authRelay.port}: `,
      ),
    );
    assert.deepEqual(authRelay.refusedLogins, ['alice']);
  });
});
