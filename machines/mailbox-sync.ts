// The mailbox sync chart: one actor per mailbox walks the InterIMAP algorithm (SELECT, propagate
// expunges and flags, checkpoint HIGHESTMODSEQ, copy new messages, checkpoint UIDNEXT) and ends
// in a final state whose output is the counts per direction, or the error as data.
//
// A copy of new messages small enough for one APPEND starts with the expunge step and the flag
// step waits for it (src/sync/runtime/new-mail.ts): the copy step then finds it done, and no
// checkpoint can pass it.
//
// SELECT runs as ONE invoked actor returning both servers' results, not as two parallel regions:
// the runtime issues both SELECTs concurrently anyway, the UIDVALIDITY and resume decisions need
// both results at once, and one invoke gives one error path (leaving the state aborts both).
import { assign, setup } from 'xstate';
import type {
  AppendOutcome,
  CountsDelta,
  MailboxActorContracts,
  MailboxStepInput,
  MailboxSyncInput,
  MailboxSyncOutput,
  PropagationOutcome,
  SelectOutcome,
  SyncCounts,
  SyncError,
} from './contracts.js';
import { addCounts, zeroCounts } from './counts.js';
import { placeholderActors } from './placeholders.js';
import { toSyncError } from './sync-error.js';

export interface MailboxSyncContext extends MailboxSyncInput {
  counts: SyncCounts;
  /** The latest SELECT result, without the UID sets (those stay with the runtime). */
  selected: Pick<SelectOutcome, 'local' | 'remote'> | null;
  /** The latest step left unsolicited updates to propagate. */
  pendingUpdates: boolean;
  /** The orchestrator asked to stop at the next checkpoint (shutdown). */
  stopRequested: boolean;
  error: SyncError | null;
}

/** Sent by the orchestrator only: finish the current step, stop at the next checkpoint. */
export type MailboxSyncEvent = { type: 'mailbox.stop' };

/** Every step's onError: keep the error as data and end in `failed`. */
const failWithError = {
  target: 'failed',
  actions: {
    type: 'recordError',
    params: ({ event }: { event: { error: unknown } }) => ({ error: event.error }),
  },
} as const;

export const mailboxSyncMachine = setup({
  types: {
    input: {} as MailboxSyncInput,
    context: {} as MailboxSyncContext,
    events: {} as MailboxSyncEvent,
    output: {} as MailboxSyncOutput,
  },
  actors: placeholderActors<MailboxActorContracts>({
    selectMailbox: true,
    fullSync: true,
    propagateExpunges: true,
    propagateFlags: true,
    checkpointModseq: true,
    appendNew: true,
    checkpointUidnext: true,
  }),
  actions: {
    addCounts: assign({ counts: ({ context }, delta: CountsDelta) => addCounts(context.counts, delta) }),
    recordSelection: assign({ selected: (_, { local, remote }: SelectOutcome) => ({ local, remote }) }),
    recordAppendPass: assign(({ context }, outcome: AppendOutcome) => ({
      counts: addCounts(context.counts, outcome.counts),
      pendingUpdates: outcome.pendingUpdates,
    })),
    recordUidValidityChange: assign({
      error: ({ context }, outcome: SelectOutcome): SyncError => ({
        kind: 'uidvalidity-changed',
        message: `UIDVALIDITY changed on ${outcome.uidValidityChanged.join(' and ')}: the stored UIDs are void`,
        mailbox: context.mailbox,
      }),
    }),
    recordError: assign({
      error: ({ context }, { error }: { error: unknown }) => toSyncError(error, context.mailbox),
    }),
    noteStopRequest: assign({ stopRequested: true }),
  },
  guards: {
    uidValidityChanged: (_, outcome: SelectOutcome) => outcome.uidValidityChanged.length > 0,
    needsResume: (_, outcome: SelectOutcome) => outcome.interrupted,
    isRepairing: ({ context }) => context.repair,
    hasPendingUpdates: (_, outcome: PropagationOutcome) => outcome.pendingUpdates,
    hasUpdatesFromCopying: ({ context }) => context.pendingUpdates,
    hasNewMessages: (_, outcome: AppendOutcome) => outcome.newMessages,
    isStopRequested: ({ context }) => context.stopRequested,
  },
}).createMachine({
  id: 'mailboxSync',
  context: ({ input }) => ({
    ...input,
    counts: zeroCounts(),
    selected: null,
    pendingUpdates: false,
    stopRequested: false,
    error: null,
  }),
  // Stopping is deferred to the next checkpoint: the database stays consistent and the next
  // run resumes from there (a step cut short would leave a half-propagated change behind).
  on: { 'mailbox.stop': { actions: 'noteStopRequest' } },
  initial: 'selecting',
  states: {
    selecting: {
      meta: { label: 'SELECT on both servers (QRESYNC)' },
      invoke: {
        id: 'selectMailbox',
        src: 'selectMailbox',
        input: ({ context }) => ({
          mailbox: context.mailbox,
          lane: context.lane,
          repair: context.repair,
          slot: context.slot,
        }),
        onDone: [
          {
            guard: { type: 'uidValidityChanged', params: ({ event }) => event.output },
            target: 'failed',
            actions: { type: 'recordUidValidityChange', params: ({ event }) => event.output },
          },
          { guard: 'isStopRequested', target: 'stopped' },
          {
            guard: 'isRepairing',
            target: 'repairing',
            actions: { type: 'recordSelection', params: ({ event }) => event.output },
          },
          {
            guard: { type: 'needsResume', params: ({ event }) => event.output },
            target: 'resuming',
            actions: { type: 'recordSelection', params: ({ event }) => event.output },
          },
          {
            target: 'propagatingExpunges',
            actions: { type: 'recordSelection', params: ({ event }) => event.output },
          },
        ],
        onError: failWithError,
      },
    },
    resuming: {
      meta: { label: 'full sync of the messages an interrupted run was replicating' },
      invoke: {
        id: 'fullSync',
        src: 'fullSync',
        input: ({ context }) => ({ ...stepInput(context), scope: 'interrupted' as const }),
        onDone: {
          target: 'propagatingExpunges',
          actions: { type: 'addCounts', params: ({ event }) => event.output.counts },
        },
        onError: failWithError,
      },
    },
    repairing: {
      meta: { label: 'full sync of the whole mailbox (--repair)' },
      invoke: {
        id: 'fullSync',
        src: 'fullSync',
        input: ({ context }) => ({ ...stepInput(context), scope: 'mailbox' as const }),
        onDone: {
          target: 'checkpointingModseq',
          actions: { type: 'addCounts', params: ({ event }) => event.output.counts },
        },
        onError: failWithError,
      },
    },
    propagatingExpunges: {
      meta: { label: 'UID STORE \\Deleted + UID EXPUNGE of vanished messages on the other side' },
      invoke: {
        id: 'propagateExpunges',
        src: 'propagateExpunges',
        input: ({ context }) => stepInput(context),
        onDone: {
          target: 'propagatingFlags',
          actions: { type: 'addCounts', params: ({ event }) => event.output.counts },
        },
        onError: failWithError,
      },
    },
    propagatingFlags: {
      meta: { label: 'UID STORE of flag updates, one per flag list; waits for a small early copy' },
      invoke: {
        id: 'propagateFlags',
        src: 'propagateFlags',
        input: ({ context }) => stepInput(context),
        onDone: [
          // Spec step 2: repeat while the servers sent updates meanwhile; HIGHESTMODSEQ must not
          // be stored past an update not yet propagated.
          {
            guard: { type: 'hasPendingUpdates', params: ({ event }) => event.output },
            target: 'propagatingExpunges',
            actions: { type: 'addCounts', params: ({ event }) => event.output.counts },
          },
          {
            target: 'checkpointingModseq',
            actions: { type: 'addCounts', params: ({ event }) => event.output.counts },
          },
        ],
        onError: failWithError,
      },
    },
    checkpointingModseq: {
      meta: { label: 'store HIGHESTMODSEQ of both servers' },
      invoke: {
        id: 'checkpointModseq',
        src: 'checkpointModseq',
        input: ({ context }) => stepInput(context),
        onDone: [{ guard: 'isStopRequested', target: 'stopped' }, { target: 'appendingNew' }],
        onError: failWithError,
      },
    },
    appendingNew: {
      meta: { label: 'UID FETCH new messages and APPEND them to the other side, both ways' },
      invoke: {
        id: 'appendNew',
        src: 'appendNew',
        input: ({ context }) => stepInput(context),
        onDone: [
          // Spec step 3: repeat while either server received new messages meanwhile, unless a
          // stop is pending: then checkpoint what is copied.
          {
            guard: 'isStopRequested',
            target: 'checkpointingUidnext',
            actions: { type: 'recordAppendPass', params: ({ event }) => event.output },
          },
          {
            guard: { type: 'hasNewMessages', params: ({ event }) => event.output },
            target: 'appendingNew',
            reenter: true,
            actions: { type: 'recordAppendPass', params: ({ event }) => event.output },
          },
          {
            target: 'checkpointingUidnext',
            actions: { type: 'recordAppendPass', params: ({ event }) => event.output },
          },
        ],
        onError: failWithError,
      },
    },
    checkpointingUidnext: {
      meta: { label: 'store UIDNEXT of both servers' },
      invoke: {
        id: 'checkpointUidnext',
        src: 'checkpointUidnext',
        input: ({ context }) => stepInput(context),
        onDone: [
          { guard: 'isStopRequested', target: 'stopped' },
          // Back to spec step 2 (expunges included: VANISHED is metadata too) when updates
          // arrived while copying.
          { guard: 'hasUpdatesFromCopying', target: 'propagatingExpunges' },
          { target: 'done' },
        ],
        onError: failWithError,
      },
    },
    done: { type: 'final', meta: { label: 'mailbox in sync' } },
    stopped: { type: 'final', meta: { label: 'stopped at a checkpoint (shutdown)' } },
    failed: { type: 'final', meta: { label: 'failed; error kept as data' } },
  },
  output: ({ context }): MailboxSyncOutput => {
    const { mailbox, counts, error } = context;
    if (error !== null) return { mailbox, status: 'failed', counts, error };
    return { mailbox, status: context.stopRequested ? 'stopped' : 'synced', counts };
  },
});

function stepInput(context: MailboxSyncContext): MailboxStepInput {
  return { mailbox: context.mailbox, lane: context.lane };
}
