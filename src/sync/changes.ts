// Decides how the changes one QRESYNC SELECT / UID FETCH CHANGEDSINCE reported on each side of a
// mailbox (vanished UIDs, flag updates) are propagated to the other side (manual, DESCRIPTION §2).

import { formatSequenceSet } from '../protocol/sequence-set.js';
import { type FlagStore, FlagStoreBuilder } from './flag-stores.js';
import { flagsKey, normalizeFlags, sameFlags, unionFlags } from './flags.js';
import type { UidMapping } from './mapping.js';
import { otherSide, type PerSide, SIDES, type Side } from './side.js';
import { ascending } from './uid-set.js';

/** A FETCH (FLAGS MODSEQ) seen for one UID; keep only the highest MODSEQ per UID. */
export interface FlagUpdate {
  flags: readonly string[];
  modseq: bigint;
}

export interface SideChanges {
  vanished: Iterable<number>;
  modified: ReadonlyMap<number, FlagUpdate>;
}

/** The database state a side was synchronized up to; updates outside it are not ours to handle. */
export interface SyncedState {
  uidNext: number;
  highestModSeq: bigint;
}

export interface ChangeInput {
  /** Mailbox name used in warnings only. */
  mailbox: string;
  mapping: UidMapping;
  local: SideChanges;
  remote: SideChanges;
  /**
   * When given, updates to UIDs at or above uidNext (new messages, replicated later with their
   * current flags) and flag updates with MODSEQ at most highestModSeq (already propagated) are dropped.
   */
  synced?: PerSide<SyncedState>;
}

export interface FlagConflict {
  localUid: number;
  remoteUid: number;
  localFlags: string[];
  remoteFlags: string[];
  union: string[];
}

/** A message expunged on `expungedOn` while its counterpart's flags changed on the other side. */
export interface ExpungeOverFlags {
  expungedOn: Side;
  localUid: number;
  remoteUid: number;
}

export interface ChangePlan {
  /** UIDs to remove on each side (UID STORE +FLAGS.SILENT (\Deleted), then UID EXPUNGE), ascending. */
  expunge: PerSide<number[]>;
  /** Local UIDs of the mapping rows to delete, ascending. Commit only once both expunges are done. */
  deleteMappings: number[];
  /** Flag replacements to send on each side, one per distinct flag list. */
  stores: PerSide<FlagStore[]>;
  conflicts: FlagConflict[];
  expungeOverFlags: ExpungeOverFlags[];
  /** Vanished or modified UIDs absent from the mapping: ignored, as they cannot be paired. */
  unmapped: { vanished: PerSide<number[]>; modified: PerSide<number[]> };
  /** Human-readable lines for the log, one per conflict / expunge-over-flags / unmapped group. */
  warnings: string[];
}

function relevantVanished(changes: SideChanges, synced: SyncedState | undefined): Set<number> {
  const set = new Set<number>();
  for (const uid of changes.vanished) if (synced === undefined || uid < synced.uidNext) set.add(uid);
  return set;
}

/**
 * Plans the propagation of both sides' changes. Rules, in order:
 * - A vanished UID's counterpart is expunged unless it vanished too; both ways, the mapping row goes.
 * - A flag update on a UID that vanished on the same side is stale and dropped.
 * - Expunge beats a flag change on the other side (as in InterIMAP 0.5.7): an expunge is an explicit
 *   deletion while flag changes are often incidental (a client marking \Seen); resurrecting the
 *   message would make deletions not stick. Each such case is reported in expungeOverFlags.
 * - A flag update whose counterpart did not change is copied over; if both changed to different
 *   lists, both get the union and a conflict is reported (manual, DESCRIPTION §2).
 */
export function planChanges(input: ChangeInput): ChangePlan {
  const { mapping, synced } = input;
  const vanished: PerSide<Set<number>> = {
    local: relevantVanished(input.local, synced?.local),
    remote: relevantVanished(input.remote, synced?.remote),
  };
  const plan: ChangePlan = {
    expunge: { local: [], remote: [] },
    deleteMappings: [],
    stores: { local: [], remote: [] },
    conflicts: [],
    expungeOverFlags: [],
    unmapped: { vanished: { local: [], remote: [] }, modified: { local: [], remote: [] } },
    warnings: [],
  };

  const deleted = new Set<number>();
  for (const side of SIDES) {
    const other = otherSide(side);
    for (const uid of vanished[side]) {
      const counterpart = mapping.counterpart(other, uid);
      if (counterpart === undefined) {
        plan.unmapped.vanished[side].push(uid);
        continue;
      }
      deleted.add(side === 'local' ? uid : counterpart);
      if (!vanished[other].has(counterpart)) plan.expunge[other].push(counterpart);
    }
  }
  plan.deleteMappings = [...deleted].sort(ascending);

  const modified = {
    local: relevantModified(input.local, vanished.local, synced?.local),
    remote: relevantModified(input.remote, vanished.remote, synced?.remote),
  };
  const stores = { local: new FlagStoreBuilder(), remote: new FlagStoreBuilder() };
  for (const side of SIDES) {
    const other = otherSide(side);
    for (const [uid, flags] of modified[side]) {
      const counterpart = mapping.counterpart(other, uid);
      if (counterpart === undefined) {
        plan.unmapped.modified[side].push(uid);
        continue;
      }
      const [localUid, remoteUid] = side === 'local' ? [uid, counterpart] : [counterpart, uid];
      if (vanished[other].has(counterpart)) {
        plan.expungeOverFlags.push({ expungedOn: other, localUid, remoteUid });
        continue;
      }
      const otherFlags = modified[other].get(counterpart);
      if (otherFlags === undefined) {
        stores[other].add(counterpart, flags);
      } else if (side === 'local' && !sameFlags(flags, otherFlags)) {
        // Both sides changed: handled once, from the local side's loop.
        const union = unionFlags(flags, otherFlags);
        plan.conflicts.push({ localUid, remoteUid, localFlags: flags, remoteFlags: otherFlags, union });
        stores.local.add(localUid, union);
        stores.remote.add(remoteUid, union);
      }
    }
  }
  plan.stores = { local: stores.local.build(), remote: stores.remote.build() };

  const { vanished: unVanished, modified: unModified } = plan.unmapped;
  for (const list of [
    plan.expunge.local,
    plan.expunge.remote,
    ...Object.values(unVanished),
    ...Object.values(unModified),
  ]) {
    list.sort(ascending);
  }
  plan.expungeOverFlags.sort((a, b) => a.localUid - b.localUid);
  plan.conflicts.sort((a, b) => a.localUid - b.localUid);
  plan.warnings = describe(input.mailbox, plan);
  return plan;
}

/** Canonical flags per UID, minus stale (same-side vanished, already seen, or new) updates. */
function relevantModified(
  changes: SideChanges,
  vanished: Set<number>,
  synced: SyncedState | undefined,
): Map<number, string[]> {
  const result = new Map<number, string[]>();
  for (const [uid, update] of changes.modified) {
    if (vanished.has(uid)) continue;
    if (synced !== undefined && (uid >= synced.uidNext || update.modseq <= synced.highestModSeq)) continue;
    result.set(uid, normalizeFlags(update.flags));
  }
  return result;
}

function describe(mailbox: string, plan: ChangePlan): string[] {
  const lines: string[] = [];
  for (const c of plan.conflicts) {
    lines.push(
      `Conflicting flag update in ${mailbox} for local UID ${c.localUid} (${flagsKey(c.localFlags)}) ` +
        `and remote UID ${c.remoteUid} (${flagsKey(c.remoteFlags)}); ` +
        `setting both to the union (${flagsKey(c.union)}).`,
    );
  }
  for (const e of plan.expungeOverFlags) {
    lines.push(
      `${mailbox}: flags of ${otherSide(e.expungedOn)} UID ` +
        `${e.expungedOn === 'local' ? e.remoteUid : e.localUid} changed but its counterpart was ` +
        `expunged on the ${e.expungedOn} side; expunging it too.`,
    );
  }
  for (const side of SIDES) {
    const { vanished, modified } = plan.unmapped;
    if (vanished[side].length > 0) {
      lines.push(
        `${mailbox}: no mapping for ${vanished[side].length} vanished ${side} UID(s) ` +
          `${formatSequenceSet(vanished[side])}; ignoring.`,
      );
    }
    if (modified[side].length > 0) {
      lines.push(
        `${mailbox}: no mapping for modified ${side} UID(s) ` +
          `${formatSequenceSet(modified[side])}; run --repair to replicate them.`,
      );
    }
  }
  return lines;
}
