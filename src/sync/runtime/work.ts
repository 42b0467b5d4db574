// The working state of the mailbox a lane is synchronizing: its database row, the two selected
// connections with their trackers, and how far new messages have been copied. It lives next to
// the lane between the chart's steps, so no UID set ever travels through the chart.
import type { SelectedSide } from '../../../machines/contracts.js';
import type { ImapConnection } from '../../imap/connection.js';
import { MAX_UID } from '../../protocol/sequence-set.js';
import type { StateStore } from '../../store/index.js';
import type { MailboxState } from '../../store/types.js';
import { UidMapping } from '../mapping.js';
import { type PerSide, SIDES, type Side } from '../side.js';
import type { CopyObserver, SyncContext } from './context.js';
import type { MessageInfo } from './copy.js';
import { fetchUids } from './imap-writes.js';
import type { SideTracker } from './tracker.js';

export interface MailboxWork<C extends ImapConnection = ImapConnection> {
  mailbox: string;
  idx: number;
  /** Wire names per side. */
  names: PerSide<string>;
  conns: PerSide<C>;
  trackers: PerSide<SideTracker>;
  selected: PerSide<SelectedSide>;
  /** Per source side: every message below this UID has been copied (or found replicated). */
  copiedBelow: PerSide<number>;
  /** The side's UIDNEXT as far as we know (SELECT, fetched UIDs, APPENDUID). */
  uidNext: PerSide<number>;
  /** The new-message fetch of this side has not yet run in this actor's run. */
  firstPass: PerSide<boolean>;
  /** The first pass's listing, when started right after the SELECT (new-mail.ts). */
  firstListing: PerSide<Promise<MessageInfo[]> | undefined>;
  /**
   * The first pass's copy of the side's new messages, when started alongside the expunges and
   * flag updates (new-mail.ts): resolves with how many it copied, undefined when it left the
   * copying to the copy step. Taken by the flag step.
   */
  earlyCopies: PerSide<Promise<number | undefined> | undefined>;
  /**
   * HIGHESTMODSEQ seen before commands whose effects or untagged FETCHes the tracker could not
   * see — our APPENDs to the side, body FETCHes from it — when not yet re-read (new-mail.ts).
   */
  unseenSince: PerSide<bigint | null>;
  /** Told of this mailbox's copies (a no-op when nobody watches). */
  copies: CopyObserver;
  /** Held while a large body streams between the lane's servers (see copy.ts). */
  largeBody: Mutex;
  /** Stops routing unsolicited responses to the trackers. */
  detach: () => void;
}

/** The observer of a run nobody watches. */
export const UNWATCHED: CopyObserver = { planned: () => {}, copied: () => {} };

/** The lane's connections and store, plus a typed error for the rare "called out of order". */
export class WorkTable<C extends ImapConnection> {
  readonly #byLane = new Map<number, MailboxWork<C>>();

  constructor(readonly ctx: SyncContext<C>) {}

  get store(): StateStore {
    return this.ctx.store;
  }

  /**
   * The lane's previous mailbox stops listening to its connections, once a copy it started early
   * and did not wait for (it failed first) has settled: that copy's commands name UIDs of the
   * previous mailbox, which must still be the selected one when they go out.
   */
  async release(lane: number): Promise<void> {
    const previous = this.#byLane.get(lane);
    if (previous === undefined) return;
    const { local, remote } = previous.earlyCopies;
    if (local !== undefined || remote !== undefined) await Promise.allSettled([local, remote]);
    previous.detach();
    if (this.#byLane.get(lane) === previous) this.#byLane.delete(lane);
  }

  /** The lane's mailbox from now on (its previous one was released). */
  set(lane: number, work: MailboxWork<C>): void {
    this.#byLane.set(lane, work);
  }

  get(lane: number, mailbox: string): MailboxWork<C> {
    const work = this.#byLane.get(lane);
    if (work === undefined || work.mailbox !== mailbox) {
      throw { kind: 'internal', message: `lane ${lane} has not selected ${mailbox}`, mailbox };
    }
    return work;
  }
}

export function dbState(store: StateStore, work: MailboxWork): MailboxState {
  const state = store.getState(work.idx);
  if (state === undefined) {
    throw { kind: 'database', message: `no synchronization state for mailbox ${work.mailbox}` };
  }
  return state;
}

export function loadMapping(store: StateStore, idx: number): UidMapping {
  const { byLocal, byRemote } = store.getMappings(idx);
  return UidMapping.fromMaps(byLocal, byRemote);
}

/** Beyond this many UIDs, reading the whole mapping costs less than one read per UID. */
const POINT_READS = 256;

/**
 * The part of the mailbox's mapping that pairs the given UIDs of each side (the whole mapping
 * when they are many): what planning the trackers' changes looks up.
 */
export function mappingOf(store: StateStore, idx: number, uids: PerSide<readonly number[]>): UidMapping {
  if (uids.local.length + uids.remote.length > POINT_READS) return loadMapping(store, idx);
  // A pair found from both of its UIDs is set twice, to the same values.
  const localToRemote = new Map<number, number>();
  const remoteToLocal = new Map<number, number>();
  for (const side of SIDES) {
    for (const [l, r] of store.mappingsOf(idx, side, uids[side])) {
      localToRemote.set(l, r);
      remoteToLocal.set(r, l);
    }
  }
  return UidMapping.fromMaps(localToRemote, remoteToLocal);
}

/** [local, remote] pairs from (source UID, target UID) as the store wants them. */
export function pairOf(target: Side, source: number, dest: number): [number, number] {
  return target === 'remote' ? [source, dest] : [dest, source];
}

/** A FIFO lock: acquire() resolves with the release function once every earlier holder released. */
export class Mutex {
  #tail: Promise<void> = Promise.resolve();

  async acquire(): Promise<() => void> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise((resolve) => {
      release = resolve;
    });
    await previous;
    return release;
  }
}

/**
 * Our APPENDs moved the side's MODSEQ without telling us by how much, and a body FETCH keeps the
 * unsolicited FETCHes and VANISHEDs it receives: read what changed since (our copies, echoed and
 * ignored, and anybody else's changes and expunges) and the tagged [HIGHESTMODSEQ], so the next
 * run neither takes our own copies for flag changes nor misses another client's. Sent right
 * behind those commands, it costs no round trip of its own; its responses are taken once it
 * completes, when the APPENDUIDs of the APPENDs before it have been recorded (the tracker then
 * knows our copies' flags).
 */
export async function rereadModseq(work: MailboxWork, side: Side): Promise<void> {
  const since = work.unseenSince[side];
  if (since === null) return;
  work.unseenSince[side] = null;
  await fetchUids(work.conns[side], work.trackers[side], [`1:${MAX_UID}`], ['FLAGS'], () => false, {
    changedSince: since,
    vanished: true,
    afterCompletion: true,
  });
}

/**
 * The HIGHESTMODSEQ a checkpoint may store for `side`: the tracker's, but not past what a re-read
 * still has to read (a body FETCH in flight may be keeping a change of another client from the
 * tracker while an untagged OK [HIGHESTMODSEQ] moves the tracker past it).
 */
export function checkpointModseqOf(work: MailboxWork, side: Side): bigint {
  const seen = work.trackers[side].highestModseq;
  const unseen = work.unseenSince[side];
  return unseen !== null && unseen < seen ? unseen : seen;
}

/** Starts streaming bodies (one FETCH); FETCH responses it swallows are re-read later. */
export function fetchBodies(work: MailboxWork, side: Side, uids: readonly number[]) {
  work.unseenSince[side] ??= work.trackers[side].highestModseq;
  return work.conns[side].fetchBodies(uids);
}
