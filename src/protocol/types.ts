// The data model shared by the codec (parser, serializer) and the session layer: what one
// server response is once parsed, and what one command is once serialized. No logic here.

/** A raw token tree, kept for responses and codes the parser has no typed form for. */
export type Token =
  | { type: 'atom'; value: string }
  | { type: 'number'; value: bigint }
  | { type: 'string'; value: Buffer } // quoted string or literal, unescaped
  | { type: 'nil' }
  | { type: 'list'; items: Token[] }
  | { type: 'section'; value: string }; // a bracketed part kept as text, e.g. BODY[HEADER.FIELDS (To)]

/** A sequence set or UID set as a list of inclusive ranges, e.g. 1:5,7 → [[1,5],[7,7]]. */
export type SequenceRanges = Array<[number, number]>;

export type ResponseCode =
  | { name: 'CAPABILITY'; capabilities: string[] }
  | { name: 'PERMANENTFLAGS'; flags: string[] }
  | { name: 'UIDVALIDITY'; value: number }
  | { name: 'UIDNEXT'; value: number }
  | { name: 'HIGHESTMODSEQ'; value: bigint }
  | { name: 'NOMODSEQ' }
  | { name: 'CLOSED' }
  | { name: 'APPENDUID'; uidValidity: number; uids: SequenceRanges }
  | { name: 'COPYUID'; uidValidity: number; source: SequenceRanges; dest: SequenceRanges }
  | { name: 'MODIFIED'; set: SequenceRanges }
  | {
      name:
        | 'ALREADYEXISTS'
        | 'NONEXISTENT'
        | 'TRYCREATE'
        | 'UNAVAILABLE'
        | 'OVERQUOTA'
        | 'COMPRESSIONACTIVE'
        | 'READ-ONLY'
        | 'READ-WRITE'
        | 'ALERT'
        | 'PARSE';
    }
  | { name: 'OTHER'; atom: string; tokens: Token[] };

export type Status = 'OK' | 'NO' | 'BAD';

export interface TaggedResponse {
  kind: 'tagged';
  tag: string;
  status: Status;
  code?: ResponseCode;
  text: string;
}

/** `+ text` — for SASL the text is the base64 challenge. */
export interface ContinuationResponse {
  kind: 'continuation';
  text: string;
}

export interface Address {
  name: string | null;
  adl: string | null;
  mailbox: string | null;
  host: string | null;
}

export interface Envelope {
  date: string | null;
  subject: Buffer | null;
  from: Address[] | null;
  sender: Address[] | null;
  replyTo: Address[] | null;
  to: Address[] | null;
  cc: Address[] | null;
  bcc: Address[] | null;
  inReplyTo: string | null;
  messageId: string | null;
}

/**
 * A body section in a FETCH response. `data` is the bytes, or null when the section was
 * NIL or when its literal was handed to a streaming sink (see ParserOptions.bodySink in
 * parser.ts) — then `streamed` is true and `size` is the literal's length.
 */
export interface FetchBody {
  section: string; // between the brackets, e.g. '' for BODY[], 'HEADER.FIELDS (MESSAGE-ID)'
  origin?: number; // BODY[]<origin>
  data: Buffer | null;
  size: number;
  streamed: boolean;
}

export interface FetchAttributes {
  uid?: number;
  flags?: string[];
  modseq?: bigint;
  internalDate?: string; // as sent, "dd-Mon-yyyy hh:mm:ss +zzzz"
  rfc822Size?: number;
  envelope?: Envelope;
  bodies?: FetchBody[];
  /** Items the parser has no typed form for, by upper-cased name. */
  other?: Record<string, Token>;
}

export interface StatusAttributes {
  messages?: number;
  recent?: number;
  uidNext?: number;
  uidValidity?: number;
  unseen?: number;
  highestModseq?: bigint;
  size?: bigint;
}

export interface NamespaceEntry {
  prefix: string;
  delimiter: string | null;
}

export type UntaggedResponse = { kind: 'untagged' } & (
  | { type: 'OK' | 'NO' | 'BAD' | 'PREAUTH' | 'BYE'; code?: ResponseCode; text: string }
  | { type: 'CAPABILITY' | 'ENABLED'; capabilities: string[] } // upper-cased
  | {
      type: 'LIST' | 'LSUB';
      attributes: string[]; // as sent, e.g. '\\HasChildren', '\\Subscribed'
      delimiter: string | null;
      mailbox: string; // wire form (modified UTF-7), unquoted
      childInfo?: string[]; // RFC 5258 CHILDINFO
      oldName?: string; // RFC 5258 OLDNAME
    }
  | { type: 'STATUS'; mailbox: string; attributes: StatusAttributes }
  | { type: 'FLAGS'; flags: string[] }
  | { type: 'EXISTS' | 'RECENT' | 'EXPUNGE'; number: number }
  | { type: 'VANISHED'; earlier: boolean; uids: SequenceRanges }
  | { type: 'FETCH'; seq: number; attributes: FetchAttributes }
  | { type: 'SEARCH'; numbers: number[]; modseq?: bigint }
  | {
      type: 'ESEARCH';
      tag?: string;
      uid: boolean;
      min?: number;
      max?: number;
      count?: number;
      all?: SequenceRanges;
      modseq?: bigint;
    }
  | {
      type: 'NAMESPACE';
      personal: NamespaceEntry[] | null;
      other: NamespaceEntry[] | null;
      shared: NamespaceEntry[] | null;
    }
  | { type: 'ID'; params: Record<string, string | null> | null }
  | { type: 'OTHER'; name: string; tokens: Token[] }
);

export type Response = TaggedResponse | UntaggedResponse | ContinuationResponse;

/**
 * A serialized command is a list of chunks. `data` chunks are written as they are; a
 * `literal` chunk follows a `data` chunk ending in its `{N}`/`{N+}` header (already
 * included in that data). When `sync` is true the writer must wait for the server's `+`
 * continuation before writing the literal body (RFC 3501 §7.5).
 */
export type CommandChunk =
  | { kind: 'data'; data: Buffer }
  | { kind: 'literal'; size: number; sync: boolean; body: Buffer | AsyncIterable<Buffer> };
