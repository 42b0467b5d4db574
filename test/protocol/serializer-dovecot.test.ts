// The serializer's output read by a real Dovecot (pre-authenticated `imap` over pipes): mailbox
// names, strings, literals of both kinds, flags, dates and sequence sets must mean to Dovecot
// what we meant. The launcher is deliberately tiny: one process, no network, no login.
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseInternalDate } from '../../src/protocol/internal-date.js';
import { decodeMailboxName } from '../../src/protocol/mutf7.js';
import { splitSequenceSet } from '../../src/protocol/sequence-set.js';
import { type Arg, type SerializeOptions, serializeCommand } from '../../src/protocol/serializer.js';

/** Reads whole responses (a line plus the literals it announces) from Dovecot's stdout. */
class ResponseReader {
  private buffer = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  constructor(stream: NodeJS.ReadableStream) {
    stream.on('data', (d: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, d]);
      this.wake?.();
    });
  }
  async next(): Promise<string> {
    for (;;) {
      let end = 0;
      for (;;) {
        const lf = this.buffer.indexOf('\r\n', end);
        if (lf === -1) break;
        const literal = /\{(\d+)\}$/.exec(this.buffer.subarray(end, lf).toString('latin1'));
        if (!literal) {
          const response = this.buffer.subarray(0, lf).toString('latin1');
          this.buffer = this.buffer.subarray(lf + 2);
          return response;
        }
        end = lf + 2 + Number(literal[1]);
        if (end > this.buffer.length) break;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}

class Session {
  private tags = 0;
  readonly reader: ResponseReader;
  constructor(private readonly imap: ChildProcessWithoutNullStreams) {
    this.reader = new ResponseReader(imap.stdout);
  }
  /** Sends one command, waiting for `+` before synchronising literals; returns its untagged lines. */
  async run(command: string, args: Arg[], options: SerializeOptions): Promise<string[]> {
    const tag = `t${++this.tags}`;
    const untagged: string[] = [];
    const chunks = serializeCommand(tag, command, args, options);
    for (const chunk of chunks) {
      if (chunk.kind === 'data') {
        this.imap.stdin.write(chunk.data);
        continue;
      }
      if (chunk.sync) {
        const go = await this.reader.next();
        assert.match(go, /^\+/, `${command}: expected a continuation`);
      }
      this.imap.stdin.write(chunk.body as Buffer);
    }
    for (;;) {
      const response = await this.reader.next();
      if (response.startsWith(`${tag} `)) {
        assert.match(response, new RegExp(`^${tag} OK`), `${command} failed: ${response}`);
        return untagged;
      }
      untagged.push(response);
    }
  }
}

const SYNC: SerializeOptions = { literalPlus: false, literalMinus: false };
const PLUS: SerializeOptions = { literalPlus: true, literalMinus: false };

describe('serializer against Dovecot', { timeout: 60_000 }, () => {
  let dir: string;
  let imap: ChildProcessWithoutNullStreams;
  let session: Session;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'interimap-serializer-'));
    writeFileSync(
      join(dir, 'dovecot.conf'),
      [
        `base_dir = ${dir}/run`,
        `state_dir = ${dir}/state`,
        `log_path = ${dir}/log`,
        `mail_location = sdbox:${dir}/mail`,
        'ssl = no',
        '',
      ].join('\n'),
    );
    // The imap binary refuses to run as root: drop to nobody, which must own the store.
    const asRoot = process.getuid?.() === 0;
    if (asRoot)
      for (const p of [dir, ...readdirSync(dir).map((f) => join(dir, f))]) chownSync(p, 65534, 65534);
    const argv = ['/usr/lib/dovecot/imap', '-c', join(dir, 'dovecot.conf')];
    imap = asRoot
      ? spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', ...argv], {
          env: { USER: 'nobody', HOME: dir },
        })
      : spawn(argv[0]!, argv.slice(1), { env: { USER: process.env.USER ?? 'test', HOME: dir } });
    session = new Session(imap);
    assert.match(await session.reader.next(), /^\* PREAUTH .*LITERAL\+/);
  });

  after(async () => {
    if (imap !== undefined) {
      imap.stdin.end(); // EOF makes imap log out; kill it if it does not
      const timer = setTimeout(() => imap.kill(), 5000);
      if (imap.exitCode === null) await once(imap, 'exit');
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test('mailbox names come back from LIST exactly as created', async () => {
    const names = [
      '台北 日本語',
      'a&b',
      '[Gmail]/All',
      'NIL',
      'quote " back \\ slash',
      '100% *',
      'Émoji 😀',
      'x'.repeat(200),
    ];
    for (const [i, name] of names.entries())
      await session.run('CREATE', [{ type: 'mailbox', name }], i % 2 ? PLUS : SYNC);
    const listed = (
      await session.run(
        'LIST',
        [
          { type: 'string', value: '' },
          { type: 'astring', value: '*' },
        ],
        SYNC,
      )
    ).map((line) => {
      const m = /^\* LIST \([^)]*\) "\/" (?:"((?:[^"\\]|\\.)*)"|\{\d+\}\r\n(.*)|(\S+))$/s.exec(line);
      assert.ok(m, line);
      return decodeMailboxName(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3])!);
    });
    // Dovecot creates the parent of "[Gmail]/All" on the way.
    assert.deepEqual(listed.sort(), ['INBOX', '[Gmail]', ...names].sort());
  });

  test('APPEND with flags, dates and literals; SEARCH with an 8-bit literal; STORE by split UID sets', async () => {
    const box: Arg = { type: 'mailbox', name: 'Entwürfe' };
    await session.run('CREATE', [box], SYNC);
    const message = (i: number) =>
      Buffer.from(`Subject: Grüße ${i}\r\nX: ${'y'.repeat(i * 3000)}\r\n\r\nbody ${i}\r\n`);
    const when = new Date(Date.UTC(1999, 11, 31, 23, 59, 58));
    for (let i = 0; i < 3; i++) {
      await session.run(
        'APPEND',
        [
          box,
          { type: 'flags', flags: ['\\Seen', '$Forwarded', `kw${i}`] },
          i === 2
            ? { type: 'date', value: ' 7-Feb-2024 09:05:00 +0100' }
            : { type: 'date', value: when, tzOffsetMinutes: -210 },
          { type: 'literal', body: message(i) },
        ],
        i === 1 ? SYNC : PLUS,
      );
    }
    await session.run('SELECT', [box], SYNC);
    const fetched = await session.run(
      'UID FETCH',
      [
        { type: 'sequence', set: '1:*' },
        { type: 'raw', text: '(INTERNALDATE FLAGS BODY.PEEK[])' },
      ],
      SYNC,
    );
    assert.equal(fetched.length, 3);
    for (const [i, line] of fetched.entries()) {
      // Dovecot keeps the instant, not the zone: compare instants.
      const date = /INTERNALDATE "([^"]+)"/.exec(line)?.[1] ?? assert.fail(line);
      assert.deepEqual(
        parseInternalDate(date).date,
        i === 2 ? parseInternalDate(' 7-Feb-2024 09:05:00 +0100').date : when,
      );
      assert.match(line, new RegExp(`FLAGS \\(\\\\Seen \\\\Recent \\$Forwarded kw${i}\\)`));
      assert.ok(line.endsWith(`\r\n${message(i).toString('latin1')})`), 'the body reads back byte for byte');
    }
    const found = await session.run(
      'UID SEARCH',
      ['CHARSET', 'UTF-8', 'SUBJECT', { type: 'string', value: 'Grüße 1' }],
      SYNC,
    );
    assert.deepEqual(found, ['* SEARCH 2']);
    for (const piece of splitSequenceSet([1, 3], 21)) {
      await session.run(
        'UID STORE',
        [{ type: 'sequence', set: piece }, '+FLAGS.SILENT', { type: 'flags', flags: ['\\Flagged'] }],
        SYNC,
      );
    }
    const flagged = await session.run('UID SEARCH', ['FLAGGED'], SYNC);
    assert.deepEqual(flagged, ['* SEARCH 1 3']);
  });
});
