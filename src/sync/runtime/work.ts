// The working state of the mailbox a lane is synchronizing: its database row, the two selected
// connections with their trackers, and how far new messages have been copied. It lives next to
// the lane between the chart's steps, so no UID set ever travels through the chart.
import type { EarlySelection, SelectedSide } from '../../../machines/contracts.js';
import type { ImapConnection } from '../../imap/connection.js';
import { MAX_UID } from '../../protocol/sequence-set.js';
import type { StateStore } from '../../store/index.js';
import type { MailboxState } from '../../store/types.js';
import { UidMapping } from '../mapping.js';
import { type PerSide, SIDES, type Side } from '../side.js';
import type { CopyObserver, Lane, SyncContext } from './context.js';
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

/** What the table needs of a SELECT made ahead of its mailbox's actor (select.ts, selectEarly). */
export interface EarlyHeld<C> {
  /** The connection's claim (WorkTable.claim) made for this SELECT. */
  token: object;
  /** The selection made: its connection, and how to stop its tracker listening. */
  selection: { conn: C; detach(): void };
}

/**
 * The lanes' mailboxes and connections: which mailbox each lane syncs (for its steps), which
 * mailbox last used each connection (released before the connection SELECTs again), and the
 * SELECTs made ahead of their mailboxes' actors.
 */
export class WorkTable<C extends ImapConnection> {
  readonly #byLane = new Map<number, MailboxWork<C>>();
  readonly #byConnection = new Map<C, MailboxWork<C>>();
  /** Per connection, its latest SELECT: an early one taken after another is stale. */
  readonly #latestSelect = new Map<C, object>();
  readonly #early = new Map<string, Promise<EarlyHeld<C>>>();
  /** Early selections made and not taken yet, by connection: dropped when it is claimed again. */
  readonly #heldOn = new Map<C, { key: string; held: Promise<EarlyHeld<C>>; early: EarlyHeld<C> }>();
  /** Per `lane:side:slot`, the latest early selection's SELECT being queued (earlyIssued). */
  readonly #issuing = new Map<string, Promise<void>>();

  constructor(readonly ctx: SyncContext<C>) {}

  get store(): StateStore {
    return this.ctx.store;
  }

  /**
   * The mailboxes that last used `conns` stop listening to them, once a copy they started early and
   * did not wait for (they failed first) has settled: that copy's commands name UIDs of their
   * mailbox, which must still be the selected one when they go out.
   */
  async releaseConnections(conns: readonly C[]): Promise<void> {
    const previous = new Set(conns.flatMap((conn) => this.#byConnection.get(conn) ?? []));
    for (const work of previous) {
      const { local, remote } = work.earlyCopies;
      if (local !== undefined || remote !== undefined) await Promise.allSettled([local, remote]);
      work.detach();
      for (const conn of SIDES.map((side) => work.conns[side]))
        if (this.#byConnection.get(conn) === work) this.#byConnection.delete(conn);
    }
  }

  /** Marks `conn` as about to SELECT: an early selection held on it before is stale from now. */
  claim(conn: C): object {
    const token = {};
    this.#latestSelect.set(conn, token);
    const stale = this.#heldOn.get(conn);
    if (stale !== undefined) {
      this.#heldOn.delete(conn);
      if (this.#early.get(stale.key) === stale.held) this.#early.delete(stale.key);
      stale.early.selection.detach();
    }
    return token;
  }

  /** The lane's mailbox from now on (the previous users of its connections were released). */
  set(lane: number, work: MailboxWork<C>): void {
    this.#byLane.set(lane, work);
    for (const side of SIDES) this.#byConnection.set(work.conns[side], work);
  }

  get(lane: number, mailbox: string): MailboxWork<C> {
    const work = this.#byLane.get(lane);
    if (work === undefined || work.mailbox !== mailbox) {
      throw { kind: 'internal', message: `lane ${lane} has not selected ${mailbox}`, mailbox };
    }
    return work;
  }

  /**
   * `side`'s connection `slot` of `lane` (`pair`) and the slot it really is: the lane's own for
   * slot 0, or for a side whose connections do not alternate; otherwise its second one, opened on
   * first use. A second one the server refuses turns alternation off for the cycle; with
   * `fallBack` the lane's own is used instead (slot 0).
   */
  async connectionOf(
    pair: Lane<C>,
    lane: number,
    side: Side,
    slot: number,
    fallBack: boolean,
  ): Promise<{ conn: C; slot: number }> {
    const { ctx } = this;
    if (slot === 0 || side !== ctx.earlySide || ctx.openSpare === undefined)
      return { conn: pair[side], slot: 0 };
    try {
      return { conn: await ctx.openSpare(lane, side), slot };
    } catch (error) {
      ctx.earlySide = undefined;
      ctx.logger.debug(side, null, `no second connection, no early SELECT: ${(error as Error).message}`);
      if (!fallBack) throw error;
      return { conn: pair[side], slot: 0 };
    }
  }

  /**
   * Resolves once the early selection last asked for on `lane`'s connection `slot` to `side` has
   * queued its SELECT (or given up). A mailbox SELECTs on a connection after that: SELECTs then
   * reach it in the order they claimed it, and the latest claim is the mailbox it ends up in.
   */
  earlyIssued(lane: number, side: Side, slot: number): Promise<void> {
    return this.#issuing.get(`${lane}:${side}:${slot}`) ?? Promise.resolve();
  }

  /**
   * Called as the early selection is asked for, before anything else can run: from then on a
   * SELECT on its connection waits (earlyIssued) until the returned function is called.
   */
  announceEarly({ lane, slot }: EarlySelection, side: Side): () => void {
    let issued = () => {};
    this.#issuing.set(
      `${lane}:${side}:${slot}`,
      new Promise<void>((resolve) => {
        issued = resolve;
      }),
    );
    return issued;
  }

  /** Holds the early selection of a lane's next mailbox, taken by the mailbox's SELECT step. */
  holdEarly({ lane, mailbox }: EarlySelection, side: Side, selection: Promise<EarlyHeld<C>>): void {
    const key = earlyKey(lane, mailbox, side);
    this.#early.set(key, selection);
    selection.then(
      (early) => {
        // Not taken yet and still the connection's latest: a later claim of it drops this one.
        const { conn, detach } = early.selection;
        if (this.#latestSelect.get(conn) !== early.token) detach();
        else if (this.#early.get(key) === selection) this.#heldOn.set(conn, { key, held: selection, early });
      },
      () => {}, // taken (or dropped) by the mailbox's SELECT step
    );
  }

  /**
   * The early selection of `mailbox`'s `side` for `lane`, once made; undefined when none was,
   * when it failed, or when its connection has been claimed by another SELECT since (its tracker
   * then stops listening).
   */
  async takeEarly<T extends EarlyHeld<C>>(lane: number, mailbox: string, side: Side): Promise<T | undefined> {
    const key = earlyKey(lane, mailbox, side);
    const held = this.#early.get(key);
    if (held === undefined) return undefined;
    this.#early.delete(key);
    const early = await held.catch(() => undefined);
    const conn = early?.selection.conn;
    if (conn !== undefined && this.#heldOn.get(conn)?.held === held) this.#heldOn.delete(conn);
    if (early === undefined) return undefined;
    if (this.#latestSelect.get(early.selection.conn) !== early.token) {
      early.selection.detach();
      return undefined;
    }
    return early as T;
  }
}

function earlyKey(lane: number, mailbox: string, side: Side): string {
  return `${lane}\0${side}\0${mailbox}`;
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
