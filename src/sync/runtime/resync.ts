// fullSync: the manual's "full synchronization" — of the messages an interrupted run was
// replicating (after adopting the copies its journaled APPENDs left on the target), or of the
// whole mailbox for --repair: compare complete UID and flag lists with the mapping and repair.
import type { FullSyncInput, StepOutcome } from '../../../machines/contracts.js';
import { parseInternalDate } from '../../protocol/internal-date.js';
import { MAX_UID } from '../../protocol/sequence-set.js';
import type { StateStore } from '../../store/index.js';
import type { PendingAppend } from '../../store/types.js';
import { type AppendIntent, planAdoption, type TargetMessage } from '../adopt.js';
import { FlagStoreBuilder } from '../flag-stores.js';
import { sameFlags, unionFlags } from '../flags.js';
import { interruptedRows, type MessageState, planFullSync } from '../full-sync.js';
import { type MappingRow, UidMapping } from '../mapping.js';
import { sha256 } from '../sha256.js';
import { otherSide, type PerSide, SIDES, type Side } from '../side.js';
import type { SyncLogger } from './context.js';
import { copyMessages, listMessages, type MessageInfo } from './copy.js';
import { faultPoint } from './fault.js';
import { expungeUids, fetchUids, storeFlags, uidPieces } from './imap-writes.js';
import { dbState, fetchBodies, loadMapping, type MailboxWork } from './work.js';

function millis(internalDate: string): number {
  return parseInternalDate(internalDate).date.getTime();
}

async function sha256Of(work: MailboxWork, side: Side, uid: number): Promise<string> {
  const body = await fetchBodies(work, side, [uid])[0]!;
  const hash = sha256();
  for await (const chunk of body.chunks) hash.update(chunk);
  return hash.digest('hex');
}

/**
 * Pairs the journaled APPENDs to `target` with the copies found above the UIDNEXT recorded with
 * them (planAdoption): adopted copies are mapped; the others are cleared from the journal and
 * copied again by appendNew, as they are unmapped new messages of their source.
 */
async function adoptCopies(
  store: StateStore,
  logger: SyncLogger,
  work: MailboxWork,
  target: Side,
  pending: PendingAppend[],
): Promise<number> {
  const conn = work.conns[target];
  const from = Math.max(
    1,
    pending.reduce((low, p) => Math.min(low, p.targetUidNext), Number.POSITIVE_INFINITY),
  );
  const mapped = new Set<number>();
  for (const [l, r] of loadMapping(store, work.idx).rows()) mapped.add(target === 'local' ? l : r);
  const found = (
    await listMessages(conn, work.trackers[target], [`${from}:${MAX_UID}`], { withMessageId: true })
  ).filter((m) => !mapped.has(m.uid));
  const intents: AppendIntent[] = pending.map((p) => ({
    sourceUid: p.sourceUid,
    size: p.size,
    internalDate: millis(p.internalDate),
    ...(p.messageId === null ? {} : { messageId: p.messageId }),
    ...(p.sha256 === null ? {} : { sha256: p.sha256.toString('hex') }),
  }));
  // Hash only the candidates a hashed intent could match (same size and date): rare and few.
  const hashed = new Set(
    intents.filter((i) => i.sha256 !== undefined).map((i) => `${i.size} ${i.internalDate}`),
  );
  const candidates: TargetMessage[] = [];
  for (const m of found) {
    const date = millis(m.internalDate);
    const sha256 = hashed.has(`${m.size} ${date}`) ? await sha256Of(work, target, m.uid) : undefined;
    candidates.push({
      uid: m.uid,
      size: m.size,
      internalDate: date,
      ...(m.messageId == null ? {} : { messageId: m.messageId }),
      ...(sha256 === undefined ? {} : { sha256 }),
    });
  }
  const plan = planAdoption(intents, candidates);
  for (const group of plan.ambiguous) {
    logger.warn(
      target,
      work.names[target],
      `cannot tell which of UID(s) ${group.candidates.map((c) => c.uid).join(',')} copy source UID(s) ` +
        `${group.intents.map((i) => i.sourceUid).join(',')}; copying them again`,
    );
  }
  const giveUp = [...plan.append, ...plan.ambiguous.flatMap((g) => g.intents)].map((i) => i.sourceUid);
  store.completeAppends(
    work.idx,
    target,
    plan.adopt.map((a) => [a.intent.sourceUid, a.targetUid] as const),
    giveUp,
  );
  faultPoint();
  for (const a of plan.adopt) {
    logger.info(
      target,
      work.names[target],
      `adopted UID ${a.targetUid} as the copy of source UID ${a.intent.sourceUid}`,
    );
  }
  return plan.adopt.length;
}

/** FLAGS and MODSEQ of the given UIDs (or of `1:uidNext-1`), as the full-sync planner wants them. */
async function messageStates(work: MailboxWork, side: Side, uids: number[] | null, uidNext: number) {
  const states = new Map<number, MessageState>();
  const inScope = uids === null ? null : new Set(uids);
  const wanted = (uid: number) => (inScope === null ? uid < uidNext : inScope.has(uid));
  const pieces = uids !== null ? uidPieces(uids) : uidNext > 1 ? [`1:${uidNext - 1}`] : [];
  await fetchUids(work.conns[side], work.trackers[side], pieces, ['MODSEQ', 'FLAGS'], (uid, a) => {
    if (!wanted(uid) || a.flags === undefined) return false;
    states.set(uid, { flags: a.flags, modseq: a.modseq ?? 0n });
    return true;
  });
  return states;
}

export async function fullSync(
  store: StateStore,
  logger: SyncLogger,
  work: MailboxWork,
  input: FullSyncInput,
): Promise<StepOutcome> {
  const pending = store.pendingAppendIntents(work.idx);
  const adopted = await Promise.all(
    SIDES.map((target) => {
      const intents = pending.filter((p) => p.target === target);
      return intents.length === 0 ? 0 : adoptCopies(store, logger, work, target, intents);
    }),
  );

  const state = dbState(store, work);
  const all: MappingRow[] = [...loadMapping(store, work.idx).rows()].map(([localUid, remoteUid]) => ({
    localUid,
    remoteUid,
  }));
  const whole = input.scope === 'mailbox';
  const rows = whole
    ? all
    : interruptedRows(all, { local: state.local.uidNext, remote: state.remote.uidNext });
  const mapping = UidMapping.fromRows(rows);
  const [local, remote] = await Promise.all(
    SIDES.map((side) =>
      messageStates(
        work,
        side,
        whole ? null : rows.map((r) => (side === 'local' ? r.localUid : r.remoteUid)),
        state[side].uidNext,
      ),
    ),
  );
  const vanished = { local: work.trackers.local.vanished, remote: work.trackers.remote.vanished };
  const plan = planFullSync({
    mailbox: work.names.local,
    mapping,
    local: local!,
    remote: remote!,
    vanished: { local: [...vanished.local], remote: [...vanished.remote] },
    missing: whole ? 'replicate' : 'deleted',
    synced: { local: state.local.highestModseq, remote: state.remote.highestModseq },
  });
  for (const line of plan.warnings) logger.warn(null, work.names.local, line);
  // The pairs in scope are settled here: their VANISHED must not come back as unmapped.
  for (const row of rows) {
    vanished.local.delete(row.localUid);
    vanished.remote.delete(row.remoteUid);
  }

  await Promise.all(
    SIDES.map((side) => expungeUids(work.conns[side], work.trackers[side], plan.expunge[side])),
  );
  if (plan.deleteMappings.length > 0) {
    store.removeMappingsByLocal(work.idx, plan.deleteMappings);
    faultPoint();
  }
  const flagged = await Promise.all(
    SIDES.map(async (side) => {
      const stores = plan.stores[side];
      if (stores.length === 0) return 0;
      const tracker = work.trackers[side];
      const refused = await storeFlags(work.conns[side], tracker, stores, tracker.highestModseq);
      return stores.reduce((n, s) => n + s.uids.length, 0) - refused.length;
    }),
  );
  const copied = await replicate(store, logger, work, plan.replicate);
  const toSide = (side: Side) => ({
    expunged: plan.expunge[side].length,
    flagsUpdated: flagged[SIDES.indexOf(side)]!,
    copied: copied[otherSide(side)] + adopted[SIDES.indexOf(side)]!,
  });
  return { counts: { toLocal: toSide('local'), toRemote: toSide('remote') } };
}

function identity(m: MessageInfo) {
  return {
    size: m.size,
    internalDate: millis(m.internalDate),
    ...(m.messageId == null ? {} : { messageId: m.messageId }),
  };
}

/**
 * Copies unmapped messages to the other side — except those present on both sides, whose mapping
 * row was lost: the same size, date and Message-ID on both sides pairs them again (planAdoption)
 * with the union of their flags, instead of duplicating each.
 */
async function replicate(
  store: StateStore,
  logger: SyncLogger,
  work: MailboxWork,
  uids: PerSide<number[]>,
): Promise<PerSide<number>> {
  const [local, remote] = await Promise.all(
    SIDES.map((side) =>
      uids[side].length === 0
        ? []
        : listMessages(work.conns[side], work.trackers[side], uidPieces(uids[side]), {
            withMessageId: true,
          }),
    ),
  );
  const listed = { local: local!, remote: remote! };
  const pairing = planAdoption(
    listed.local.map((m) => ({ sourceUid: m.uid, ...identity(m) })),
    listed.remote.map((m) => ({ uid: m.uid, ...identity(m) })),
  );
  const paired = { local: new Set<number>(), remote: new Set<number>() };
  if (pairing.adopt.length > 0) {
    store.addMappings(
      work.idx,
      pairing.adopt.map((a) => [a.intent.sourceUid, a.targetUid] as const),
    );
    faultPoint();
    const byUid = {
      local: new Map(listed.local.map((m) => [m.uid, m])),
      remote: new Map(listed.remote.map((m) => [m.uid, m])),
    };
    const stores = { local: new FlagStoreBuilder(), remote: new FlagStoreBuilder() };
    for (const { intent, targetUid } of pairing.adopt) {
      paired.local.add(intent.sourceUid);
      paired.remote.add(targetUid);
      const l = byUid.local.get(intent.sourceUid)!;
      const r = byUid.remote.get(targetUid)!;
      const union = unionFlags(l.flags, r.flags);
      if (!sameFlags(union, l.flags)) stores.local.add(l.uid, union);
      if (!sameFlags(union, r.flags)) stores.remote.add(r.uid, union);
    }
    logger.warn(
      null,
      work.names.local,
      `paired again ${pairing.adopt.length} message(s) present on both sides without a mapping`,
    );
    await Promise.all(
      SIDES.map((side) => {
        const built = stores[side].build();
        const tracker = work.trackers[side];
        return built.length === 0 ? [] : storeFlags(work.conns[side], tracker, built, tracker.highestModseq);
      }),
    );
  }
  const [toRemote, toLocal] = await Promise.all(
    SIDES.map((source) =>
      copyMessages(
        store,
        logger,
        work,
        source,
        listed[source].filter((m) => !paired[source].has(m.uid)),
      ),
    ),
  );
  return { remote: toRemote!, local: toLocal! };
}
