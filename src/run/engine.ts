// The RunEngine behind `interimap`: locks the state database, opens both servers' transports at
// once (a tunnel's server starts, a socket's TCP and TLS handshakes run), and only then loads the
// bulk of the run (run-chart.ts: IMAP, charts, sync runtime), which takes them over.
import type { SyncCounts } from '../../machines/contracts.js';
import type { MailboxSyncLogic } from '../../machines/orchestrator.js';
import { type Invocation, type RunEngine, synchronizes } from '../cli/invocation.js';
import { defaultDatabasePath } from '../config/paths.js';
import type { Config } from '../config/types.js';
import type { ImapConnection } from '../imap/connection.js';
import type { Logger } from '../log/logger.js';
import type { Progress } from '../progress/progress.js';
import { StateStore } from '../store/index.js';
import type { SyncContext } from '../sync/runtime/context.js';
import { loadTransportModules, startTransportEarly } from '../transport/transport.js';
import type { TraceRecorder } from '../viz/trace.js';
import { connectionOptions, runFlagsOf } from './connection-options.js';
import { logError } from './loggers.js';

/** The mailbox actors' logic for a context (src/sync/runtime/mailbox-actors.ts). */
export type MailboxSyncFactory = (ctx: SyncContext<ImapConnection>) => MailboxSyncLogic;

/** The RunEngine; without `progress` (tests) nothing is drawn. */
export type Engine = (
  inv: Invocation,
  config: Config,
  logger: Logger,
  progress?: Progress,
) => Promise<number>;

/** What the command is told of a run as it goes (src/cli/main.ts). */
export interface RunHooks {
  /**
   * The Node modules that reach the servers are loaded (node:tls for one over the network),
   * before the bulk of the run: the command sizes V8's heap there (src/run/heap-sizing.ts).
   */
  modulesLoaded?(): void;
  /** The run, now over, synchronized mailboxes with these counts (src/cli/compile-cache.ts keeps that code). */
  mailboxesSynced?(counts: SyncCounts): void;
}

/** `mailboxSync`: the mailbox actors' logic; default: the real one (mailboxSyncLogic). */
export function createRunEngine(mailboxSync?: MailboxSyncFactory, hooks: RunHooks = {}): Engine & RunEngine {
  return (inv, config, logger, progress) => run(inv, config, logger, mailboxSync, hooks, progress);
}

async function run(
  inv: Invocation,
  config: Config,
  logger: Logger,
  mailboxSync: MailboxSyncFactory | undefined,
  hooks: RunHooks,
  progress: Progress | undefined,
): Promise<number> {
  const started = process.hrtime.bigint();
  const watching = inv.watch !== undefined;
  let recorder: TraceRecorder | undefined;
  try {
    // Loaded only for --trace: the recorder pulls in every chart's definition (~10 ms of start-up).
    recorder =
      inv.trace === undefined ? undefined : (await import('../viz/trace.js')).createTraceRecorder(inv.trace);
  } catch (error) {
    logError(logger, (error as Error).message);
    return 1;
  }
  // Opened and locked before any server is started. The manual: --watch never creates the database.
  let store: StateStore;
  try {
    store = StateStore.open(defaultDatabasePath(config, process.env), { create: !watching });
  } catch (error) {
    logError(logger, (error as Error).message);
    await recorder?.close().catch((e: Error) => logger.warn(undefined, e.message));
    return 1;
  }
  const flags = runFlagsOf(inv);
  const transports = [config.local, config.remote].map(
    (server) => connectionOptions(server, flags).transport,
  );
  // A synchronization's first step opens one connection per server: their transports open now (the
  // connections take them over); stopEarly closes those no connection took.
  const stopEarly = synchronizes(inv.command) ? transports.map(startTransportEarly) : [];
  try {
    await Promise.all(transports.map(loadTransportModules));
    hooks.modulesLoaded?.();
    const { runChart } = await import('./run-chart.js');
    return await runChart({
      inv,
      config,
      logger,
      progress,
      store,
      recorder,
      started,
      mailboxSync,
      mailboxesSynced: hooks.mailboxesSynced,
    });
  } finally {
    for (const stop of stopEarly) stop();
  }
}
