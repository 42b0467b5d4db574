// The transport: the only code that touches sockets and processes. openTransport() yields a byte
// duplex over TCP (imap), TLS (imaps), a SOCKS5 proxy, or a tunnel command's stdin/stdout, which can
// later be switched to TLS (STARTTLS) and to raw deflate (COMPRESS=DEFLATE). It knows nothing of IMAP.
//
// Usage: register onData/onClose (reading starts with the first onData), write() bytes and honour its
// false return with onDrain; after the server's OK to STARTTLS call startTls(parserRemainder), after its
// OK to COMPRESS call startCompression(parserRemainder). onClose fires exactly once.

import { type Socket, connect as tcpConnect } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { constants, createDeflateRaw, createInflateRaw, type DeflateRaw, type InflateRaw } from 'node:zlib';
import { TransportError } from './errors.js';
import { type Host, hostPort, parseHost } from './host.js';
import { connectThroughProxy, parseProxyUrl } from './proxy.js';
import { secureSocket, type TlsOptions } from './tls.js';
import { spawnTunnel, type TunnelProcess } from './tunnel.js';

export { TransportError } from './errors.js';
export { type ProxySpec, parseProxyUrl } from './proxy.js';
export { type Pin, parseFingerprint, type TlsOptions } from './tls.js';
export { splitTunnelCommand, type TunnelCommand } from './tunnel.js';

export interface TransportOptions {
  type: 'imap' | 'imaps' | 'tunnel';
  /** Name or IP; '[...]' forces an IP literal. Default 'localhost'. */
  host?: string;
  /** Default 143 (imap) or 993 (imaps). */
  port?: number;
  /** socks5://[user:pass@]host[:port] or socks5h://... (imap and imaps only). */
  proxy?: string;
  /** type=tunnel: run through /bin/sh -c when it has shell metacharacters, else exec'd directly. */
  command?: string;
  /** type=tunnel: send the command's stderr to /dev/null instead of ours. */
  nullStderr?: boolean;
  /** SO_KEEPALIVE on the TCP socket (long-lived watch connections). */
  keepAlive?: boolean;
  /** Used by imaps from the first byte and by startTls(). */
  tls: TlsOptions;
}

export interface TransportClosed {
  /** close() was called before the connection went away. */
  byUs: boolean;
  /** The connection failed: socket error, TLS alert, corrupt deflate stream... */
  error?: TransportError;
  /** type=tunnel: how the command ended. */
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  /** One line for logs, e.g. 'tunnel command exited with status 1'. */
  message: string;
}

export interface Transport {
  /** Queues bytes; false once buffers are full: wait for onDrain before writing more. */
  write(data: Buffer): boolean;
  /** Sets the receiver of incoming bytes (one receiver; reading starts with the first call). */
  onData(receiver: (chunk: Buffer) => void): void;
  onDrain(listener: () => void): void;
  /** Called once, when the connection is gone for whatever reason. */
  onClose(listener: (closed: TransportClosed) => void): void;
  /** Stops/restarts delivering data (and reading from the peer). */
  pause(): void;
  resume(): void;
  /**
   * Upgrades a type=imap connection to TLS in place, after the server's OK to STARTTLS. `remainder` is
   * what the caller received after that OK but did not consume: it must be empty, anything else is
   * plaintext injected before the handshake (RFC 3207 §4.2 style attack) and fails the upgrade.
   */
  startTls(remainder?: Buffer): Promise<void>;
  /**
   * Switches both directions to raw deflate (RFC 4978) after the server's OK to COMPRESS; `remainder`
   * holds bytes already received after that OK, which are compressed data. Writes are Z_SYNC_FLUSHed at
   * the end of each burst (same tick) so the server always sees complete commands.
   */
  startCompression(remainder?: Buffer): void;
  /** Ends the connection gracefully (flushes, FIN or EOF on the tunnel's stdin); forces it after a delay. */
  close(): void;
  /** Raw bytes on the wire (or tunnel pipes): after TLS and compression. */
  readonly bytesRead: number;
  readonly bytesWritten: number;
  /** E.g. 'imaps://localhost:993 TLSv1.3 TLS_AES_256_GCM_SHA384 +DEFLATE'. */
  describe(): string;
}

const DEFAULT_PORTS = { imap: 143, imaps: 993 };
const CLOSE_GRACE_MS = 2_000;

/** The lowest layer: a socket, or a tunnel's two pipes, with its raw byte counters. */
type Link =
  | { kind: 'socket'; socket: Socket; label: string; host: Host; tls: TlsOptions }
  | { kind: 'tunnel'; child: TunnelProcess; label: string };

class StreamTransport implements Transport {
  private input: Readable;
  private output: Writable;
  private secure: TLSSocket | undefined;
  private inflater: InflateRaw | undefined;
  private deflater: DeflateRaw | undefined;
  private flushQueued = false;
  private receiver: ((chunk: Buffer) => void) | undefined;
  private drainListener: (() => void) | undefined;
  private closeListener: ((closed: TransportClosed) => void) | undefined;
  private closed: TransportClosed | undefined;
  private closing = false;
  private paused = false;
  private failure: TransportError | undefined;
  private tunnelRead = 0;
  private tunnelWritten = 0;
  private closeTimer: NodeJS.Timeout | undefined;
  private linkGone = false;

  constructor(private readonly link: Link) {
    if (link.kind === 'socket') {
      this.input = link.socket;
      this.output = link.socket;
      link.socket.on('close', () => this.finish());
    } else {
      this.input = link.child.stdout;
      this.output = link.child.stdin;
      link.child.on('close', (code, signal) => this.finish({ code, signal }));
      // EPIPE after the command died: its exit is what gets reported.
      link.child.stdin.on('error', () => {});
    }
    this.attach();
  }

  /** Listens to the current input/output; reading stays paused until a receiver is set. */
  private attach(): void {
    this.input.pause();
    this.input.on('data', this.onInput);
    this.output.on('drain', this.onOutputDrain);
    this.input.on('error', this.onError);
    if (this.receiver && !this.paused) this.input.resume();
  }

  private detach(): void {
    this.input.off('data', this.onInput);
    this.output.off('drain', this.onOutputDrain);
    this.input.off('error', this.onError);
  }

  private readonly onInput = (chunk: Buffer) => {
    if (this.link.kind === 'tunnel') this.tunnelRead += chunk.length;
    if (this.inflater) this.inflater.write(chunk);
    else this.receiver?.(chunk);
  };

  private readonly onOutputDrain = () => {
    if (this.deflater) this.deflater.resume();
    else this.drainListener?.();
  };

  private readonly onError = (error: Error) => {
    this.failure ??=
      error instanceof TransportError ? error : new TransportError(`${this.link.label}: ${error.message}`);
    this.destroyLink();
  };

  /** Writes to the lowest layer, counting tunnel bytes (sockets count their own). */
  private writeOut(data: Buffer): boolean {
    if (this.link.kind === 'tunnel') this.tunnelWritten += data.length;
    return this.output.write(data);
  }

  write(data: Buffer): boolean {
    if (this.linkGone || this.closing) return false;
    if (!this.deflater) return this.writeOut(data);
    const room = this.deflater.write(data);
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => {
        this.flushQueued = false;
        this.deflater?.flush(constants.Z_SYNC_FLUSH);
      });
    }
    return room;
  }

  onData(receiver: (chunk: Buffer) => void): void {
    this.receiver = receiver;
    if (!this.paused) this.resume();
  }

  onDrain(listener: () => void): void {
    this.drainListener = listener;
  }

  onClose(listener: (closed: TransportClosed) => void): void {
    this.closeListener = listener;
    if (this.closed) listener(this.closed);
  }

  pause(): void {
    this.paused = true;
    this.input.pause();
    this.inflater?.pause();
  }

  resume(): void {
    this.paused = false;
    if (!this.receiver) return;
    this.inflater?.resume();
    this.input.resume();
  }

  async startTls(remainder?: Buffer): Promise<void> {
    const link = this.link;
    if (link.kind !== 'socket' || this.secure) {
      throw new TransportError(`${link.label}: STARTTLS needs a plain TCP connection`);
    }
    if (this.deflater) throw new TransportError(`${link.label}: STARTTLS after COMPRESS is not allowed`);
    this.detach();
    // Bytes already read from the socket but not yet delivered count as injected plaintext too.
    const pending = (remainder?.length ?? 0) + link.socket.readableLength;
    if (pending > 0) {
      const error = new TransportError(
        `${link.label}: ${pending} bytes of plaintext arrived after the STARTTLS reply, before the handshake; refusing them`,
      );
      this.onError(error);
      throw error;
    }
    try {
      this.secure = await secureSocket(link.socket, link.host, link.tls);
    } catch (error) {
      this.onError(error as Error);
      throw error;
    }
    this.secure.on('close', () => this.finish());
    this.input = this.secure;
    this.output = this.secure;
    this.attach();
  }

  startCompression(remainder?: Buffer): void {
    if (this.deflater) throw new TransportError(`${this.link.label}: compression is already active`);
    // Ending the stream at close must not demand a final deflate block (the server never sends one).
    const inflater = createInflateRaw({ finishFlush: constants.Z_SYNC_FLUSH });
    const deflater = createDeflateRaw();
    const corrupt = (error: Error) =>
      this.onError(new TransportError(`${this.link.label}: COMPRESS stream error: ${error.message}`));
    inflater.on('data', (chunk: Buffer) => this.receiver?.(chunk));
    inflater.on('error', corrupt);
    deflater.on('data', (chunk: Buffer) => {
      if (!this.writeOut(chunk)) deflater.pause(); // resumed by onOutputDrain
    });
    deflater.on('drain', () => this.drainListener?.());
    deflater.on('error', corrupt);
    deflater.on('end', () => this.output.end());
    if (this.paused) inflater.pause();
    this.inflater = inflater;
    this.deflater = deflater;
    if (remainder && remainder.length > 0) inflater.write(remainder);
  }

  close(): void {
    if (this.linkGone || this.closing) return;
    this.closing = true;
    // end() on the deflater flushes it and then ends the output (see its 'end' handler).
    if (this.deflater) this.deflater.end();
    else this.output.end();
    this.closeTimer = setTimeout(() => this.destroyLink(), CLOSE_GRACE_MS);
  }

  private destroyLink(): void {
    if (this.link.kind === 'socket') this.link.socket.destroy();
    else this.link.child.kill();
  }

  /** The link is gone; reports the close once any data still being inflated has been delivered. */
  private finish(exit?: TransportClosed['exit']): void {
    if (this.linkGone) return;
    this.linkGone = true;
    clearTimeout(this.closeTimer);
    this.deflater?.destroy();
    const report = () => this.report(exit);
    if (this.inflater && !this.failure) {
      // Inflation runs off the main thread: the last chunks may still be in flight.
      this.inflater.once('close', report);
      this.inflater.end();
    } else {
      this.inflater?.destroy();
      report();
    }
  }

  private report(exit: TransportClosed['exit']): void {
    if (this.closed) return;
    const closed: TransportClosed = { byUs: this.closing, message: this.closeMessage(exit) };
    if (this.failure) closed.error = this.failure;
    if (exit) closed.exit = exit;
    this.closed = closed;
    this.closeListener?.(closed);
  }

  private closeMessage(exit: TransportClosed['exit']): string {
    if (this.failure) return this.failure.message;
    if (exit) {
      if (exit.signal) return `tunnel command killed by signal ${exit.signal}`;
      return `tunnel command exited with status ${exit.code}`;
    }
    return this.closing ? 'connection closed' : 'connection closed by the server';
  }

  get bytesRead(): number {
    return this.link.kind === 'socket' ? this.link.socket.bytesRead : this.tunnelRead;
  }

  get bytesWritten(): number {
    return this.link.kind === 'socket' ? this.link.socket.bytesWritten : this.tunnelWritten;
  }

  describe(): string {
    const parts = [this.link.label];
    if (this.secure) parts.push(this.secure.getProtocol() ?? 'TLS', this.secure.getCipher().name);
    if (this.deflater) parts.push('+DEFLATE');
    return parts.join(' ');
  }
}

function tcpSocket(host: Host, port: number, label: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: host.address, port });
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(socket);
    });
    const onError = (error: Error) =>
      reject(new TransportError(`cannot connect to ${label}: ${error.message}`));
    socket.once('error', onError);
  });
}

export async function openTransport(options: TransportOptions): Promise<Transport> {
  if (options.type === 'tunnel') {
    if (options.command === undefined) throw new TransportError('type=tunnel needs a command');
    const child = await spawnTunnel(options.command, options.nullStderr === true);
    return new StreamTransport({ kind: 'tunnel', child, label: `tunnel '${options.command}'` });
  }
  const host = parseHost(options.host ?? 'localhost');
  const port = options.port ?? DEFAULT_PORTS[options.type];
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TransportError(`invalid port '${port}'`);
  const target = hostPort(host, port);
  const label = `${options.type}://${target}`;
  const socket = options.proxy
    ? await connectThroughProxy(parseProxyUrl(options.proxy), host, port)
    : await tcpSocket(host, port, target);
  socket.setNoDelay(true); // pipelined commands must not wait for delayed ACKs (Nagle)
  if (options.keepAlive) socket.setKeepAlive(true);
  const transport = new StreamTransport({ kind: 'socket', socket, label, host, tls: options.tls });
  if (options.type === 'imaps') await transport.startTls();
  return transport;
}
