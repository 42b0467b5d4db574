// The inflating half of COMPRESS=DEFLATE (RFC 4978): raw deflate (RFC 1951) from the server, one
// stream for the connection's lifetime, inflated as each chunk arrives, with pause and resume.
//
// Why not zlib's InflateRaw stream alone: each chunk written to it is a round trip to the thread
// pool and back through the stream's callbacks. On the compressed initial sync (bench scenario 1)
// that bookkeeping cost 0.1-0.3 s of CPU. Node's synchronous zlib functions cannot help: each call
// is a fresh stream. So ChunkInflater drives a persistent zlib stream's native handle
// synchronously, as those functions do internally, one output piece at a time: a paused receiver
// stops the inflating too, so a small chunk that inflates to megabytes (a deflate "bomb") is never
// inflated ahead of its reader. On a Node without that handle the stream is used as before.
import type { InflateRaw } from 'node:zlib';
import { zlib } from './zlib.js';

/** What the transport needs of the inflating side. */
export interface Inflation {
  write(chunk: Buffer): void;
  /** No output is delivered until resume(). */
  pause(): void;
  resume(): void;
  /** Calls `done` once everything written has been delivered (or at once if destroyed). */
  end(done: () => void): void;
  destroy(): void;
}

/**
 * Inflates into `deliver`, in pieces of at most `pieceSize` bytes; corrupt input is reported once
 * to `fail`. `via` is for tests: 'handle' (the default) falls back to 'stream' where unsupported.
 */
export function openInflation(
  pieceSize: number,
  deliver: (piece: Buffer) => void,
  fail: (error: Error) => void,
  via: 'handle' | 'stream' = 'handle',
): Inflation {
  const inflater = via === 'handle' ? ChunkInflater.create(pieceSize) : undefined;
  return inflater
    ? new HandleInflation(inflater, deliver, fail)
    : new StreamInflation(pieceSize, deliver, fail);
}

/** On the calling thread, a piece at a time while the receiver takes them. */
class HandleInflation implements Inflation {
  private paused = false;
  /** Corrupt input or destroyed: nothing more is inflated or delivered. */
  private stopped = false;
  private whenDelivered: (() => void) | undefined;

  constructor(
    private readonly inflater: ChunkInflater,
    private readonly deliver: (piece: Buffer) => void,
    private readonly fail: (error: Error) => void,
  ) {}

  write(chunk: Buffer): void {
    if (this.stopped) return;
    this.inflater.feed(chunk);
    this.pump();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.pump();
  }

  end(done: () => void): void {
    this.whenDelivered = done;
    this.pump();
  }

  destroy(): void {
    this.stopped = true;
    this.inflater.close();
    this.pump();
  }

  /** The receiver may pause while taking a piece: the rest of the input then waits for resume(). */
  private pump(): void {
    while (!this.paused && !this.stopped) {
      let piece: Buffer | undefined;
      try {
        piece = this.inflater.next();
      } catch (error) {
        this.stopped = true;
        this.fail(error as Error);
        break;
      }
      if (piece === undefined) break;
      this.deliver(piece);
    }
    if (this.whenDelivered && (this.stopped || (!this.paused && this.inflater.idle))) {
      const done = this.whenDelivered;
      this.whenDelivered = undefined;
      done();
    }
  }
}

/** zlib's stream, inflating in the thread pool. */
class StreamInflation implements Inflation {
  private readonly stream: InflateRaw;

  constructor(pieceSize: number, deliver: (piece: Buffer) => void, fail: (error: Error) => void) {
    // Ending it at close must not demand a final deflate block: the server never sends one.
    const { constants, createInflateRaw } = zlib();
    this.stream = createInflateRaw({ finishFlush: constants.Z_SYNC_FLUSH, chunkSize: pieceSize });
    this.stream.on('data', deliver);
    this.stream.on('error', fail);
  }

  write(chunk: Buffer): void {
    this.stream.write(chunk);
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  end(done: () => void): void {
    // Inflation runs off the main thread: the last chunks may still be in flight.
    this.stream.once('close', done);
    this.stream.end();
  }

  destroy(): void {
    this.stream.destroy();
  }
}

/** The native zlib handle of a Node zlib stream (Node 10 and later), as its synchronous functions use it. */
interface ZlibHandle {
  writeSync(
    flush: number,
    input: Uint8Array,
    inputOffset: number,
    inputLength: number,
    output: Uint8Array,
    outputOffset: number,
    outputLength: number,
  ): void;
}

interface StreamInternals {
  _handle?: ZlibHandle;
  /** After each write: [output bytes still free, input bytes not consumed]. */
  _writeState?: Uint32Array;
}

/** A persistent raw inflate stream driven synchronously through its native handle. */
export class ChunkInflater {
  /** Input fed and not yet used up; the first chunk from #inputOffset. */
  #input: Buffer[] = [];
  #inputOffset = 0;
  #output: Buffer;
  #outputOffset = 0;
  readonly #syncFlush = zlib().constants.Z_SYNC_FLUSH;

  private constructor(
    private readonly stream: InflateRaw,
    private readonly handle: ZlibHandle,
    private readonly state: Uint32Array,
    private readonly pieceSize: number,
  ) {
    this.#output = Buffer.allocUnsafe(pieceSize);
    // A corrupt stream fails the handle, which destroys the stream with the error: read from
    // `errored` right after the write, never emitted unhandled.
    stream.on('error', () => {});
  }

  /** Output comes in pieces of at most `pieceSize` bytes; undefined when this Node lacks the handle. */
  static create(pieceSize: number): ChunkInflater | undefined {
    const stream = zlib().createInflateRaw();
    const { _handle: handle, _writeState: state } = stream as unknown as StreamInternals;
    if (typeof handle?.writeSync !== 'function' || !(state instanceof Uint32Array)) {
      stream.destroy();
      return undefined;
    }
    return new ChunkInflater(stream, handle, state, pieceSize);
  }

  /** Every byte fed so far has been inflated and handed out. */
  get idle(): boolean {
    return this.#input.length === 0;
  }

  feed(chunk: Buffer): void {
    if (chunk.length > 0) this.#input.push(chunk);
  }

  /**
   * The next piece of output (Z_SYNC_FLUSH: nothing is held back once the input is used up), or
   * undefined when the input fed so far gives no more; throws on corrupt data.
   */
  next(): Buffer | undefined {
    while (this.#input.length > 0) {
      const chunk = this.#input[0]!;
      const inputLeft = chunk.length - this.#inputOffset;
      const room = this.#output.length - this.#outputOffset;
      this.handle.writeSync(
        this.#syncFlush,
        chunk,
        this.#inputOffset,
        inputLeft,
        this.#output,
        this.#outputOffset,
        room,
      );
      if (this.stream.errored) throw this.stream.errored;
      const roomLeft = this.state[0]!;
      this.#inputOffset += inputLeft - this.state[1]!;
      const produced = room - roomLeft;
      const piece =
        produced > 0 ? this.#output.subarray(this.#outputOffset, this.#outputOffset + produced) : undefined;
      this.#outputOffset += produced;
      if (roomLeft === 0) {
        // A full output buffer: zlib may hold more for this input, so the chunk stays.
        this.#output = Buffer.allocUnsafe(this.pieceSize);
        this.#outputOffset = 0;
      } else {
        // Room left over means zlib took all the input it could use: the chunk is done.
        this.#input.shift();
        this.#inputOffset = 0;
      }
      if (piece !== undefined) return piece;
    }
    return undefined;
  }

  close(): void {
    this.#input = [];
    this.stream.destroy();
  }
}
