// Arithmetic on the sync counts the charts add up step by step.
import type { CountsDelta, SideCounts, SyncCounts } from './contracts.js';

export function zeroCounts(): SyncCounts {
  const side = (): SideCounts => ({ copied: 0, flagsUpdated: 0, expunged: 0 });
  return { toLocal: side(), toRemote: side(), conflicts: 0 };
}

function addSide(a: SideCounts, d: Partial<SideCounts> = {}): SideCounts {
  return {
    copied: a.copied + (d.copied ?? 0),
    flagsUpdated: a.flagsUpdated + (d.flagsUpdated ?? 0),
    expunged: a.expunged + (d.expunged ?? 0),
  };
}

/** `a` plus `delta`; a whole SyncCounts is a delta too, so this also sums two runs. */
export function addCounts(a: SyncCounts, delta: CountsDelta): SyncCounts {
  return {
    toLocal: addSide(a.toLocal, delta.toLocal),
    toRemote: addSide(a.toRemote, delta.toRemote),
    conflicts: a.conflicts + (delta.conflicts ?? 0),
  };
}
