// The contracts between the charts and the runtime: the input and output of every actor the
// charts invoke, the typed error they carry as data, and the counts they add up. Plain data
// only, so the runtime can implement each actor with whatever classes it likes behind it.

export type Side = 'local' | 'remote';
/** Where --delete and --rename act (`--target`). */
export type Target = Side | 'database';

/**
 * What went wrong, as data. Actors reject with an object (or an Error) carrying one of these
 * kinds; anything else reaching a chart is a bug in the runtime and becomes `internal`.
 */
export type SyncErrorKind =
  | 'uidvalidity-changed' // RFC 3501 §2.3.1.1: every stored UID of the mailbox is void
  | 'server' // a tagged NO/BAD the step cannot go on without
  | 'connection' // the socket closed or timed out; watch mode reconnects
  | 'lane-unavailable' // a lane's connections could not be opened: the mailbox, untouched, waits for another
  | 'protocol' // the server sent something that is not IMAP
  | 'database' // the state database cannot be opened, locked or written
  | 'mailbox-list' // the mailbox lists cannot be reconciled (e.g. a known mailbox disappeared)
  | 'mailbox-exists' // --rename: DEST already exists on a target
  | 'internal';

export interface SyncError {
  kind: SyncErrorKind;
  message: string;
  mailbox?: string;
}

/** What one direction of a mailbox received. */
export interface SideCounts {
  copied: number;
  flagsUpdated: number;
  expunged: number;
}

/** Counts per destination server; a conflict updates both sides, so it is counted once. */
export interface SyncCounts {
  toLocal: SideCounts;
  toRemote: SideCounts;
  conflicts: number;
}

/** What one step adds to the counts; missing fields are zero. */
export interface CountsDelta {
  toLocal?: Partial<SideCounts>;
  toRemote?: Partial<SideCounts>;
  conflicts?: number;
}

// ---------------------------------------------------------------------------------------------
// Mailbox sync actors. Each step receives the mailbox and its lane; the runtime keeps what the
// step works on (UID sets, buffered VANISHED/FETCH updates) next to the lane's two connections,
// so no message data ever travels through the chart.

/**
 * Which mailbox, and which pair of connections: lane i is the i-th of the `maxParallel` pairs
 * the runtime opened, and only one mailbox actor uses a lane at a time.
 */
export interface MailboxStepInput {
  mailbox: string;
  lane: number;
}

export interface MailboxSyncInput extends MailboxStepInput {
  /** `--repair`: full synchronization of the whole mailbox instead of the QRESYNC path. */
  repair: boolean;
  /**
   * Which of the lane's two connections to the slow server the mailbox uses (0 without early
   * selection): while one syncs a mailbox, the other selects the lane's next (EarlySelection).
   */
  slot: number;
}

/** The lane's next mailbox, to SELECT on the slow server's connection `slot` while the lane is busy. */
export interface EarlySelection {
  mailbox: string;
  lane: number;
  slot: number;
}

export interface SelectedSide {
  uidValidity: number;
  uidNext: number;
  highestModseq: bigint;
  exists: number;
}

export interface SelectOutcome {
  local: SelectedSide;
  remote: SelectedSide;
  /** Sides whose UIDVALIDITY differs from the database's (empty for a new mailbox). */
  uidValidityChanged: Side[];
  /** A previous run stopped while messages were being replicated (before the UIDNEXT checkpoint). */
  interrupted: boolean;
}

/** `fullSync`: compare the whole UID and flag lists of both servers with the database. */
export interface FullSyncInput extends MailboxStepInput {
  /** `interrupted`: only the messages a previous run was replicating; `mailbox`: all (--repair). */
  scope: 'interrupted' | 'mailbox';
}

/** Output of a step that only counts (fullSync, propagateExpunges). */
export interface StepOutcome {
  counts: CountsDelta;
}

/** `propagateFlags` output. */
export interface PropagationOutcome extends StepOutcome {
  /** Unsolicited updates (VANISHED, FETCH FLAGS) are buffered, not yet propagated, as the step ends. */
  pendingUpdates: boolean;
}

/** `appendNew` output: one pass of copying new messages both ways. */
export interface AppendOutcome extends PropagationOutcome {
  /** Either server received messages the pass did not copy (our own APPENDs do not count). */
  newMessages: boolean;
}

/** The actors a mailbox actor invokes, by name: input and output of each. */
export interface MailboxActorContracts {
  /** SELECT on both servers concurrently (with QRESYNC unless repairing). */
  selectMailbox: { input: MailboxSyncInput; output: SelectOutcome };
  fullSync: { input: FullSyncInput; output: StepOutcome };
  propagateExpunges: { input: MailboxStepInput; output: StepOutcome };
  propagateFlags: { input: MailboxStepInput; output: PropagationOutcome };
  /** Store both HIGHESTMODSEQ values in one transaction, after both sides are consistent. */
  checkpointModseq: { input: MailboxStepInput; output: undefined };
  appendNew: { input: MailboxStepInput; output: AppendOutcome };
  /**
   * Store both UIDNEXT values: the bounds below which every message has been copied. When no
   * update is buffered it may store HIGHESTMODSEQ too, so our own APPENDs are not seen as flag
   * changes by the next run.
   */
  checkpointUidnext: { input: MailboxStepInput; output: undefined };
}

/** How a mailbox actor ended: `stopped` when asked to stop at a checkpoint (shutdown). */
export type MailboxSyncOutput =
  | { mailbox: string; status: 'synced' | 'stopped'; counts: SyncCounts }
  | { mailbox: string; status: 'failed'; counts: SyncCounts; error: SyncError };

// ---------------------------------------------------------------------------------------------
// Orchestrator actors.

export type Command =
  | { name: 'sync'; mailboxes: string[] }
  | { name: 'repair'; mailboxes: string[] }
  | { name: 'delete'; mailboxes: string[]; targets: Target[] }
  | { name: 'rename'; source: string; dest: string; targets: Target[] };

export interface WatchOptions {
  /** Seconds between two polls; with `notify`, seconds of idleness before a NOOP keepalive. */
  intervalSeconds: number;
  /** RFC 5465 NOTIFY: the runtime sends `notify.changed` when a server reports a change. */
  notify: boolean;
}

export interface OrchestratorInput {
  command: Command;
  /** How many mailboxes sync at once, each on its own lane of connections. Default 1. */
  maxParallel?: number;
  /** `--watch`: keep synchronizing; only meaningful for the sync command. */
  watch?: WatchOptions | null;
}

/** `connectServers`: open (or re-open after a loss) `lanes` connections to each server concurrently. */
export interface ConnectInput {
  sides: Side[];
  lanes: number;
}

/** `listMailboxes`: LIST (with STATUS) on both servers concurrently, then plan against the database. */
export interface ListInput {
  /** Mailboxes from the command line; empty means the configured list-mailbox patterns. */
  mailboxes: string[];
  /** Repair every listed mailbox instead of only the dirty ones. */
  repair: boolean;
}

/** One change to the mailbox lists or the database that reconciling applies. */
export interface MailboxChange {
  action: 'create' | 'subscribe' | 'unsubscribe' | 'record';
  mailbox: string;
  target: Target;
}

export interface ListingOutcome {
  /** The plan cannot be applied (e.g. a mailbox known to the database exists on one server only). */
  abort: SyncError | null;
  changes: MailboxChange[];
  /** Mailboxes to sync in this cycle: the dirty ones (UIDNEXT or HIGHESTMODSEQ moved), or all when repairing. */
  toSync: string[];
  /** Lanes worth using in this cycle, at most maxParallel (default: maxParallel). */
  lanes?: number;
  /** A server is slow to answer: each lane selects its next mailbox there ahead (EarlySelection). */
  earlySelect?: boolean;
}

export interface DeleteInput {
  mailboxes: string[];
  targets: Target[];
}

export interface RenameInput {
  source: string;
  dest: string;
  targets: Target[];
}

/** The actors the orchestrator invokes, by name: input and output of each. */
export interface OrchestratorActorContracts {
  /** Open and lock the state database; done before any connection so two runs never race. */
  openDatabase: { input: undefined; output: undefined };
  connectServers: { input: ConnectInput; output: undefined };
  listMailboxes: { input: ListInput; output: ListingOutcome };
  reconcileMailboxes: { input: { changes: MailboxChange[] }; output: undefined };
  /** NOOP on every connection, so an idle NOTIFY session is not logged out. */
  keepAlive: { input: undefined; output: undefined };
  deleteMailboxes: { input: DeleteInput; output: { deleted: number } };
  /** The targets on which DEST already exists. */
  findRenameConflicts: { input: RenameInput; output: { existsOn: Target[] } };
  renameMailbox: { input: RenameInput; output: { renamed: number } };
}

export interface RunSummary {
  /** Sync cycles started (more than one only in watch mode). */
  cycles: number;
  mailboxes: { synced: number; stopped: number; failed: number };
  counts: SyncCounts;
  /** The mailbox failures of the latest cycle. */
  failures: Array<{ mailbox: string; error: SyncError }>;
  /** Mailbox-list changes applied: reconciled, deleted or renamed. */
  mailboxChanges: number;
  /** The global step that failed, if one did. */
  fatal: SyncError | null;
  /** A shutdown event ended the run. */
  interrupted: boolean;
}

export interface OrchestratorOutput {
  exitCode: 0 | 1;
  summary: RunSummary;
}
