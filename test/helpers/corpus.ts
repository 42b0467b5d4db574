// Deterministic mail corpora for tests, the demo and the benchmark: a seeded generator of realistic
// RFC 5322 messages (CRLF only, MIME, encoded-word subjects, base64 attachments, flags, INTERNALDATEs)
// in hierarchical non-ASCII mailboxes, and a fast loader filling a Dovecot store over one session.

import { encodeMailboxName } from '../../src/protocol/mutf7.js';
import { ImapPipe, quoted } from './imap-pipe.js';

export interface CorpusOptions {
  /** Same seed, same options → same bytes (default 1). */
  seed?: number;
  /** Number of mailboxes (default 20; names beyond the built-in list are 'Folder N'). */
  mailboxes?: number;
  /** Total number of messages spread over the mailboxes (default 10,000). */
  messages?: number;
  /** Median message size in bytes (default 4 KiB; sizes are log-normal around it). */
  medianSize?: number;
  /** Fraction of messages of several MiB (default 0.005). */
  largeFraction?: number;
  /** Size range of those large messages in bytes (default 1–4.5 MiB). */
  largeSize?: { min: number; max: number };
  /** Sizes of extra messages added to the first mailbox (e.g. one of 200 MiB). */
  hugeMessages?: number[];
}

/** What a message is made from; `renderMessage` turns it into bytes. */
export interface CorpusMessage {
  /** Message-ID header value, unique within a corpus, e.g. '<1.0.42@corpus.interimap.test>'. */
  messageId: string;
  seed: number;
  /** Approximate size of the rendered message in bytes. */
  size: number;
  /** System flags and keywords, sorted. */
  flags: string[];
  internalDate: Date;
  /** Time zone offset (minutes east of UTC) for the Date header and the APPEND date-time. */
  zoneMinutes: number;
}

export interface CorpusMailbox {
  /** UTF-8 name with '/' as hierarchy delimiter. */
  name: string;
  /** The same name in modified UTF-7 (RFC 3501 §5.1.3), still with '/' as delimiter. */
  mutf7: string;
  messages: CorpusMessage[];
}

export interface Corpus {
  seed: number;
  mailboxes: CorpusMailbox[];
}

/** Parents come before their children, so any prefix of the list is a closed hierarchy. */
const MAILBOX_NAMES = [
  'INBOX',
  'Sent',
  'Drafts',
  'Trash',
  'Archives',
  'Archives/2023',
  'Archives/2024',
  'Work',
  'Work/Clients',
  'Work/Clients/Acme & Co',
  'Work/Réunions',
  'Projets',
  'Projets/Été 2025',
  'Famille',
  'Famille/Фотографии',
  '日本語',
  '日本語/メモ',
  'Lists',
  'Lists/dovecot',
  'Lists/node.js',
];

const WORDS = (
  'the of and to in is that for it as was with be by on not he this are or his from at which but ' +
  'have an they you were her she there been one all we their has would when if so no will can more ' +
  'server mailbox message flag sync update meeting report budget draft review release patch deadline ' +
  'café déjà réunion été naïve über straße привет письмо почта 会議 メール 予定 東京'
).split(' ');
const NAMES = ['Alice Martin', 'Bob Chen', 'Chloé Dubois', 'Dmitri Ivanov', 'Eve Okafor', '山田 太郎'];
const SUBJECTS = ['Quarterly report', 'Re: meeting notes', 'Fwd: invoice', 'Release plan', 'Lunch?'];
const NON_ASCII_SUBJECTS = ['Réunion d’équipe', 'Отчёт за квартал', '会議の議事録', 'Grüße aus München'];
const KEYWORDS: [string, number][] = [
  ['\\Seen', 0.7],
  ['\\Answered', 0.1],
  ['\\Flagged', 0.05],
  ['\\Draft', 0.01],
  ['$Label1', 0.03],
  ['$Label2', 0.02],
  ['work', 0.02],
];
const ZONES = [0, 60, 120, -300, 540, 330];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const FROM_TIME = Date.UTC(2015, 0, 1) / 1000;
const TO_TIME = Date.UTC(2026, 0, 1) / 1000;
const LINE = 72;

/** sfc32: a small, fast, well-mixed 32-bit PRNG (plenty for test data). */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.next();
  }

  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.next() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    return Math.sqrt(-2 * Math.log(1 - this.float())) * Math.cos(2 * Math.PI * this.float());
  }

  bytes(length: number): Buffer {
    const words = new Uint32Array(Math.ceil(length / 4));
    for (let i = 0; i < words.length; i++) words[i] = this.next();
    return Buffer.from(words.buffer, 0, length);
  }
}

/** Mixes a corpus seed with small integers into a per-item seed. */
function mix(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) h = Math.imul(h ^ (part >>> 0), 0x01000193) ^ (h >>> 15);
  return h >>> 0;
}

export function makeCorpus(options: CorpusOptions = {}): Corpus {
  const seed = options.seed ?? 1;
  const rng = new Rng(mix(seed, 0));
  const count = options.mailboxes ?? MAILBOX_NAMES.length;
  const names = Array.from({ length: count }, (_, i) => MAILBOX_NAMES[i] ?? `Folder ${i}`);
  // INBOX gets about a third of the mail, the others random shares.
  const weights = names.map((_, i) => (i === 0 ? count / 2 : 0.2 + rng.float()));
  const total = weights.reduce((a, b) => a + b, 0);
  const mailboxes: CorpusMailbox[] = names.map((name) => ({
    name,
    mutf7: encodeMailboxName(name),
    messages: [],
  }));
  const messages = options.messages ?? 10_000;
  for (let i = 0; i < messages; i++) {
    let r = rng.float() * total;
    let box = 0;
    while (box < count - 1 && r >= weights[box]!) r -= weights[box++]!;
    const id = `<${seed}.${box}.${i}@corpus.interimap.test>`;
    mailboxes[box]!.messages.push(makeMessage(mix(seed, 1, i), id, options));
  }
  for (const [i, size] of (options.hugeMessages ?? []).entries()) {
    const id = `<${seed}.huge.${i}@corpus.interimap.test>`;
    mailboxes[0]!.messages.push(makeMessage(mix(seed, 2, i), id, { ...options, fixedSize: size }));
  }
  return { seed, mailboxes };
}

/** One message description from its own seed (used for corpora and for messages added later). */
export function makeMessage(
  seed: number,
  messageId: string,
  options: CorpusOptions & { fixedSize?: number } = {},
): CorpusMessage {
  const rng = new Rng(seed);
  const median = options.medianSize ?? 4096;
  const large = options.largeSize ?? { min: 1 << 20, max: 9 << 19 };
  let size: number;
  if (options.fixedSize !== undefined) size = options.fixedSize;
  else if (rng.float() < (options.largeFraction ?? 0.005)) size = large.min + rng.int(large.max - large.min);
  else size = Math.max(600, Math.round(median * Math.exp(0.9 * rng.normal())));
  const flags = KEYWORDS.filter(([, p]) => rng.float() < p)
    .map(([flag]) => flag)
    .sort();
  const internalDate = new Date((FROM_TIME + rng.int(TO_TIME - FROM_TIME)) * 1000);
  return { messageId, seed, size, flags, internalDate, zoneMinutes: rng.pick(ZONES) };
}

function zone(minutes: number): string {
  const abs = Math.abs(minutes);
  const hhmm = String(Math.floor(abs / 60) * 100 + (abs % 60)).padStart(4, '0');
  return `${minutes < 0 ? '-' : '+'}${hhmm}`;
}

/** The local time fields of `date` in the given zone. */
function shifted(date: Date, zoneMinutes: number): Date {
  return new Date(date.getTime() + zoneMinutes * 60_000);
}

const two = (n: number) => String(n).padStart(2, '0');

/** RFC 5322 §3.3 date-time, e.g. 'Tue, 04 Mar 2025 09:15:00 +0100'. */
function headerDate(date: Date, zoneMinutes: number): string {
  const t = shifted(date, zoneMinutes);
  const time = `${two(t.getUTCHours())}:${two(t.getUTCMinutes())}:${two(t.getUTCSeconds())}`;
  const day = `${DAYS[t.getUTCDay()]}, ${two(t.getUTCDate())} ${MONTHS[t.getUTCMonth()]} ${t.getUTCFullYear()}`;
  return `${day} ${time} ${zone(zoneMinutes)}`;
}

/** IMAP date-time (RFC 3501 §9), e.g. '04-Mar-2025 09:15:00 +0100'. */
export function imapDate(message: CorpusMessage): string {
  const t = shifted(message.internalDate, message.zoneMinutes);
  const time = `${two(t.getUTCHours())}:${two(t.getUTCMinutes())}:${two(t.getUTCSeconds())}`;
  const day = `${two(t.getUTCDate())}-${MONTHS[t.getUTCMonth()]}-${t.getUTCFullYear()}`;
  return `${day} ${time} ${zone(message.zoneMinutes)}`;
}

function address(name: string, i: number): string {
  const local = `user${i}`;
  return /^[\x20-\x7e]*$/.test(name)
    ? `"${name}" <${local}@example.org>`
    : `=?UTF-8?B?${Buffer.from(name).toString('base64')}?= <${local}@example.org>`;
}

/** Text lines of words, CRLF-terminated, about `size` bytes. */
function text(rng: Rng, size: number): string {
  const lines: string[] = [];
  let length = 0;
  while (length < size) {
    let line = rng.pick(WORDS);
    while (line.length < LINE - 12) line += ` ${rng.pick(WORDS)}`;
    lines.push(line);
    length += Buffer.byteLength(line) + 2;
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** base64 in 76-character CRLF lines (RFC 2045 §6.8). */
function base64Lines(data: Buffer): string {
  const encoded = data.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < encoded.length; i += 76) lines.push(encoded.slice(i, i + 76));
  return `${lines.join('\r\n')}\r\n`;
}

/** The message's bytes (CRLF line endings only); the same description always gives the same bytes. */
export function renderMessage(message: CorpusMessage): Buffer {
  const rng = new Rng(mix(message.seed, 7));
  const from = rng.int(NAMES.length);
  const subject =
    rng.float() < 0.25
      ? `=?UTF-8?B?${Buffer.from(rng.pick(NON_ASCII_SUBJECTS)).toString('base64')}?=`
      : rng.pick(SUBJECTS);
  const headers = [
    `From: ${address(NAMES[from]!, from)}`,
    `To: ${address(NAMES[(from + 1) % NAMES.length]!, from + 1)}`,
    `Subject: ${subject} #${message.seed % 100000}`,
    `Date: ${headerDate(new Date(message.internalDate.getTime() - rng.int(3600) * 1000), message.zoneMinutes)}`,
    `Message-ID: ${message.messageId}`,
    'MIME-Version: 1.0',
  ];
  // Messages above 12 KiB (and a few smaller ones) carry most of their size as an attachment.
  const withAttachment = message.size > 12_288 || rng.float() < 0.1;
  if (!withAttachment) {
    headers.push('Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit');
    const head = `${headers.join('\r\n')}\r\n\r\n`;
    return Buffer.from(head + text(rng, message.size - head.length));
  }
  const boundary = `=_corpus_${message.seed.toString(16)}`;
  headers.push(`Content-Type: multipart/mixed; boundary="${boundary}"`);
  const body = text(rng, Math.min(2048, message.size / 4));
  const attachmentBytes = Math.max(16, Math.floor(((message.size - body.length - 600) * 3) / 4 / 1.027));
  const parts = [
    `${headers.join('\r\n')}\r\n\r\nThis is a multi-part message in MIME format.\r\n`,
    `--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${body}`,
    `--${boundary}\r\nContent-Type: application/octet-stream; name="data-${message.seed}.bin"\r\n` +
      `Content-Disposition: attachment; filename="data-${message.seed}.bin"\r\n` +
      'Content-Transfer-Encoding: base64\r\n\r\n',
    base64Lines(rng.bytes(attachmentBytes)),
    `--${boundary}--\r\n`,
  ];
  return Buffer.from(parts.join(''));
}

export function corpusMessageCount(corpus: Corpus): number {
  return corpus.mailboxes.reduce((n, m) => n + m.messages.length, 0);
}

/** The server's name for a corpus mailbox (its modified UTF-7 name): '/' replaced by the server's
 * hierarchy delimiter. */
export function serverMailboxName(mutf7: string, delimiter: string): string {
  const parts = mutf7.split('/');
  if (delimiter !== '/' && parts.some((p) => p.includes(delimiter))) {
    throw new Error(`corpus: mailbox '${mutf7}' contains the server delimiter '${delimiter}'`);
  }
  return parts.join(delimiter);
}

/** Asks the server for its hierarchy delimiter (RFC 3501 §6.3.8: LIST "" ""). */
export async function hierarchyDelimiter(pipe: ImapPipe): Promise<string> {
  let delimiter = '/';
  await pipe.command('LIST "" ""', {
    onUntagged: (line) => {
      const match = /^\* LIST \([^)]*\) "((?:\\.|[^"])*)"/.exec(line);
      if (match) delimiter = match[1]!.replace(/\\(.)/g, '$1');
    },
  });
  return delimiter;
}

const BATCH_BYTES = 16 << 20;
const BATCH_MESSAGES = 500;

/** Appends messages to one mailbox with MULTIAPPEND (RFC 3502) and `{n+}` literals (RFC 7888),
 * pipelined, in batches so at most about BATCH_BYTES of rendered mail wait in memory. */
export async function appendMessages(
  pipe: ImapPipe,
  mailbox: string,
  messages: CorpusMessage[],
): Promise<void> {
  const done: Promise<string>[] = [];
  let parts: (string | Buffer)[] = [];
  let bytes = 0;
  const send = async () => {
    if (parts.length === 0) return;
    done.push(pipe.command([`APPEND ${quoted(mailbox)}`, ...parts]));
    parts = [];
    bytes = 0;
    await pipe.flushed();
  };
  for (const message of messages) {
    const raw = renderMessage(message);
    parts.push(` (${message.flags.join(' ')}) "${imapDate(message)}" {${raw.length}+}\r\n`, raw);
    bytes += raw.length;
    if (bytes >= BATCH_BYTES || parts.length >= 2 * BATCH_MESSAGES) await send();
  }
  await send();
  await Promise.all(done);
}

/** Fills the store behind `server.tunnelCommand` with the corpus: CREATE and SUBSCRIBE every mailbox,
 * then append all messages, over one pipelined PREAUTH session. */
export async function loadCorpus(server: { tunnelCommand: string }, corpus: Corpus): Promise<void> {
  const pipe = await ImapPipe.open(server.tunnelCommand);
  try {
    const delimiter = await hierarchyDelimiter(pipe);
    const names = corpus.mailboxes.map((m) => serverMailboxName(m.mutf7, delimiter));
    const setup = names.flatMap((name) => [
      ...(name.toUpperCase() === 'INBOX' ? [] : [pipe.command(`CREATE ${quoted(name)}`)]),
      pipe.command(`SUBSCRIBE ${quoted(name)}`),
    ]);
    await Promise.all(setup);
    for (const [i, mailbox] of corpus.mailboxes.entries())
      await appendMessages(pipe, names[i]!, mailbox.messages);
  } finally {
    await pipe.close();
  }
}
