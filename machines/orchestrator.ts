// The root chart of a run: open the database, connect, then either run a command (--delete,
// --rename) or list, reconcile and sync the dirty mailboxes with one mailboxSync child actor per
// mailbox (at most `maxParallel` at once), looping in watch mode. Ends in a final state whose
// output is the exit code and a summary; shutdown is an event, never actor.stop().
import {
  type ActorLogic,
  assign,
  type DoneActorEvent,
  type ErrorActorEvent,
  enqueueActions,
  not,
  setup,
} from 'xstate';
import type {
  Command,
  ConnectInput,
  EarlySelection,
  ListingOutcome,
  MailboxChange,
  MailboxSyncInput,
  MailboxSyncOutput,
  OrchestratorActorContracts,
  OrchestratorInput,
  OrchestratorOutput,
  RunSummary,
  Side,
  SyncError,
  Target,
  WatchOptions,
} from './contracts.js';
import { addCounts, zeroCounts } from './counts.js';
import { mailboxSyncMachine } from './mailbox-sync.js';
import { placeholderActors } from './placeholders.js';
import { toSyncError } from './sync-error.js';

/**
 * What the orchestrator spawns per mailbox: the mailboxSync chart (with the runtime's step
 * actors provided) or any stand-in taking the same input and ending with a MailboxSyncOutput.
 */
// biome-ignore lint/suspicious/noExplicitAny: ActorLogic is invariant in its snapshot and event types, which differ per kind of logic (as in XState's own AnyActorLogic); the input is what matters here
export type MailboxSyncLogic = ActorLogic<any, any, MailboxSyncInput, any, any>;

/** Spawned mailbox actors are named `mailbox.<n>`, n counting up over the whole run. */
export type MailboxActorId = `mailbox.${number}`;

export interface OrchestratorContext {
  command: Command;
  maxParallel: number;
  /** Null unless --watch was given with the sync command. */
  watch: WatchOptions | null;
  /** This cycle's mailboxes not started yet. */
  queue: string[];
  /** Lanes this cycle uses (the listing may find fewer than maxParallel worth opening). */
  cycleLanes: number;
  /**
   * Lanes that can open: lowered to a lane whose connections could not be opened (a server's limit
   * on connections, say), until the servers are connected again.
   */
  openableLanes: number;
  /** Running mailbox actors: which mailbox each syncs, on which lane of connections. */
  running: Record<MailboxActorId, { mailbox: string; lane: number }>;
  /** This cycle selects each lane's next mailbox ahead, on the slow server (ListingOutcome). */
  cycleEarlySelect: boolean;
  /** Per lane: the mailbox it runs next, taken from the queue and being selected ahead. */
  reserved: Record<number, string>;
  /** Per lane: mailboxes started on it; their parity alternates the slow server's two connections. */
  laneRuns: Record<number, number>;
  /** The reservations the latest spawnMailboxes made, for selectEarly. */
  earlyRequests: EarlySelection[];
  spawnedCount: number;
  /** The mailbox-list changes of the latest listing, for reconciling. */
  changes: MailboxChange[];
  summary: RunSummary;
  shutdownRequested: boolean;
  connectionLost: boolean;
  /** notify.changed arrived while not waiting: list again as soon as the cycle ends. */
  changedMeanwhile: boolean;
  reconnectAttempts: number;
}

export type OrchestratorEvent =
  /** SIGINT/SIGTERM: let running mailboxes reach a checkpoint, then end. */
  | { type: 'shutdown' }
  /** NOTIFY mode: a server reported a change in a watched mailbox. */
  | { type: 'notify.changed' }
  /** A connection closed while no step was using it (e.g. BYE while waiting). */
  | { type: 'connection.lost'; error: SyncError }
  | DoneActorEvent<MailboxSyncOutput, MailboxActorId>
  | ErrorActorEvent<unknown, MailboxActorId>;

/** Back-off before reconnect attempt n (1-based): 1 s, 2 s, 4 s … capped at 5 minutes. */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(1000 * 2 ** Math.max(0, attempt - 1), 300_000);
}

function sidesOf(targets: Target[]): Side[] {
  return targets.filter((t): t is Side => t !== 'database');
}

/** The commands that sync mailboxes (as opposed to --delete and --rename). */
type SyncCommand = Extract<Command, { name: 'sync' | 'repair' }>;

function syncsMailboxes(command: Command): command is SyncCommand {
  return command.name === 'sync' || command.name === 'repair';
}

function connectInput({ command, maxParallel }: OrchestratorContext): ConnectInput {
  return syncsMailboxes(command)
    ? { sides: ['local', 'remote'], lanes: maxParallel }
    : { sides: sidesOf(command.targets), lanes: 1 };
}

function initialContext({ command, maxParallel = 1, watch = null }: OrchestratorInput): OrchestratorContext {
  if (!Number.isInteger(maxParallel) || maxParallel < 1) {
    throw new RangeError(`orchestrator input: maxParallel must be a positive integer, got ${maxParallel}`);
  }
  if (watch !== null && !(watch.intervalSeconds > 0)) {
    throw new RangeError(
      `orchestrator input: watch.intervalSeconds must be positive, got ${watch.intervalSeconds}`,
    );
  }
  return {
    command,
    maxParallel,
    watch: command.name === 'sync' ? watch : null,
    queue: [],
    cycleLanes: maxParallel,
    openableLanes: maxParallel,
    running: {},
    cycleEarlySelect: false,
    reserved: {},
    laneRuns: {},
    earlyRequests: [],
    spawnedCount: 0,
    changes: [],
    summary: {
      cycles: 0,
      mailboxes: { synced: 0, stopped: 0, failed: 0 },
      counts: zeroCounts(),
      failures: [],
      mailboxChanges: 0,
      fatal: null,
      interrupted: false,
    },
    shutdownRequested: false,
    connectionLost: false,
    changedMeanwhile: false,
    reconnectAttempts: 0,
  };
}

/** A finished mailbox actor, as the orchestrator sees it. */
interface Finished {
  actorId: MailboxActorId;
  output: MailboxSyncOutput;
}

const errorParams = ({ event }: { event: { error: unknown } }) => ({ error: event.error });

/** After spawnMailboxes: the runtime selects the lanes' reserved mailboxes ahead. */
const SELECT_EARLY = {
  type: 'selectEarly',
  params: ({ context }: { context: OrchestratorContext }) => ({ selections: context.earlyRequests }),
} as const;

/** A global step's onError: keep the error as the run's fatal error, end in `failed`. */
const fail = {
  target: '#orchestrator.failed',
  actions: { type: 'recordFatal', params: errorParams },
} as const;

/** onError of a step that needs the connections: in watch mode a lost one is reconnected. */
const reconnectOrFail = [
  {
    guard: { type: 'canReconnect', params: errorParams },
    target: '#orchestrator.reconnecting',
    actions: 'noteConnectionLost',
  },
  fail,
] as const;

export const orchestratorMachine = setup({
  types: {
    input: {} as OrchestratorInput,
    context: {} as OrchestratorContext,
    events: {} as OrchestratorEvent,
    output: {} as OrchestratorOutput,
  },
  actors: {
    ...placeholderActors<OrchestratorActorContracts>({
      openDatabase: true,
      connectServers: true,
      listMailboxes: true,
      reconcileMailboxes: true,
      keepAlive: true,
      deleteMailboxes: true,
      findRenameConflicts: true,
      renameMailbox: true,
    }),
    mailboxSync: mailboxSyncMachine satisfies MailboxSyncLogic as MailboxSyncLogic,
  },
  delays: {
    /** Polling: the pause between two cycles. */
    watchInterval: ({ context }) => (context.watch?.intervalSeconds ?? 60) * 1000,
    /** NOTIFY: how long a connection may stay idle before a NOOP (--watch sets both, per the manual). */
    keepaliveInterval: ({ context }) => (context.watch?.intervalSeconds ?? 900) * 1000,
    reconnectDelay: ({ context }) => reconnectDelayMs(context.reconnectAttempts),
  },
  actions: {
    /** Provided by the runtime: one line per finished mailbox (progress, warnings, errors). */
    reportProgress: (_, _output: MailboxSyncOutput) => {},
    /** Provided by the runtime: log the lost connection and the coming reconnect attempt. */
    logReconnect: (_, _info: { attempt: number; delayMs: number }) => {},
    /** Provided by the runtime: SELECT lanes' next mailboxes ahead, on the slow server. */
    selectEarly: (_, _next: { selections: EarlySelection[] }) => {},
    recordFatal: assign({
      summary: ({ context }, { error }: { error: unknown }) => ({
        ...context.summary,
        fatal: toSyncError(error),
      }),
    }),
    noteShutdown: assign(({ context }) => ({
      shutdownRequested: true,
      summary: { ...context.summary, interrupted: true },
    })),
    noteConnectionLost: assign({ connectionLost: true }),
    noteChange: assign({ changedMeanwhile: true }),
    noteConnected: assign(({ context }) => ({ connectionLost: false, openableLanes: context.maxParallel })),
    resetBackoff: assign({ reconnectAttempts: 0 }),
    countReconnectAttempt: assign({ reconnectAttempts: ({ context }) => context.reconnectAttempts + 1 }),
    startCycle: assign(({ context }) => ({
      changedMeanwhile: false,
      summary: { ...context.summary, cycles: context.summary.cycles + 1, failures: [] },
    })),
    recordListing: assign(({ context }, listing: ListingOutcome) => ({
      changes: listing.changes,
      queue: listing.toSync,
      cycleLanes: Math.max(1, Math.min(context.openableLanes, listing.lanes ?? context.maxParallel)),
      cycleEarlySelect: listing.earlySelect === true,
      reserved: {},
    })),
    countMailboxChanges: assign({
      summary: ({ context }, { applied }: { applied: number }) => ({
        ...context.summary,
        mailboxChanges: context.summary.mailboxChanges + applied,
      }),
    }),
    recordRenameConflict: assign({
      summary: ({ context }, { existsOn }: { existsOn: Target[] }) => {
        const { dest } = context.command as Extract<Command, { name: 'rename' }>;
        const fatal: SyncError = {
          kind: 'mailbox-exists',
          message: `mailbox ${dest} exists on ${existsOn.join(', ')}; delete it there first (--delete with --target)`,
          mailbox: dest,
        };
        return { ...context.summary, fatal };
      },
    }),
    /**
     * Fill the free lanes, each with the mailbox reserved for it or the queue's next, unless
     * stopping or the connections are gone. With early selection, a lane that starts a mailbox
     * reserves the queue's next one and has it selected on its other connection to the slow server.
     */
    spawnMailboxes: enqueueActions(({ context, enqueue }) => {
      if (context.shutdownRequested || context.connectionLost) {
        enqueue.assign({ earlyRequests: [] });
        return;
      }
      const busy = new Set(Object.values(context.running).map((r) => r.lane));
      const running = { ...context.running };
      const queue = [...context.queue];
      const reserved = { ...context.reserved };
      const laneRuns = { ...context.laneRuns };
      const earlyRequests: EarlySelection[] = [];
      const started: number[] = [];
      let spawnedCount = context.spawnedCount;
      for (let lane = 0; lane < context.cycleLanes; lane++) {
        if (busy.has(lane)) continue;
        // A lane with nothing reserved may have none left while a later lane still has its own.
        const mailbox = reserved[lane] ?? queue.shift();
        if (mailbox === undefined) continue;
        delete reserved[lane];
        const runs = laneRuns[lane] ?? 0;
        laneRuns[lane] = runs + 1;
        const id: MailboxActorId = `mailbox.${spawnedCount++}`;
        enqueue.spawnChild('mailboxSync', {
          id,
          input: {
            mailbox,
            lane,
            repair: context.command.name === 'repair',
            slot: context.cycleEarlySelect ? runs % 2 : 0,
          },
        });
        running[id] = { mailbox, lane };
        started.push(lane);
      }
      // After every free lane has its mailbox: they start in the queue's order.
      for (const lane of context.cycleEarlySelect ? started : []) {
        const next = queue.shift();
        if (next === undefined) break;
        reserved[lane] = next;
        earlyRequests.push({ mailbox: next, lane, slot: laneRuns[lane]! % 2 });
      }
      enqueue.assign({ running, queue, reserved, laneRuns, earlyRequests, spawnedCount });
    }),
    collectMailbox: enqueueActions(({ context, enqueue }, { actorId, output }: Finished) => {
      const { [actorId]: done, ...running } = context.running;
      const { summary } = context;
      enqueue.stopChild(actorId);
      // Its lane could not open: the mailbox was not touched. It waits for one of the lanes below,
      // with those reserved for the lanes given up.
      if (output.status === 'failed' && output.error.kind === 'lane-unavailable' && done && done.lane > 0) {
        const openableLanes = Math.min(context.openableLanes, done.lane);
        const reserved: Record<number, string> = {};
        const released: string[] = [];
        for (const [lane, mailbox] of Object.entries(context.reserved)) {
          if (Number(lane) < openableLanes) reserved[Number(lane)] = mailbox;
          else released.push(mailbox);
        }
        enqueue.assign({
          running,
          queue: [output.mailbox, ...released, ...context.queue],
          reserved,
          openableLanes,
          cycleLanes: Math.min(context.cycleLanes, openableLanes),
        });
        return;
      }
      const failure = output.status === 'failed' ? [{ mailbox: output.mailbox, error: output.error }] : [];
      enqueue.assign({
        running,
        connectionLost: context.connectionLost || failure.some((f) => f.error.kind === 'connection'),
        summary: {
          ...summary,
          mailboxes: { ...summary.mailboxes, [output.status]: summary.mailboxes[output.status] + 1 },
          counts: addCounts(summary.counts, output.counts),
          failures: [...summary.failures, ...failure],
        },
      });
    }),
    /** Only the orchestrator talks to mailbox actors: ask each to stop at its next checkpoint. */
    stopMailboxes: enqueueActions(({ context, enqueue }) => {
      for (const id of Object.keys(context.running)) enqueue.sendTo(id, { type: 'mailbox.stop' });
    }),
  },
  guards: {
    isDeleting: ({ context }) => context.command.name === 'delete',
    isRenaming: ({ context }) => context.command.name === 'rename',
    isWatching: ({ context }) => context.watch !== null,
    isNotifying: ({ context }) => context.watch?.notify === true,
    planAborts: (_, listing: { abort: SyncError | null }) => listing.abort !== null,
    hasMailboxChanges: (_, listing: { changes: MailboxChange[] }) => listing.changes.length > 0,
    destinationExists: (_, conflicts: { existsOn: Target[] }) => conflicts.existsOn.length > 0,
    allMailboxesFinished: ({ context }) =>
      Object.keys(context.running).length === 0 &&
      ((context.queue.length === 0 && Object.keys(context.reserved).length === 0) ||
        context.shutdownRequested ||
        context.connectionLost),
    isShuttingDown: ({ context }) => context.shutdownRequested,
    hasLostConnection: ({ context }) => context.connectionLost,
    hasChangedMeanwhile: ({ context }) => context.changedMeanwhile,
    canReconnect: ({ context }, { error }: { error: unknown }) =>
      context.watch !== null && toSyncError(error).kind === 'connection',
  },
}).createMachine({
  id: 'orchestrator',
  context: ({ input }) => initialContext(input),
  on: {
    // Between mailbox checkpoints nothing needs finishing: leaving the state aborts its actor.
    shutdown: { target: '.done', actions: 'noteShutdown' },
    'notify.changed': { actions: 'noteChange' },
    // No new mailbox starts on a dead connection; without --watch nothing will bring it back.
    'connection.lost': [
      { guard: 'isWatching', actions: 'noteConnectionLost' },
      {
        actions: [
          'noteConnectionLost',
          { type: 'recordFatal', params: ({ event }) => ({ error: event.error }) },
        ],
      },
    ],
  },
  initial: 'openingDatabase',
  states: {
    openingDatabase: {
      meta: { label: 'open and lock the state database' },
      invoke: {
        id: 'openDatabase',
        src: 'openDatabase',
        onDone: 'connecting',
        onError: fail,
      },
    },
    // One actor connects both sides (and all lanes) concurrently rather than a region per side:
    // nothing can start before both are up, and a single failure path aborts the other side.
    connecting: {
      meta: { label: 'connect to both servers concurrently' },
      invoke: {
        id: 'connectServers',
        src: 'connectServers',
        input: ({ context }) => connectInput(context),
        onDone: [
          { guard: 'isDeleting', target: 'deleting', actions: 'noteConnected' },
          { guard: 'isRenaming', target: 'checkingRename', actions: 'noteConnected' },
          { target: 'listing', actions: 'noteConnected' },
        ],
        onError: reconnectOrFail,
      },
    },
    reconnecting: {
      meta: { label: 'connection lost: back off, then connect again' },
      entry: [
        'countReconnectAttempt',
        {
          type: 'logReconnect',
          params: ({ context }) => ({
            attempt: context.reconnectAttempts,
            delayMs: reconnectDelayMs(context.reconnectAttempts),
          }),
        },
      ],
      after: { reconnectDelay: 'connecting' },
    },
    listing: {
      meta: { label: 'LIST both servers concurrently and plan against the database' },
      entry: 'startCycle',
      invoke: {
        id: 'listMailboxes',
        src: 'listMailboxes',
        input: ({ context }) => ({
          mailboxes: syncsMailboxes(context.command) ? context.command.mailboxes : [],
          repair: context.command.name === 'repair',
        }),
        onDone: [
          {
            guard: { type: 'planAborts', params: ({ event }) => event.output },
            target: 'failed',
            actions: { type: 'recordFatal', params: ({ event }) => ({ error: event.output.abort }) },
          },
          {
            guard: { type: 'hasMailboxChanges', params: ({ event }) => event.output },
            target: 'reconciling',
            actions: { type: 'recordListing', params: ({ event }) => event.output },
          },
          { target: 'syncing', actions: { type: 'recordListing', params: ({ event }) => event.output } },
        ],
        onError: reconnectOrFail,
      },
    },
    reconciling: {
      meta: { label: 'create and subscribe mailboxes so both lists match' },
      invoke: {
        id: 'reconcileMailboxes',
        src: 'reconcileMailboxes',
        input: ({ context }) => ({ changes: context.changes }),
        onDone: {
          target: 'syncing',
          actions: {
            type: 'countMailboxChanges',
            params: ({ context }) => ({ applied: context.changes.length }),
          },
        },
        onError: reconnectOrFail,
      },
    },
    syncing: {
      meta: { label: 'one mailboxSync actor per dirty mailbox, maxParallel at once' },
      entry: ['spawnMailboxes', SELECT_EARLY],
      on: {
        'xstate.done.actor.mailbox.*': {
          actions: [
            {
              type: 'collectMailbox',
              params: ({ event }) => ({ actorId: event.actorId, output: event.output }),
            },
            { type: 'reportProgress', params: ({ event }) => event.output },
            'spawnMailboxes',
            SELECT_EARLY,
          ],
        },
        // A mailbox actor that throws is a bug, but still only that mailbox's failure.
        'xstate.error.actor.mailbox.*': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const { mailbox } = context.running[event.actorId]!;
            const output: MailboxSyncOutput = {
              mailbox,
              status: 'failed',
              counts: zeroCounts(),
              error: toSyncError(event.error, mailbox),
            };
            enqueue({ type: 'collectMailbox', params: { actorId: event.actorId, output } });
            enqueue({ type: 'reportProgress', params: output });
            enqueue('spawnMailboxes');
            enqueue(SELECT_EARLY);
          }),
        },
        shutdown: { actions: ['noteShutdown', 'stopMailboxes'] },
      },
      always: { guard: 'allMailboxesFinished', target: 'concludingCycle' },
    },
    concludingCycle: {
      meta: { label: 'choose: finish, reconnect, list again or wait' },
      always: [
        { guard: 'isShuttingDown', target: 'done' },
        { guard: not('isWatching'), target: 'done' },
        { guard: 'hasLostConnection', target: 'reconnecting' },
        { guard: 'hasChangedMeanwhile', target: 'listing' },
        { target: 'waiting' },
      ],
    },
    waiting: {
      meta: { label: 'watch: sleep, or wait for NOTIFY with a NOOP keepalive' },
      // A whole cycle went through: the connections work again, back-off starts over.
      entry: 'resetBackoff',
      after: {
        watchInterval: { guard: not('isNotifying'), target: 'listing' },
        keepaliveInterval: { guard: 'isNotifying', target: 'keepingAlive' },
      },
      on: {
        'notify.changed': 'listing',
        'connection.lost': { target: 'reconnecting', actions: 'noteConnectionLost' },
      },
    },
    keepingAlive: {
      meta: { label: 'NOOP on every connection' },
      invoke: {
        id: 'keepAlive',
        src: 'keepAlive',
        onDone: [{ guard: 'hasChangedMeanwhile', target: 'listing' }, { target: 'waiting' }],
        onError: reconnectOrFail,
      },
    },
    deleting: {
      meta: { label: '--delete on each target' },
      invoke: {
        id: 'deleteMailboxes',
        src: 'deleteMailboxes',
        input: ({ context }) => context.command as Extract<Command, { name: 'delete' }>,
        onDone: {
          target: 'done',
          actions: {
            type: 'countMailboxChanges',
            params: ({ event }) => ({ applied: event.output.deleted }),
          },
        },
        onError: fail,
      },
      // A half-done delete is worse than a slow exit: finish it.
      on: { shutdown: { actions: 'noteShutdown' } },
    },
    checkingRename: {
      meta: { label: '--rename: DEST must exist on no target' },
      invoke: {
        id: 'findRenameConflicts',
        src: 'findRenameConflicts',
        input: ({ context }) => context.command as Extract<Command, { name: 'rename' }>,
        onDone: [
          {
            guard: { type: 'destinationExists', params: ({ event }) => event.output },
            target: 'failed',
            actions: { type: 'recordRenameConflict', params: ({ event }) => event.output },
          },
          { target: 'renaming' },
        ],
        onError: fail,
      },
    },
    renaming: {
      meta: { label: '--rename on each target' },
      invoke: {
        id: 'renameMailbox',
        src: 'renameMailbox',
        input: ({ context }) => context.command as Extract<Command, { name: 'rename' }>,
        onDone: {
          target: 'done',
          actions: {
            type: 'countMailboxChanges',
            params: ({ event }) => ({ applied: event.output.renamed }),
          },
        },
        onError: fail,
      },
      on: { shutdown: { actions: 'noteShutdown' } },
    },
    done: { type: 'final', meta: { label: 'finished (exit 1 if a mailbox failed)' } },
    failed: { type: 'final', meta: { label: 'a global step failed (exit 1)' } },
  },
  output: ({ context }): OrchestratorOutput => {
    const { summary } = context;
    const exitCode = summary.fatal !== null || summary.failures.length > 0 ? 1 : 0;
    return { exitCode, summary };
  },
});
