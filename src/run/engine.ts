// The RunEngine behind `interimap`: configuration → connection options and SyncContext, the
// orchestrator chart with the runtime's actors provided, SIGINT/SIGTERM as its `shutdown` event,
// and the exit code, error lines and summary line of the run.
import { createActor } from 'xstate';
import type {
  Command,
  MailboxSyncOutput,
  OrchestratorInput,
  OrchestratorOutput,
} from '../../machines/contracts.js';
import {
  type MailboxSyncLogic,
  type OrchestratorEvent,
  orchestratorMachine,
} from '../../machines/orchestrator.js';
import type { Invocation, RunEngine } from '../cli/invocation.js';
import { defaultDatabasePath } from '../config/paths.js';
import type { Config } from '../config/types.js';
import { type ImapConnection, openConnection } from '../imap/connection.js';
import type { Logger } from '../log/logger.js';
import { StateStore } from '../store/index.js';
import type { SyncContext } from '../sync/runtime/context.js';
import { runtimeError } from '../sync/runtime/errors.js';
import { mailboxSyncLogic } from '../sync/runtime/mailbox-actors.js';
import { createOrchestratorActors } from '../sync/runtime/orchestrator-actors.js';
import { connectionOptions } from './connection-options.js';
import { imapLogger, syncLogger } from './loggers.js';
import { RunContext } from './run-context.js';
import { describeCounts, summaryLine } from './summary.js';

/** The mailbox actors' logic for a context (src/sync/runtime/mailbox-actors.ts). */
export type MailboxSyncFactory = (ctx: SyncContext<ImapConnection>) => MailboxSyncLogic;

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

export function createRunEngine(mailboxSync: MailboxSyncFactory = mailboxSyncLogic): RunEngine {
  return (inv, config, logger) => run(inv, config, logger, mailboxSync);
}

async function run(
  inv: Invocation,
  config: Config,
  logger: Logger,
  mailboxSync: MailboxSyncFactory,
): Promise<number> {
  const started = process.hrtime.bigint();
  const watching = inv.watch !== undefined;
  const ctx = new RunContext(syncLogger(logger));
  const input: OrchestratorInput = {
    command: commandOf(inv),
    maxParallel: config.maxConnections,
    watch: watching ? { intervalSeconds: inv.watch!, notify: inv.notify } : null,
  };
  // Late-bound: the actors report to the chart actor created below.
  let send: (event: OrchestratorEvent) => void = () => {};
  // Opened and locked before the chart starts (so before any network traffic): the mailbox actors
  // bind the store when they are created. The manual: --watch never creates the database.
  try {
    ctx.store = StateStore.open(defaultDatabasePath(config, process.env), { create: !watching });
  } catch (error) {
    logError(logger, runtimeError(error).message);
    return 1;
  }
  const runtime = createOrchestratorActors(ctx, {
    openStore: () => ctx.store,
    openConnection: (side) =>
      openConnection(
        connectionOptions(config[side], { debug: inv.debug, watch: watching }),
        imapLogger(logger),
      ),
    listing: {
      references: { local: config.local.listReference, remote: config.remote.listReference },
      selectOpts: config.listSelectOpts,
      ...(config.listMailbox !== undefined && { patterns: config.listMailbox }),
      ...(config.ignoreMailbox !== undefined && { ignore: config.ignoreMailbox }),
    },
    notify: inv.notify ? { changed: () => send({ type: 'notify.changed' }) } : null,
    connectionLost: (error) => send({ type: 'connection.lost', error }),
  });
  const mailboxName = (output: MailboxSyncOutput) =>
    ctx.mailboxes.get(output.mailbox)?.local ?? output.mailbox.replaceAll('\0', '/');
  const machine = orchestratorMachine.provide({
    actors: { ...runtime.actors, mailboxSync: mailboxSync(ctx) },
    actions: {
      reportProgress: (_, output: MailboxSyncOutput) => {
        if (output.status === 'failed')
          logger.error(undefined, `mailbox ${mailboxName(output)}: ${output.error.message}`);
        else {
          const counts = describeCounts(output.counts);
          if (counts !== null) logger.info(undefined, `mailbox ${mailboxName(output)}: ${counts}`);
        }
      },
      logReconnect: (_, { attempt, delayMs }: { attempt: number; delayMs: number }) =>
        logger.warn(undefined, `connection lost; reconnecting in ${delayMs / 1000}s (attempt ${attempt})`),
    },
  });
  const actor = createActor(machine, { input });
  send = (event) => actor.send(event);
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
    if (summary.fatal !== null) for (const line of summary.fatal.message.split('\n')) logError(logger, line);
    if (input.command.name === 'sync' || input.command.name === 'repair') {
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
  }
}

/** An error line; one naming its server ("remote: …") is logged as that component's. */
function logError(logger: Logger, line: string): void {
  const side = /^(local|remote): /.exec(line);
  if (side === null) logger.error(undefined, line);
  else logger.error(side[1] as 'local' | 'remote', line.slice(side[0].length));
}
