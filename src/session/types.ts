// The seams of the sans-I/O session: what it needs injected (writer, serializer, trace) and
// what it hands back (command results). Generic over the serializer's argument type `A`.
import type {
  CommandChunk,
  Response,
  ResponseCode,
  SequenceRanges,
  Status,
  UntaggedResponse,
} from '../protocol/types.js';

/**
 * Where serialized bytes go. `write` returns false when the caller must wait for `drain()`.
 * `drain()` and `writeStream()` must settle (resolve or reject) when the transport closes.
 */
export interface SessionWriter {
  write(data: Buffer): boolean;
  drain(): Promise<void>;
  /** Writes a streamed literal body of exactly `size` bytes, honouring back-pressure itself. */
  writeStream(body: AsyncIterable<Buffer>, size: number): Promise<void>;
}

/** The codec's serializer, seen from the session. */
export interface CommandSerializer<A> {
  serialize(tag: string, name: string, args: readonly A[]): CommandChunk[];
  /** One-line log form: credentials redacted, literal bodies shown as `{N bytes}`. */
  redact(tag: string, name: string, args: readonly A[]): string;
}

/** Builds serializer arguments, so the typed helpers need not know the serializer's Arg type. */
export interface ArgBuilder<A> {
  /** Sent verbatim: keywords, flags, fetch items such as `BODY.PEEK[]`. */
  atom(value: string): A;
  /** An astring: the serializer picks atom, quoted string or literal. Mailbox names in wire form. */
  string(value: string | Buffer): A;
  number(value: number | bigint): A;
  sequenceSet(set: SequenceRanges | string): A;
  list(items: A[]): A;
  /** A literal that must be sent as one (APPEND message bodies); streamed bodies pass through. */
  literal(body: Buffer | AsyncIterable<Buffer>, size: number): A;
}

/** `client` lines are what we wrote (redacted), `server` lines what we received. */
export type TraceFn = (direction: 'client' | 'server', text: string) => void;

export type ProtocolState = 'greeting' | 'not-authenticated' | 'authenticated' | 'selected' | 'logout';

export interface CommandResult {
  tag: string;
  status: Status;
  code?: ResponseCode;
  text: string;
  /** Untagged responses routed to this command (empty when `onUntagged` consumed them). */
  untagged: UntaggedResponse[];
}

/** Answers a `+` continuation with one line (CRLF is appended). */
export type ContinuationReply = (line: Buffer) => void;

export interface CommandOptions {
  /** Wait for every earlier command to complete, and write nothing else until this one completes. */
  exclusive?: boolean;
  /** Streams the untagged responses routed to this command instead of collecting them. */
  onUntagged?: (response: UntaggedResponse) => void;
  /** Called for each `+` not consumed by a synchronising literal (SASL, IDLE). */
  onContinuation?: (text: string, reply: ContinuationReply) => void;
  /**
   * Runs after the tagged OK and before anything else is written (STARTTLS, COMPRESS switch the
   * transport here). Makes the command exclusive.
   */
  afterOk?: (result: CommandResult) => Promise<void>;
  /**
   * May be written right behind an in-flight LOGIN, or AUTHENTICATE expecting no continuation
   * (no `onContinuation`: e.g. PLAIN with its initial response, RFC 4959), instead of after its
   * completion: checked against the authenticated state that command leads to. The server runs
   * it after the authentication (RFC 3501 §5.5) and refuses it with NO or BAD if that failed.
   */
  afterAuthentication?: boolean;
  /**
   * May be written right behind an in-flight SELECT or EXAMINE instead of after its completion
   * (e.g. the first FETCH of the mailbox): checked against the selected state that command leads
   * to. The server runs it in the new mailbox, and refuses it with BAD if the SELECT failed, which
   * leaves no mailbox selected (RFC 3501 §6.3.1). Refused by us, never written, when no SELECT is
   * in flight ahead of it: it must not run in whatever mailbox was selected before.
   */
  afterSelect?: boolean;
  /** Called once the whole command has been handed to the writer. */
  onWritten?: () => void;
  /** Untagged types this command can produce, overriding the table (for commands it lacks). */
  claims?: readonly string[];
}

export interface Greeting {
  type: 'OK' | 'PREAUTH';
  code?: ResponseCode;
  text: string;
}

export type ResponseListener = (response: Response) => void;
