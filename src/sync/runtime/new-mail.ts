// appendNew and checkpointUidnext: one pass of copying new messages both ways at once (manual,
// DESCRIPTION §3), and the UIDNEXT checkpoint once a pass found nothing more to copy.
import type { AppendOutcome, CountsDelta } from '../../../machines/contracts.js';
import type { ImapConnection } from '../../imap/connection.js';
import { MAX_UID } from '../../protocol/sequence-set.js';
import type { StateStore } from '../../store/index.js';
import { planNewMessages } from '../new-messages.js';
import { SIDES, type Side } from '../side.js';
import type { SyncLogger } from './context.js';
import { copyMessages, isOneSmallBatch, listMessages, type MessageInfo } from './copy.js';
import { faultPoint } from './fault.js';
import type { SideTracker } from './tracker.js';
import { checkpointModseqOf, type MailboxWork, rereadModseq } from './work.js';

/**
 * Lists the messages of `source` from `from` up, minus our copies; undefined when UIDNEXT says
 * there is none (the listing itself reaches past it: it sees whatever has arrived since).
 */
function listNew(
  store: StateStore,
  idx: number,
  conn: ImapConnection,
  tracker: SideTracker,
  source: Side,
  from: number,
  serverUidNext: number,
  afterSelect = false,
): Promise<MessageInfo[]> | undefined {
  const skip = store.mappedUidsFrom(idx, source, from);
  const plan = planNewMessages({ dbUidNext: from, serverUidNext, skip });
  if (!plan.needed) return undefined;
  return listMessages(conn, tracker, plan.pieces, { withMessageId: false, afterSelect });
}

/**
 * Starts the first pass's listing of `source` on the wire right behind its SELECT (just sent),
 * when LIST-STATUS's UIDNEXT (`listedUidNext`, undefined when unknown) shows new mail: it then
 * costs no round trip of its own. New messages are not mapped, so the expunge and flag steps
 * cannot change it.
 */
export function listNewMessagesEarly(
  store: StateStore,
  idx: number,
  conn: ImapConnection,
  tracker: SideTracker,
  source: Side,
  from: number,
  listedUidNext: number | undefined,
): Promise<MessageInfo[]> | undefined {
  const listing = listNew(store, idx, conn, tracker, source, from, listedUidNext ?? MAX_UID + 1, true);
  listing?.catch(() => {}); // awaited by the first appendNew pass, or dropped with the SELECT
  return listing;
}

/**
 * With no EXISTS our APPENDs do not explain, every message of `side` below the UIDNEXT we know
 * (SELECT, listing, APPENDUID) was listed or is one of our copies.
 */
function coverOwnCopies(work: MailboxWork, side: Side): void {
  work.copiedBelow[side] = Math.max(work.copiedBelow[side], work.uidNext[side]);
}

/** Fetches and copies the new messages of `source`; resolves with how many it found. */
async function copyNewFrom(store: StateStore, logger: SyncLogger, work: MailboxWork, source: Side) {
  const tracker = work.trackers[source];
  // Only the first pass knows UIDNEXT; later ones look again only after an EXISTS our own
  // APPENDs do not explain. Without one, everything below UIDNEXT is copied or one of our copies.
  if (!work.firstPass[source] && !tracker.sawExists) {
    coverOwnCopies(work, source);
    return { found: 0, copied: 0 };
  }
  const first = work.firstPass[source];
  work.firstPass[source] = false;
  tracker.sawExists = false;
  // Every message below this existed before the fetch starts, so the fetch covers it.
  const before = work.uidNext[source];
  const early = work.firstListing[source];
  work.firstListing[source] = undefined;
  const from = work.copiedBelow[source];
  const list = (serverUidNext: number) =>
    listNew(store, work.idx, work.conns[source], tracker, source, from, serverUidNext);
  const messages = (await (first ? (early ?? list(before)) : list(MAX_UID + 1))) ?? [];
  const found = messages.length;
  let copied = 0;
  if (found > 0) {
    copied = await copyMessages(store, logger, work, source, messages);
    const last = messages.at(-1)?.uid ?? 0; // listMessages sorts by UID
    work.uidNext[source] = Math.max(work.uidNext[source], last + 1);
    work.copiedBelow[source] = Math.max(work.copiedBelow[source], last + 1);
  }
  work.copiedBelow[source] = Math.max(work.copiedBelow[source], before);
  return { found, copied };
}

/**
 * Starts the first pass's copy of `source` now, alongside the expunge and flag step's commands,
 * when the listing sent with the SELECT makes it one APPEND of small bodies: the copy step would
 * start it a round trip later, once the flag updates are answered. New messages are above every
 * mapped UID, so the expunges and flag updates cannot touch them; the flag step waits for the
 * copy (takeEarlyCopies), so every checkpoint comes after it, as after the copy step.
 */
export function copyFirstBatchEarly(
  store: StateStore,
  logger: SyncLogger,
  work: MailboxWork,
  source: Side,
): void {
  const listing = work.firstListing[source];
  if (listing === undefined || work.earlyCopies[source] !== undefined) return;
  const copy = listing.then(async (all) => {
    if (!isOneSmallBatch(work, source, all)) return undefined; // the copy step's, batch by batch
    return (await copyNewFrom(store, logger, work, source)).copied;
  });
  copy.catch(() => {}); // awaited by the flag step, or by the lane's next SELECT (work.ts)
  work.earlyCopies[source] = copy;
}

/** Waits for both early copies (copyFirstBatchEarly) to settle and takes their counts. */
export async function takeEarlyCopies(work: MailboxWork): Promise<CountsDelta> {
  const { local, remote } = work.earlyCopies;
  if (local === undefined && remote === undefined) return {};
  const [fromLocal, fromRemote] = await Promise.allSettled([local, remote]);
  work.earlyCopies = { local: undefined, remote: undefined };
  if (fromLocal.status === 'rejected') throw fromLocal.reason;
  if (fromRemote.status === 'rejected') throw fromRemote.reason;
  return { toRemote: { copied: fromLocal.value ?? 0 }, toLocal: { copied: fromRemote.value ?? 0 } };
}

export async function appendNew(
  store: StateStore,
  logger: SyncLogger,
  work: MailboxWork,
): Promise<AppendOutcome> {
  // A copy re-reads MODSEQ behind its last commands (copy.ts); other body FETCHes (hashing while
  // adopting a resumed run's copies, resync.ts) leave theirs to here.
  const results = await Promise.all(
    SIDES.map(async (source) => {
      const [result] = await Promise.all([
        copyNewFrom(store, logger, work, source),
        rereadModseq(work, source),
      ]);
      return result;
    }),
  );
  const [local, remote] = results as [{ found: number; copied: number }, { found: number; copied: number }];
  // What a listing did not see announces itself with an EXISTS our APPENDs do not explain;
  // without one, the pass another round would make only covers our copies: done here.
  const more = work.trackers.local.sawExists || work.trackers.remote.sawExists;
  if (!more) for (const side of SIDES) coverOwnCopies(work, side);
  return {
    counts: { toRemote: { copied: local.copied }, toLocal: { copied: remote.copied } },
    newMessages: more,
    pendingUpdates: work.trackers.local.pending || work.trackers.remote.pending,
  };
}

/** Stores both UIDNEXTs, and both HIGHESTMODSEQs when nothing is left to propagate. */
export async function checkpointUidnext(
  store: StateStore,
  work: MailboxWork<ImapConnection>,
): Promise<undefined> {
  // Usually done already, behind the copies' last commands.
  await Promise.all(SIDES.map((side) => rereadModseq(work, side)));
  const { local, remote } = work.trackers;
  store.transaction(() => {
    store.checkpointUidNext(work.idx, work.copiedBelow.local, work.copiedBelow.remote);
    if (!local.pending && !remote.pending)
      store.checkpointModseq(work.idx, checkpointModseqOf(work, 'local'), checkpointModseqOf(work, 'remote'));
  });
  faultPoint();
  return undefined;
}
