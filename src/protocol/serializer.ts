// Turns a command (tag, name, typed arguments) into wire chunks (RFC 3501 §9 grammar): picks
// atom, quoted string or literal per argument, validates what cannot be sent, and renders the
// same command for a debug log with literal bodies and credentials hidden.

import { CommandSyntaxError, ProtocolError } from './errors.js';
import { formatInternalDate, parseInternalDate } from './internal-date.js';
import { encodeMailboxName } from './mutf7.js';
import { formatSequenceSet, MAX_UID, parseSequenceSet } from './sequence-set.js';
import type { CommandChunk, SequenceRanges } from './types.js';

/** One command argument. A bare string is an atom; a bare number or bigint is a number. */
export type Arg =
  /** An atom such as `UID`, `FLAGS.SILENT`, `CHANGEDSINCE`: rejected if not a valid atom. */
  | string
  /** `number` (32-bit and up, non-negative) or `number64` as a bigint (MODSEQ). */
  | number
  | bigint
  /** An astring: sent as an atom when it is one (and not `NIL`), else quoted, else a literal. */
  | { type: 'astring'; value: string | Buffer }
  /** A string: quoted when it can be, else a literal; never an atom. */
  | { type: 'string'; value: string | Buffer }
  /** An nstring: `NIL` for null, else as `string`. */
  | { type: 'nstring'; value: string | Buffer | null }
  /** A mailbox name as a JS string; encoded here to modified UTF-7 and quoted unless plainly safe. */
  | { type: 'mailbox'; name: string }
  /**
   * Always a literal (APPEND messages). A stream needs `size` and must yield exactly that many
   * bytes (the writer checks). `binary` sends a literal8 `~{N}` (RFC 3516 BINARY), which may hold NUL.
   */
  | { type: 'literal'; body: Buffer | AsyncIterable<Buffer>; size?: number; binary?: boolean }
  /** A parenthesised list. */
  | { type: 'list'; items: readonly Arg[] }
  /** Text sent as is, e.g. a fetch item `BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]`: printable ASCII only. */
  | { type: 'raw'; text: string }
  /** A sequence or UID set: numbers or ranges (formatted compactly) or wire text (checked; may use `*`). */
  | { type: 'sequence'; set: Iterable<number> | SequenceRanges | string }
  /** A flag list `(\Seen $Forwarded)`: system flags, `\`-extensions and keywords; no `\Recent`. */
  | { type: 'flags'; flags: readonly string[] }
  /** A quoted date-time: a Date shown at `tzOffsetMinutes` (default UTC), or an INTERNALDATE as received. */
  | { type: 'date'; value: Date | string; tzOffsetMinutes?: number };

export interface SerializeOptions {
  /** RFC 7888 LITERAL+: every literal may be non-synchronising, `{N+}`. */
  literalPlus: boolean;
  /** RFC 7888 LITERAL-: `{N+}` only for literals of at most 4096 bytes. */
  literalMinus: boolean;
}

/** RFC 7888 §5: the largest non-synchronising literal under LITERAL-. */
const LITERAL_MINUS_MAX = 4096;
/** Longer strings go as literals: quoted strings that long are unusual and some servers cap lines. */
const MAX_QUOTED_BYTES = 1024;
const MAX_NUMBER64 = (1n << 63n) - 1n;

// RFC 3501 §9: ATOM-CHAR is any CHAR except atom-specials `(`, `)`, `{`, SP, CTL, `%`, `*`,
// `"`, `\`, `]`; ASTRING-CHAR adds `]` back.
const ATOM_CHAR = new Uint8Array(128);
for (let c = 0x21; c < 0x7f; c++) ATOM_CHAR[c] = 1;
for (const c of '(){%*"\\]') ATOM_CHAR[c.charCodeAt(0)] = 0;
const ASTRING_CHAR = Uint8Array.from(ATOM_CHAR);
ASTRING_CHAR[0x5d] = 1;

/** Mailbox names sent bare: a conservative subset, as brackets and `&` confuse some tokenizers. */
const PLAIN_MAILBOX = /^[A-Za-z0-9_./-]+$/;

function isAtomText(text: string, table: Uint8Array): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || table[c] === 0) return false;
  }
  return true;
}

/** True when `text` is an RFC 3501 atom. */
export function isAtom(text: string): boolean {
  return isAtomText(text, ATOM_CHAR);
}

/**
 * True when a client may put `flag` in STORE or APPEND (§9 `flag`): a keyword atom, or `\` and
 * an atom — except `\Recent`, which only the server sets (§2.3.2).
 */
export function isSettableFlag(flag: string): boolean {
  if (flag.charCodeAt(0) === 0x5c /* \ */) return isAtom(flag.slice(1)) && flag.toLowerCase() !== '\\recent';
  return isAtom(flag);
}

// What a scan of a string value found, as bits.
const NOT_ASTRING = 1;
const NEEDS_ESCAPE = 2;
const NEEDS_LITERAL = 4; // CR, LF or 8-bit: quoted strings carry 7-bit TEXT-CHAR only
const HAS_NUL = 8;

function scan(value: string | Buffer): number {
  let found = 0;
  const isString = typeof value === 'string';
  for (let i = 0; i < value.length; i++) {
    const c = isString ? value.charCodeAt(i) : value[i]!;
    if (c >= 0x80 || c === 0x0d || c === 0x0a) found |= NEEDS_LITERAL | NOT_ASTRING;
    else if (c === 0x22 || c === 0x5c) found |= NEEDS_ESCAPE | NOT_ASTRING;
    else if (c === 0) found |= HAS_NUL | NOT_ASTRING;
    else if (ASTRING_CHAR[c] === 0) found |= NOT_ASTRING;
  }
  return found;
}

/** Where rendered text and literals go: the wire (chunks) or a log line. */
interface Sink {
  text(s: string): void;
  literal(size: number, body: Buffer | AsyncIterable<Buffer>, binary: boolean): void;
}

class WireSink implements Sink {
  private parts: string[] = [];
  readonly chunks: CommandChunk[] = [];

  constructor(private readonly options: SerializeOptions) {}

  text(s: string): void {
    this.parts.push(s);
  }

  literal(size: number, body: Buffer | AsyncIterable<Buffer>, binary: boolean): void {
    const nonSync = this.options.literalPlus || (this.options.literalMinus && size <= LITERAL_MINUS_MAX);
    this.parts.push(`${binary ? '~' : ''}{${size}${nonSync ? '+' : ''}}\r\n`);
    this.flush();
    this.chunks.push({ kind: 'literal', size, sync: !nonSync, body });
  }

  finish(): CommandChunk[] {
    this.parts.push('\r\n');
    this.flush();
    return this.chunks;
  }

  private flush(): void {
    // Everything outside literals is 7-bit here, so latin1 is a byte-exact and fast encoding.
    this.chunks.push({ kind: 'data', data: Buffer.from(this.parts.join(''), 'latin1') });
    this.parts = [];
  }
}

class LogSink implements Sink {
  readonly parts: string[] = [];

  text(s: string): void {
    this.parts.push(s);
  }

  literal(size: number): void {
    this.parts.push(`{${size} bytes}`);
  }
}

function writeString(sink: Sink, value: string | Buffer, allowAtom: boolean): void {
  const found = scan(value);
  if (found & HAS_NUL) {
    // CHAR8 excludes NUL: not even a literal can carry it (§4.3, §9).
    throw new CommandSyntaxError('string argument contains a NUL byte, which IMAP cannot send');
  }
  const bytes = typeof value === 'string' && found & NEEDS_LITERAL ? Buffer.from(value, 'utf8') : value;
  if (found & NEEDS_LITERAL || bytes.length > MAX_QUOTED_BYTES) {
    sink.literal(bytes.length, typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes, false);
    return;
  }
  const text = typeof value === 'string' ? value : value.toString('latin1');
  if (allowAtom && !(found & NOT_ASTRING) && text.length > 0 && text.toUpperCase() !== 'NIL') {
    sink.text(text);
  } else {
    sink.text(`"${found & NEEDS_ESCAPE ? text.replace(/["\\]/g, '\\$&') : text}"`);
  }
}

function writeMailbox(sink: Sink, name: string): void {
  const wire = encodeMailboxName(name);
  if (PLAIN_MAILBOX.test(wire) && wire.toUpperCase() !== 'NIL') sink.text(wire);
  else writeString(sink, wire, false);
}

function writeLiteral(sink: Sink, { body, size, binary }: Extract<Arg, { type: 'literal' }>): void {
  const length = Buffer.isBuffer(body) ? body.length : undefined;
  const declared = size ?? length;
  if (declared === undefined) throw new CommandSyntaxError('streamed literal without a size');
  if (!Number.isSafeInteger(declared) || declared < 0) {
    throw new CommandSyntaxError(`literal size ${declared} is invalid`);
  }
  if (length !== undefined && declared !== length) {
    throw new CommandSyntaxError(`literal size ${declared} differs from its ${length}-byte body`);
  }
  sink.literal(declared, body, binary === true);
}

function checkedNumber(value: number | bigint): string {
  const ok =
    typeof value === 'bigint'
      ? value >= 0n && value <= MAX_NUMBER64
      : Number.isSafeInteger(value) && value >= 0;
  if (!ok)
    throw new CommandSyntaxError(`number argument ${value} is not a non-negative integer within range`);
  return String(value);
}

/** Checks wire text with a parser, reporting its ProtocolError as the sender's CommandSyntaxError. */
function checkedBy(parse: (text: string) => unknown, text: string): string {
  try {
    parse(text);
  } catch (e) {
    if (e instanceof ProtocolError) throw new CommandSyntaxError(e.message);
    throw e;
  }
  return text;
}

const parseAnySequenceSet = (text: string) => parseSequenceSet(text, { star: MAX_UID });

function checkedRaw(text: string): string {
  if (!/^[\x20-\x7e]+$/.test(text)) {
    throw new CommandSyntaxError(`raw argument ${JSON.stringify(text)} is empty or not printable ASCII`);
  }
  return text;
}

function writeArg(sink: Sink, arg: Arg): void {
  if (typeof arg === 'string') {
    if (!isAtom(arg)) throw new CommandSyntaxError(`${JSON.stringify(arg)} is not a valid atom`);
    sink.text(arg);
    return;
  }
  if (typeof arg === 'number' || typeof arg === 'bigint') {
    sink.text(checkedNumber(arg));
    return;
  }
  if (typeof arg !== 'object' || arg === null) {
    throw new CommandSyntaxError(`argument ${String(arg)} is not a command argument`);
  }
  switch (arg.type) {
    case 'astring':
      writeString(sink, arg.value, true);
      return;
    case 'string':
      writeString(sink, arg.value, false);
      return;
    case 'nstring':
      if (arg.value === null) sink.text('NIL');
      else writeString(sink, arg.value, false);
      return;
    case 'mailbox':
      writeMailbox(sink, arg.name);
      return;
    case 'literal':
      writeLiteral(sink, arg);
      return;
    case 'list':
      sink.text('(');
      arg.items.forEach((item, i) => {
        if (i > 0) sink.text(' ');
        writeArg(sink, item);
      });
      sink.text(')');
      return;
    case 'raw':
      sink.text(checkedRaw(arg.text));
      return;
    case 'sequence':
      sink.text(
        typeof arg.set === 'string' ? checkedBy(parseAnySequenceSet, arg.set) : formatSequenceSet(arg.set),
      );
      return;
    case 'flags':
      for (const flag of arg.flags) {
        if (!isSettableFlag(flag))
          throw new CommandSyntaxError(`${JSON.stringify(flag)} is not a flag a client may set`);
      }
      sink.text(`(${arg.flags.join(' ')})`);
      return;
    case 'date':
      sink.text(
        `"${typeof arg.value === 'string' ? checkedBy(parseInternalDate, arg.value) : formatInternalDate(arg.value, arg.tzOffsetMinutes)}"`,
      );
      return;
    default:
      throw new CommandSyntaxError(
        `unknown argument type ${JSON.stringify((arg as { type: unknown }).type)}`,
      );
  }
}

function writeHead(sink: Sink, tag: string, command: string): void {
  // tag = 1*<any ASTRING-CHAR except "+">
  if (!isAtomText(tag, ASTRING_CHAR) || tag.includes('+'))
    throw new CommandSyntaxError(`bad tag ${JSON.stringify(tag)}`);
  if (!command.split(' ').every(isAtom))
    throw new CommandSyntaxError(`bad command name ${JSON.stringify(command)}`);
  sink.text(`${tag} ${command}`);
}

/**
 * Serializes `tag command args…` into chunks ending with CRLF. A literal's `{N}` / `{N+}` /
 * `~{N}` header and its CRLF end the data chunk before it. Throws CommandSyntaxError for an
 * argument that cannot be sent as asked.
 */
export function serializeCommand(
  tag: string,
  command: string,
  args: readonly Arg[],
  options: SerializeOptions,
): CommandChunk[] {
  const sink = new WireSink(options);
  writeHead(sink, tag, command);
  for (const arg of args) {
    sink.text(' ');
    writeArg(sink, arg);
  }
  return sink.finish();
}

/** Commands whose arguments are credentials: how many leading arguments stay visible. */
const SECRET_ARGS_FROM = new Map([
  ['LOGIN', 0],
  ['AUTHENTICATE', 1],
]);

/**
 * The command as one log line (no CRLF): literal bodies shown as `{N bytes}`; LOGIN arguments
 * and AUTHENTICATE's initial response shown as `<redacted>` unless `showCredentials` is set.
 */
export function redactedForLog(
  tag: string,
  command: string,
  args: readonly Arg[],
  options: { showCredentials?: boolean } = {},
): string {
  const sink = new LogSink();
  writeHead(sink, tag, command);
  const visible = options.showCredentials
    ? args.length
    : (SECRET_ARGS_FROM.get(command.toUpperCase()) ?? args.length);
  args.forEach((arg, i) => {
    sink.text(' ');
    if (i < visible) writeArg(sink, arg);
    else sink.text('<redacted>');
  });
  return sink.parts.join('');
}
