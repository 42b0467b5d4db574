// The lines a run ends with: one per finished mailbox worth reporting, and the run's summary.
import type { RunSummary, SideCounts, SyncCounts } from '../../machines/contracts.js';

function sideTotal(c: SideCounts): number {
  return c.copied + c.flagsUpdated + c.expunged;
}

/** "copied 3 to local, 1 to remote; ..." or null when nothing happened. */
export function describeCounts(counts: SyncCounts): string | null {
  if (sideTotal(counts.toLocal) + sideTotal(counts.toRemote) + counts.conflicts === 0) return null;
  const pair = (key: keyof SideCounts) =>
    `${counts.toLocal[key]} to local, ${counts.toRemote[key]} to remote`;
  const parts = [
    `copied ${pair('copied')}`,
    `flags updated ${pair('flagsUpdated')}`,
    `expunged ${pair('expunged')}`,
  ];
  if (counts.conflicts > 0) parts.push(`${counts.conflicts} flag conflict(s)`);
  return parts.join('; ');
}

/** One line: mailboxes synced (and failed), messages each way, flags, expunges, duration. */
export function summaryLine(summary: RunSummary, seconds: number): string {
  const { synced, failed, stopped } = summary.mailboxes;
  const c = summary.counts;
  const mailboxes =
    `${synced} mailbox(es) synced` +
    (failed > 0 ? `, ${failed} failed` : '') +
    (stopped > 0 ? `, ${stopped} interrupted` : '');
  return (
    `${mailboxes}; messages copied ${c.toLocal.copied} to local, ${c.toRemote.copied} to remote; ` +
    `flags updated ${c.toLocal.flagsUpdated} local, ${c.toRemote.flagsUpdated} remote; ` +
    `expunged ${c.toLocal.expunged} local, ${c.toRemote.expunged} remote; ${seconds.toFixed(2)}s`
  );
}

/** What happened between two summaries of the same run (one watch cycle). */
export function summarySince(now: RunSummary, before: RunSummary): RunSummary {
  const side = (a: SideCounts, b: SideCounts): SideCounts => ({
    copied: a.copied - b.copied,
    flagsUpdated: a.flagsUpdated - b.flagsUpdated,
    expunged: a.expunged - b.expunged,
  });
  const mailboxes = { ...now.mailboxes };
  for (const key of ['synced', 'stopped', 'failed'] as const) mailboxes[key] -= before.mailboxes[key];
  const counts: SyncCounts = {
    toLocal: side(now.counts.toLocal, before.counts.toLocal),
    toRemote: side(now.counts.toRemote, before.counts.toRemote),
    conflicts: now.counts.conflicts - before.counts.conflicts,
  };
  return { ...now, mailboxes, counts };
}
