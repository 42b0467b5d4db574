// The bulk of a run, loaded by the engine (engine.ts) once the database is locked: connection
// options and SyncContext, the orchestrator chart with the runtime's actors provided, SIGINT/SIGTERM
// as its `shutdown` event, and the exit code, error lines and summary line of the run.
import { type Actor, createActor } from 'xstate';
import type {
  Command,
  EarlySelection,
  MailboxSyncOutput,
  OrchestratorInput,
  OrchestratorOutput,
  RunSummary,
  SyncCounts,
} from '../../machines/contracts.js';
import { type OrchestratorEvent, orchestratorMachine } from '../../machines/orchestrator.js';
import { type Invocation, synchronizes } from '../cli/invocation.js';
import type { Config } from '../config/types.js';
import { openConnection } from '../imap/connection.js';
import type { Logger } from '../log/logger.js';
import type { Progress } from '../progress/progress.js';
import type { StateStore } from '../store/index.js';
import { runtimeError } from '../sync/runtime/errors.js';
import { earlySelector, mailboxSyncLogic } from '../sync/runtime/mailbox-actors.js';
import { createOrchestratorActors } from '../sync/runtime/orchestrator-actors.js';
import { connectionActorName } from '../viz/actor-names.js';
import type { TraceRecorder } from '../viz/trace.js';
import { connectionOptions, runFlagsOf } from './connection-options.js';
import { watchCopies } from './copy-watch.js';
import type { MailboxSyncFactory } from './engine.js';
import { imapLogger, logError, logWarning, syncLogger } from './loggers.js';
import { RunContext } from './run-context.js';
import { describeCounts, summaryLine, summarySince } from './summary.js';

function commandOf(inv: Invocation): Command {
  switch (inv.command) {
    case 'sync':
    case 'repair':
      return { name: inv.command, mailboxes: inv.mailboxes };
    case 'delete':
      return { name: 'delete', mailboxes: inv.mailboxes, targets: inv.targets };
    case 'rename':
      return { name: 'rename', source: inv.mailboxes[0]!, dest: inv.mailboxes[1]!, targets: inv.targets };
  }
}

/** What the engine hands over: the run, with the database open and locked. */
export interface ChartRun {
  inv: Invocation;
  config: Config;
  logger: Logger;
  progress: Progress | undefined;
  store: StateStore;
  recorder: TraceRecorder | undefined;
  /** When the run started (process.hrtime.bigint()), for the summary line. */
  started: bigint;
  /** The mailbox actors' logic (tests stand in their own); default: mailboxSyncLogic. */
  mailboxSync: MailboxSyncFactory | undefined;
  /** Told, as the run ends, that it synchronized mailboxes, and what it did to them. */
  mailboxesSynced: ((counts: SyncCounts) => void) | undefined;
}

/** Runs the orchestrator chart; resolves to the exit code. Closes the database and the recorder. */
export async function runChart(run: ChartRun): Promise<number> {
  const { inv, config, logger, progress, recorder, started } = run;
  const mailboxSync = run.mailboxSync ?? mailboxSyncLogic;
  const watching = inv.watch !== undefined;
  const ctx = new RunContext(syncLogger(logger));
  const input: OrchestratorInput = {
    command: commandOf(inv),
    maxParallel: config.maxConnections,
    watch: watching ? { intervalSeconds: inv.watch!, notify: inv.notify } : null,
  };
  // Late-bound: the actors report to the chart actor created below.
  let send: (event: OrchestratorEvent) => void = () => {};
  ctx.store = run.store;
  const copies = watchCopies(progress, recorder, (mailbox) => displayedName(ctx, mailbox));
  if (copies !== undefined) ctx.copies = copies;
  const runtime = createOrchestratorActors(ctx, {
    openConnection: (side, lane, onSetupQueued, spare) =>
      openConnection(
        {
          ...connectionOptions(config[side], runFlagsOf(inv)),
          ...(onSetupQueued && { onSetupQueued }),
          ...(recorder && {
            trace: { inspect: recorder.inspect, systemId: connectionActorName(side, lane, spare) },
          }),
        },
        imapLogger(logger),
      ),
    listing: {
      references: { local: config.local.listReference, remote: config.remote.listReference },
      selectOpts: config.listSelectOpts,
      ...(config.listMailbox !== undefined && { patterns: config.listMailbox }),
      ...(config.ignoreMailbox !== undefined && { ignore: config.ignoreMailbox }),
    },
    notify: inv.notify ? { changed: () => send({ type: 'notify.changed' }) } : null,
    listEarly: synchronizes(inv.command) && inv.mailboxes.length === 0 && !inv.notify,
    connectionLost: (error) => send({ type: 'connection.lost', error }),
  });
  // Early selections serve the real mailbox actors only (a stand-in selects nothing).
  const selectEarly = run.mailboxSync === undefined ? earlySelector(ctx) : () => {};
  const machine = orchestratorMachine.provide({
    actors: { ...runtime.actors, mailboxSync: mailboxSync(ctx) },
    actions: {
      ...progressActions(logger, ctx, progress),
      selectEarly: (_, { selections }: { selections: EarlySelection[] }) => selectEarly(selections),
    },
  });
  const actor = createActor(machine, { input, ...(recorder && { inspect: recorder.inspect }) });
  if (progress?.enabled) showMailboxesStarting(actor, ctx, progress);
  send = (event) => actor.send(event);
  if (watching) {
    logCycles(actor, logger);
    whenWaiting(actor, () =>
      runtime.beforeWaiting().catch((error: unknown) => logError(logger, runtimeError(error).message)),
    );
  }
  const output = new Promise<OrchestratorOutput>((resolve, reject) => {
    actor.subscribe({
      complete: () => resolve(actor.getSnapshot().output!),
      error: reject,
    });
  });
  const shutdown = () => actor.send({ type: 'shutdown' });
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  try {
    actor.start();
    const { exitCode, summary } = await output;
    if (summary.mailboxes.synced > 0) run.mailboxesSynced?.(summary.counts);
    if (summary.fatal !== null) for (const line of summary.fatal.message.split('\n')) logError(logger, line);
    if (progress?.enabled) progress.finish(summary);
    else if (synchronizes(inv.command)) {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      logger.info(undefined, summaryLine(summary, seconds));
    }
    return exitCode;
  } catch (error) {
    logger.error(
      undefined,
      `internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    return 1;
  } finally {
    process.off('SIGINT', shutdown);
    process.off('SIGTERM', shutdown);
    actor.stop();
    await runtime.servers.closeAll();
    ctx.close();
    await recorder?.close().catch((error: Error) => logger.warn(undefined, error.message));
  }
}

/** The chart's logging actions: one line per finished mailbox worth it, one per reconnect. */
function progressActions(logger: Logger, ctx: RunContext, progress: Progress | undefined) {
  const mailboxName = (output: MailboxSyncOutput) => displayedName(ctx, output.mailbox);
  return {
    reportProgress: (_: unknown, output: MailboxSyncOutput) => {
      if (output.status === 'failed' && output.error.kind === 'lane-unavailable') {
        const why = `${output.error.message}; going on with fewer connections`;
        logWarning(logger, `${why} (max-connections is above what the server accepts)`);
        return;
      }
      progress?.mailboxDone(mailboxName(output), output.status);
      if (output.status === 'failed') {
        logger.error(undefined, `mailbox ${mailboxName(output)}: ${output.error.message}`);
        return;
      }
      // The mailbox runtime logs what it did as it goes; this is the total, for --debug.
      const counts = describeCounts(output.counts);
      if (counts !== null) logger.debug(undefined, `mailbox ${mailboxName(output)}: ${counts}`);
    },
    logReconnect: (_: unknown, { attempt, delayMs }: { attempt: number; delayMs: number }) =>
      logger.warn(undefined, `connection lost; reconnecting in ${delayMs / 1000}s (attempt ${attempt})`),
  };
}

/** Calls `enter` each time the chart starts waiting for the next cycle. */
function whenWaiting(actor: Actor<typeof orchestratorMachine>, enter: () => void): void {
  let previous: unknown;
  actor.subscribe((snapshot) => {
    if (snapshot.value === 'waiting' && previous !== 'waiting') enter();
    previous = snapshot.value;
  });
}

/** --watch: one summary line per cycle that synchronized a mailbox, as the cycle ends. */
function logCycles(actor: Actor<typeof orchestratorMachine>, logger: Logger): void {
  let before: RunSummary | undefined;
  let started = process.hrtime.bigint();
  let previous: unknown;
  actor.subscribe((snapshot) => {
    before ??= snapshot.context.summary;
    const state = snapshot.value;
    if (state === previous) return;
    if (state === 'listing' && previous !== 'reconciling') started = process.hrtime.bigint();
    if (state === 'waiting') {
      const cycle = summarySince(snapshot.context.summary, before);
      before = snapshot.context.summary;
      if (cycle.mailboxes.synced + cycle.mailboxes.failed > 0) {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        logger.info(undefined, `cycle ${cycle.cycles}: ${summaryLine(cycle, seconds)}`);
      }
    }
    previous = state;
  });
}

/** A mailbox as logs show it: its local name, else the database name with '/'. */
function displayedName(ctx: RunContext, dbName: string): string {
  return ctx.mailboxes.get(dbName)?.local ?? dbName.replaceAll('\0', '/');
}

/** The live progress line learns of each mailbox actor as the chart spawns it. */
function showMailboxesStarting(
  actor: Actor<typeof orchestratorMachine>,
  ctx: RunContext,
  progress: Progress,
): void {
  const seen = new Set<string>();
  actor.subscribe((snapshot) => {
    for (const [id, { mailbox }] of Object.entries(snapshot.context.running)) {
      if (seen.has(id)) continue;
      seen.add(id);
      progress.mailboxStarted(displayedName(ctx, mailbox));
    }
  });
}
