// A TCP proxy on 127.0.0.1 adding a fixed one-way delay in each direction (order and chunking kept,
// one timer per queue, never blocking), and counting client→server write bursts: chunks arriving with
// no gap above `burstGapMs` form one burst, so bursts ≈ round trips the client waited for.
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface DelayProxyOptions {
  targetHost: string;
  targetPort: number;
  /** One-way delay added to every chunk, in each direction. */
  delayMs: number;
  /** Largest gap between client chunks still counted as one burst (default 1 ms). */
  burstGapMs?: number;
}

export interface DelayProxy {
  host: '127.0.0.1';
  port: number;
  /** Client→server bursts since start or the last reset, over all connections. */
  bursts(): number;
  /** Bytes forwarded since start or the last reset. */
  bytes(): { toServer: number; toClient: number };
  resetCounters(): void;
  close(): Promise<void>;
}

/** Forwards chunks from one socket to another `delayMs` after each arrived, in arrival order. */
class DelayedPipe {
  private readonly queue: { due: number; chunk: Buffer | null }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly to: Socket,
    private readonly delayMs: number,
  ) {}

  /** `null` forwards the end of stream. */
  push(chunk: Buffer | null): void {
    this.queue.push({ due: performance.now() + this.delayMs, chunk });
    if (!this.timer) this.schedule();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.queue.length = 0;
  }

  private schedule(): void {
    const head = this.queue[0];
    this.timer = head
      ? setTimeout(() => this.release(), Math.max(0, head.due - performance.now()))
      : undefined;
  }

  private release(): void {
    const now = performance.now();
    while (this.queue.length > 0 && this.queue[0]!.due <= now) {
      const { chunk } = this.queue.shift()!;
      if (this.to.destroyed) continue;
      if (chunk === null) this.to.end();
      else this.to.write(chunk);
    }
    this.schedule();
  }
}

export async function startDelayProxy(options: DelayProxyOptions): Promise<DelayProxy> {
  const gapMs = options.burstGapMs ?? 1;
  let bursts = 0;
  let toServer = 0;
  let toClient = 0;
  let lastClientChunk = Number.NEGATIVE_INFINITY;
  const sockets = new Set<Socket>();

  // Half-open sockets: an end of stream is forwarded (delayed) like data, not answered at once.
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connect({ port: options.targetPort, host: options.targetHost, allowHalfOpen: true });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      // A link forwards each write as it comes: Nagle here would hold a small write until the
      // previous one is ACKed, up to a delayed ACK (40 ms) that no network adds.
      s.setNoDelay(true);
    }
    const toUpstream = new DelayedPipe(upstream, options.delayMs);
    const toDownstream = new DelayedPipe(client, options.delayMs);
    client.on('data', (chunk: Buffer) => {
      const now = performance.now();
      if (now - lastClientChunk > gapMs) bursts++;
      lastClientChunk = now;
      toServer += chunk.length;
      toUpstream.push(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      toClient += chunk.length;
      toDownstream.push(chunk);
    });
    client.on('end', () => toUpstream.push(null));
    upstream.on('end', () => toDownstream.push(null));
    // A reset on either side tears the pair down at once: no delayed bytes after an error.
    const teardown = () => {
      toUpstream.stop();
      toDownstream.stop();
      client.destroy();
      upstream.destroy();
    };
    client.on('error', teardown);
    upstream.on('error', teardown);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('delay proxy: no TCP address');

  return {
    host: '127.0.0.1',
    port: address.port,
    bursts: () => bursts,
    bytes: () => ({ toServer, toClient }),
    resetCounters() {
      bursts = 0;
      toServer = 0;
      toClient = 0;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
