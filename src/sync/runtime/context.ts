// What the orchestrator's runtime actors hand to the mailbox actors' runtime: the locked state
// database, the lanes of connections, and the current cycle's mailbox table. The charts only
// see mailbox keys and counts; this is where the data behind those keys lives.
import type { StateStore } from '../../store/index.js';
import type { SyncTarget } from '../mailbox-list.js';
import type { PerSide, Side } from '../side.js';

/**
 * The subset of the IMAP connection runtime (src/imap/connection.ts, ImapConnection) the sync
 * runtime relies on; declared structurally so the two layers stay decoupled.
 */
export type Lane<C> = PerSide<C>;

/** Log sink shared by every layer: component ('local', 'remote', 'database') and mailbox context. */
export interface SyncLogger {
  debug(component: string | null, mailbox: string | null, message: string): void;
  info(component: string | null, mailbox: string | null, message: string): void;
  warn(component: string | null, mailbox: string | null, message: string): void;
  error(component: string | null, mailbox: string | null, message: string): void;
}

/**
 * Who watches the copies (the live progress line, the --trace notes); `mailbox` is the database
 * name. `planned`: what a copy step is about to move; `copied`: one batch committed.
 */
export interface CopyObserver {
  planned(mailbox: string, source: Side, messages: number, bytes: number): void;
  copied(mailbox: string, source: Side, messages: number, bytes: number): void;
}

export interface SyncContext<C> {
  store: StateStore;
  logger: SyncLogger;
  /**
   * Connection pairs, one per lane (up to the orchestrator's `maxParallel`); a mailbox actor uses
   * the lane in its input for its whole run. Filled (and refilled after a loss) by connectServers.
   */
  lanes: Array<Lane<C>>;
  /**
   * Opens the pair of a lane not in `lanes` yet (set by connectServers: only lane 0 is opened
   * up front, the others once a second mailbox needs syncing at the same time).
   */
  openLane?: (lane: number) => Promise<Lane<C>>;
  /**
   * The side slow to answer in this cycle (set by listMailboxes): each lane has two connections
   * to it and alternates, one syncing a mailbox while the other SELECTs the lane's next
   * (select.ts, selectEarly). Undefined: no alternation.
   */
  earlySide?: Side;
  /** Opens (once) the second connection of `side` for `lane` (set by connectServers). */
  openSpare?: (lane: number, side: Side) => Promise<C>;
  /**
   * The mailboxes of the current cycle, keyed by the database form of the name (hierarchy
   * delimiter as \0) — the `mailbox` string the charts carry. Filled by listMailboxes from the
   * mailbox-list plan; read by the mailbox actors for wire names and the database index.
   */
  mailboxes: Map<string, SyncTarget>;
  /** Told of every copy; absent when nobody watches. */
  copies?: CopyObserver;
}

/** The pair of `lane`, opened first when it is not yet (undefined: no such lane). */
export async function laneOf<C>(ctx: SyncContext<C>, lane: number): Promise<Lane<C> | undefined> {
  return ctx.lanes[lane] ?? ctx.openLane?.(lane);
}
