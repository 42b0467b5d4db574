// Delay proxy self-test against a local echo server: bytes pass unchanged, a ping-pong of K exchanges
// counts K client bursts, and a round trip takes at least twice the one-way delay.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type DelayProxy, startDelayProxy } from '../../bench/delay-proxy.js';

const DELAY_MS = 5;

function open(proxy: DelayProxy): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(proxy.port, proxy.host, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves with the next `length` bytes read from `socket`. */
function read(socket: Socket, length: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      got += chunk.length;
      if (got >= length) {
        socket.off('data', onData);
        resolve(Buffer.concat(chunks));
      }
    };
    socket.on('data', onData);
  });
}

describe('delay proxy', { timeout: 30_000 }, () => {
  let echo: Server;
  let proxy: DelayProxy;

  before(async () => {
    echo = createServer((s) => s.pipe(s));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const address = echo.address();
    assert.ok(address !== null && typeof address !== 'string');
    proxy = await startDelayProxy({ targetHost: '127.0.0.1', targetPort: address.port, delayMs: DELAY_MS });
  });

  after(async () => {
    await proxy.close();
    await new Promise((resolve) => echo.close(resolve));
  });

  test('4 MiB pass unchanged in both directions', async () => {
    const socket = await open(proxy);
    const data = randomBytes(4 << 20);
    const back = read(socket, data.length);
    socket.write(data);
    assert.ok((await back).equals(data));
    socket.destroy();
  });

  test('a ping-pong of K exchanges counts K bursts; each round trip waits at least twice the delay', async () => {
    const socket = await open(proxy);
    proxy.resetCounters();
    const K = 12;
    let sent = 0;
    for (let i = 0; i < K; i++) {
      const message = Buffer.from(`ping ${i}\r\n`);
      sent += message.length;
      const started = performance.now();
      const back = read(socket, message.length);
      socket.write(message);
      assert.ok((await back).equals(message));
      assert.ok(performance.now() - started >= 2 * DELAY_MS - 1, 'round trip shorter than the delay');
    }
    assert.equal(proxy.bursts(), K);
    assert.deepEqual(proxy.bytes(), { toServer: sent, toClient: sent });
    socket.destroy();
  });

  test('an end of stream is forwarded after the data', async () => {
    const socket = await open(proxy);
    const back = read(socket, 3);
    const ended = new Promise((resolve) => socket.once('end', resolve));
    socket.end('bye');
    assert.equal((await back).toString(), 'bye');
    await ended;
  });
});
