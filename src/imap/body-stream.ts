// Streamed FETCH bodies: the parser's body sink hands each awaited BODY[] literal to a queue the
// consumer reads (a ChunkSource), and reading from the server pauses while any consumer is too far
// behind.
import type { BodySinkContext, LiteralSink } from '../protocol/parser.js';
import { ChunkSource } from './chunk-source.js';

/** A message body arriving from the server: exactly `size` bytes, in order. */
export interface MessageBody {
  uid: number;
  size: number;
  /** Read it once, to the end, or cancel it: an abandoned body stays buffered. */
  chunks: ChunkSource;
}

/** Stops and restarts reading from the server (the transport's pause/resume). */
export interface Flow {
  pause(): void;
  resume(): void;
}

/** Reading pauses once a consumer is this far behind and resumes when it is down to LOW. */
const HIGH_WATER = 4 * 1024 * 1024;
const LOW_WATER = 1024 * 1024;

/** Pauses reading while at least one queue is above its high-water mark. */
class SharedFlow {
  #behind = 0;
  constructor(private readonly flow: Flow) {}
  fellBehind(): void {
    if (this.#behind++ === 0) this.flow.pause();
  }
  caughtUp(): void {
    if (--this.#behind === 0) this.flow.resume();
  }
}

class BodyQueue extends ChunkSource implements LiteralSink {
  #chunks: Buffer[] = [];
  #buffered = 0;
  #ended = false;
  #error: Error | undefined;
  #abandoned = false;
  #behind = false;
  /** What readable() returns while nothing is buffered; settled by the next write, end or failure. */
  #arrival: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  /** Most bytes held at once: how well back-pressure worked. */
  peak = 0;

  constructor(
    private readonly flow: SharedFlow,
    private readonly onFinish: () => void,
  ) {
    super();
  }

  write(chunk: Buffer): void {
    if (this.#abandoned) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    if (this.#buffered > this.peak) this.peak = this.#buffered;
    if (this.#buffered > HIGH_WATER && !this.#behind) {
      this.#behind = true;
      this.flow.fellBehind();
    }
    this.#notify();
  }

  end(): void {
    this.#ended = true;
    this.onFinish();
    this.#notify();
  }

  fail(error: Error): void {
    if (this.#ended) return;
    this.#error = error;
    this.onFinish();
    this.#notify();
  }

  read(): Buffer | null | undefined {
    const chunk = this.#chunks.shift();
    if (chunk !== undefined) {
      this.#take(chunk.length);
      return chunk;
    }
    if (this.#error) throw this.#error;
    return this.#ended ? undefined : null;
  }

  readable(): Promise<void> {
    if (this.#chunks.length > 0 || this.#error || this.#ended) return Promise.resolve();
    this.#arrival ??= new Promise<void>((resolve) => {
      this.#wake = resolve;
    });
    return this.#arrival;
  }

  cancel(): void {
    // The consumer stopped: drop what is buffered and what is still to come.
    this.#abandoned = true;
    this.#chunks = [];
    this.#take(this.#buffered);
  }

  #take(bytes: number): void {
    this.#buffered -= bytes;
    if (this.#behind && this.#buffered <= LOW_WATER) {
      this.#behind = false;
      this.flow.caughtUp();
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#arrival = undefined;
    this.#wake = undefined;
    wake?.();
  }
}

interface Waiter {
  resolve(body: MessageBody): void;
  reject(error: Error): void;
}

/** Routes BODY[] literals of awaited UIDs to queues; everything else the parser buffers as usual. */
export class BodyStreams {
  readonly #flow: SharedFlow;
  readonly #waiting = new Map<number, Waiter>();
  readonly #active = new Set<BodyQueue>();
  /** Takes every BODY[] literal nobody awaits by UID (streamAll). */
  #catchAll: ((body: MessageBody, ctx: BodySinkContext) => void) | undefined;

  constructor(flow: Flow) {
    this.#flow = new SharedFlow(flow);
  }

  /**
   * Awaits the body of `uid`: `body` resolves when the server starts sending it. Call `settle`
   * when the FETCH has completed: if the body never came, `body` rejects with `failure()` (built
   * only then: an Error's stack trace is not free, and a copy awaits thousands of bodies).
   */
  expect(uid: number): { body: Promise<MessageBody>; settle(failure: () => Error): void } {
    if (this.#waiting.has(uid)) throw new Error(`the body of UID ${uid} is already being fetched`);
    let waiter!: Waiter;
    const body = new Promise<MessageBody>((resolve, reject) => {
      waiter = { resolve, reject };
    });
    this.#waiting.set(uid, waiter);
    const settle = (failure: () => Error) => {
      // Only this FETCH's own waiter: a later fetch of the same UID may be waiting by now.
      if (this.#waiting.get(uid) !== waiter) return;
      this.#waiting.delete(uid);
      waiter.reject(failure());
    };
    return { body, settle };
  }

  /** Until the returned function is called, hands every BODY[] literal not awaited by UID to `take`. */
  streamAll(take: (body: MessageBody, ctx: BodySinkContext) => void): () => void {
    if (this.#catchAll !== undefined) throw new Error('bodies are already streamed to another consumer');
    this.#catchAll = take;
    return () => {
      this.#catchAll = undefined;
    };
  }

  /** The connection closed: awaited and half-received bodies fail with `error`. */
  failAll(error: Error): void {
    for (const waiter of this.#waiting.values()) waiter.reject(error);
    this.#waiting.clear();
    for (const queue of this.#active) queue.fail(error);
    this.#active.clear();
  }

  /** The parser's `bodySink` option. */
  readonly sinkFor = (ctx: BodySinkContext): LiteralSink | undefined => {
    const uid = ctx.attributes.uid;
    if (ctx.section !== '' || uid === undefined) return undefined;
    const waiter = this.#waiting.get(uid);
    const catchAll = this.#catchAll;
    if (waiter === undefined && catchAll === undefined) return undefined;
    this.#waiting.delete(uid);
    const queue: BodyQueue = new BodyQueue(this.#flow, () => this.#active.delete(queue));
    this.#active.add(queue);
    const body = { uid, size: ctx.size, chunks: queue };
    if (waiter !== undefined) waiter.resolve(body);
    else catchAll!(body, ctx);
    return queue;
  };
}
