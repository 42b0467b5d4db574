// In-process runs of the engine with a stand-in for the mailbox actors, so the orchestrator's own
// behaviour (listing, planning, reconciling, skipping unchanged mailboxes) is tested against real
// servers independently of the mailbox sync: the stand-in records which mailboxes it was given and
// checkpoints their current STATUS, as a completed sync would.
import { fromPromise } from 'xstate';
import type { MailboxSyncInput, MailboxSyncOutput } from '../../machines/contracts.js';
import { zeroCounts } from '../../machines/counts.js';
import { parseArgs } from '../../src/cli/args.js';
import { loadConfig } from '../../src/config/load.js';
import type { ImapConnection } from '../../src/imap/connection.js';
import { Logger } from '../../src/log/logger.js';
import { createRunEngine, type MailboxSyncFactory } from '../../src/run/engine.js';
import type { SideState } from '../../src/store/index.js';
import { laneOf } from '../../src/sync/runtime/context.js';
import { dbCell } from '../../src/sync/runtime/listing.js';

const ITEMS = ['UIDVALIDITY', 'UIDNEXT', 'HIGHESTMODSEQ'];

async function sideState(connection: ImapConnection, mailbox: string): Promise<SideState> {
  const status = await connection.commands.status(mailbox, ITEMS);
  return { uidValidity: status.uidValidity!, uidNext: status.uidNext!, highestModseq: status.highestModseq! };
}

/** Records each mailbox (database name) it is started for, in `synced`. */
export function standIn(synced: string[]): MailboxSyncFactory {
  return (ctx) =>
    fromPromise<MailboxSyncOutput, MailboxSyncInput>(async ({ input }) => {
      synced.push(input.mailbox);
      const target = ctx.mailboxes.get(input.mailbox)!;
      const lane = (await laneOf(ctx, input.lane))!;
      const [local, remote] = await Promise.all([
        sideState(lane.local, target.local),
        sideState(lane.remote, target.remote),
      ]);
      const idx = target.idx ?? ctx.store.findMailbox(dbCell(input.mailbox))!.idx;
      if (ctx.store.getState(idx) === undefined) ctx.store.initMailboxState(idx, local, remote);
      ctx.store.checkpointModseq(idx, local.highestModseq, remote.highestModseq);
      ctx.store.checkpointUidNext(idx, local.uidNext, remote.uidNext);
      return { mailbox: input.mailbox, status: 'synced', counts: zeroCounts() };
    });
}

export interface InProcessRun {
  code: number;
  /** Database names the stand-in was started for, in order. */
  synced: string[];
  log: string;
}

/** Runs the engine in this process on `config` with `args`, the stand-in syncing mailboxes. */
export async function runInProcess(config: string, args: string[] = []): Promise<InProcessRun> {
  const parsed = parseArgs([`--config=${config}`, ...args], process.env);
  if (parsed.kind !== 'run') throw new Error('stand-in: expected a run');
  const inv = parsed.invocation;
  const { config: loaded } = loadConfig(inv.configPath);
  let log = '';
  const logger = new Logger({
    debug: inv.debug,
    prefix: loaded.logPrefix,
    stderr: (line) => {
      log += line;
    },
  });
  const synced: string[] = [];
  const code = await createRunEngine(standIn(synced))(inv, loaded, logger);
  return { code, synced, log };
}
