// selectMailbox: SELECT on both servers at once, with QRESYNC (RFC 7162 §3.2.5) when the database
// knows the mailbox, and the working state the later steps share.
import type { MailboxSyncInput, SelectedSide, SelectOutcome } from '../../../machines/contracts.js';
import { toSyncError } from '../../../machines/sync-error.js';
import type { ImapConnection } from '../../imap/connection.js';
import type { QresyncParams, SelectResult } from '../../session/commands.js';
import type { StateStore } from '../../store/index.js';
import type { SideState } from '../../store/types.js';
import { SIDES, type Side } from '../side.js';
import { laneOf } from './context.js';
import { listNewMessagesEarly } from './new-mail.js';
import { SideTracker } from './tracker.js';
import { type MailboxWork, Mutex, UNWATCHED, type WorkTable } from './work.js';

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

export async function selectMailbox<C extends ImapConnection>(
  table: WorkTable<C>,
  input: MailboxSyncInput,
): Promise<SelectOutcome> {
  const { store, ctx } = table;
  const { mailbox, lane } = input;
  const target = ctx.mailboxes.get(mailbox);
  if (target === undefined)
    throw { kind: 'internal', message: `mailbox ${mailbox} is not in this cycle`, mailbox };
  const conns = await laneOf(ctx, lane).catch((error: unknown) => {
    // An extra lane that cannot open leaves the mailbox untouched: it is run on another lane.
    throw lane > 0 ? { ...toSyncError(error, mailbox), kind: 'lane-unavailable' } : error;
  });
  if (conns === undefined) throw { kind: 'internal', message: `no connections for lane ${lane}`, mailbox };
  const idx = target.idx ?? store.findMailbox(Buffer.from(target.dbName))?.idx;
  if (idx === undefined)
    throw { kind: 'database', message: `mailbox ${mailbox} is not in the database`, mailbox };

  const state = store.getState(idx);
  const resyncing = state !== undefined && !input.repair;
  const mapped = resyncing ? store.mappingCount(idx) : 0;
  const names = { local: target.local, remote: target.remote };
  const dbNext = { local: state?.local.uidNext ?? 0, remote: state?.remote.uidNext ?? 0 };
  // A run interrupted mid-copy resumes with a full synchronization of what it was copying: its
  // journal has intents left, or its mapping has rows at or above a stored UIDNEXT.
  const interruptedBefore =
    resyncing &&
    (store.pendingAppendIntents(idx).length > 0 ||
      SIDES.some((side) => store.mappedUidsFrom(idx, side, dbNext[side]).length > 0));
  // The previous mailbox's trackers stop listening before our SELECTs; ours start as each SELECT
  // completes, so an update arriving while the other server is still selecting is not lost.
  await table.release(lane);
  const trackers = { local: new SideTracker(0n), remote: new SideTracker(0n) };
  const site = { idx, conns, trackers };
  const firstListing: MailboxWork['firstListing'] = { local: undefined, remote: undefined };
  const detachers: Array<() => void> = [];
  const detach = () => {
    for (const stop of detachers.splice(0)) stop();
  };
  const selectSide = async (side: Side) => {
    const qresync = resyncing ? qresyncParams(store, idx, mapped, side, state[side]) : undefined;
    // Deferred to here from connecting, so that a run with nothing to do never pays for it; done
    // before the SELECT is queued, for the listing below to go out right behind the SELECT.
    const compressing = conns[side].compress();
    if (compressing !== undefined) await compressing;
    const selecting = conns[side].select(names[side], qresync ? { qresync } : { condstore: true });
    if (!interruptedBefore && !input.repair) {
      const listed = target.listedUidNext?.[side];
      firstListing[side] = listNewMessagesEarly(store, site, side, dbNext[side], listed);
    }
    const result = await selecting;
    const tracker = trackers[side];
    detachers.push(conns[side].onUnsolicited((r) => tracker.absorb(r)));
    tracker.absorb({ kind: 'untagged', type: 'VANISHED', earlier: true, uids: result.vanished });
    for (const { seq, attributes } of result.fetched)
      tracker.absorb({ kind: 'untagged', type: 'FETCH', seq, attributes });
    const selected = selectedSide(result, side, mailbox);
    tracker.noteModseq(selected.highestModseq);
    tracker.selected(selected.exists);
    return selected;
  };
  let local: SelectedSide;
  let remote: SelectedSide;
  try {
    [local, remote] = await Promise.all([selectSide('local'), selectSide('remote')]);
  } catch (error) {
    detach();
    throw error;
  }
  const selected = { local, remote };
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
    names,
    conns,
    trackers,
    selected,
    copiedBelow: { ...dbNext },
    uidNext: { local: local.uidNext, remote: remote.uidNext },
    firstPass: { local: true, remote: true },
    // Listed in the old UIDVALIDITY's terms: worthless.
    firstListing: uidValidityKept ? firstListing : { local: undefined, remote: undefined },
    earlyCopies: { local: undefined, remote: undefined },
    unseenSince: { local: null, remote: null },
    copies: ctx.copies ?? UNWATCHED,
    largeBody: new Mutex(),
    detach,
  };
  table.set(lane, work);

  return { local, remote, uidValidityChanged, interrupted: uidValidityKept && interruptedBefore };
}
