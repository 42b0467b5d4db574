// The mailbox sync chart's actors with real effects: each step finds the lane's working state,
// does its IMAP work on both servers and checkpoints to the state database. Errors leave as
// {kind, message} data (machines/sync-error.ts), never as a bare TypeError.
import { fromPromise } from 'xstate';
import type { EarlySelection, MailboxActorContracts, SyncError } from '../../../machines/contracts.js';
import { mailboxSyncMachine } from '../../../machines/mailbox-sync.js';
import type { PromiseActors } from '../../../machines/placeholders.js';
import { type ImapConnection, ImapConnectionError } from '../../imap/connection.js';
import { ProtocolError } from '../../protocol/errors.js';
import { CommandFailed, ConnectionClosed } from '../../session/errors.js';
import { StoreError } from '../../store/index.js';
import type { SyncContext } from './context.js';
import { faultPoint } from './fault.js';
import { checkpointModseqOf, WorkTable } from './work.js';

type StepBodies = typeof import('./new-mail.js') &
  typeof import('./propagate.js') &
  typeof import('./resync.js') &
  typeof import('./select.js');
let loading: Promise<StepBodies> | undefined;

/** The steps' bodies, loaded with the first mailbox to sync: a no-op run never needs them (~7 ms). */
function bodies(): Promise<StepBodies> {
  loading ??= Promise.all([
    import('./new-mail.js'),
    import('./propagate.js'),
    import('./resync.js'),
    import('./select.js'),
  ]).then(([newMail, propagate, resync, select]) => ({ ...newMail, ...propagate, ...resync, ...select }));
  return loading;
}

/** Gives every failure a kind the chart understands, naming the mailbox. */
// Not runtimeError() (errors.ts): in a mailbox step a refused SELECT is 'server' and any close 'connection'.
export function classify(error: unknown, mailbox: string): SyncError {
  if (typeof error === 'object' && error !== null && !(error instanceof Error) && 'kind' in error) {
    return { mailbox, ...(error as SyncError) };
  }
  const message = error instanceof Error ? error.message : String(error);
  // A refused SELECT comes back as an ImapConnectionError of reason 'state'.
  if (error instanceof ImapConnectionError && error.reason === 'state')
    return { kind: 'server', message, mailbox };
  if (error instanceof ConnectionClosed || error instanceof ImapConnectionError) {
    return { kind: 'connection', message, mailbox };
  }
  if (error instanceof CommandFailed) return { kind: 'server', message, mailbox };
  if (error instanceof ProtocolError) return { kind: 'protocol', message, mailbox };
  if (error instanceof StoreError || (error instanceof Error && error.name === 'SqliteError')) {
    return { kind: 'database', message, mailbox };
  }
  return {
    kind: 'internal',
    message: error instanceof Error ? `${error.name}: ${message}` : message,
    mailbox,
  };
}

function step<I extends { mailbox: string }, O>(run: (input: I) => Promise<O>) {
  return fromPromise<O, I>(async ({ input }) => {
    try {
      return await run(input);
    } catch (error) {
      throw classify(error, input.mailbox);
    }
  });
}

/** One table per context: a lane's next mailbox must find (and detach) the previous one. */
const tables = new WeakMap<SyncContext<ImapConnection>, WorkTable<ImapConnection>>();

function tableFor<C extends ImapConnection>(ctx: SyncContext<C>): WorkTable<C> {
  let table = tables.get(ctx) as WorkTable<C> | undefined;
  if (table === undefined) {
    table = new WorkTable(ctx);
    tables.set(ctx, table as WorkTable<ImapConnection>);
  }
  return table;
}

export function createMailboxActors<C extends ImapConnection>(
  ctx: SyncContext<C>,
): PromiseActors<MailboxActorContracts> {
  const table = tableFor(ctx);
  const { store, logger } = ctx;
  return {
    selectMailbox: step(async (input) => (await bodies()).selectMailbox(table, input)),
    fullSync: step(async (input) =>
      (await bodies()).fullSync(store, logger, table.get(input.lane, input.mailbox), input),
    ),
    propagateExpunges: step(async (input) =>
      (await bodies()).propagateExpunges(store, logger, table.get(input.lane, input.mailbox)),
    ),
    propagateFlags: step(async (input) =>
      (await bodies()).propagateFlags(table.get(input.lane, input.mailbox)),
    ),
    checkpointModseq: step(async (input) => {
      const work = table.get(input.lane, input.mailbox);
      const { local, remote } = work.trackers;
      // Updates that arrived after the last propagation wait for the next round (or run).
      if (local.pending || remote.pending) return undefined;
      store.checkpointModseq(work.idx, checkpointModseqOf(work, 'local'), checkpointModseqOf(work, 'remote'));
      faultPoint();
      return undefined;
    }),
    appendNew: step(async (input) =>
      (await bodies()).appendNew(store, logger, table.get(input.lane, input.mailbox)),
    ),
    checkpointUidnext: step(async (input) =>
      (await bodies()).checkpointUidnext(store, table.get(input.lane, input.mailbox)),
    ),
  };
}

/**
 * The orchestrator's selectEarly action: SELECTs each lane's reserved mailbox on the lane's other
 * connection to the slow server (select.ts, selectEarly), for the mailbox's actor to take.
 */
export function earlySelector<C extends ImapConnection>(ctx: SyncContext<C>) {
  const table = tableFor(ctx);
  return (selections: readonly EarlySelection[]): void => {
    const side = ctx.earlySide;
    if (side === undefined) return;
    for (const request of selections) {
      const issued = table.announceEarly(request, side);
      bodies().then(({ selectEarly }) => selectEarly(table, request, side, issued), issued);
    }
  };
}

/** The mailbox chart with the runtime's actors, for the orchestrator to spawn one per mailbox. */
export function mailboxSyncLogic<C extends ImapConnection>(ctx: SyncContext<C>) {
  return mailboxSyncMachine.provide({ actors: createMailboxActors(ctx) });
}
