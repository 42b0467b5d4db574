// A cursor over the bytes of one complete server response (literal bodies removed and kept
// aside), with the lexical primitives of RFC 3501 §9: numbers, atoms, strings, lists, sets.
// Every failure is a ProtocolError naming what was expected, the stream offset and the bytes.

import { ProtocolError } from './errors.js';
import type { SequenceRanges, Token } from './types.js';
import { upperWordAt, wordAt } from './word-cache.js';

/** A literal's body: its bytes, or only its size when it went to a streaming sink. */
export type LiteralSlot = Buffer | { streamed: true; size: number };

const SP = 0x20;
const CR = 0x0d;
const LF = 0x0a;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const LPAREN = 0x28;
const RPAREN = 0x29;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const TILDE = 0x7e;
const ZERO = 0x30;
const NINE = 0x39;

const MAX_UINT32 = 0xffffffff;
const MAX_MODSEQ = 2n ** 63n - 1n;

/** Bytes that end a word: SP, parentheses, double quote, controls and DEL (RFC 3501 atom-specials). */
const WORD_END = new Uint8Array(256);
for (let b = 0; b < 0x20; b++) WORD_END[b] = 1;
for (const b of [SP, LPAREN, RPAREN, DQUOTE, 0x7f]) WORD_END[b] = 1;
/** Inside a bracketed response code a word also ends at `]`. */
const CODE_WORD_END = WORD_END.slice();
CODE_WORD_END[RBRACKET] = 1;

export class ResponseReader {
  pos: number;
  private depth = 0;
  /** Index in `literals` of the next literal header's body. */
  literalIndex = 0;

  constructor(
    readonly buf: Buffer,
    start: number,
    /** Index just past the last content byte (the final CRLF excluded). */
    readonly end: number,
    private readonly literals: LiteralSlot[],
    /** For each literal, the position in `buf` right after its `{n}` CRLF header. */
    private readonly literalMarks: number[],
    /** Stream offset of the byte at `start`, to report stream offsets in errors. */
    private readonly offset: number,
    private readonly maxDepth: number,
    /** Position of a literal header whose body has not arrived yet (partial parses only). */
    readonly pendingLiteralAt = -1,
  ) {
    this.pos = start;
    this.start = start;
  }

  private readonly start: number;

  // ---- errors -------------------------------------------------------------------------------

  /** Throws a ProtocolError saying what was expected at the current position. */
  fail(expected: string, at = this.pos): never {
    const offset = this.streamOffset(at);
    throw new ProtocolError(
      `expected ${expected} at stream offset ${offset}, got ${this.excerpt(at)}`,
      offset,
    );
  }

  private streamOffset(at: number): number {
    let offset = this.offset + (at - this.start);
    const marks = this.literalMarks;
    for (let i = 0; i < marks.length && marks[i]! <= at; i++) offset += literalSize(this.literals[i]);
    return offset;
  }

  private excerpt(at: number): string {
    if (at >= this.end) return 'end of response';
    return quoteBytes(this.buf.subarray(at, Math.min(this.end + 2, this.buf.length)));
  }

  // ---- structure ----------------------------------------------------------------------------

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  peek(): number {
    return this.pos < this.end ? this.buf[this.pos]! : -1;
  }

  /** Consumes `byte` if it is next. */
  eat(byte: number): boolean {
    if (this.pos < this.end && this.buf[this.pos] === byte) {
      this.pos++;
      return true;
    }
    return false;
  }

  expect(byte: number, what: string): void {
    if (!this.eat(byte)) this.fail(what);
  }

  /** One space; a few servers send two, which costs nothing to accept. */
  sp(): void {
    if (!this.eat(SP)) this.fail('a space');
    while (this.eat(SP));
  }

  expectEnd(): void {
    if (this.pos < this.end) this.fail('end of response');
  }

  openList(): void {
    this.expect(LPAREN, '"("');
    this.enter();
  }

  /** Consumes `)` if it is next and leaves the list. */
  closeList(): boolean {
    if (!this.eat(RPAREN)) return false;
    this.depth--;
    return true;
  }

  /** Calls `item` for each element of a parenthesised, space-separated list. */
  list(item: () => void): void {
    this.openList();
    if (this.closeList()) return;
    for (;;) {
      item();
      if (this.closeList()) return;
      // Address lists are often sent as `((...)(...))`, without the space.
      if (this.peek() !== LPAREN) this.sp();
      if (this.closeList()) return; // tolerate a trailing space before ")"
    }
  }

  private enter(): void {
    if (++this.depth > this.maxDepth) {
      this.fail(`list nesting within maxDepth (${this.maxDepth})`, this.pos - 1);
    }
  }

  // ---- numbers ------------------------------------------------------------------------------

  /** A 32-bit unsigned number (UIDs, sequence numbers, counts). */
  number(): number {
    const start = this.pos;
    let value = 0;
    let b = this.peek();
    while (b >= ZERO && b <= NINE) {
      value = value * 10 + (b - ZERO);
      b = ++this.pos < this.end ? this.buf[this.pos]! : -1;
    }
    if (this.pos === start) this.fail('a number');
    if (value > MAX_UINT32) this.fail('a number below 2^32', start);
    return value;
  }

  /** A 63-bit number (mod-sequences, sizes), exact as bigint. */
  bigNumber(): bigint {
    const start = this.pos;
    let b = this.peek();
    while (b >= ZERO && b <= NINE) b = ++this.pos < this.end ? this.buf[this.pos]! : -1;
    const digits = this.pos - start;
    if (digits === 0) this.fail('a number');
    // Up to 15 digits fit a double exactly; parse those without building a string.
    if (digits <= 15) {
      let value = 0;
      for (let i = start; i < this.pos; i++) value = value * 10 + (this.buf[i]! - ZERO);
      return BigInt(value);
    }
    const value = digits > 20 ? MAX_MODSEQ + 1n : BigInt(this.buf.toString('latin1', start, this.pos));
    if (value > MAX_MODSEQ) this.fail('a number below 2^63', start);
    return value;
  }

  /** A sequence set of numbers and ranges (`1:5,7`); `n:m` with n > m means m:n (RFC 3501 §9). */
  sequenceSet(): SequenceRanges {
    const ranges: SequenceRanges = [];
    do {
      const first = this.number();
      const last = this.eat(0x3a) ? this.number() : first;
      ranges.push(first <= last ? [first, last] : [last, first]);
    } while (this.eat(0x2c));
    return ranges;
  }

  // ---- words and strings --------------------------------------------------------------------

  /** Bytes up to the next SP, parenthesis, quote or control: atoms, flags, tags. */
  word(what: string, inCode = false): string {
    const start = this.wordStart(what, inCode);
    return wordAt(this.buf, start, this.pos);
  }

  /** An atom name compared case-insensitively by callers: returned upper-cased. */
  keyword(what: string, inCode = false): string {
    const start = this.wordStart(what, inCode);
    return upperWordAt(this.buf, start, this.pos);
  }

  /** Moves past a word and returns where it started. */
  private wordStart(what: string, inCode: boolean): number {
    const start = this.pos;
    const stop = inCode ? CODE_WORD_END : WORD_END;
    while (this.pos < this.end && stop[this.buf[this.pos]!] === 0) this.pos++;
    if (this.pos === start) this.fail(what);
    return start;
  }

  /** The rest of the response as text (resp-text), UTF-8 decoded. */
  text(): string {
    const start = this.pos;
    this.pos = this.end;
    return this.buf.toString('utf8', start, this.end);
  }

  /** Whether the next bytes are NIL (case-insensitive), consuming them if so. */
  nil(): boolean {
    const p = this.pos;
    if (
      p + 3 <= this.end &&
      (this.buf[p]! | 0x20) === 0x6e &&
      (this.buf[p + 1]! | 0x20) === 0x69 &&
      (this.buf[p + 2]! | 0x20) === 0x6c &&
      (p + 3 === this.end || WORD_END[this.buf[p + 3]!] === 1 || this.buf[p + 3] === RBRACKET)
    ) {
      this.pos = p + 3;
      return true;
    }
    return false;
  }

  /** A quoted string or a literal. */
  string(): Buffer {
    const value = this.stringOrStreamed();
    if (!Buffer.isBuffer(value)) this.fail('a buffered literal');
    return value;
  }

  /** A quoted string or a literal, which may have gone to a streaming sink. */
  stringOrStreamed(): LiteralSlot {
    const b = this.peek();
    if (b === DQUOTE) return this.quoted();
    if (b === LBRACE || b === TILDE) return this.literal();
    return this.fail('a string');
  }

  nstring(): Buffer | null {
    return this.nil() ? null : this.string();
  }

  /** An atom or a string (RFC 3501 astring), as bytes. */
  astring(): Buffer {
    const b = this.peek();
    if (b === DQUOTE || b === LBRACE || this.atLiteral8()) return this.string();
    const start = this.pos;
    while (this.pos < this.end && WORD_END[this.buf[this.pos]!] === 0) this.pos++;
    if (this.pos === start) this.fail('an atom or string');
    return this.buf.subarray(start, this.pos);
  }

  /** `~{`: a literal8 (RFC 3516); a lone `~` is an ordinary atom character. */
  private atLiteral8(): boolean {
    return this.peek() === TILDE && this.pos + 1 < this.end && this.buf[this.pos + 1] === LBRACE;
  }

  astringText(): string {
    return this.astring().toString('utf8');
  }

  nstringText(): string | null {
    return this.nil() ? null : this.string().toString('utf8');
  }

  private quoted(): Buffer {
    const open = this.pos;
    // Common case: no escapes, one copy of the bytes between the quotes.
    let p = open + 1;
    while (p < this.end) {
      const b = this.buf[p]!;
      if (b === DQUOTE) {
        this.pos = p + 1;
        return Buffer.from(this.buf.subarray(open + 1, p));
      }
      if (b === BACKSLASH) return this.quotedWithEscapes(open);
      if (b === CR || b === LF) break;
      p++;
    }
    return this.fail('a closing double quote', open);
  }

  /** RFC 3501 §9 quoted-specials: only `\"` and `\\` are escapes. */
  private quotedWithEscapes(open: number): Buffer {
    const out: number[] = [];
    for (let p = open + 1; p < this.end; p++) {
      let b = this.buf[p]!;
      if (b === DQUOTE) {
        this.pos = p + 1;
        return Buffer.from(out);
      }
      if (b === CR || b === LF) break;
      if (b === BACKSLASH) {
        b = this.buf[++p]!;
        if (p >= this.end || (b !== DQUOTE && b !== BACKSLASH))
          this.fail('\\" or \\\\ after a backslash', p - 1);
      }
      out.push(b);
    }
    return this.fail('a closing double quote', open);
  }

  /** `{n}` / `~{n}` CRLF: the framer put the body aside, in order. */
  private literal(): LiteralSlot {
    const header = this.pos;
    this.eat(TILDE);
    this.expect(LBRACE, '"{"');
    const size = this.number();
    this.eat(0x2b); // LITERAL+ marker, only ever seen in client data but harmless
    this.expect(RBRACE, '"}"');
    this.eat(CR);
    this.expect(LF, 'a line break after a literal header');
    const slot = this.literals[this.literalIndex++];
    if (slot === undefined) this.fail('a literal body', header);
    if (literalSize(slot) !== size) this.fail(`a literal of ${size} bytes`, header);
    return slot;
  }

  // ---- generic tokens -----------------------------------------------------------------------

  /** Any token, for data the parser has no typed form for. */
  token(inCode = false): Token {
    const b = this.peek();
    if (b === LPAREN) {
      const items: Token[] = [];
      this.list(() => items.push(this.token(inCode)));
      return { type: 'list', items };
    }
    if (b === DQUOTE || b === LBRACE || this.atLiteral8()) {
      return { type: 'string', value: this.string() };
    }
    if (this.nil()) return { type: 'nil' };
    const start = this.pos;
    const word = this.wordWithSections(inCode);
    if (word === null) {
      if (this.pos - start <= 19 && isDigits(this.buf, start, this.pos)) {
        return { type: 'number', value: BigInt(this.buf.toString('latin1', start, this.pos)) };
      }
      return { type: 'atom', value: this.buf.toString('latin1', start, this.pos) };
    }
    return { type: 'section', value: word };
  }

  /** Tokens up to the end of the response, or up to `]` in a response code. */
  tokens(inCode = false): Token[] {
    const out: Token[] = [];
    while (!this.atEnd() && !(inCode && this.peek() === RBRACKET)) {
      out.push(this.token(inCode));
      if (this.atEnd() || (inCode && this.peek() === RBRACKET)) break;
      this.sp();
    }
    return out;
  }

  /**
   * A word that may contain bracketed parts (`BODY[HEADER.FIELDS (To)]<0>`). Returns the
   * text when it had brackets, null for a plain word (left between start and pos).
   */
  private wordWithSections(inCode: boolean): string | null {
    const start = this.pos;
    const stop = inCode ? CODE_WORD_END : WORD_END;
    let sawBracket = false;
    while (this.pos < this.end) {
      const b = this.buf[this.pos]!;
      if (b === LBRACKET) {
        this.bracketed();
        sawBracket = true;
      } else if (stop[b] === 1) {
        break;
      } else {
        this.pos++;
      }
    }
    if (this.pos === start) this.fail('a token');
    return sawBracket ? this.buf.toString('latin1', start, this.pos) : null;
  }

  /** Skips `[...]` (nested brackets and quoted strings inside) and returns the inner text. */
  bracketed(): string {
    const open = this.pos;
    this.expect(LBRACKET, '"["');
    let nesting = 1;
    while (this.pos < this.end) {
      const b = this.buf[this.pos]!;
      if (b === DQUOTE) {
        this.quoted();
        continue;
      }
      if (b === CR || b === LF) break;
      this.pos++;
      if (b === LBRACKET) nesting++;
      else if (b === RBRACKET && --nesting === 0) return this.buf.toString('latin1', open + 1, this.pos - 1);
    }
    return this.fail('a closing "]"', open);
  }
}

function literalSize(slot: LiteralSlot | undefined): number {
  if (slot === undefined) return 0;
  return Buffer.isBuffer(slot) ? slot.length : slot.size;
}

function isDigits(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    if (b < ZERO || b > NINE) return false;
  }
  return true;
}

/** Bytes shown in an error: printable ASCII as is, the rest escaped, at most ~60 characters. */
export function quoteBytes(bytes: Buffer, max = 60): string {
  let out = '';
  let i = 0;
  for (; i < bytes.length && out.length < max; i++) {
    const b = bytes[i]!;
    if (b === CR) out += '\\r';
    else if (b === LF) out += '\\n';
    else if (b === 0x09) out += '\\t';
    else if (b === DQUOTE || b === BACKSLASH) out += '\\' + String.fromCharCode(b);
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += '\\x' + b.toString(16).padStart(2, '0');
  }
  return `"${out}"${i < bytes.length ? '…' : ''}`;
}
