// The RunEngine behind `interimap`: locks the state database, starts the tunnel servers at once, and
// only then loads the bulk of the run (run-chart.ts: IMAP, charts, sync runtime), so that the
// servers start while ~70 ms of modules load instead of after.
import type { MailboxSyncLogic } from '../../machines/orchestrator.js';
import type { Invocation, RunEngine } from '../cli/invocation.js';
import { defaultDatabasePath } from '../config/paths.js';
import type { Config } from '../config/types.js';
import type { ImapConnection } from '../imap/connection.js';
import type { Logger } from '../log/logger.js';
import type { Progress } from '../progress/progress.js';
import { StateStore } from '../store/index.js';
import type { SyncContext } from '../sync/runtime/context.js';
import { startTunnelEarly } from '../transport/tunnel.js';
import type { TraceRecorder } from '../viz/trace.js';
import { connectionOptions } from './connection-options.js';
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

/** `mailboxSync`: the mailbox actors' logic; default: the real one (mailboxSyncLogic). */
export function createRunEngine(mailboxSync?: MailboxSyncFactory): Engine & RunEngine {
  return (inv, config, logger, progress) => run(inv, config, logger, mailboxSync, progress);
}

async function run(
  inv: Invocation,
  config: Config,
  logger: Logger,
  mailboxSync: MailboxSyncFactory | undefined,
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
  const stopEarly = startTunnels(inv, config);
  try {
    const { runChart } = await import('./run-chart.js');
    return await runChart({ inv, config, logger, progress, store, recorder, started, mailboxSync });
  } finally {
    for (const stop of stopEarly) stop();
  }
}

/**
 * A synchronization's first step opens one connection per server: their tunnels are started now
 * (the connections take them over). Returns what stops those no connection took.
 */
function startTunnels(inv: Invocation, config: Config): Array<() => void> {
  if (inv.command !== 'sync' && inv.command !== 'repair') return [];
  const stops: Array<() => void> = [];
  for (const side of ['local', 'remote'] as const) {
    const { transport } = connectionOptions(config[side], { debug: inv.debug, watch: false });
    if (transport.type === 'tunnel' && transport.command !== undefined)
      stops.push(startTunnelEarly(transport.command, transport.nullStderr === true));
  }
  return stops;
}
