// "Full synchronization": compares every UID and flag list of both sides with the mapping, for
// --repair and for the messages an interrupted run was replicating (manual, COMMANDS).

import { formatSequenceSet } from '../protocol/sequence-set.js';
import { type FlagStore, FlagStoreBuilder } from './flag-stores.js';
import { flagsKey, normalizeFlags, sameFlags, unionFlags } from './flags.js';
import type { MappingRow, UidMapping } from './mapping.js';
import { otherSide, type PerSide, SIDES, type Side } from './side.js';
import { ascending } from './uid-set.js';

export interface MessageState {
  flags: readonly string[];
  modseq: bigint;
}

/**
 * What a mapped message missing on one side (and not reported VANISHED) means:
 * - 'deleted': it was expunged meanwhile; expunge its counterpart (resuming an interrupted run,
 *   where the pair was created by that run and the user removed one copy since);
 * - 'replicate': the cause is unknown; copy the survivor over again (--repair), so nothing is lost.
 */
export type MissingPolicy = 'deleted' | 'replicate';

export interface FullSyncInput {
  /** Mailbox name used in warnings only. */
  mailbox: string;
  /** The mapping rows in scope (all of the mailbox for --repair). */
  mapping: UidMapping;
  /**
   * Every existing message in scope on each side, by UID: for --repair, all UIDs below the
   * database UIDNEXT (newer ones are new messages); when resuming, the UIDs of interruptedRows.
   */
  local: ReadonlyMap<number, MessageState>;
  remote: ReadonlyMap<number, MessageState>;
  /** UIDs the server reported VANISHED: known expunged, whatever `missing` says. */
  vanished?: PerSide<Iterable<number>>;
  missing: MissingPolicy;
  /**
   * The database HIGHESTMODSEQ of each side: a message with a higher MODSEQ changed since the
   * last sync, so its flags win. Without it, every difference is resolved as a conflict (union).
   */
  synced?: PerSide<bigint>;
}

export type Anomaly =
  | { kind: 'dead-mapping'; localUid: number; remoteUid: number }
  | {
      kind: 'half-dead-mapping';
      missingOn: Side;
      localUid: number;
      remoteUid: number;
      action: 'expunge' | 'replicate';
    }
  | { kind: 'unmapped'; side: Side; uids: number[] }
  | {
      kind: 'flags-differ';
      localUid: number;
      remoteUid: number;
      localFlags: string[];
      remoteFlags: string[];
      /** Which flags both sides end with: one side's, or the union when both (or neither) changed. */
      resolution: 'local' | 'remote' | 'union';
    };

export interface FullSyncPlan {
  anomalies: Anomaly[];
  /** Local UIDs of mapping rows to delete, ascending. Commit only after the expunges are done. */
  deleteMappings: number[];
  /** UIDs to expunge on each side, ascending. */
  expunge: PerSide<number[]>;
  stores: PerSide<FlagStore[]>;
  /** UIDs on each side to copy to the other side (APPEND), ascending. */
  replicate: PerSide<number[]>;
  /** Mapped UIDs present on both sides: the new-message fetch must skip them (see planNewMessages). */
  replicated: PerSide<number[]>;
  warnings: string[];
}

/**
 * The mapping rows an interrupted run left behind: pairs created after the last committed UIDNEXT
 * of either side. Their messages are fully synchronized (missing: 'deleted') before resuming.
 */
export function interruptedRows(rows: Iterable<MappingRow>, dbUidNext: PerSide<number>): MappingRow[] {
  const result: MappingRow[] = [];
  for (const row of rows) {
    if (row.localUid >= dbUidNext.local || row.remoteUid >= dbUidNext.remote) result.push(row);
  }
  return result;
}

/** Plans the repair of one mailbox from the complete UID and flag lists of both sides. */
export function planFullSync(input: FullSyncInput): FullSyncPlan {
  const plan: FullSyncPlan = {
    anomalies: [],
    deleteMappings: [],
    expunge: { local: [], remote: [] },
    stores: { local: [], remote: [] },
    replicate: { local: [], remote: [] },
    replicated: { local: [], remote: [] },
    warnings: [],
  };
  const vanished = {
    local: new Set(input.vanished?.local ?? []),
    remote: new Set(input.vanished?.remote ?? []),
  };
  const stores = { local: new FlagStoreBuilder(), remote: new FlagStoreBuilder() };
  const messages = { local: input.local, remote: input.remote };

  for (const [localUid, remoteUid] of input.mapping.rows()) {
    const l = input.local.get(localUid);
    const r = input.remote.get(remoteUid);
    if (l !== undefined && r !== undefined) {
      plan.replicated.local.push(localUid);
      plan.replicated.remote.push(remoteUid);
      reconcileFlags(plan, stores, input.synced, localUid, l, remoteUid, r);
      continue;
    }
    plan.deleteMappings.push(localUid);
    if (l === undefined && r === undefined) {
      if (!vanished.local.has(localUid) || !vanished.remote.has(remoteUid)) {
        plan.anomalies.push({ kind: 'dead-mapping', localUid, remoteUid });
      }
      continue;
    }
    const missingOn: Side = l === undefined ? 'local' : 'remote';
    const survivor = otherSide(missingOn);
    const uids = { local: localUid, remote: remoteUid };
    if (vanished[missingOn].has(uids[missingOn])) {
      plan.expunge[survivor].push(uids[survivor]);
    } else {
      const action = input.missing === 'deleted' ? 'expunge' : 'replicate';
      plan.anomalies.push({ kind: 'half-dead-mapping', missingOn, localUid, remoteUid, action });
      (action === 'expunge' ? plan.expunge : plan.replicate)[survivor].push(uids[survivor]);
    }
  }

  for (const side of SIDES) {
    const unmapped: number[] = [];
    for (const uid of messages[side].keys()) {
      if (input.mapping.counterpart(otherSide(side), uid) === undefined) unmapped.push(uid);
    }
    if (unmapped.length > 0) {
      unmapped.sort((a, b) => a - b);
      plan.anomalies.push({ kind: 'unmapped', side, uids: unmapped });
      plan.replicate[side].push(...unmapped);
    }
  }

  plan.deleteMappings.sort(ascending);
  for (const side of SIDES) {
    for (const list of [plan.expunge[side], plan.replicate[side], plan.replicated[side]])
      list.sort(ascending);
  }
  plan.stores = { local: stores.local.build(), remote: stores.remote.build() };
  plan.warnings = plan.anomalies.map((anomaly) => describe(input.mailbox, anomaly));
  return plan;
}

/**
 * Flags of a pair present on both sides. The side whose MODSEQ moved past the database's
 * HIGHESTMODSEQ changed last and wins; if both or neither moved (a missed update), take the union.
 */
function reconcileFlags(
  plan: FullSyncPlan,
  stores: PerSide<FlagStoreBuilder>,
  synced: PerSide<bigint> | undefined,
  localUid: number,
  l: MessageState,
  remoteUid: number,
  r: MessageState,
): void {
  const localFlags = normalizeFlags(l.flags);
  const remoteFlags = normalizeFlags(r.flags);
  if (sameFlags(localFlags, remoteFlags)) return;
  const localMoved = synced === undefined || l.modseq > synced.local;
  const remoteMoved = synced === undefined || r.modseq > synced.remote;
  let resolution: 'local' | 'remote' | 'union' = 'union';
  if (localMoved && !remoteMoved) {
    resolution = 'local';
    stores.remote.add(remoteUid, localFlags);
  } else if (remoteMoved && !localMoved) {
    resolution = 'remote';
    stores.local.add(localUid, remoteFlags);
  } else {
    const union = unionFlags(localFlags, remoteFlags);
    stores.local.add(localUid, union);
    stores.remote.add(remoteUid, union);
  }
  plan.anomalies.push({ kind: 'flags-differ', localUid, remoteUid, localFlags, remoteFlags, resolution });
}

function describe(mailbox: string, anomaly: Anomaly): string {
  switch (anomaly.kind) {
    case 'dead-mapping':
      return `${mailbox}: pair (local UID ${anomaly.localUid}, remote UID ${anomaly.remoteUid}) vanished from both sides; forgetting it.`;
    case 'half-dead-mapping': {
      const survivor = otherSide(anomaly.missingOn);
      const uids = { local: anomaly.localUid, remote: anomaly.remoteUid };
      const verb = anomaly.action === 'expunge' ? 'expunging' : 'replicating again';
      return `${mailbox}: ${anomaly.missingOn} UID ${uids[anomaly.missingOn]} disappeared; ${verb} ${survivor} UID ${uids[survivor]}.`;
    }
    case 'unmapped':
      return `${mailbox}: no mapping for ${anomaly.uids.length} ${anomaly.side} UID(s) ${formatSequenceSet(anomaly.uids)}; replicating them.`;
    case 'flags-differ': {
      const { localUid, remoteUid, localFlags, remoteFlags, resolution } = anomaly;
      const outcome =
        resolution === 'union' ? 'setting both to the union' : `keeping the ${resolution} flags`;
      return `${mailbox}: flags differ for local UID ${localUid} (${flagsKey(localFlags)}) and remote UID ${remoteUid} (${flagsKey(remoteFlags)}); ${outcome}.`;
    }
  }
}
