// Copies messages from one server to the other: metadata first (one pipelined UID FETCH), then
// each batch's bodies streamed from one `UID FETCH set (BODY.PEEK[])` straight into a MULTIAPPEND,
// with a bounded read-ahead so memory does not grow with the mailbox. Every APPEND is journaled,
// with its copies' identities, before its last byte leaves, and committed (mapping + journal
// cleared) in one transaction after APPENDUID.
import { ChunkSource } from '../../imap/chunk-source.js';
import { type ImapConnection, ImapConnectionError, type MessageBody } from '../../imap/connection.js';
import { formatSequenceSet } from '../../protocol/sequence-set.js';
import type { FetchAttributes, SequenceRanges } from '../../protocol/types.js';
import type { AppendMessage } from '../../session/commands.js';
import { ConnectionClosed } from '../../session/errors.js';
import type { StateStore } from '../../store/index.js';
import { CopyIdentities, type IdentityReader, messageIdIn, type StreamedIdentity } from '../copy-identity.js';
import { normalizeFlags } from '../flags.js';
import { otherSide, type Side } from '../side.js';
import type { SyncLogger } from './context.js';
import { faultPoint } from './fault.js';
import { fetchUids } from './imap-writes.js';
import { type SideTracker, uidArray } from './tracker.js';
import { fetchBodies, type MailboxWork, rereadModseq } from './work.js';

export interface MessageInfo {
  uid: number;
  size: number;
  /** Canonical, without \Recent. */
  flags: string[];
  internalDate: string;
  /** Undefined when not asked for (a copy reads it from the body as it streams). */
  messageId?: string | null;
  modseq: bigint;
}

const META_ITEMS = ['UID', 'MODSEQ', 'FLAGS', 'INTERNALDATE', 'RFC822.SIZE'];
const MESSAGE_ID_ITEM = 'BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]';
/** One MULTIAPPEND holds at most this many messages or bytes (RFC 3502 is all-or-nothing). */
const BATCH_MESSAGES = 200;
const BATCH_BYTES = 4 << 20;
/** Batches whose bodies are read before the earliest of them is sent: bounds memory (×BATCH_BYTES). */
const READ_AHEAD_BATCHES = 2;
/** Bodies this large can fill their stream queue and pause their connection (src/imap/body-stream.ts). */
const LARGE_BODY = 4 << 20;

function messageIdOf(attributes: FetchAttributes): string | null {
  const header = attributes.bodies?.find((b) => b.section.toUpperCase().startsWith('HEADER.FIELDS'));
  return header?.data ? messageIdIn(header.data) : null;
}

/**
 * Size, date and flags of the messages in `pieces` (UID sets), ascending by UID; with their
 * Message-ID when `withMessageId` (the server then reads every header).
 */
export async function listMessages(
  conn: ImapConnection,
  tracker: SideTracker,
  pieces: string[],
  { withMessageId, afterSelect = false }: { withMessageId: boolean; afterSelect?: boolean },
) {
  const found = new Map<number, MessageInfo>();
  const items = withMessageId ? [...META_ITEMS, MESSAGE_ID_ITEM] : META_ITEMS;
  const claim = (uid: number, a: FetchAttributes) => {
    if (a.rfc822Size === undefined || a.internalDate === undefined) return false;
    found.set(uid, {
      uid,
      size: a.rfc822Size,
      flags: normalizeFlags(a.flags ?? []),
      internalDate: a.internalDate,
      ...(withMessageId && { messageId: messageIdOf(a) }),
      modseq: a.modseq ?? 0n,
    });
    return true;
  };
  await fetchUids(conn, tracker, pieces, items, claim, { afterSelect });
  return [...found.values()].sort((a, b) => a.uid - b.uid);
}

/**
 * One body on its way into the APPEND, read for its identity. `beforeLastByte` runs before the
 * last chunk is handed on: the server cannot commit the APPEND before it has that chunk.
 */
class StreamedBody extends ChunkSource {
  #left: number;

  constructor(
    private readonly body: MessageBody,
    private readonly identity: IdentityReader,
    private readonly beforeLastByte: (() => void) | undefined,
  ) {
    super();
    this.#left = body.size;
  }

  read(): Buffer | null | undefined {
    const chunk = this.body.chunks.read();
    if (chunk) {
      this.identity.update(chunk);
      this.#left -= chunk.length;
      if (this.#left === 0) this.beforeLastByte?.();
    }
    return chunk;
  }

  readable(): Promise<void> {
    return this.body.chunks.readable();
  }

  cancel(): void {
    this.body.chunks.cancel();
  }
}

/** Batches for MULTIAPPEND; a message that may pause its connection gets one of its own. */
function batches(messages: MessageInfo[], perAppend: number): MessageInfo[][] {
  const result: MessageInfo[][] = [];
  let current: MessageInfo[] = [];
  let bytes = 0;
  for (const m of messages) {
    const full = current.length >= perAppend || bytes + m.size > BATCH_BYTES;
    if (current.length > 0 && (full || m.size > LARGE_BODY || current[0]!.size > LARGE_BODY)) {
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

/** The source's messages a copy appends (a zero-length one cannot be), and how many per APPEND. */
function appendable(work: MailboxWork, source: Side, all: MessageInfo[]) {
  // RFC 3502: several messages per APPEND only when MULTIAPPEND is advertised.
  const perAppend = work.conns[otherSide(source)].capabilities.includes('MULTIAPPEND') ? BATCH_MESSAGES : 1;
  return { messages: all.filter((m) => m.size > 0), perAppend };
}

/**
 * Whether the copy of `all` (messages of `source`) is one APPEND of bodies too small to pause
 * their connection: what a copy may start before the flag updates are answered (new-mail.ts).
 */
export function isOneSmallBatch(work: MailboxWork, source: Side, all: MessageInfo[]): boolean {
  const { messages, perAppend } = appendable(work, source, all);
  const [first, ...more] = batches(messages, perAppend);
  return first !== undefined && more.length === 0 && first[0]!.size <= LARGE_BODY;
}

interface BatchAppend {
  /** Every body of the batch went to the target (or the APPEND failed). */
  streamed: Promise<void>;
  /** APPENDUID recorded with the mapping. */
  committed: Promise<void>;
}

/** A body that cannot be read: the connection's own error, or a 'server' one for the message. */
function unreadable(reason: unknown, side: Side, message: MessageInfo): unknown {
  if (reason instanceof ConnectionClosed || reason instanceof ImapConnectionError) return reason;
  const detail = reason instanceof Error ? reason.message : String(reason);
  return {
    kind: 'server',
    message: `${side} UID ${message.uid} cannot be read (expunged meanwhile?): ${detail}; the next run copies what is left`,
  };
}

/**
 * One journaled MULTIAPPEND, queued once every body it streams is arriving: the other
 * direction's APPEND may hold the source connection's writer until our target has answered it,
 * so a body requested later could wait on us forever; and a message expunged meanwhile, or a body
 * whose size is not the RFC822.SIZE listed, fails the step here, with the target connection
 * intact, instead of breaking a literal halfway.
 */
async function appendBatch(
  store: StateStore,
  logger: SyncLogger,
  work: MailboxWork,
  source: Side,
  batch: MessageInfo[],
  targetUidNext: number,
  identities: CopyIdentities,
): Promise<BatchAppend> {
  const target = otherSide(source);
  const uids = batch.map((m) => m.uid);
  const settled = await Promise.allSettled(fetchBodies(work, source, uids));
  const bodies: MessageBody[] = [];
  let failure: unknown;
  settled.forEach((result, k) => {
    const m = batch[k]!;
    if (result.status === 'rejected') failure ??= unreadable(result.reason, source, m);
    else {
      bodies.push(result.value);
      if (result.value.size !== m.size)
        failure ??= {
          kind: 'server',
          message: `${source} UID ${m.uid}: BODY[] is ${result.value.size} bytes but RFC822.SIZE said ${m.size}`,
        };
    }
  });
  if (failure !== undefined) {
    // Those that did come are dropped: a body left unread would keep its connection paused.
    for (const body of bodies) body.chunks.cancel();
    throw failure;
  }
  const readers = batch.map((m) => identities.start(m.size, m.internalDate));
  let allStreamed!: () => void;
  const streamedAll = new Promise<void>((resolve) => {
    allStreamed = resolve;
  });
  // The journal entry, written before the last byte of the batch leaves: the server cannot
  // commit the APPEND without it, so no copy can exist that the journal does not describe by its
  // Message-ID or hash for a resumed run to find (adopt.ts); before that point nothing can.
  const recordIdentities = () => {
    const intents = batch.map((m, k) => intentOf(m, targetUidNext, readers[k]!.finish()));
    store.recordAppendIntents(work.idx, target, intents);
    faultPoint();
    allStreamed();
  };
  const appends: AppendMessage[] = batch.map((m, k) => ({
    flags: m.flags,
    internalDate: m.internalDate,
    size: m.size,
    body: new StreamedBody(bodies[k]!, readers[k]!, k === batch.length - 1 ? recordIdentities : undefined),
  }));
  const tracker = work.trackers[target];
  tracker.expectAppends(batch.length);
  work.unseenSince[target] ??= tracker.highestModseq;
  const appended = work.conns[target].commands.append(work.names[target], appends);
  appended.catch(() => allStreamed());
  const committed = appended.then((appendUid) => commit(store, logger, work, target, batch, appendUid));
  committed.catch(() => {}); // surfaced by copyMessages
  return { streamed: streamedAll, committed };
}

/**
 * APPENDs `messages` of `source` to the other side, batches pipelined with at most
 * READ_AHEAD_BATCHES batches of bodies read and not yet sent (memory stays bounded whatever the
 * mailbox size); resolves with how many were copied. Zero-length messages cannot be APPENDed
 * (servers refuse an empty message) and are skipped with a warning.
 */
export async function copyMessages(
  store: StateStore,
  logger: SyncLogger,
  work: MailboxWork,
  source: Side,
  all: MessageInfo[],
): Promise<number> {
  const target = otherSide(source);
  const { messages, perAppend } = appendable(work, source, all);
  const empty = all.filter((m) => m.size === 0).map((m) => m.uid);
  if (empty.length > 0) {
    logger.warn(source, work.names[source], `skipping zero-length message(s) UID ${empty.join(',')}`);
  }
  if (messages.length === 0) return 0;
  work.copies.planned(work.mailbox, source, messages.length, totalSize(messages));
  const targetUidNext = work.uidNext[target];
  const identities = new CopyIdentities();
  const committed: Promise<void>[] = [];
  const sent: Promise<void>[] = [];
  let sourceReread: Promise<void> | undefined;
  let failed = false;
  try {
    const all = batches(messages, perAppend);
    for (const [j, batch] of all.entries()) {
      if (j >= READ_AHEAD_BATCHES) await sent[j - READ_AHEAD_BATCHES];
      if (failed) break;
      // A body above the read pause threshold may stop its source connection's reading; two such
      // bodies crossing in opposite directions could stop both servers: one at a time per lane.
      const release = batch[0]!.size > LARGE_BODY ? await work.largeBody.acquire() : () => {};
      const appending = appendBatch(store, logger, work, source, batch, targetUidNext, identities);
      // The last body FETCH is on the wire: the source's re-read goes right behind it, not a
      // round trip later behind the APPENDs (which only the target's re-read must follow).
      if (j === all.length - 1) {
        sourceReread = rereadModseq(work, source);
        sourceReread.catch(() => {}); // awaited below
      }
      const append = await appending.catch((e) => {
        release();
        throw e;
      });
      append.committed.catch(() => {
        failed = true;
      });
      sent.push(append.streamed.then(release));
      committed.push(append.committed);
    }
  } catch (error) {
    await Promise.allSettled(committed); // what was appended is committed before the step fails
    throw error;
  }
  // Queued right behind the last APPEND: no round trip of its own.
  const rereads = Promise.all([rereadModseq(work, target), sourceReread ?? rereadModseq(work, source)]);
  rereads.catch(() => {}); // awaited below, once every APPEND is committed
  await Promise.all(committed);
  await rereads;
  return messages.length;
}

function totalSize(messages: readonly MessageInfo[]): number {
  return messages.reduce((sum, m) => sum + m.size, 0);
}

function intentOf(m: MessageInfo, targetUidNext: number, identity: StreamedIdentity) {
  return {
    sourceUid: m.uid,
    targetUidNext,
    size: m.size,
    internalDate: m.internalDate,
    ...identity,
  };
}

function commit(
  store: StateStore,
  logger: SyncLogger,
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
  work.copies.copied(work.mailbox, otherSide(target), batch.length, totalSize(batch));
  logger.info(target, work.names[target], `Added ${uids.length} UID(s) ${formatSequenceSet(uids)}`);
  batch.forEach((m, k) => {
    work.trackers[target].expectFlags(uids[k]!, m.flags);
    work.uidNext[target] = Math.max(work.uidNext[target], uids[k]! + 1);
  });
}
