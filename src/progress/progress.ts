// Live progress on a terminal: one status line redrawn in place (carriage return + erase line),
// at most 10 times a second, that log lines pass through without being garbled; then a summary
// line. Disabled (not a TTY, or --quiet), it writes log lines through and nothing else.
import type { RunSummary } from '../../machines/contracts.js';
import {
  type ActiveMailbox,
  type Directions,
  emptyTally,
  fitWidth,
  type MailboxTotals,
  type SummaryCounts,
  statusLine,
  summaryLine,
  type Tally,
} from './format.js';

export type { MailboxTotals } from './format.js';

/** What one step added: messages and bytes copied each way, flag updates and expunges. */
export interface ProgressDelta {
  copied?: Partial<Directions>;
  bytes?: Partial<Directions>;
  flags?: number;
  expunged?: number;
}

export type MailboxResult = 'synced' | 'stopped' | 'failed';

export interface Progress {
  readonly enabled: boolean;
  /** A mailbox starts syncing; `totals`: what its initial copy will move, for the rate and ETA. */
  mailboxStarted(name: string, totals?: MailboxTotals): void;
  update(name: string, delta: ProgressDelta): void;
  mailboxDone(name: string, result: MailboxResult): void;
  /** Writes a log line (ending in a newline) above the status line; the Logger's `stderr` hook. */
  log(line: string): void;
  /**
   * Ends the run (or watch cycle): erases the status line and prints the summary, from the run's
   * own summary when given (bytes always from the progress tallies). The next mailboxStarted begins anew.
   */
  finish(summary?: RunSummary): void;
  /** Erases the status line, if shown, without a summary (the run ended early). */
  close(): void;
}

export interface ProgressOptions {
  stream: { write(text: string): unknown; columns?: number };
  /** Show progress: stderr is a TTY and not --quiet. */
  enabled: boolean;
  /** Milliseconds between two redraws at least (default 100: 10 a second). */
  intervalMs?: number;
  now?: () => number;
}

/** ANSI: back to column 0, erase the whole line (ECMA-48 EL 2). */
const ERASE_LINE = '\r\x1b[2K';

export function createProgress(options: ProgressOptions): Progress {
  const { stream, enabled } = options;
  const interval = options.intervalMs ?? 100;
  const now = options.now ?? Date.now;
  const active = new Map<string, ActiveMailbox>();
  let total = emptyTally();
  let results = { synced: 0, stopped: 0, failed: 0 };
  let startedAt: number | undefined;
  let shown = false;
  let lastDraw = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | undefined;

  const erase = () => {
    if (shown) stream.write(ERASE_LINE);
    shown = false;
  };
  const draw = () => {
    timer = undefined;
    lastDraw = now();
    const done = results.synced + results.stopped + results.failed;
    const text = statusLine([...active.values()], total, done, lastDraw - (startedAt ?? lastDraw), lastDraw);
    // One column short of the width: writing into the last one wraps on some terminals.
    const columns = stream.columns !== undefined && stream.columns > 0 ? stream.columns : 80;
    stream.write(`${ERASE_LINE}${fitWidth(text, columns - 1)}`);
    shown = true;
  };
  /** Draws now if the last draw is old enough, else once when it will be. */
  const schedule = () => {
    if (!enabled || timer !== undefined) return;
    const wait = lastDraw + interval - now();
    if (wait <= 0) draw();
    else timer = setTimeout(draw, wait).unref();
  };
  const cancel = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  const start = (name: string, totals: MailboxTotals = {}): ActiveMailbox => {
    startedAt ??= now();
    const mailbox = { name, totals, tally: emptyTally(), startedAt: now() };
    active.set(name, mailbox);
    return mailbox;
  };

  return {
    enabled,
    mailboxStarted(name, totals) {
      start(name, totals);
      schedule();
    },
    update(name, delta) {
      const mailbox = active.get(name) ?? start(name);
      for (const tally of [mailbox.tally, total]) add(tally, delta);
      schedule();
    },
    mailboxDone(name, result) {
      active.delete(name);
      results[result]++;
      schedule();
    },
    log(line) {
      erase();
      stream.write(line);
      if (startedAt !== undefined) schedule();
    },
    finish(summary) {
      cancel();
      if (enabled && startedAt !== undefined) {
        erase();
        stream.write(`${summaryLine(summaryCounts(total, results, summary), now() - startedAt)}\n`);
      }
      active.clear();
      total = emptyTally();
      results = { synced: 0, stopped: 0, failed: 0 };
      startedAt = undefined;
    },
    close() {
      cancel();
      erase();
    },
  };
}

function add(tally: Tally, delta: ProgressDelta): void {
  tally.copied.toLocal += delta.copied?.toLocal ?? 0;
  tally.copied.toRemote += delta.copied?.toRemote ?? 0;
  tally.bytes.toLocal += delta.bytes?.toLocal ?? 0;
  tally.bytes.toRemote += delta.bytes?.toRemote ?? 0;
  tally.flags += delta.flags ?? 0;
  tally.expunged += delta.expunged ?? 0;
}

/** The run's own counts when it gives them (they are authoritative), the progress tallies otherwise. */
function summaryCounts(
  total: Tally,
  results: SummaryCounts['mailboxes'],
  summary?: RunSummary,
): SummaryCounts {
  if (summary === undefined) return { ...total, conflicts: 0, mailboxes: results };
  const { toLocal, toRemote, conflicts } = summary.counts;
  return {
    copied: { toLocal: toLocal.copied, toRemote: toRemote.copied },
    bytes: total.bytes,
    flags: toLocal.flagsUpdated + toRemote.flagsUpdated,
    expunged: toLocal.expunged + toRemote.expunged,
    conflicts,
    mailboxes: summary.mailboxes,
  };
}
