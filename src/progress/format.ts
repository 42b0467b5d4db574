// The text of the live progress line and of the final summary: sizes, durations, rates, ETA, and
// cutting the line to the terminal width. Pure functions of the tallies progress.ts keeps.

/** Messages and bytes one way: to the local server (copied from remote) or to the remote one. */
export interface Directions {
  toLocal: number;
  toRemote: number;
}

export interface Tally {
  copied: Directions;
  bytes: Directions;
  flags: number;
  expunged: number;
}

export interface MailboxTotals {
  /** Messages to copy in this mailbox, both ways together (for the ETA). */
  messages?: number;
  bytes?: number;
}

export interface ActiveMailbox {
  name: string;
  totals: MailboxTotals;
  tally: Tally;
  /** When it started, in the progress clock's milliseconds. */
  startedAt: number;
}

export function emptyTally(): Tally {
  return { copied: { toLocal: 0, toRemote: 0 }, bytes: { toLocal: 0, toRemote: 0 }, flags: 0, expunged: 0 };
}

/** Decimal units, as transfer rates are usually given: `980 B`, `12.3 kB`, `4.1 MB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 999.95 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** `0:07`, `12:03`, `1:02:03`. */
export function formatClock(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

function both(d: Directions): number {
  return d.toLocal + d.toRemote;
}

/**
 * Rate and time left of a mailbox's copy: by bytes when the totals give bytes, else by messages;
 * nothing before the first message or once all are copied.
 */
export function rateAndEta(mailbox: ActiveMailbox, now: number): string {
  const elapsed = (now - mailbox.startedAt) / 1000;
  const copied = both(mailbox.tally.copied);
  const bytes = both(mailbox.tally.bytes);
  if (elapsed <= 0 || copied === 0) return '';
  const byBytes = bytes > 0;
  const rate = (byBytes ? bytes : copied) / elapsed;
  const speed = byBytes ? `${formatBytes(rate)}/s` : `${rate.toFixed(rate < 10 ? 1 : 0)} msg/s`;
  const total = byBytes ? mailbox.totals.bytes : mailbox.totals.messages;
  const left = total === undefined ? 0 : total - (byBytes ? bytes : copied);
  return left > 0 ? `${speed}, ETA ${formatClock((left / rate) * 1000)}` : speed;
}

function mailboxPart(mailbox: ActiveMailbox, now: number): string {
  const copied = both(mailbox.tally.copied);
  const count =
    mailbox.totals.messages === undefined ? `${copied} msgs` : `${copied}/${mailbox.totals.messages}`;
  const rate = rateAndEta(mailbox, now);
  return `${mailbox.name} ${count}${rate === '' ? '' : ` ${rate}`}`;
}

/** `↓12 (40.2 MB) ↑5 (12.0 kB), 17 flags, 4 expunged`: ↓ is to local, ↑ to remote; zero flags or expunges left out. */
export function tallyText(tally: Tally): string {
  const way = (arrow: string, n: number, bytes: number) =>
    `${arrow}${n}${bytes > 0 ? ` (${formatBytes(bytes)})` : ''}`;
  const parts = [
    `${way('↓', tally.copied.toLocal, tally.bytes.toLocal)} ${way('↑', tally.copied.toRemote, tally.bytes.toRemote)}`,
  ];
  if (tally.flags > 0) parts.push(`${tally.flags} flags`);
  if (tally.expunged > 0) parts.push(`${tally.expunged} expunged`);
  return parts.join(', ');
}

/** The live line: each mailbox being synced, then the run's totals, mailboxes done and elapsed time. */
export function statusLine(
  active: readonly ActiveMailbox[],
  total: Tally,
  done: number,
  elapsedMs: number,
  now: number,
): string {
  const mailboxes = active.map((m) => mailboxPart(m, now)).join('; ');
  const totals = `total ${tallyText(total)}, ${done} done, ${formatClock(elapsedMs)}`;
  return mailboxes === '' ? totals : `${mailboxes} | ${totals}`;
}

/** At most `width` characters (code points), so the terminal never wraps the line. */
export function fitWidth(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}

export interface SummaryCounts {
  copied: Directions;
  bytes: Directions;
  flags: number;
  expunged: number;
  conflicts: number;
  mailboxes: { synced: number; stopped: number; failed: number };
}

/** The last line: `interimap: 15 mailboxes synced (1 failed) in 0:42: ↓ 1234 messages (40.2 MB) to local, …`. */
export function summaryLine(s: SummaryCounts, elapsedMs: number): string {
  const synced = s.mailboxes.synced;
  const others = [
    s.mailboxes.failed > 0 ? `${s.mailboxes.failed} failed` : '',
    s.mailboxes.stopped > 0 ? `${s.mailboxes.stopped} stopped` : '',
  ].filter((x) => x !== '');
  const way = (n: number, bytes: number, where: string) =>
    `${n} message${n === 1 ? '' : 's'}${bytes > 0 ? ` (${formatBytes(bytes)})` : ''} to ${where}`;
  const parts = [
    way(s.copied.toLocal, s.bytes.toLocal, 'local'),
    way(s.copied.toRemote, s.bytes.toRemote, 'remote'),
    `${s.flags} flag update${s.flags === 1 ? '' : 's'}`,
    `${s.expunged} expunge${s.expunged === 1 ? '' : 's'}`,
  ];
  if (s.conflicts > 0) parts.push(`${s.conflicts} conflict${s.conflicts === 1 ? '' : 's'}`);
  const head = `${synced} mailbox${synced === 1 ? '' : 'es'} synced${others.length > 0 ? ` (${others.join(', ')})` : ''}`;
  return `interimap: ${head} in ${formatClock(elapsedMs)}: ${parts.join(', ')}`;
}
