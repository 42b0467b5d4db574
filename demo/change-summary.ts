// What a change plan (bench/changes.ts) does on each side, counted: for the demo's narrative and for
// the number of messages both servers must hold afterwards.
import type { ChangePlan, ServerChanges } from '../bench/changes.js';

export interface SideCounts {
  /** Messages whose flag list changes. */
  flagged: number;
  expunged: number;
  appended: number;
}

export interface ChangeSummary {
  local: SideCounts;
  remote: SideCounts;
  /** Messages whose flags change on both sides (the tool resolves them as the union). */
  conflicts: number;
}

function sideCounts(changes: ServerChanges): SideCounts {
  const counts = { flagged: 0, expunged: 0, appended: 0 };
  for (const change of changes.values()) {
    counts.flagged += change.flags.size;
    counts.expunged += change.expunge.size;
    counts.appended += change.append.length;
  }
  return counts;
}

export function summarizeChanges(plan: ChangePlan): ChangeSummary {
  let conflicts = 0;
  for (const [mailbox, local] of plan.local) {
    const remote = plan.remote.get(mailbox);
    for (const id of local.flags.keys()) if (remote?.flags.has(id)) conflicts++;
  }
  return { local: sideCounts(plan.local), remote: sideCounts(plan.remote), conflicts };
}

/** How many messages a store of `before` messages holds once both sides' changes are synchronized. */
export function messagesAfter(before: number, summary: ChangeSummary): number {
  const { local, remote } = summary;
  return before - local.expunged - remote.expunged + local.appended + remote.appended;
}
