// propagateExpunges / propagateFlags: turn the changes the trackers buffered into UID STOREs and
// UID EXPUNGEs on the other server (manual, DESCRIPTION §2). Mapping rows of expunged pairs are
// deleted only once both sides are expunged: a crash before that replays the expunge.
import type { CountsDelta, PropagationOutcome, StepOutcome } from '../../../machines/contracts.js';
import { addCounts, zeroCounts } from '../../../machines/counts.js';
import type { ImapConnection } from '../../imap/connection.js';
import { formatSequenceSet } from '../../protocol/sequence-set.js';
import type { StateStore } from '../../store/index.js';
import { type ChangePlan, type FlagUpdate, planChanges } from '../changes.js';
import type { UidMapping } from '../mapping.js';
import { otherSide, type PerSide, SIDES, type Side } from '../side.js';
import type { SyncLogger } from './context.js';
import { faultPoint } from './fault.js';
import { expungeUids, fetchUids, storeFlags, uidPieces } from './imap-writes.js';
import { copyFirstBatchEarly, takeEarlyCopies } from './new-mail.js';
import { dbState, type MailboxWork, mappingOf } from './work.js';

/**
 * The flag half of a plan, sent with the expunges (they touch other UIDs: RFC 7162 §3.1.3's
 * UNCHANGEDSINCE guards each message on its own) and awaited by the flag step.
 */
const flagsInFlight = new WeakMap<MailboxWork, Promise<CountsDelta>>();

export async function propagateExpunges<C extends ImapConnection>(
  store: StateStore,
  logger: SyncLogger,
  work: MailboxWork<C>,
): Promise<StepOutcome> {
  const state = dbState(store, work);
  const local = work.trackers.local.take();
  const remote = work.trackers.remote.take();
  const changed = (c: typeof local) => [...c.vanished, ...c.modified.keys()];
  const mapping = mappingOf(store, work.idx, { local: changed(local), remote: changed(remote) });
  const plan = planChanges({
    mailbox: work.names.local,
    mapping,
    local,
    remote,
    synced: {
      local: { uidNext: state.local.uidNext, highestModSeq: state.local.highestModseq },
      remote: { uidNext: state.remote.uidNext, highestModSeq: state.remote.highestModseq },
    },
  });
  for (const line of plan.warnings) logger.warn(null, work.names.local, line);
  const flags = storeAllFlags(logger, work, plan, mapping, {
    local: local.modified,
    remote: remote.modified,
  });
  flags.catch(() => {}); // awaited by propagateFlags
  flagsInFlight.set(work, flags);

  const expunged = Promise.all(
    SIDES.map((side) => expungeUids(work.conns[side], work.trackers[side], plan.expunge[side])),
  );
  // A small first copy goes out behind the expunges and flag updates (new-mail.ts).
  for (const side of SIDES) copyFirstBatchEarly(store, logger, work, side);
  await expunged;
  if (plan.deleteMappings.length > 0) {
    store.removeMappingsByLocal(work.idx, plan.deleteMappings);
    faultPoint();
  }
  return {
    counts: {
      toLocal: { expunged: plan.expunge.local.length },
      toRemote: { expunged: plan.expunge.remote.length },
    },
  };
}

export async function propagateFlags<C extends ImapConnection>(
  work: MailboxWork<C>,
): Promise<PropagationOutcome> {
  const inFlight = flagsInFlight.get(work);
  flagsInFlight.delete(work);
  const none: CountsDelta = {};
  // Both settle before the step ends, failed or not: no copy of this mailbox outlives its run.
  const [stored, copied] = await Promise.allSettled([inFlight ?? none, takeEarlyCopies(work)]);
  if (stored.status === 'rejected') throw stored.reason;
  if (copied.status === 'rejected') throw copied.reason;
  const counts = addCounts(addCounts(zeroCounts(), stored.value), copied.value);
  const pendingUpdates = work.trackers.local.pending || work.trackers.remote.pending;
  return { counts, pendingUpdates };
}

/** Every flag group of the plan on both sides at once; resolves with the counts. */
async function storeAllFlags(
  logger: SyncLogger,
  work: MailboxWork,
  plan: ChangePlan,
  mapping: UidMapping,
  updates: PerSide<Map<number, FlagUpdate>>,
): Promise<CountsDelta> {
  const counts: CountsDelta = { toLocal: {}, toRemote: {} };
  await Promise.all(
    SIDES.map(async (side) => {
      const stores = plan.stores[side];
      if (stores.length === 0) return;
      const tracker = work.trackers[side];
      const refused = await storeFlags(work.conns[side], tracker, stores, tracker.highestModseq);
      for (const { flags, uids } of stores) {
        logger.info(
          side,
          work.names[side],
          `Updated flags (${flags.join(' ')}) for UID ${formatSequenceSet(uids)}`,
        );
      }
      const stored = stores.reduce((n, s) => n + s.uids.length, 0) - refused.length;
      counts[side === 'local' ? 'toLocal' : 'toRemote'] = { flagsUpdated: stored };
      if (refused.length > 0) await retryLater(work, side, refused, mapping, updates);
    }),
  );
  counts.conflicts = plan.conflicts.length;
  return counts;
}

/**
 * UIDs refused by UNCHANGEDSINCE changed on `side` after we last looked: put the source's update
 * back and read the side's current flags, so the next round sees both (and takes the union).
 */
async function retryLater(
  work: MailboxWork,
  side: Side,
  refused: number[],
  mapping: UidMapping,
  updates: PerSide<Map<number, FlagUpdate>>,
): Promise<void> {
  const source = otherSide(side);
  for (const uid of refused) {
    const counterpart = mapping.counterpart(source, uid);
    const update = counterpart === undefined ? undefined : updates[source].get(counterpart);
    if (counterpart !== undefined && update !== undefined) work.trackers[source].restore(counterpart, update);
  }
  // The tracker takes the FETCH as a change unless it only echoes one of our own STOREs.
  await fetchUids(
    work.conns[side],
    work.trackers[side],
    uidPieces(refused),
    ['MODSEQ', 'FLAGS'],
    () => false,
  );
}
