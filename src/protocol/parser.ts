// The streaming response parser: frames server bytes (split anywhere) into responses made of
// line bytes and literal bodies, enforces the limits, streams FETCH body literals to a sink,
// and emits one typed Response per server response (grammar in response-grammar.ts).

import { ProtocolError } from './errors.js';
import { type ParserLimits, resolveLimits } from './limits.js';
import {
  type PendingBody,
  readFetchAttributes,
  readResponse,
  resumeFetchAttributes,
} from './response-grammar.js';
import { type LiteralSlot, quoteBytes, ResponseReader } from './response-reader.js';
import type { FetchAttributes, Response } from './types.js';

export { DEFAULT_LIMITS, type ParserLimits } from './limits.js';

/** Receives one literal's bytes in order; `end()` once they have all arrived. */
export interface LiteralSink {
  write(chunk: Buffer): void;
  end(): void;
}

export interface BodySinkContext {
  seq: number;
  section: string;
  size: number;
  /** What was parsed of this FETCH so far (UID, FLAGS... usually precede BODY[]). */
  attributes: FetchAttributes;
}

export interface ParserOptions extends Partial<ParserLimits> {
  /**
   * Called when a FETCH body section's literal header is read; return a sink to receive that
   * literal's bytes as they arrive (the FetchBody then has data:null, streamed:true), or
   * undefined to have it buffered. Chunks handed to the sink are views of the pushed buffers.
   */
  bodySink?: (ctx: BodySinkContext) => LiteralSink | undefined;
}

const LF = 0x0a;
const CR = 0x0d;
/** Buffered literals start this small and grow as bytes arrive, never by the claimed size. */
const LITERAL_INITIAL_CAPACITY = 64 * 1024;
/** How often one response's body-sink scan may start over from its first byte. */
const MAX_SINK_RESCANS = 8;
/** A line buffer grown beyond this by one long response is released afterwards. */
const LINE_BUFFER_KEEP = 64 * 1024;

export class ResponseParser {
  private readonly limits: ParserLimits;
  private readonly bodySink: ParserOptions['bodySink'];

  /** Bytes pushed so far: the stream offset of the next chunk. */
  private received = 0;
  /** The first error a push threw: the stream position is lost after it, so every later push rethrows it. */
  private failure: unknown;
  private stopped = false;
  private rest: Buffer[] = [];

  // The response being received: its non-literal bytes, and its literals aside.
  private line = Buffer.allocUnsafe(4096);
  private lineLength = 0;
  private responseOffset = 0;
  private literals: LiteralSlot[] = [];
  private literalMarks: number[] = [];
  private bufferedLiteralBytes = 0;
  /** Where the body-sink scan of this response can resume, after its last body literal. */
  private sinkScan: SinkScan | undefined;
  private sinkRescans = 0;

  // The literal being received, when inLiteral.
  private inLiteral = false;
  private literalSize = 0;
  private literalLeft = 0;
  private literalBuffer: Buffer | null = null;
  private literalFilled = 0;
  private literalSink: LiteralSink | undefined;

  constructor(
    private readonly onResponse: (r: Response) => void,
    options: ParserOptions = {},
  ) {
    this.limits = resolveLimits(options);
    this.bodySink = options.bodySink;
  }

  /**
   * Feeds bytes; emits every response they complete. Throws ProtocolError (or what onResponse or
   * a sink threw) and then stays failed.
   */
  push(chunk: Buffer): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.stopped) {
      if (chunk.length > 0) this.rest.push(chunk);
      return;
    }
    const base = this.received;
    this.received += chunk.length;
    try {
      const pos = this.consume(chunk, base);
      if (this.stopped && pos < chunk.length) this.rest.push(chunk.subarray(pos));
    } catch (error) {
      this.failure = error ?? new Error('push failed');
      throw error;
    }
  }

  /**
   * Stops parsing right after the current response: call it from onResponse (e.g. on the tagged
   * OK of STARTTLS or COMPRESS). Later pushes only add to the remainder.
   */
  stop(): void {
    this.stopped = true;
  }

  /** Bytes received but not consumed since stop(). */
  remainder(): Buffer {
    return Buffer.concat(this.rest);
  }

  /** True between responses: nothing of a next response has been received. */
  get idle(): boolean {
    return this.lineLength === 0 && !this.inLiteral;
  }

  private consume(chunk: Buffer, base: number): number {
    let pos = 0;
    while (pos < chunk.length && !this.stopped) {
      if (this.inLiteral) {
        pos = this.feedLiteral(chunk, pos);
        continue;
      }
      const lf = chunk.indexOf(LF, pos);
      if (lf < 0) {
        this.appendLine(chunk, pos, chunk.length, base);
        return chunk.length;
      }
      if (this.lineLength === 0) {
        this.responseOffset = base + pos;
        if (findLiteralHeader(chunk, pos, lf) === null) {
          // Fast path: a whole literal-free response inside this chunk is parsed in place.
          this.checkLineLength(lf + 1 - pos, chunk, pos);
          this.emit(chunk, pos, lf);
          pos = lf + 1;
          continue;
        }
      }
      this.appendLine(chunk, pos, lf + 1, base);
      pos = lf + 1;
      const header = findLiteralHeader(this.line, 0, this.lineLength - 1);
      if (header === null) this.emit(this.line, 0, this.lineLength - 1);
      else this.startLiteral(header);
    }
    return pos;
  }

  private appendLine(chunk: Buffer, start: number, end: number, base: number): void {
    const length = end - start;
    if (this.lineLength === 0) this.responseOffset = base + start;
    this.checkLineLength(
      this.lineLength + length,
      this.lineLength > 0 ? this.line : chunk,
      this.lineLength > 0 ? 0 : start,
    );
    if (this.lineLength + length > this.line.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.line.length * 2, this.lineLength + length));
      this.line.copy(grown, 0, 0, this.lineLength);
      this.line = grown;
    }
    chunk.copy(this.line, this.lineLength, start, end);
    this.lineLength += length;
  }

  /** `buf` at `start` holds the response's first bytes, quoted in the error. */
  private checkLineLength(length: number, buf: Buffer, start: number): void {
    if (length > this.limits.maxLineLength) {
      throw new ProtocolError(
        `response longer than maxLineLength (${this.limits.maxLineLength} non-literal bytes) at stream offset ${this.responseOffset}, starting ${quoteBytes(buf.subarray(start, start + 64))}`,
        this.responseOffset,
      );
    }
  }

  private startLiteral(header: LiteralHeader): void {
    const size = header.size;
    const offset = this.responseOffset + this.lineLength; // approximate: literals earlier in the response not counted
    if (size > this.limits.maxLiteralSize) {
      throw new ProtocolError(
        `literal of ${header.digits} bytes exceeds maxLiteralSize (${this.limits.maxLiteralSize} bytes) at stream offset ${offset}`,
        offset,
      );
    }
    this.literalSink = this.bodySink ? this.chooseSink(header) : undefined;
    if (!this.literalSink) {
      if (this.bufferedLiteralBytes + size > this.limits.maxLiteralSize) {
        throw new ProtocolError(
          `literals of one response exceed maxLiteralSize (${this.limits.maxLiteralSize} bytes) at stream offset ${offset}`,
          offset,
        );
      }
      this.bufferedLiteralBytes += size;
    }
    this.literalMarks.push(this.lineLength);
    this.inLiteral = true;
    this.literalSize = size;
    this.literalLeft = size;
    this.literalBuffer = null;
    this.literalFilled = 0;
    if (size === 0) this.finishLiteral();
  }

  /**
   * Asks bodySink for a sink when the literal is the data of a FETCH BODY[]/BINARY[] item. The
   * partial parse that finds out resumes after the previous body literal rather than starting
   * over, and starts over at most MAX_SINK_RESCANS times per response (after a non-body literal,
   * e.g. an ENVELOPE subject), so a response with many literals costs linear time.
   */
  private chooseSink(header: LiteralHeader): LiteralSink | undefined {
    if (this.line[0] !== 0x2a /* * */) return undefined;
    const r = new ResponseReader(
      this.line,
      0,
      header.start,
      this.literals,
      this.literalMarks,
      this.responseOffset,
      this.limits.maxDepth,
      header.start,
    );
    const scan = this.sinkScan;
    this.sinkScan = undefined;
    try {
      let seq: number;
      let attributes: FetchAttributes;
      let pending: PendingBody | undefined;
      if (scan) {
        r.pos = scan.resumeAt;
        r.literalIndex = scan.literalIndex;
        ({ seq, attributes } = scan);
        pending = resumeFetchAttributes(r, attributes, scan.pending);
      } else {
        if (this.sinkRescans++ >= MAX_SINK_RESCANS) return undefined;
        r.pos = 1;
        r.sp();
        seq = r.number();
        r.sp();
        if (r.keyword('FETCH') !== 'FETCH') return undefined;
        r.sp();
        attributes = {};
        pending = readFetchAttributes(r, attributes);
      }
      if (!pending) return undefined;
      this.sinkScan = {
        resumeAt: header.start,
        literalIndex: this.literals.length,
        seq,
        attributes,
        pending,
      };
      return this.bodySink!({ seq, section: pending.section, size: header.size, attributes });
    } catch (error) {
      // Not a body literal after all; the full parse reports any real syntax error.
      if (error instanceof ProtocolError) return undefined;
      throw error;
    }
  }

  private feedLiteral(chunk: Buffer, pos: number): number {
    const take = Math.min(this.literalLeft, chunk.length - pos);
    const part = chunk.subarray(pos, pos + take);
    if (this.literalSink) {
      this.literalSink.write(part);
    } else if (this.literalBuffer === null && take === this.literalSize) {
      this.literalBuffer = Buffer.from(part);
      this.literalFilled = take;
    } else {
      this.storeLiteralPart(part);
    }
    this.literalLeft -= take;
    if (this.literalLeft === 0) this.finishLiteral();
    return pos + take;
  }

  /** Grows the buffer geometrically as bytes arrive; the last growth lands on the exact size. */
  private storeLiteralPart(part: Buffer): void {
    const needed = this.literalFilled + part.length;
    const capacity = this.literalBuffer?.length ?? 0;
    if (needed > capacity) {
      const grown = Buffer.allocUnsafe(
        Math.min(this.literalSize, Math.max(needed, capacity * 2, LITERAL_INITIAL_CAPACITY)),
      );
      this.literalBuffer?.copy(grown, 0, 0, this.literalFilled);
      this.literalBuffer = grown;
    }
    part.copy(this.literalBuffer!, this.literalFilled);
    this.literalFilled = needed;
  }

  private finishLiteral(): void {
    if (this.literalSink) {
      this.literalSink.end();
      this.literals.push({ streamed: true, size: this.literalSize });
    } else {
      this.literals.push(this.literalBuffer ?? Buffer.alloc(0));
    }
    this.inLiteral = false;
    this.literalSink = undefined;
    this.literalBuffer = null;
  }

  /** Parses the response whose last line ends with the LF at `lf`, then emits it. */
  private emit(buf: Buffer, start: number, lf: number): void {
    const end = lf > start && buf[lf - 1] === CR ? lf - 1 : lf;
    const reader = new ResponseReader(
      buf,
      start,
      end,
      this.literals,
      this.literalMarks,
      this.responseOffset,
      this.limits.maxDepth,
    );
    const response = readResponse(reader);
    reader.expectEnd();
    this.resetResponse();
    this.onResponse(response);
  }

  private resetResponse(): void {
    this.lineLength = 0;
    this.bufferedLiteralBytes = 0;
    this.sinkScan = undefined;
    this.sinkRescans = 0;
    if (this.literals.length > 0) {
      this.literals = [];
      this.literalMarks = [];
    }
    if (this.line.length > LINE_BUFFER_KEEP) this.line = Buffer.allocUnsafe(4096);
  }
}

interface SinkScan {
  resumeAt: number;
  literalIndex: number;
  seq: number;
  attributes: FetchAttributes;
  pending: PendingBody;
}

interface LiteralHeader {
  /** Position of `{` (or of `~` for literal8). */
  start: number;
  size: number;
  /** The size as sent, for error messages. */
  digits: string;
}

/**
 * A `{n}` or `~{n}` ending the line whose LF is at `lf` (RFC 3501 §4.3: a literal marker is
 * only ever at the end of a line, so `{5}` inside a quoted string is never one).
 */
function findLiteralHeader(buf: Buffer, lineStart: number, lf: number): LiteralHeader | null {
  let p = lf - 1;
  if (p >= lineStart && buf[p] === CR) p--;
  if (p < lineStart || buf[p] !== 0x7d /* } */) return null;
  if (isTextResponse(buf, lineStart, p)) return null;
  p--;
  if (p >= lineStart && buf[p] === 0x2b /* + */) p--;
  const digitsEnd = p + 1;
  while (p >= lineStart && buf[p]! >= 0x30 && buf[p]! <= 0x39) p--;
  if (p === digitsEnd - 1 || p < lineStart || buf[p] !== 0x7b /* { */) return null;
  const digits = buf.toString('latin1', p + 1, digitsEnd);
  const start = p > lineStart && buf[p - 1] === 0x7e /* ~ */ ? p - 1 : p;
  return { start, size: digits.length > 15 ? Number.POSITIVE_INFINITY : Number(digits), digits };
}

/**
 * Continuation requests and status responses (OK/NO/BAD/BYE/PREAUTH) end in free text, where
 * `{5}` is just text (RFC 3501 §7.1: resp-text has no literals).
 */
function isTextResponse(buf: Buffer, lineStart: number, end: number): boolean {
  if (buf[lineStart] === 0x2b /* + */) return true;
  const space = buf.indexOf(0x20, lineStart);
  if (space < 0 || space >= end) return false;
  let wordEnd = space + 1;
  while (wordEnd < end && buf[wordEnd] !== 0x20) wordEnd++;
  const word = buf.toString('latin1', space + 1, wordEnd).toUpperCase();
  return word === 'OK' || word === 'NO' || word === 'BAD' || word === 'BYE' || word === 'PREAUTH';
}

/** Parses exactly one complete response (tests, fixtures). */
export function parseResponse(bytes: Buffer): Response {
  const responses: Response[] = [];
  const parser = new ResponseParser((r) => responses.push(r));
  parser.push(bytes);
  if (responses.length !== 1 || !parser.idle) {
    throw new ProtocolError(
      responses.length === 0
        ? `expected one complete response, got an incomplete one: ${quoteBytes(bytes)}`
        : `expected exactly one response, got more bytes after the first: ${quoteBytes(bytes)}`,
      bytes.length,
    );
  }
  return responses[0]!;
}
