import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { SocksClient, type SocksClientOptions } from 'socks';
import { startSocks5Server } from './socks5-server.js';

/** An echo server on `host`, answering each chunk with the same bytes. */
async function startEcho(host: string): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => s.pipe(s));
  server.listen(0, host);
  await once(server, 'listening');
  return { server, port: (server.address() as { port: number }).port };
}

async function echoThrough(socket: Socket, text: string): Promise<string> {
  socket.write(text);
  const [data] = (await once(socket, 'data')) as [Buffer];
  return data.toString();
}

function via(
  port: number,
  host: string,
  targetPort: number,
  auth?: { userId: string; password: string },
): SocksClientOptions {
  return {
    command: 'connect',
    destination: { host, port: targetPort },
    proxy: { host: '127.0.0.1', port, type: 5, ...auth },
    timeout: 5000,
  };
}

describe('socks5 test server', { timeout: 30_000 }, () => {
  let echo4: { server: Server; port: number };
  let echo6: { server: Server; port: number };
  before(async () => {
    echo4 = await startEcho('127.0.0.1');
    echo6 = await startEcho('::1');
  });
  after(() => {
    echo4.server.close();
    echo6.server.close();
  });

  test('relays to an IPv4 address, an IPv6 address and a domain name, recording each request', async () => {
    const proxy = await startSocks5Server();
    try {
      for (const [host, port] of [
        ['127.0.0.1', echo4.port],
        ['::1', echo6.port],
        ['localhost', echo4.port],
      ] as const) {
        const { socket } = await SocksClient.createConnection(via(proxy.port, host, port));
        assert.equal(await echoThrough(socket, `hello ${host}`), `hello ${host}`);
        socket.destroy();
      }
      assert.deepEqual(proxy.requests, [
        { addressType: 'ipv4', host: '127.0.0.1', port: echo4.port },
        { addressType: 'ipv6', host: '::1', port: echo6.port },
        { addressType: 'domain', host: 'localhost', port: echo4.port },
      ]);
    } finally {
      await proxy.close();
    }
  });

  test('with auth: the right password relays, a bad one is refused before any request', async () => {
    const proxy = await startSocks5Server({ auth: { username: 'joe', password: 's3cret' } });
    try {
      const { socket } = await SocksClient.createConnection(
        via(proxy.port, '127.0.0.1', echo4.port, { userId: 'joe', password: 's3cret' }),
      );
      assert.equal(await echoThrough(socket, 'ping'), 'ping');
      socket.destroy();
      await assert.rejects(
        SocksClient.createConnection(
          via(proxy.port, '127.0.0.1', echo4.port, { userId: 'joe', password: 'wrong' }),
        ),
        /Authentication failed/,
      );
      await assert.rejects(
        SocksClient.createConnection(via(proxy.port, '127.0.0.1', echo4.port)),
        /no accepted authentication/i,
      );
      assert.deepEqual(proxy.requests, [
        { addressType: 'ipv4', host: '127.0.0.1', port: echo4.port, username: 'joe' },
      ]);
      assert.deepEqual(proxy.refusedLogins, ['joe']);
    } finally {
      await proxy.close();
    }
  });

  test('a target that refuses the connection is reported as refused', async () => {
    const closed = await startEcho('127.0.0.1');
    await new Promise((resolve) => closed.server.close(resolve));
    const proxy = await startSocks5Server();
    try {
      await assert.rejects(
        SocksClient.createConnection(via(proxy.port, '127.0.0.1', closed.port)),
        /ConnectionRefused/,
      );
      assert.equal(proxy.requests.length, 1);
    } finally {
      await proxy.close();
    }
  });
});
