// A scripted IMAP server on 127.0.0.1 for faults a real server cannot produce (cut-off literals,
// STARTTLS response injection, stalls): it plays a list of steps per connection and records
// every byte it receives (decrypted once under TLS), so a test can prove what a client sent.
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, TLSSocket } from 'node:tls';

export type Step =
  /** Write these bytes. */
  | { send: string | Buffer }
  /**
   * Read one line (without its CRLF) and check it; then write `reply`, which may be built from
   * the line's tag (its first word), e.g. `(tag) => \`${tag} OK done\r\n\``.
   */
  | {
      expect: RegExp | ((line: string) => boolean);
      reply?: string | Buffer | ((tag: string, line: string) => string | Buffer);
    }
  /** Wait this many milliseconds. */
  | { pause: number }
  /**
   * Switch to TLS with `tls.key`/`tls.cert` (send the tagged OK to STARTTLS in an earlier step).
   * `inject` is written in plaintext first: the "STARTTLS response injection" attack.
   */
  | { startTls: true; inject?: string | Buffer }
  /** Wait until the client closes the connection; a line arriving first fails the script. */
  | { expectClose: true }
  /** Close: `end` sends FIN after pending writes, `reset` drops the connection at once (RST). */
  | { close: 'end' | 'reset' };

export interface FakeImapServerOptions {
  /** Played on every accepted connection. */
  script: Step[];
  /** Needed for a `startTls` step; with `implicit` the server speaks TLS from the first byte. */
  tls?: { key: string | Buffer; cert: string | Buffer; implicit?: boolean };
  /** How long an `expect` or `expectClose` waits before failing the script (default 10 s). */
  stepTimeoutMs?: number;
}

export interface FakeImapServer {
  port: number;
  /** Every byte received so far on all connections, in arrival order (decrypted under TLS). */
  received(): Buffer;
  /**
   * Settles when the first connection's script ends: resolves after its last step, rejects with
   * a message naming the step when a line does not match or the client leaves too early.
   */
  finished: Promise<void>;
  close(): Promise<void>;
}

/** Reads lines from a connection whose stream can be swapped for its TLS wrapper. */
class LineReader {
  private buffer: Buffer = Buffer.alloc(0);
  private ended = false;
  private wake: (() => void) | null = null;
  private stream: Socket | null = null;
  private readonly onData = (data: Buffer): void => {
    this.record(data);
    this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data]);
    this.notify();
  };
  private readonly onEnd = (): void => {
    this.ended = true;
    this.notify();
  };

  constructor(private readonly record: (data: Buffer) => void) {}

  attach(stream: Socket): void {
    this.stream = stream;
    this.ended = false;
    stream.on('data', this.onData).on('end', this.onEnd).on('close', this.onEnd);
  }

  /** Stops reading and hands back the bytes received but not yet consumed. */
  detach(): Buffer {
    this.stream?.off('data', this.onData).off('end', this.onEnd).off('close', this.onEnd).pause();
    const rest = this.buffer;
    this.buffer = Buffer.alloc(0);
    return rest;
  }

  /** The next line without its line ending, or null once the client has closed. */
  async readLine(): Promise<string | null> {
    for (;;) {
      const lf = this.buffer.indexOf(0x0a);
      if (lf !== -1) {
        const line = this.buffer.subarray(0, lf > 0 && this.buffer[lf - 1] === 0x0d ? lf - 1 : lf);
        this.buffer = this.buffer.subarray(lf + 1);
        return line.toString('latin1');
      }
      if (this.ended) return null;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function describeStep(step: Step, index: number): string {
  return `fake IMAP server, step ${index + 1} (${Object.keys(step)[0]})`;
}

async function play(
  socket: Socket,
  options: FakeImapServerOptions,
  record: (data: Buffer) => void,
): Promise<void> {
  const reader = new LineReader(record);
  let stream = socket;
  reader.attach(stream);
  const timeoutMs = options.stepTimeoutMs ?? 10_000;
  const write = (data: string | Buffer): Promise<void> =>
    new Promise((resolve, reject) => stream.write(data, (e) => (e ? reject(e) : resolve())));
  for (const [index, step] of options.script.entries()) {
    const where = describeStep(step, index);
    if ('send' in step) {
      await write(step.send);
    } else if ('expect' in step) {
      const line = await withTimeout(reader.readLine(), timeoutMs, where);
      if (line === null) throw new Error(`${where}: the client closed the connection`);
      const matches = typeof step.expect === 'function' ? step.expect(line) : step.expect.test(line);
      if (!matches)
        throw new Error(`${where}: line ${JSON.stringify(line)} does not match ${String(step.expect)}`);
      const { reply } = step;
      if (reply !== undefined) {
        await write(typeof reply === 'function' ? reply(line.split(' ', 1)[0]!, line) : reply);
      }
    } else if ('pause' in step) {
      await new Promise((resolve) => setTimeout(resolve, step.pause));
    } else if ('startTls' in step) {
      if (options.tls === undefined) throw new Error(`${where}: no tls key and certificate given`);
      if (step.inject !== undefined) await write(step.inject);
      // Bytes the client sent after its STARTTLS line belong to the handshake: give them back.
      const rest = reader.detach();
      if (rest.length > 0) socket.unshift(rest);
      const secure = new TLSSocket(socket, { isServer: true, key: options.tls.key, cert: options.tls.cert });
      secure.on('error', () => secure.destroy());
      stream = secure;
      reader.attach(stream);
    } else if ('expectClose' in step) {
      const line = await withTimeout(reader.readLine(), timeoutMs, where);
      if (line !== null)
        throw new Error(`${where}: the client sent ${JSON.stringify(line)} instead of closing`);
    } else if (step.close === 'end') {
      await new Promise<void>((resolve) => stream.end(resolve));
    } else {
      stream.resetAndDestroy();
    }
  }
}

/** Starts the server on a free port of 127.0.0.1. */
export async function startFakeImapServer(options: FakeImapServerOptions): Promise<FakeImapServer> {
  const received: Buffer[] = [];
  const record = (data: Buffer): void => {
    received.push(Buffer.from(data));
  };
  const sockets = new Set<Socket>();
  let settle: { resolve(): void; reject(e: unknown): void } | null = null;
  const finished = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  finished.catch(() => {}); // a test that does not look at the script's outcome must not crash the run

  const onConnection = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const outcome = settle;
    settle = null;
    play(socket, options, record).then(
      () => outcome?.resolve(),
      (e: unknown) => {
        socket.destroy();
        outcome?.reject(e);
      },
    );
  };
  const tls = options.tls;
  const server: Server = tls?.implicit
    ? createTlsServer({ key: tls.key, cert: tls.cert }, onConnection)
    : createTcpServer(onConnection);
  // A failed handshake on an implicit-TLS connection is the client's business, not a crash.
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fake IMAP server: no TCP address');
  return {
    port: address.port,
    received: () => Buffer.concat(received),
    finished,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
