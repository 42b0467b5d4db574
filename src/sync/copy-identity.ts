// What the append journal knows a copy by (matched by src/sync/adopt.ts after a crash): its size,
// INTERNALDATE and Message-ID — read from the header as the body streams, so listing the new
// messages costs the server no header parsing — plus a SHA-256 only for the copies those three
// cannot tell apart (no Message-ID, or the same three twice in one copy run).
import type { Hash } from 'node:crypto';
import { sha256 } from './sha256.js';

/** A header not ended within this many bytes is taken as it is (a Message-ID is near the top). */
const HEADER_LIMIT = 64 * 1024;

/**
 * Where the header's closing empty line starts (LF of LF LF or of LF CR LF), or -1. The usual
 * CRLF form is looked for first, so a body is not scanned for a bare LF LF it never has.
 */
function headerEnd(data: Buffer): number {
  const crlf = data.indexOf('\r\n\r\n');
  const head = crlf < 0 ? data : data.subarray(0, crlf + 4);
  const bare = head.indexOf('\n\n');
  const mixed = head.indexOf('\n\r\n');
  return bare < 0 ? mixed : mixed < 0 ? bare : Math.min(bare, mixed);
}

/** The first Message-ID field of a header block (folded lines joined), or null. */
export function messageIdIn(header: Buffer): string | null {
  const unfolded = header.toString('latin1').replace(/\r?\n[ \t]+/g, ' ');
  const match = /^message-id:[ \t]*(.*?)[ \t]*$/im.exec(unfolded);
  return match?.[1] ? match[1] : null;
}

export interface StreamedIdentity {
  messageId: string | null;
  sha256: Buffer | null;
}

/** One copy run's identities: remembers the (size, date, Message-ID) triples already used. */
export class CopyIdentities {
  readonly #seen = new Set<string>();

  /** Starts reading the identity of a message of `size` bytes and this INTERNALDATE. */
  start(size: number, internalDate: string): IdentityReader {
    return new IdentityReader(this.#seen, `${size} ${internalDate}`);
  }
}

/** Fed every chunk of one body, in order; `finish()` once it has all been fed. */
export class IdentityReader {
  /** The header chunks seen so far; undefined once the header is read. */
  #header: Buffer[] | undefined = [];
  #headerBytes = 0;
  /** The last two bytes fed: the header's end may straddle two chunks. */
  #tail = Buffer.alloc(0);
  #messageId: string | null = null;
  #hash: Hash | undefined;

  constructor(
    private readonly seen: Set<string>,
    private readonly sizeAndDate: string,
  ) {}

  update(chunk: Buffer): void {
    if (this.#header === undefined) {
      this.#hash?.update(chunk);
      return;
    }
    this.#header.push(chunk);
    this.#headerBytes += chunk.length;
    const ended = headerEnd(Buffer.concat([this.#tail, chunk.subarray(0, 2)])) >= 0 || headerEnd(chunk) >= 0;
    this.#tail = Buffer.from(chunk.subarray(-2));
    if (ended || this.#headerBytes >= HEADER_LIMIT) this.#readHeader();
  }

  finish(): StreamedIdentity {
    if (this.#header !== undefined) this.#readHeader();
    return { messageId: this.#messageId, sha256: this.#hash?.digest() ?? null };
  }

  #readHeader(): void {
    const chunks = this.#header!;
    const whole = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    const end = headerEnd(whole);
    this.#messageId = messageIdIn(whole.subarray(0, end < 0 ? HEADER_LIMIT : end + 1));
    this.#header = undefined;
    const key = `${this.sizeAndDate} ${this.#messageId}`;
    if (this.#messageId !== null && !this.seen.has(key)) {
      this.seen.add(key);
      return;
    }
    this.#hash = sha256();
    for (const chunk of chunks) this.#hash.update(chunk);
  }
}
