// Verifies that two IMAP stores hold the same mail: a snapshot per server (mailbox → messages as
// body SHA-256, sorted flags, INTERNALDATE), taken over one PREAUTH tunnel with bodies hashed as they
// stream, and a comparison listing missing, extra (duplicated) messages and flag differences.
import { createHash } from 'node:crypto';
import { type Corpus, renderMessage } from './corpus.js';
import { ImapPipe, type LiteralSink, quoted } from './imap-pipe.js';

export interface SnapshotMessage {
  sha256: string;
  /** Flags and keywords, sorted, without \Recent. */
  flags: string[];
  /** INTERNALDATE as seconds since the epoch (servers may print it in another zone). */
  internalDate: number;
}

/** Mailbox name (modified UTF-7, hierarchy delimiter normalized to '/') → its messages. */
export type Snapshot = Map<string, SnapshotMessage[]>;

export type Difference =
  | { kind: 'missing-mailbox' | 'extra-mailbox'; mailbox: string }
  | { kind: 'missing' | 'extra'; mailbox: string; sha256: string; count: number }
  | { kind: 'flags'; mailbox: string; sha256: string; a: string[]; b: string[] }
  | { kind: 'internaldate'; mailbox: string; sha256: string; a: number; b: number };

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Parses an IMAP date-time ('dd-Mon-yyyy hh:mm:ss +zzzz', RFC 3501 §9) into epoch seconds. */
export function parseInternalDate(text: string): number {
  const m = /^ ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$/.exec(text);
  const month = m ? MONTHS.indexOf(m[2]!) : -1;
  if (!m || month < 0) throw new Error(`mail-compare: bad INTERNALDATE "${text}"`);
  const local = Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6])) / 1000;
  const offset = (Number(m[8]) * 60 + Number(m[9])) * 60;
  return m[7] === '+' ? local - offset : local + offset;
}

function hashingSink(): LiteralSink {
  const hash = createHash('sha256');
  return { write: (chunk) => hash.update(chunk), end: () => hash.digest('hex') };
}

function parseFetch(line: string): SnapshotMessage {
  const flags = /FLAGS \(([^)]*)\)/.exec(line);
  const date = /INTERNALDATE "([^"]+)"/.exec(line);
  const body = /BODY\[\] ([0-9a-f]{64})/.exec(line);
  if (!flags || !date || !body)
    throw new Error(`mail-compare: unexpected FETCH response: ${line.slice(0, 200)}`);
  return {
    sha256: body[1]!,
    flags: flags[1]!
      .split(' ')
      .filter((f) => f !== '' && f !== '\\Recent')
      .sort(),
    internalDate: parseInternalDate(date[1]!),
  };
}

interface ListedMailbox {
  name: string;
  delimiter: string;
}

/** Selectable mailboxes from LIST "" "*" (quoted names only: the corpus names need no literals). */
async function listMailboxes(pipe: ImapPipe): Promise<ListedMailbox[]> {
  const found: ListedMailbox[] = [];
  await pipe.command('LIST "" "*"', {
    onUntagged: (line) => {
      const m = /^\* LIST \(([^)]*)\) (?:"((?:\\.|[^"])*)"|NIL) (?:"((?:\\.|[^"])*)"|([^ ]+))$/.exec(line);
      if (!m) return;
      if (/\\Noselect|\\NonExistent/i.test(m[1]!)) return;
      const unquote = (s: string) => s.replace(/\\(.)/g, '$1');
      found.push({ name: m[3] !== undefined ? unquote(m[3]) : m[4]!, delimiter: unquote(m[2] ?? '') });
    },
  });
  return found;
}

function normalizedName({ name, delimiter }: ListedMailbox): string {
  if (name.toUpperCase() === 'INBOX') return 'INBOX';
  return delimiter === '' || delimiter === '/' ? name : name.split(delimiter).join('/');
}

/** Every selectable mailbox's messages, read over a PREAUTH tunnel (EXAMINE, BODY.PEEK: read-only). */
export async function snapshotServer(server: { tunnelCommand: string }): Promise<Snapshot> {
  const pipe = await ImapPipe.open(server.tunnelCommand);
  const snapshot: Snapshot = new Map();
  try {
    for (const mailbox of await listMailboxes(pipe)) {
      const messages: SnapshotMessage[] = [];
      const examined = pipe.command(`EXAMINE ${quoted(mailbox.name)}`);
      const fetched = pipe.command('UID FETCH 1:* (FLAGS INTERNALDATE BODY.PEEK[])', {
        literal: hashingSink,
        onUntagged: (line) => {
          if (/^\* \d+ FETCH /.test(line)) messages.push(parseFetch(line));
        },
      });
      await examined;
      // An empty mailbox answers `UID FETCH 1:*` with OK and nothing else.
      await fetched;
      snapshot.set(normalizedName(mailbox), messages);
    }
  } finally {
    await pipe.close();
  }
  return snapshot;
}

/** The snapshot a store loaded with `corpus` must give (names as the corpus gives them). */
export function corpusSnapshot(corpus: Corpus): Snapshot {
  const snapshot: Snapshot = new Map();
  for (const mailbox of corpus.mailboxes) {
    snapshot.set(
      mailbox.mutf7,
      mailbox.messages.map((m) => ({
        sha256: createHash('sha256').update(renderMessage(m)).digest('hex'),
        flags: [...m.flags],
        internalDate: m.internalDate.getTime() / 1000,
      })),
    );
  }
  return snapshot;
}

function byHash(messages: SnapshotMessage[]): Map<string, SnapshotMessage[]> {
  const groups = new Map<string, SnapshotMessage[]>();
  for (const m of messages) {
    const group = groups.get(m.sha256);
    if (group) group.push(m);
    else groups.set(m.sha256, [m]);
  }
  return groups;
}

/** Differences from `a` to `b`: 'missing' = in a, not (as many times) in b; 'extra' = the reverse.
 * Flags and INTERNALDATE are compared for messages present on both sides. Empty when identical. */
export function compareServers(a: Snapshot, b: Snapshot): Difference[] {
  const differences: Difference[] = [];
  for (const mailbox of a.keys()) if (!b.has(mailbox)) differences.push({ kind: 'missing-mailbox', mailbox });
  for (const mailbox of b.keys()) if (!a.has(mailbox)) differences.push({ kind: 'extra-mailbox', mailbox });
  for (const [mailbox, messagesA] of a) {
    const messagesB = b.get(mailbox);
    if (!messagesB) continue;
    const groupsB = byHash(messagesB);
    for (const [sha256, groupA] of byHash(messagesA)) {
      const groupB = groupsB.get(sha256) ?? [];
      groupsB.delete(sha256);
      if (groupA.length > groupB.length) {
        differences.push({ kind: 'missing', mailbox, sha256, count: groupA.length - groupB.length });
      } else if (groupB.length > groupA.length) {
        differences.push({ kind: 'extra', mailbox, sha256, count: groupB.length - groupA.length });
      }
      // Copies of one body are interchangeable: pair them in a stable order.
      const key = (m: SnapshotMessage) => `${m.flags.join(' ')}|${m.internalDate}`;
      const sortedA = [...groupA].sort((x, y) => key(x).localeCompare(key(y)));
      const sortedB = [...groupB].sort((x, y) => key(x).localeCompare(key(y)));
      for (let i = 0; i < Math.min(sortedA.length, sortedB.length); i++) {
        const x = sortedA[i]!;
        const y = sortedB[i]!;
        if (x.flags.join(' ') !== y.flags.join(' ')) {
          differences.push({ kind: 'flags', mailbox, sha256, a: x.flags, b: y.flags });
        }
        if (x.internalDate !== y.internalDate) {
          differences.push({ kind: 'internaldate', mailbox, sha256, a: x.internalDate, b: y.internalDate });
        }
      }
    }
    for (const [sha256, groupB] of groupsB) {
      differences.push({ kind: 'extra', mailbox, sha256, count: groupB.length });
    }
  }
  return differences;
}

function describe(d: Difference, names: [string, string]): string {
  const [a, b] = names;
  const short = 'sha256' in d ? d.sha256.slice(0, 12) : '';
  switch (d.kind) {
    case 'missing-mailbox':
      return `mailbox ${d.mailbox}: on ${a} only`;
    case 'extra-mailbox':
      return `mailbox ${d.mailbox}: on ${b} only`;
    case 'missing':
      return `${d.mailbox}: message ${short} ×${d.count} more on ${a} than on ${b}`;
    case 'extra':
      return `${d.mailbox}: message ${short} ×${d.count} more on ${b} than on ${a}`;
    case 'flags':
      return `${d.mailbox}: message ${short} flags (${d.a.join(' ')}) on ${a}, (${d.b.join(' ')}) on ${b}`;
    case 'internaldate':
      return `${d.mailbox}: message ${short} INTERNALDATE ${d.a} on ${a}, ${d.b} on ${b}`;
  }
}

/** A readable report: a count, then at most `limit` differences, one per line. */
export function formatDifferences(
  differences: Difference[],
  names: [string, string] = ['a', 'b'],
  limit = 20,
): string {
  if (differences.length === 0) return `${names[0]} and ${names[1]} hold identical mail`;
  const lines = differences.slice(0, limit).map((d) => `  ${describe(d, names)}`);
  if (differences.length > limit) lines.push(`  … and ${differences.length - limit} more`);
  return `${differences.length} difference(s) between ${names[0]} and ${names[1]}:\n${lines.join('\n')}`;
}

/** Throws with the formatted differences unless both snapshots hold the same mail. */
export function assertIdentical(a: Snapshot, b: Snapshot, names: [string, string] = ['a', 'b']): void {
  const differences = compareServers(a, b);
  if (differences.length > 0) throw new Error(formatDifferences(differences, names));
}
