// The proxy option: URL parsing, and imap/imaps to real Dovecot through a SOCKS5 relay that records the
// address type it was asked for (socks5 resolves locally and sends an IP, socks5h sends the name).
// The relay is inline until test/helpers/socks5-server.ts (another branch) is merged; it mirrors that
// helper's API (startSocks5Server, requests[].addressType/host/port/username) so it can be swapped in.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { openTransport, parseProxyUrl, type TransportOptions } from '../../src/transport/transport.js';
import { type Dovecot, startDovecot } from '../helpers/dovecot.js';
import { RawImap } from '../helpers/imap-client-raw.js';

describe('parseProxyUrl', () => {
  test('defaults, credentials, IP literals', () => {
    assert.deepEqual(parseProxyUrl('socks5://proxy.example'), {
      protocol: 'socks5',
      host: 'proxy.example',
      port: 1080,
    });
    assert.deepEqual(parseProxyUrl('SOCKS5H://us:p:a@ss@[::1]:9050/'), {
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
    });
  });

  test('bad URLs name what is wrong', () => {
    const cases: [string, RegExp][] = [
      ['proxy.example:1080', /expected PROTOCOL:\/\/HOST\[:PORT\]/],
      ['http://proxy.example', /unsupported protocol 'http' \(only socks5:\/\/ and socks5h:\/\/\)/],
      ['socks4://proxy.example', /unsupported protocol 'socks4'/],
      ['socks5://', /expected HOST\[:PORT\] after \/\//],
      ['socks5://host:99999', /invalid port '99999'/],
      ['socks5://host:', /invalid port ''/],
      ['socks5://:pw@host', /empty user name before @/],
      ['socks5://[nohost]:1', /not an IP literal/],
      ['socks5://host/path', /expected HOST\[:PORT\] after \/\//],
    ];
    for (const [url, message] of cases) {
      assert.throws(() => parseProxyUrl(url), message, url);
      assert.throws(
        () => parseProxyUrl(url),
        new RegExp(`^TransportError: proxy '${url.replace(/[[\]/.*+?()]/g, '\\$&')}': `),
      );
    }
  });
});

interface Socks5Server {
  port: number;
  /** One entry per CONNECT: how the target was addressed, and the user name if any. */
  requests: { addressType: 'ipv4' | 'ipv6' | 'domain'; host: string; port: number; username?: string }[];
  close(): Promise<void>;
}

/** A minimal RFC 1928 CONNECT relay with optional RFC 1929 user/password, for tests only. */
async function startSocks5Server({
  auth,
}: {
  auth?: { username: string; password: string };
} = {}): Promise<Socks5Server> {
  const requests: Socks5Server['requests'] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('error', () => {});
    serve(client).catch(() => client.destroy()); // a client that leaves mid-handshake
  });
  const serve = async (client: Socket) => {
    let buffer = Buffer.alloc(0);
    const read = async (n: number): Promise<Buffer> => {
      while (buffer.length < n) buffer = Buffer.concat([buffer, (await once(client, 'data'))[0] as Buffer]);
      const head = buffer.subarray(0, n);
      buffer = buffer.subarray(n);
      return head;
    };
    const methods = await read(2).then(([, n]) => read(n!));
    const method = auth ? 2 : 0;
    if (!methods.includes(method)) return client.end(Buffer.from([5, 0xff]));
    client.write(Buffer.from([5, method]));
    let username: string | undefined;
    if (auth) {
      const [, userLength] = await read(2);
      username = (await read(userLength!)).toString();
      const password = (await read((await read(1))[0]!)).toString();
      const ok = username === auth.username && password === auth.password;
      client.write(Buffer.from([1, ok ? 0 : 1]));
      if (!ok) return client.end();
    }
    const [, , , atyp] = await read(4);
    const addressType = atyp === 1 ? 'ipv4' : atyp === 4 ? 'ipv6' : 'domain';
    const raw = await read(atyp === 1 ? 4 : atyp === 4 ? 16 : (await read(1))[0]!);
    const ipv6 = () => Array.from({ length: 8 }, (_, k) => raw.readUInt16BE(k * 2).toString(16)).join(':');
    const host =
      addressType === 'domain' ? raw.toString() : addressType === 'ipv4' ? [...raw].join('.') : ipv6();
    const port = (await read(2)).readUInt16BE(0);
    requests.push({ addressType, host, port, ...(username !== undefined && { username }) });
    const target = tcpConnect(port, host);
    sockets.add(target);
    target.on('error', () => client.destroy());
    target.once('connect', () => {
      client.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]));
      if (buffer.length > 0) target.write(buffer);
      client.pipe(target).pipe(client);
    });
  };
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as { port: number }).port,
    requests,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

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
  });
});
