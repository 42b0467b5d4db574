// Copies messages from one server to the other: metadata first (one pipelined UID FETCH), then
// each body streamed from a `UID FETCH (BODY.PEEK[])` straight into a MULTIAPPEND literal, with
// a bounded read-ahead so memory does not grow with the mailbox. Every APPEND is journaled
// before it is sent and committed (mapping + journal cleared) in one transaction after APPENDUID.
import { createHash, type Hash } from 'node:crypto';
import type { ImapConnection, MessageBody } from '../../imap/connection.js';
import type { FetchAttributes, SequenceRanges } from '../../protocol/types.js';
import type { AppendMessage } from '../../session/commands.js';
import type { StateStore } from '../../store/index.js';
import { normalizeFlags } from '../flags.js';
import { otherSide, type Side } from '../side.js';
import type { SyncLogger } from './context.js';
import { faultPoint } from './fault.js';
import { fetchUids } from './imap-writes.js';
import { uidArray } from './tracker.js';
import type { MailboxWork } from './work.js';

export interface MessageInfo {
  uid: number;
  size: number;
  /** Canonical, without \Recent. */
  flags: string[];
  internalDate: string;
  messageId: string | null;
  modseq: bigint;
}

const META_ITEMS = [
  'UID',
  'MODSEQ',
  'FLAGS',
  'INTERNALDATE',
  'RFC822.SIZE',
  'BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]',
];
/** One MULTIAPPEND holds at most this many messages or bytes (RFC 3502 is all-or-nothing). */
const BATCH_MESSAGES = 200;
const BATCH_BYTES = 16 << 20;
/** Bodies requested ahead of the one being appended, in bytes. */
const READ_AHEAD_BYTES = 8 << 20;

function messageIdOf(attributes: FetchAttributes): string | null {
  const header = attributes.bodies?.find((b) => b.section.toUpperCase().startsWith('HEADER.FIELDS'));
  if (!header?.data) return null;
  const unfolded = header.data.toString('latin1').replace(/\r?\n[ \t]+/g, ' ');
  const match = /^message-id:[ \t]*(.*?)[ \t]*$/im.exec(unfolded);
  return match?.[1] ? match[1] : null;
}

/** Size, date, flags and Message-ID of the messages in `pieces` (UID sets), ascending by UID. */
export async function listMessages(conn: ImapConnection, work: MailboxWork, side: Side, pieces: string[]) {
  const found = new Map<number, MessageInfo>();
  await fetchUids(conn, work.trackers[side], pieces, META_ITEMS, (uid, a) => {
    if (a.rfc822Size === undefined || a.internalDate === undefined) return false;
    found.set(uid, {
      uid,
      size: a.rfc822Size,
      flags: normalizeFlags(a.flags ?? []),
      internalDate: a.internalDate,
      messageId: messageIdOf(a),
      modseq: a.modseq ?? 0n,
    });
    return true;
  });
  return [...found.values()].sort((a, b) => a.uid - b.uid);
}

/** Requests bodies in order, at most READ_AHEAD_BYTES beyond the one being consumed. */
class ReadAhead {
  readonly #bodies = new Map<number, Promise<MessageBody>>();
  #next = 0;
  #ahead = 0;

  constructor(
    private readonly conn: ImapConnection,
    private readonly messages: readonly MessageInfo[],
  ) {}

  body(i: number): Promise<MessageBody> {
    this.#fill(i);
    const body = this.#bodies.get(i)!;
    this.#bodies.delete(i);
    return body;
  }

  consumed(i: number): void {
    this.#ahead -= this.messages[i]!.size;
    this.#fill(i + 1);
  }

  #fill(upTo: number): void {
    while (this.#next < this.messages.length && (this.#next <= upTo || this.#ahead < READ_AHEAD_BYTES)) {
      const message = this.messages[this.#next]!;
      const body = this.conn.fetchBody(message.uid);
      body.catch(() => {}); // awaited by the APPEND; an unused one must not become unhandled
      this.#bodies.set(this.#next++, body);
      this.#ahead += message.size;
    }
  }
}

async function* streamed(
  source: ReadAhead,
  i: number,
  message: MessageInfo,
  hash: Hash,
  side: Side,
  streamedAll: () => void,
): AsyncGenerator<Buffer> {
  const body = await source.body(i);
  if (body.size !== message.size) {
    throw new Error(
      `${side} UID ${message.uid}: BODY[] is ${body.size} bytes but RFC822.SIZE said ${message.size}`,
    );
  }
  for await (const chunk of body.chunks) {
    hash.update(chunk);
    yield chunk;
  }
  source.consumed(i);
  streamedAll();
}

function batches(messages: MessageInfo[]): MessageInfo[][] {
  const result: MessageInfo[][] = [];
  let current: MessageInfo[] = [];
  let bytes = 0;
  for (const m of messages) {
    if (current.length > 0 && (current.length >= BATCH_MESSAGES || bytes + m.size > BATCH_BYTES)) {
      result.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += m.size;
  }
  if (current.length > 0) result.push(current);
  return result;
}

/**
 * APPENDs `messages` of `source` to the other side, all batches pipelined; resolves with how many
 * were copied. Zero-length messages cannot be APPENDed (RFC 3501 literal of 0 octets is refused
 * by servers) and are skipped with a warning.
 */
export async function copyMessages(
  store: StateStore,
  logger: SyncLogger,
  work: MailboxWork,
  source: Side,
  all: MessageInfo[],
): Promise<number> {
  const target = otherSide(source);
  const messages = all.filter((m) => m.size > 0);
  const empty = all.filter((m) => m.size === 0).map((m) => m.uid);
  if (empty.length > 0) {
    logger.warn(source, work.names[source], `skipping zero-length message(s) UID ${empty.join(',')}`);
  }
  if (messages.length === 0) return 0;
  const conn = work.conns[target];
  const tracker = work.trackers[target];
  work.appendedSince[target] ??= tracker.highestModseq;
  const targetUidNext = work.uidNext[target];
  const reader = new ReadAhead(work.conns[source], messages);
  let offset = 0;
  const done = batches(messages).map((batch) => {
    const first = offset;
    offset += batch.length;
    store.recordAppendIntents(
      work.idx,
      target,
      batch.map((m) => intentOf(m, targetUidNext, null)),
    );
    faultPoint();
    const hashes = batch.map(() => createHash('sha256'));
    let left = batch.length;
    // Once the last byte is sent, before the server answers: the hashes let a resumed run tell
    // this batch's copies apart even without a Message-ID.
    const recordHashes = () => {
      if (--left > 0) return;
      const intents = batch.map((m, k) => intentOf(m, targetUidNext, hashes[k]!.digest()));
      store.recordAppendIntents(work.idx, target, intents);
    };
    const appends: AppendMessage[] = batch.map((m, k) => ({
      flags: m.flags,
      internalDate: m.internalDate,
      size: m.size,
      body: streamed(reader, first + k, m, hashes[k]!, source, recordHashes),
    }));
    return conn.commands
      .append(work.names[target], appends)
      .then((appendUid) => commit(store, work, target, batch, appendUid));
  });
  await Promise.all(done);
  return messages.length;
}

function intentOf(m: MessageInfo, targetUidNext: number, sha256: Buffer | null) {
  return {
    sourceUid: m.uid,
    targetUidNext,
    size: m.size,
    internalDate: m.internalDate,
    messageId: m.messageId,
    sha256,
  };
}

function commit(
  store: StateStore,
  work: MailboxWork,
  target: Side,
  batch: MessageInfo[],
  appendUid: { uidValidity: number; uids: SequenceRanges } | undefined,
): void {
  faultPoint();
  const where = `${target} server, ${work.names[target]}`;
  if (appendUid === undefined)
    throw { kind: 'server', message: `${where}: APPEND gave no APPENDUID (UIDPLUS, RFC 4315)` };
  if (appendUid.uidValidity !== work.selected[target].uidValidity) {
    throw { kind: 'uidvalidity-changed', message: `${where}: UIDVALIDITY changed during APPEND` };
  }
  const uids = uidArray(appendUid.uids);
  if (uids.length !== batch.length) {
    throw {
      kind: 'protocol',
      message: `${where}: APPENDUID names ${uids.length} UIDs for ${batch.length} messages`,
    };
  }
  store.completeAppends(
    work.idx,
    target,
    batch.map((m, k) => [m.uid, uids[k]!] as const),
  );
  faultPoint();
  batch.forEach((m, k) => {
    work.trackers[target].expectFlags(uids[k]!, m.flags);
    work.uidNext[target] = Math.max(work.uidNext[target], uids[k]! + 1);
  });
}
