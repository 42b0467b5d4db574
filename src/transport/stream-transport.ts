// The one Transport implementation: a socket or a tunnel's pipes at the bottom, optionally TLS over the
// socket (STARTTLS), optionally raw deflate on top (COMPRESS); raw byte counters; one close report.
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { DeflateRaw } from 'node:zlib';
import { TransportError } from './errors.js';
import { type Inflation, openInflation } from './inflate.js';
import type { TlsClient } from './tls.js';
import type { TunnelProcess } from './tunnel.js';
import type { Transport, TransportClosed } from './types.js';
import { zlib } from './zlib.js';

/** Bytes written in one turn that are compressed at once rather than at the turn's end. */
const DEFLATE_AT_ONCE = 64 * 1024;
/** zlib's output piece size under COMPRESS. */
const ZLIB_CHUNK = 64 * 1024;
const CLOSE_GRACE_MS = 2_000;

/** The lowest layer: a socket, or a tunnel's two pipes, with its raw byte counters. */
export type Link =
  | { kind: 'socket'; socket: Socket; label: string; tls: TlsClient | undefined }
  | { kind: 'tunnel'; child: TunnelProcess; label: string };

export class StreamTransport implements Transport {
  private input: Readable;
  private output: Writable;
  private secure: TLSSocket | undefined;
  private inflation: Inflation | undefined;
  private deflater: DeflateRaw | undefined;
  /** What the current turn wrote while compressing: deflated and flushed in one zlib call at its end. */
  private toDeflate: Buffer[] = [];
  private toDeflateBytes = 0;
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
  /** Set while a STARTTLS handshake runs: writes wait here. */
  private heldDuringHandshake: Buffer[] | undefined;

  constructor(private readonly link: Link) {
    if (link.kind === 'socket') {
      this.input = link.socket;
      this.output = link.socket;
    } else {
      this.input = link.child.stdout;
      this.output = link.child.stdin;
      link.child.on('close', (code, signal) => this.finish({ code, signal }));
      // After a successful spawn only kill() can fail; its exit is still what gets reported.
      link.child.on('error', (error) => {
        this.failure ??= new TransportError(`${link.label}: ${error.message}`);
      });
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
    // A socket's close is taken from the top stream, which closes after delivering all its data.
    if (this.link.kind === 'socket') this.input.on('close', this.onSocketClose);
    if (this.receiver && !this.paused) this.input.resume();
  }

  /** Before STARTTLS. The raw socket keeps its 'error' listener: it must never emit one unhandled. */
  private detach(): void {
    this.input.off('data', this.onInput);
    this.output.off('drain', this.onOutputDrain);
    this.input.off('close', this.onSocketClose);
  }

  private readonly onSocketClose = () => this.finish();

  private readonly onInput = (chunk: Buffer) => {
    if (this.link.kind === 'tunnel') this.tunnelRead += chunk.length;
    if (this.inflation) this.inflation.write(chunk);
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

  /** Fails the transport while detached (during STARTTLS): no close event will come to report it. */
  private abort(error: TransportError): never {
    this.onError(error);
    this.finish();
    throw error;
  }

  /** Writes to the lowest layer, counting tunnel bytes (sockets count their own). */
  private writeOut(data: Buffer): boolean {
    if (this.link.kind === 'tunnel') this.tunnelWritten += data.length;
    return this.output.write(data);
  }

  write(data: Buffer | readonly Buffer[]): boolean {
    if (this.linkGone || this.closing) return false;
    const chunks = Buffer.isBuffer(data) ? [data] : data;
    if (this.heldDuringHandshake) {
      // Plaintext must not reach the socket mid-handshake: hold it, and signal drain once secure.
      this.heldDuringHandshake.push(...chunks);
      return false;
    }
    if (this.deflater) return this.deflate(chunks);
    // Corked, the chunks reach the socket or pipe as one writev.
    if (chunks.length > 1) this.output.cork();
    let room = true;
    for (const chunk of chunks) room = this.writeOut(chunk);
    if (chunks.length > 1) this.output.uncork();
    return room;
  }

  private deflate(chunks: readonly Buffer[]): boolean {
    // One zlib call per turn, flushing (the deflater's flush mode is Z_SYNC_FLUSH): each call is a
    // round of stream and thread-pool bookkeeping, a separate flush() another one. A turn writing
    // much (a body streaming) hands it over as it goes: back-pressure sees it at once.
    if (this.toDeflate.length === 0) queueMicrotask(() => this.deflateTurn());
    this.toDeflate.push(...chunks);
    for (const chunk of chunks) this.toDeflateBytes += chunk.length;
    if (this.toDeflateBytes >= DEFLATE_AT_ONCE) this.deflateTurn();
    return !this.deflater!.writableNeedDrain;
  }

  private deflateTurn(): void {
    const data = this.toDeflate;
    if (data.length === 0) return;
    this.toDeflate = [];
    this.toDeflateBytes = 0;
    this.deflater?.write(data.length === 1 ? data[0]! : Buffer.concat(data));
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
    this.inflation?.pause();
  }

  resume(): void {
    this.paused = false;
    if (!this.receiver) return;
    this.inflation?.resume();
    // Inflated output delivered just now may have paused us again.
    if (!this.paused) this.input.resume();
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
      this.abort(
        new TransportError(
          `${link.label}: ${pending} bytes of plaintext arrived after the STARTTLS reply, before the handshake; refusing them`,
        ),
      );
    }
    this.heldDuringHandshake = [];
    try {
      if (link.tls === undefined)
        throw new TransportError(`${link.label}: opened for plaintext only, not TLS`);
      const { secureSocket } = await import('./tls.js');
      this.secure = await secureSocket(link.socket, link.tls);
    } catch (error) {
      this.abort(error as TransportError);
    }
    this.input = this.secure;
    this.output = this.secure;
    this.attach();
    const held = this.heldDuringHandshake;
    this.heldDuringHandshake = undefined;
    if (held.length > 0) {
      for (const data of held) this.writeOut(data);
      this.drainListener?.();
    }
  }

  startCompression(remainder?: Buffer): void {
    if (this.deflater) throw new TransportError(`${this.link.label}: compression is already active`);
    // Output in 64 KiB pieces rather than zlib's 16 KiB: a compressed mailbox inflates to hundreds
    // of megabytes, each piece handed on separately.
    const corrupt = (error: Error) =>
      this.onError(new TransportError(`${this.link.label}: COMPRESS stream error: ${error.message}`));
    const inflation = openInflation(ZLIB_CHUNK, (piece) => this.receiver?.(piece), corrupt);
    // Level 1: measured on 20 MB of text lines, 67 MB/s for ratio 0.257 against 28 MB/s and 0.250 at the
    // default level 6; a large upload must not be CPU-bound on our side.
    const { constants, createDeflateRaw } = zlib();
    const deflater = createDeflateRaw({
      level: constants.Z_BEST_SPEED,
      flush: constants.Z_SYNC_FLUSH,
      chunkSize: ZLIB_CHUNK,
    });
    deflater.on('data', (chunk: Buffer) => {
      if (!this.writeOut(chunk)) deflater.pause(); // resumed by onOutputDrain
    });
    deflater.on('drain', () => this.drainListener?.());
    deflater.on('error', corrupt);
    deflater.on('end', () => this.output.end());
    if (this.paused) inflation.pause();
    this.inflation = inflation;
    this.deflater = deflater;
    if (remainder && remainder.length > 0) inflation.write(remainder);
  }

  close(): void {
    if (this.linkGone || this.closing) return;
    this.closing = true;
    // end() on the deflater flushes it and then ends the output (see its 'end' handler).
    if (this.deflater) {
      this.deflateTurn();
      this.deflater.end();
    } else this.output.end();
    this.closeTimer = setTimeout(() => this.destroyLink(), CLOSE_GRACE_MS);
  }

  release(): void {
    if (this.linkGone) return;
    this.close();
    const letGo = () => {
      this.closeTimer?.unref();
      if (this.link.kind === 'socket') this.link.socket.unref();
      else {
        const { child } = this.link;
        child.unref();
        for (const pipe of [child.stdin, child.stdout]) (pipe as Partial<Socket>).unref?.();
      }
    };
    // The output finishes once our last bytes and the FIN (or EOF) are handed to the kernel, which
    // delivers them whether or not this process is still there.
    if (this.output.writableFinished) letGo();
    else this.output.once('finish', letGo);
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
    if (this.inflation && !this.failure) this.inflation.end(report);
    else {
      this.inflation?.destroy();
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
