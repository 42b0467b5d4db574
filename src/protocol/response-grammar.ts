// The typed grammar of server responses (RFC 3501 §7 and the extensions interimap uses):
// turns one framed response, read through a ResponseReader, into the shared Response model.
// Unknown responses, codes and FETCH items are kept as raw tokens, never rejected.

import type { ResponseReader } from './response-reader.js';
import type {
  Address,
  Envelope,
  FetchAttributes,
  FetchBody,
  NamespaceEntry,
  Response,
  ResponseCode,
  StatusAttributes,
  UntaggedResponse,
} from './types.js';
import { upperWordAt } from './word-cache.js';

const SP = 0x20;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const LPAREN = 0x28;

export function readResponse(r: ResponseReader): Response {
  const first = r.peek();
  if (first === 0x2b /* + */) {
    r.pos++;
    r.eat(SP);
    return { kind: 'continuation', text: r.text() };
  }
  if (first === 0x2a /* * */) {
    r.pos++;
    r.sp();
    return readUntagged(r);
  }
  const tag = r.word('a tag, "*" or "+"');
  r.sp();
  const statusAt = r.pos;
  const status = r.keyword('OK, NO or BAD');
  if (status !== 'OK' && status !== 'NO' && status !== 'BAD') r.fail('OK, NO or BAD', statusAt);
  const { code, text } = readRespText(r);
  return code ? { kind: 'tagged', tag, status, code, text } : { kind: 'tagged', tag, status, text };
}

/** resp-text: an optional bracketed response code, then human-readable text. */
function readRespText(r: ResponseReader): { code?: ResponseCode; text: string } {
  if (r.atEnd()) return { text: '' };
  r.sp();
  if (r.peek() !== LBRACKET) return { text: r.text() };
  r.pos++;
  const code = readCode(r);
  r.expect(RBRACKET, '"]" closing the response code');
  r.eat(SP);
  return { code, text: r.text() };
}

const SIMPLE_CODES = new Set([
  'ALREADYEXISTS',
  'NONEXISTENT',
  'TRYCREATE',
  'UNAVAILABLE',
  'OVERQUOTA',
  'COMPRESSIONACTIVE',
  'READ-ONLY',
  'READ-WRITE',
  'ALERT',
  'PARSE',
]);

function readCode(r: ResponseReader): ResponseCode {
  const name = r.keyword('a response code name', true);
  switch (name) {
    case 'CAPABILITY':
      return { name, capabilities: readCapabilities(r, true) };
    case 'PERMANENTFLAGS':
      r.sp();
      return { name, flags: readFlagList(r) };
    case 'UIDVALIDITY':
    case 'UIDNEXT':
      r.sp();
      return { name, value: r.number() };
    case 'HIGHESTMODSEQ':
      r.sp();
      return { name, value: r.bigNumber() };
    case 'NOMODSEQ':
    case 'CLOSED':
      return { name };
    case 'APPENDUID': {
      // RFC 4315 §3
      r.sp();
      const uidValidity = r.number();
      r.sp();
      return { name, uidValidity, uids: r.sequenceSet() };
    }
    case 'COPYUID': {
      r.sp();
      const uidValidity = r.number();
      r.sp();
      const source = r.sequenceSet();
      r.sp();
      return { name, uidValidity, source, dest: r.sequenceSet() };
    }
    case 'MODIFIED':
      // RFC 7162 §3.1.3
      r.sp();
      return { name, set: r.sequenceSet() };
  }
  if (SIMPLE_CODES.has(name) && r.peek() === RBRACKET) {
    return { name } as ResponseCode;
  }
  if (r.peek() === SP) r.pos++;
  return { name: 'OTHER', atom: name, tokens: r.tokens(true) };
}

/** Space-separated capability atoms up to the end (or `]` in a code), upper-cased. */
function readCapabilities(r: ResponseReader, inCode: boolean): string[] {
  const caps: string[] = [];
  while (r.eat(SP)) {
    if (r.atEnd() || (inCode && r.peek() === RBRACKET)) break;
    caps.push(r.keyword('a capability', inCode));
  }
  return caps;
}

function readFlagList(r: ResponseReader): string[] {
  const flags: string[] = [];
  r.list(() => flags.push(r.word('a flag')));
  return flags;
}

function readUntagged(r: ResponseReader): UntaggedResponse {
  const b = r.peek();
  if (b >= 0x30 && b <= 0x39) return readNumbered(r);
  const nameAt = r.pos;
  const type = r.keyword('a response name');
  switch (type) {
    case 'OK':
    case 'NO':
    case 'BAD':
    case 'PREAUTH':
    case 'BYE': {
      const { code, text } = readRespText(r);
      return code ? { kind: 'untagged', type, code, text } : { kind: 'untagged', type, text };
    }
    case 'CAPABILITY':
    case 'ENABLED': {
      const capabilities = readCapabilities(r, false);
      r.expectEnd();
      return { kind: 'untagged', type, capabilities };
    }
    case 'LIST':
    case 'LSUB':
      r.sp();
      return readList(r, type);
    case 'STATUS':
      r.sp();
      return readStatus(r);
    case 'FLAGS': {
      r.sp();
      const flags = readFlagList(r);
      r.expectEnd();
      return { kind: 'untagged', type, flags };
    }
    case 'VANISHED':
      r.sp();
      return readVanished(r);
    case 'SEARCH':
      return readSearch(r);
    case 'ESEARCH':
      return readEsearch(r);
    case 'NAMESPACE':
      r.sp();
      return readNamespace(r);
    case 'ID':
      r.sp();
      return readId(r);
  }
  r.pos = nameAt;
  const name = r.keyword('a response name');
  if (!r.atEnd()) r.sp();
  return { kind: 'untagged', type: 'OTHER', name, tokens: r.tokens() };
}

/** `* n EXISTS|RECENT|EXPUNGE|FETCH ...`: responses that start with a number. */
function readNumbered(r: ResponseReader): UntaggedResponse {
  const numberAt = r.pos;
  const number = r.number();
  r.sp();
  const type = r.keyword('a response name');
  if (type === 'EXISTS' || type === 'RECENT' || type === 'EXPUNGE') {
    r.expectEnd();
    return { kind: 'untagged', type, number };
  }
  if (type === 'FETCH') {
    r.sp();
    const attributes: FetchAttributes = {};
    readFetchAttributes(r, attributes);
    r.expectEnd();
    return { kind: 'untagged', type, seq: number, attributes };
  }
  r.pos = numberAt;
  const tokens = [r.token()];
  r.sp();
  const name = r.keyword('a response name');
  if (!r.atEnd()) r.sp();
  tokens.push(...r.tokens());
  return { kind: 'untagged', type: 'OTHER', name, tokens };
}

/** RFC 3501 §7.2.2, with RFC 5258 extended data (CHILDINFO, OLDNAME). */
function readList(r: ResponseReader, type: 'LIST' | 'LSUB'): UntaggedResponse {
  const attributes = readFlagList(r);
  r.sp();
  const delimiter = r.nil() ? null : r.string().toString('utf8');
  r.sp();
  const mailbox = r.astringText();
  const response: UntaggedResponse = { kind: 'untagged', type, attributes, delimiter, mailbox };
  if (r.eat(SP)) {
    r.list(() => {
      const tag = r.astringText().toUpperCase();
      r.sp();
      if (tag === 'CHILDINFO') {
        const childInfo: string[] = [];
        r.list(() => childInfo.push(r.astringText().toUpperCase()));
        response.childInfo = childInfo;
      } else if (tag === 'OLDNAME') {
        r.list(() => {
          response.oldName = r.astringText();
        });
      } else {
        r.token(); // an extension we have no use for
      }
    });
  }
  r.expectEnd();
  return response;
}

/** RFC 3501 §7.2.4 plus HIGHESTMODSEQ (RFC 7162) and SIZE (RFC 8438). */
function readStatus(r: ResponseReader): UntaggedResponse {
  const mailbox = r.astringText();
  r.sp();
  const attributes: StatusAttributes = {};
  r.list(() => {
    const item = r.keyword('a STATUS item');
    r.sp();
    switch (item) {
      case 'MESSAGES':
        attributes.messages = r.number();
        break;
      case 'RECENT':
        attributes.recent = r.number();
        break;
      case 'UIDNEXT':
        attributes.uidNext = r.number();
        break;
      case 'UIDVALIDITY':
        attributes.uidValidity = r.number();
        break;
      case 'UNSEEN':
        attributes.unseen = r.number();
        break;
      case 'HIGHESTMODSEQ':
        attributes.highestModseq = r.bigNumber();
        break;
      case 'SIZE':
        attributes.size = r.bigNumber();
        break;
      default:
        r.token();
    }
  });
  r.expectEnd();
  return { kind: 'untagged', type: 'STATUS', mailbox, attributes };
}

/** RFC 7162 §3.2.10: `VANISHED [(EARLIER)] uid-set`. */
function readVanished(r: ResponseReader): UntaggedResponse {
  let earlier = false;
  if (r.peek() === LPAREN) {
    r.list(() => {
      if (r.keyword('EARLIER') !== 'EARLIER') r.fail('EARLIER');
      earlier = true;
    });
    r.sp();
  }
  const uids = r.sequenceSet();
  r.expectEnd();
  return { kind: 'untagged', type: 'VANISHED', earlier, uids };
}

/** RFC 3501 §7.2.5, with RFC 7162 §3.1.5 `(MODSEQ n)` at the end. */
function readSearch(r: ResponseReader): UntaggedResponse {
  const numbers: number[] = [];
  let modseq: bigint | undefined;
  while (r.eat(SP)) {
    if (r.atEnd()) break;
    if (r.peek() === LPAREN) {
      r.list(() => {
        if (r.keyword('MODSEQ') !== 'MODSEQ') r.fail('MODSEQ');
        r.sp();
        modseq = r.bigNumber();
      });
    } else {
      numbers.push(r.number());
    }
  }
  r.expectEnd();
  return modseq === undefined
    ? { kind: 'untagged', type: 'SEARCH', numbers }
    : { kind: 'untagged', type: 'SEARCH', numbers, modseq };
}

/** RFC 4731 §3.1: `ESEARCH [(TAG "t")] [UID] *(name SP value)`. */
function readEsearch(r: ResponseReader): UntaggedResponse {
  const response: UntaggedResponse & { type: 'ESEARCH' } = { kind: 'untagged', type: 'ESEARCH', uid: false };
  if (r.eat(SP) && r.peek() === LPAREN) {
    r.list(() => {
      const name = r.keyword('TAG');
      r.sp();
      if (name === 'TAG') response.tag = r.astringText();
      else r.token();
    });
    if (!r.eat(SP)) r.expectEnd();
  }
  while (!r.atEnd()) {
    const name = r.keyword('a search return item');
    if (name === 'UID') {
      response.uid = true;
    } else {
      r.sp();
      switch (name) {
        case 'MIN':
          response.min = r.number();
          break;
        case 'MAX':
          response.max = r.number();
          break;
        case 'COUNT':
          response.count = r.number();
          break;
        case 'ALL':
          response.all = r.sequenceSet();
          break;
        case 'MODSEQ':
          response.modseq = r.bigNumber();
          break;
        default:
          r.token();
      }
    }
    if (!r.atEnd()) r.sp();
  }
  return response;
}

/** RFC 2342 §5: three lists (or NIL) of (prefix delimiter [extensions]). */
function readNamespace(r: ResponseReader): UntaggedResponse {
  const personal = readNamespaceList(r);
  r.sp();
  const other = readNamespaceList(r);
  r.sp();
  const shared = readNamespaceList(r);
  r.expectEnd();
  return { kind: 'untagged', type: 'NAMESPACE', personal, other, shared };
}

function readNamespaceList(r: ResponseReader): NamespaceEntry[] | null {
  if (r.nil()) return null;
  const entries: NamespaceEntry[] = [];
  r.list(() => {
    r.openList();
    const prefix = r.string().toString('utf8');
    r.sp();
    const delimiter = r.nstringText();
    while (!r.closeList()) {
      r.sp();
      r.token(); // namespace-response-extensions
    }
    entries.push({ prefix, delimiter });
  });
  return entries;
}

/** RFC 2971 §3.2: `ID NIL` or a list of field/value pairs. */
function readId(r: ResponseReader): UntaggedResponse {
  let params: Record<string, string | null> | null = null;
  if (!r.nil()) {
    const fields: Record<string, string | null> = {};
    let key: string | undefined;
    r.list(() => {
      if (key === undefined) {
        key = r.string().toString('utf8');
      } else {
        fields[key] = r.nstringText();
        key = undefined;
      }
    });
    if (key !== undefined) r.fail('a value for ID field ' + JSON.stringify(key));
    params = fields;
  }
  r.expectEnd();
  return { kind: 'untagged', type: 'ID', params };
}

/** Where a partial FETCH parse stopped: a body item whose literal has not arrived yet. */
export interface PendingBody {
  section: string;
  origin?: number;
}

/**
 * The FETCH attribute list (RFC 3501 §7.4.2, RFC 7162 MODSEQ, RFC 3516 BINARY) into `attributes`.
 * With a reader that has a pending literal, stops at a body section whose data is that literal
 * and returns it, so the caller can choose where the literal's bytes go.
 */
export function readFetchAttributes(r: ResponseReader, attributes: FetchAttributes): PendingBody | undefined {
  r.openList();
  return r.closeList() ? undefined : readFetchItems(r, attributes);
}

/**
 * Continues a partial parse that stopped at `pending`, once that literal has arrived: the reader
 * is at its header. Lets the parser resume instead of re-reading the response for each literal.
 */
export function resumeFetchAttributes(
  r: ResponseReader,
  attributes: FetchAttributes,
  pending: PendingBody,
): PendingBody | undefined {
  addBody(attributes, readBodyValue(r, pending.section), pending.origin);
  return closesItem(r) ? undefined : readFetchItems(r, attributes);
}

function readFetchItems(r: ResponseReader, attributes: FetchAttributes): PendingBody | undefined {
  for (;;) {
    const nameAt = r.pos;
    const name = readItemName(r);
    if (r.peek() === LBRACKET) {
      const pending = readBodyItem(r, name, nameAt, attributes);
      if (pending) return pending;
    } else {
      r.sp();
      readSimpleItem(r, name, attributes);
    }
    if (closesItem(r)) return undefined;
  }
}

/** After an item: true at the closing ")", else consumes the separating space. */
function closesItem(r: ResponseReader): boolean {
  if (r.closeList()) return true;
  r.sp();
  return r.closeList();
}

/** A FETCH item name: letters, digits, `.` and `-` (e.g. RFC822.SIZE, X-GM-LABELS). */
function readItemName(r: ResponseReader): string {
  const start = r.pos;
  const buf = r.buf;
  let p = start;
  while (p < r.end) {
    const b = buf[p]!;
    if (
      (b >= 0x41 && b <= 0x5a) ||
      (b >= 0x61 && b <= 0x7a) ||
      (b >= 0x30 && b <= 0x39) ||
      b === 0x2e ||
      b === 0x2d
    ) {
      p++;
    } else {
      break;
    }
  }
  if (p === start) r.fail('a FETCH item name');
  r.pos = p;
  return upperWordAt(buf, start, p);
}

function readSimpleItem(r: ResponseReader, name: string, attributes: FetchAttributes): void {
  switch (name) {
    case 'UID':
      attributes.uid = r.number();
      return;
    case 'FLAGS':
      attributes.flags = readFlagList(r);
      return;
    case 'MODSEQ':
      // RFC 7162 §3.1.4.1: `MODSEQ (n)`
      r.openList();
      attributes.modseq = r.bigNumber();
      if (!r.closeList()) r.fail('")" after the MODSEQ value');
      return;
    case 'INTERNALDATE':
      attributes.internalDate = r.string().toString('latin1');
      return;
    case 'RFC822.SIZE':
      attributes.rfc822Size = r.number();
      return;
    case 'ENVELOPE':
      attributes.envelope = readEnvelope(r);
      return;
  }
  if (attributes.other === undefined) attributes.other = {};
  attributes.other[name] = r.token();
}

/** `BODY[section]<origin> nstring` or `BINARY[section]<origin> (nstring / literal8)`. */
function readBodyItem(
  r: ResponseReader,
  name: string,
  nameAt: number,
  attributes: FetchAttributes,
): PendingBody | undefined {
  const section = r.bracketed();
  let origin: number | undefined;
  if (r.eat(0x3c /* < */)) {
    origin = r.number();
    r.expect(0x3e, '">" closing the origin');
  }
  r.sp();
  if (name !== 'BODY' && name !== 'BINARY') {
    // e.g. BINARY.SIZE[1] 1234: keep the whole item name as the key.
    if (attributes.other === undefined) attributes.other = {};
    attributes.other[r.buf.toString('latin1', nameAt, r.pos - 1).toUpperCase()] = r.token();
    return undefined;
  }
  if (r.pos === r.pendingLiteralAt) return { section, origin };
  addBody(attributes, readBodyValue(r, section), origin);
  return undefined;
}

function addBody(attributes: FetchAttributes, body: FetchBody, origin: number | undefined): void {
  if (origin !== undefined) body.origin = origin;
  if (attributes.bodies === undefined) attributes.bodies = [];
  attributes.bodies.push(body);
}

function readBodyValue(r: ResponseReader, section: string): FetchBody {
  if (r.nil()) return { section, data: null, size: 0, streamed: false };
  const value = r.stringOrStreamed();
  if (Buffer.isBuffer(value)) return { section, data: value, size: value.length, streamed: false };
  return { section, data: null, size: value.size, streamed: true };
}

/** RFC 3501 §9 envelope: ten fields, addresses as lists of 4-tuples. */
function readEnvelope(r: ResponseReader): Envelope {
  r.openList();
  const date = r.nstringText();
  r.sp();
  const subject = r.nstring();
  r.sp();
  const from = readAddresses(r);
  r.sp();
  const sender = readAddresses(r);
  r.sp();
  const replyTo = readAddresses(r);
  r.sp();
  const to = readAddresses(r);
  r.sp();
  const cc = readAddresses(r);
  r.sp();
  const bcc = readAddresses(r);
  r.sp();
  const inReplyTo = r.nstringText();
  r.sp();
  const messageId = r.nstringText();
  if (!r.closeList()) r.fail('")" closing the envelope');
  return { date, subject, from, sender, replyTo, to, cc, bcc, inReplyTo, messageId };
}

function readAddresses(r: ResponseReader): Address[] | null {
  if (r.nil()) return null;
  const addresses: Address[] = [];
  r.list(() => {
    r.openList();
    const name = r.nstringText();
    r.sp();
    const adl = r.nstringText();
    r.sp();
    const mailbox = r.nstringText();
    r.sp();
    const host = r.nstringText();
    if (!r.closeList()) r.fail('")" closing an address');
    addresses.push({ name, adl, mailbox, host });
  });
  return addresses;
}
