// selectMailbox: SELECT on both servers at once, with QRESYNC (RFC 7162 §3.2.5) when the database
// knows the mailbox, and the working state the later steps share; selectEarly: the SELECT of a
// lane's next mailbox on its second connection to a slow server, made while the lane is busy.
import type {
  EarlySelection,
  MailboxSyncInput,
  SelectedSide,
  SelectOutcome,
} from '../../../machines/contracts.js';
import { toSyncError } from '../../../machines/sync-error.js';
import type { ImapConnection } from '../../imap/connection.js';
import type { QresyncParams, SelectResult } from '../../session/commands.js';
import type { StateStore } from '../../store/index.js';
import type { MailboxState, SideState } from '../../store/types.js';
import { type PerSide, SIDES, type Side } from '../side.js';
import { type Lane, laneOf, type SyncContext } from './context.js';
import type { MessageInfo } from './copy.js';
import { listNewMessagesEarly } from './new-mail.js';
import { SideTracker } from './tracker.js';
import { type EarlyHeld, type MailboxWork, Mutex, UNWATCHED, type WorkTable } from './work.js';

/** RFC 7162 §3.2.5.2 sample: the highest known UIDs, at most 1024 of them in about 256 bytes. */
const SAMPLE_UIDS = 1024;
const SAMPLE_CHARS = 256;

/**
 * Message sequence match data: assuming the mailbox still holds exactly the `count` mapped
 * messages, the n highest UIDs have the n highest sequence numbers. A server that no longer knows
 * which messages vanished since MODSEQ compares these and reports the expunges it can infer.
 * `pages`: the mapped UIDs, descending, a page at a time, read only as far as the sample goes.
 */
export function seqMatchSample(count: number, pages: Iterable<readonly number[]>): QresyncParams['seqMatch'] {
  if (count === 0) return undefined;
  // The sample's ranges, highest first: the UIDs come down one by one.
  const ranges: Array<[number, number]> = [];
  let picked = 0;
  let chars = 0;
  sampling: for (const page of pages) {
    for (const uid of page) {
      if (picked === SAMPLE_UIDS) break sampling;
      const last = ranges[ranges.length - 1];
      // A UID right below the last one picked extends its range; another starts a new `a:b` item.
      if (last !== undefined && last[0] === uid + 1) last[0] = uid;
      else {
        if (chars >= SAMPLE_CHARS) break sampling;
        chars += 2 * String(uid).length + 2;
        ranges.push([uid, uid]);
      }
      picked++;
    }
  }
  return { seqs: [[count - picked + 1, count]], uids: ranges.reverse() };
}

/**
 * The SELECT's QRESYNC parameters from the database's state and mapping (index reads only);
 * `mapped`: how many messages the mapping holds.
 */
function qresyncParams(
  store: StateStore,
  idx: number,
  mapped: number,
  side: Side,
  state: SideState,
): QresyncParams | undefined {
  // Without a completed first sync there is nothing to resynchronize from (the Perl tool does the same).
  if (state.highestModseq === 0n || state.uidNext <= 1) return undefined;
  return {
    uidValidity: state.uidValidity,
    modseq: state.highestModseq,
    knownUids: [[1, state.uidNext - 1]],
    seqMatch: seqMatchSample(mapped, store.highestMapped(idx, side)),
  };
}

function selectedSide(result: SelectResult, side: Side, mailbox: string): SelectedSide {
  if (result.highestModseq === undefined) {
    throw {
      kind: 'server',
      message: `${side} server: ${mailbox} has no persistent MODSEQ (NOMODSEQ)`,
      mailbox,
    };
  }
  if (result.uidNext === undefined) {
    throw { kind: 'server', message: `${side} server: SELECT ${mailbox} gave no UIDNEXT`, mailbox };
  }
  return {
    uidValidity: result.uidValidity,
    uidNext: result.uidNext,
    highestModseq: result.highestModseq,
    exists: result.exists,
  };
}

/** What selecting a mailbox needs from the database and the cycle's table: read before any SELECT. */
interface Preparation {
  mailbox: string;
  idx: number;
  names: PerSide<string>;
  listedUidNext: PerSide<number> | undefined;
  state: MailboxState | undefined;
  /** QRESYNC from the database's state (a known mailbox, not --repair). */
  resyncing: boolean;
  mapped: number;
  dbNext: PerSide<number>;
  interruptedBefore: boolean;
  repair: boolean;
}

function prepare<C>(ctx: SyncContext<C>, store: StateStore, mailbox: string, repair: boolean): Preparation {
  const target = ctx.mailboxes.get(mailbox);
  if (target === undefined)
    throw { kind: 'internal', message: `mailbox ${mailbox} is not in this cycle`, mailbox };
  const idx = target.idx ?? store.findMailbox(Buffer.from(target.dbName))?.idx;
  if (idx === undefined)
    throw { kind: 'database', message: `mailbox ${mailbox} is not in the database`, mailbox };
  const state = store.getState(idx);
  const resyncing = state !== undefined && !repair;
  const dbNext = { local: state?.local.uidNext ?? 0, remote: state?.remote.uidNext ?? 0 };
  // A run interrupted mid-copy resumes with a full synchronization of what it was copying: its
  // journal has intents left, or its mapping has rows at or above a stored UIDNEXT.
  const interruptedBefore =
    resyncing &&
    (store.pendingAppendIntents(idx).length > 0 ||
      SIDES.some((side) => store.mappedUidsFrom(idx, side, dbNext[side]).length > 0));
  return {
    mailbox,
    idx,
    names: { local: target.local, remote: target.remote },
    listedUidNext: target.listedUidNext,
    state,
    resyncing,
    mapped: resyncing ? store.mappingCount(idx) : 0,
    dbNext,
    interruptedBefore,
    repair,
  };
}

/** One side's SELECT, done: its tracker listens to the connection from the SELECT's completion. */
interface SideSelection<C> {
  conn: C;
  selected: SelectedSide;
  tracker: SideTracker;
  /** The first pass's listing of new messages, sent right behind the SELECT (new-mail.ts). */
  firstListing: Promise<MessageInfo[]> | undefined;
  /** Stops the tracker listening. */
  detach: () => void;
}

/**
 * Queues one side's SELECT (after COMPRESS, when due) and the listing of new messages right
 * behind it; resolves once they are queued, with the SELECT's completion. The tracker starts
 * listening as the SELECT completes, so an update arriving while the other side is still selecting
 * (or, for an early selection, before the mailbox's actor starts) is not lost.
 */
async function queueSelection<C extends ImapConnection>(
  store: StateStore,
  prep: Preparation,
  side: Side,
  conn: C,
): Promise<{ selection: Promise<SideSelection<C>> }> {
  const { state, idx } = prep;
  const qresync = prep.resyncing ? qresyncParams(store, idx, prep.mapped, side, state![side]) : undefined;
  // Deferred to here from connecting, so that a run with nothing to do never pays for it; done
  // before the SELECT is queued, for the listing below to go out right behind the SELECT.
  const compressing = conn.compress();
  if (compressing !== undefined) await compressing;
  const tracker = new SideTracker(0n);
  const selecting = conn.select(prep.names[side], qresync ? { qresync } : { condstore: true });
  const firstListing =
    prep.interruptedBefore || prep.repair
      ? undefined
      : listNewMessagesEarly(store, idx, conn, tracker, side, prep.dbNext[side], prep.listedUidNext?.[side]);
  const selection = (async (): Promise<SideSelection<C>> => {
    const result = await selecting;
    const detach = conn.onUnsolicited((r) => tracker.absorb(r));
    try {
      tracker.absorb({ kind: 'untagged', type: 'VANISHED', earlier: true, uids: result.vanished });
      for (const { seq, attributes } of result.fetched)
        tracker.absorb({ kind: 'untagged', type: 'FETCH', seq, attributes });
      const selected = selectedSide(result, side, prep.mailbox);
      tracker.noteModseq(selected.highestModseq);
      tracker.selected(selected.exists);
      return { conn, selected, tracker, firstListing, detach };
    } catch (error) {
      detach();
      throw error;
    }
  })();
  return { selection };
}

/** A side selected ahead of its mailbox's actor, held by the WorkTable. */
interface EarlySide<C> extends EarlyHeld<C> {
  selection: SideSelection<C>;
}

/**
 * Selects `side` of `prep`'s mailbox on the connection `slot` of `lane` (the lane's own, should
 * its second one not open): once an early selection asked for on that connection has queued its
 * SELECT, and the mailbox that used it last has been released. Resolves with the SELECT's completion.
 */
async function selectOn<C extends ImapConnection>(
  table: WorkTable<C>,
  lane: number,
  pair: Lane<C>,
  prep: Preparation,
  side: Side,
  slot: number,
): Promise<SideSelection<C>> {
  const target = await table.connectionOf(pair, lane, side, slot, true);
  await table.earlyIssued(lane, side, target.slot);
  await table.releaseConnections([target.conn]);
  table.claim(target.conn);
  const { selection } = await queueSelection(table.store, prep, side, target.conn);
  return selection;
}

/**
 * SELECTs the lane's next mailbox on `side`'s connection `slot` ahead of its actor, while the lane
 * syncs another mailbox on its other connection; the actor's SELECT step takes it (selectMailbox)
 * instead of selecting that side itself. A failure here only means the step selects the usual
 * way. `issued` (WorkTable.announceEarly) is called once the SELECT is queued, or given up.
 */
export function selectEarly<C extends ImapConnection>(
  table: WorkTable<C>,
  request: EarlySelection,
  side: Side,
  issued: () => void,
): void {
  const { mailbox, lane, slot } = request;
  const early = (async (): Promise<EarlySide<C>> => {
    try {
      const prep = prepare(table.ctx, table.store, mailbox, false);
      const pair = await laneOf(table.ctx, lane);
      if (pair === undefined) throw new Error(`no lane ${lane}`);
      const { conn } = await table.connectionOf(pair, lane, side, slot, false);
      await table.releaseConnections([conn]);
      const token = table.claim(conn);
      const { selection: selecting } = await queueSelection(table.store, prep, side, conn);
      issued();
      const selection = await selecting;
      return { selection, token };
    } finally {
      issued();
    }
  })();
  table.holdEarly(request, side, early);
}

export async function selectMailbox<C extends ImapConnection>(
  table: WorkTable<C>,
  input: MailboxSyncInput,
): Promise<SelectOutcome> {
  const { store, ctx } = table;
  const { mailbox, lane, slot } = input;
  const pair = await laneOf(ctx, lane).catch((error: unknown) => {
    // An extra lane that cannot open leaves the mailbox untouched: it is run on another lane.
    throw lane > 0 ? { ...toSyncError(error, mailbox), kind: 'lane-unavailable' } : error;
  });
  if (pair === undefined) throw { kind: 'internal', message: `no connections for lane ${lane}`, mailbox };
  const prep = prepare(ctx, store, mailbox, input.repair);
  // The previous mailboxes' trackers stop listening before our SELECTs (selectOn); ours start as
  // each SELECT completes, so an update arriving while the other server is still selecting is
  // not lost. The side selected ahead, if any, is taken as it is (the database rows it was
  // prepared from are this mailbox's, which nothing else writes).
  const selections = SIDES.map(async (side) => {
    const early = await table.takeEarly<EarlySide<C>>(lane, mailbox, side);
    return early?.selection ?? selectOn(table, lane, pair, prep, side, slot);
  });
  const settled = await Promise.allSettled(selections);
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  const done = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  if (failure !== undefined) {
    for (const selection of done) selection.detach();
    throw failure.reason;
  }
  const [local, remote] = done as [SideSelection<C>, SideSelection<C>];
  const selected = { local: local.selected, remote: remote.selected };
  const { state, idx } = prep;
  const uidValidityChanged = state
    ? SIDES.filter((s) => state[s].uidValidity !== selected[s].uidValidity)
    : [];
  if (state === undefined) {
    // A new mailbox: every message is new (UIDNEXT 0), as in the Perl tool's first sync.
    const initial = (s: Side) => ({ uidValidity: selected[s].uidValidity, uidNext: 0, highestModseq: 0n });
    store.initMailboxState(idx, initial('local'), initial('remote'));
  }

  const uidValidityKept = uidValidityChanged.length === 0;
  const work: MailboxWork<C> = {
    mailbox,
    idx,
    names: prep.names,
    conns: { local: local.conn, remote: remote.conn },
    trackers: { local: local.tracker, remote: remote.tracker },
    selected,
    copiedBelow: { ...prep.dbNext },
    uidNext: { local: local.selected.uidNext, remote: remote.selected.uidNext },
    firstPass: { local: true, remote: true },
    // Listed in the old UIDVALIDITY's terms: worthless.
    firstListing: uidValidityKept
      ? { local: local.firstListing, remote: remote.firstListing }
      : { local: undefined, remote: undefined },
    earlyCopies: { local: undefined, remote: undefined },
    unseenSince: { local: null, remote: null },
    copies: ctx.copies ?? UNWATCHED,
    largeBody: new Mutex(),
    detach: () => {
      local.detach();
      remote.detach();
    },
  };
  table.set(lane, work);

  return {
    local: local.selected,
    remote: remote.selected,
    uidValidityChanged,
    interrupted: uidValidityKept && prep.interruptedBefore,
  };
}
