import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { CommandSyntaxError } from '../../src/protocol/errors.js';
import { decodeMailboxName } from '../../src/protocol/mutf7.js';
import {
  type Arg,
  isAtom,
  isSettableFlag,
  redactedForLog,
  type SerializeOptions,
  serializeCommand,
} from '../../src/protocol/serializer.js';
import type { CommandChunk } from '../../src/protocol/types.js';

const SYNC: SerializeOptions = { literalPlus: false, literalMinus: false };
const PLUS: SerializeOptions = { literalPlus: true, literalMinus: false };
const MINUS: SerializeOptions = { literalPlus: false, literalMinus: true };

/**
 * Joins the chunks into the bytes a server would receive, checking the chunk contract on the
 * way: each literal follows a data chunk ending in its own header, `sync` matching the `+`.
 */
function wire(chunks: CommandChunk[]): Buffer {
  const parts: Buffer[] = [];
  chunks.forEach((chunk, i) => {
    if (chunk.kind === 'data') {
      parts.push(chunk.data);
      return;
    }
    const before = chunks[i - 1];
    assert.ok(before?.kind === 'data', 'a literal follows a data chunk');
    const header = /~?\{(\d+)(\+?)\}\r\n$/.exec(before.data.toString('latin1'));
    assert.ok(header, 'the data chunk before a literal ends with its header');
    assert.equal(Number(header[1]), chunk.size);
    assert.equal(chunk.sync, header[2] === '');
    assert.ok(Buffer.isBuffer(chunk.body));
    assert.equal(chunk.body.length, chunk.size);
    parts.push(chunk.body);
  });
  const last = chunks[chunks.length - 1];
  assert.ok(
    last?.kind === 'data' && last.data.toString('latin1').endsWith('\r\n'),
    'a command ends with CRLF',
  );
  return Buffer.concat(parts);
}

const text = (chunks: CommandChunk[]): string => wire(chunks).toString('latin1');

/** The argument tokens a server would read from a command: a test-only tokenizer. */
type Tok = { atom: string } | { quoted: Buffer } | { literal: Buffer } | { list: Tok[] };

function tokenize(bytes: Buffer): Tok[] {
  let i = 0;
  const readToken = (): Tok => {
    const c = bytes[i]!;
    if (c === 0x28 /* ( */) {
      i++;
      const list: Tok[] = [];
      while (bytes[i] !== 0x29) {
        if (list.length > 0) assert.equal(bytes[i++], 0x20, 'list items are separated by one space');
        list.push(readToken());
      }
      i++;
      return { list };
    }
    if (c === 0x22 /* " */) {
      const out: number[] = [];
      for (i++; bytes[i] !== 0x22; i++) {
        if (bytes[i] === 0x5c) i++;
        assert.ok(i < bytes.length && bytes[i] !== 0x0d && bytes[i] !== 0x0a && bytes[i]! < 0x80);
        out.push(bytes[i]!);
      }
      i++;
      return { quoted: Buffer.from(out) };
    }
    const literal = /^~?\{(\d+)\+?\}\r\n/.exec(bytes.subarray(i, i + 30).toString('latin1'));
    if (literal) {
      i += literal[0].length;
      const body = bytes.subarray(i, i + Number(literal[1]));
      i += body.length;
      return { literal: Buffer.from(body) };
    }
    const start = i;
    while (i < bytes.length && bytes[i] !== 0x20 && bytes[i] !== 0x29 && bytes[i] !== 0x0d) i++;
    assert.ok(i > start, `empty token at ${start}`);
    return { atom: bytes.subarray(start, i).toString('latin1') };
  };
  const tokens: Tok[] = [];
  while (i < bytes.length - 2) {
    if (tokens.length > 0) assert.equal(bytes[i++], 0x20, 'tokens are separated by one space');
    tokens.push(readToken());
  }
  assert.equal(bytes.subarray(i).toString('latin1'), '\r\n');
  return tokens;
}

/** The bytes of a string-like token, whichever form it took. */
function stringBytes(tok: Tok): Buffer {
  if ('quoted' in tok) return tok.quoted;
  if ('literal' in tok) return tok.literal;
  if ('atom' in tok) return Buffer.from(tok.atom, 'latin1');
  return assert.fail('a list where a string was expected');
}

/** Serializes one argument and returns its token. */
function roundTrip(arg: Arg, options = SYNC): Tok {
  const tokens = tokenize(wire(serializeCommand('T1', 'X', [arg], options)));
  assert.deepEqual(tokens.slice(0, 2), [{ atom: 'T1' }, { atom: 'X' }]);
  assert.equal(tokens.length, 3);
  return tokens[2]!;
}

describe('serializeCommand: examples', () => {
  test('a command without arguments is one data chunk', () => {
    const chunks = serializeCommand('A1', 'NOOP', [], SYNC);
    assert.equal(chunks.length, 1);
    assert.equal(text(chunks), 'A1 NOOP\r\n');
  });

  test('atoms, astrings, numbers, lists, sequence sets', () => {
    const chunks = serializeCommand(
      'A2',
      'SELECT',
      [
        { type: 'mailbox', name: 'INBOX' },
        {
          type: 'list',
          items: [
            'QRESYNC',
            { type: 'list', items: [67890007, 20050715194045000n, { type: 'sequence', set: [1, 2, 3, 9] }] },
          ],
        },
      ],
      SYNC,
    );
    assert.equal(text(chunks), 'A2 SELECT INBOX (QRESYNC (67890007 20050715194045000 1:3,9))\r\n');
  });

  test('quoted strings escape backslash and double quote', () => {
    assert.equal(
      text(
        serializeCommand(
          'A3',
          'LOGIN',
          [
            { type: 'astring', value: 'joe' },
            { type: 'astring', value: 'p a"s\\s' },
          ],
          SYNC,
        ),
      ),
      'A3 LOGIN joe "p a\\"s\\\\s"\r\n',
    );
  });

  test('UID STORE with a flag list', () => {
    assert.equal(
      text(
        serializeCommand(
          'A4',
          'UID STORE',
          [
            { type: 'sequence', set: '5:*' },
            '+FLAGS.SILENT',
            { type: 'flags', flags: ['\\Seen', '$Junk', '\\Draft'] },
          ],
          SYNC,
        ),
      ),
      'A4 UID STORE 5:* +FLAGS.SILENT (\\Seen $Junk \\Draft)\r\n',
    );
  });

  test('APPEND: synchronising literal in its own chunk, then the rest of the line', () => {
    const message = Buffer.from('Subject: hi\r\n\r\nbody\r\n');
    const chunks = serializeCommand(
      'A5',
      'APPEND',
      [
        { type: 'mailbox', name: 'Sent & Co' },
        { type: 'flags', flags: ['\\Seen'] },
        { type: 'date', value: new Date(Date.UTC(2024, 1, 7, 8, 5, 0)), tzOffsetMinutes: 60 },
        { type: 'literal', body: message },
      ],
      SYNC,
    );
    assert.deepEqual(
      chunks.map((c) => c.kind),
      ['data', 'literal', 'data'],
    );
    assert.equal(
      (chunks[0] as { data: Buffer }).data.toString(),
      'A5 APPEND "Sent &- Co" (\\Seen) " 7-Feb-2024 09:05:00 +0100" {21}\r\n',
    );
    assert.equal(chunks[1]!.kind === 'literal' && chunks[1].sync, true);
    assert.equal(chunks[1]!.kind === 'literal' && chunks[1].body, message);
    assert.equal((chunks[2] as { data: Buffer }).data.toString(), '\r\n');
  });

  test('MULTIAPPEND with LITERAL+: every literal non-synchronising', () => {
    const a = Buffer.alloc(10_000, 'a');
    const chunks = serializeCommand(
      'A6',
      'APPEND',
      [
        { type: 'mailbox', name: 'INBOX' },
        { type: 'literal', body: a },
        { type: 'literal', body: a },
      ],
      PLUS,
    );
    assert.match(text(chunks), /^A6 APPEND INBOX \{10000\+\}\r\na{10000} \{10000\+\}\r\na{10000}\r\n$/);
  });

  test('LITERAL-: {N+} up to 4096 bytes, {N} above (RFC 7888 §5)', () => {
    const small = roundTrip({ type: 'literal', body: Buffer.alloc(4096, 'x') }, MINUS);
    assert.deepEqual(small, { literal: Buffer.alloc(4096, 'x') });
    const chunksSmall = serializeCommand('A', 'X', [{ type: 'literal', body: Buffer.alloc(4096) }], MINUS);
    assert.equal(chunksSmall[1]!.kind === 'literal' && chunksSmall[1].sync, false);
    const chunksBig = serializeCommand('A', 'X', [{ type: 'literal', body: Buffer.alloc(4097) }], MINUS);
    assert.equal(chunksBig[1]!.kind === 'literal' && chunksBig[1].sync, true);
    assert.match((chunksBig[0] as { data: Buffer }).data.toString(), /\{4097\}\r\n$/);
    const both = serializeCommand('A', 'X', [{ type: 'literal', body: Buffer.alloc(4097) }], {
      literalPlus: true,
      literalMinus: true,
    });
    assert.equal(both[1]!.kind === 'literal' && both[1].sync, false);
  });

  test('literal8 for BINARY, and a streamed body passed through untouched', async () => {
    async function* body(): AsyncIterable<Buffer> {
      yield Buffer.from('ab\0');
      yield Buffer.from('c');
    }
    const stream = body();
    const chunks = serializeCommand(
      'A7',
      'APPEND',
      [
        { type: 'mailbox', name: 'INBOX' },
        { type: 'literal', body: stream, size: 4, binary: true },
      ],
      SYNC,
    );
    assert.equal((chunks[0] as { data: Buffer }).data.toString(), 'A7 APPEND INBOX ~{4}\r\n');
    assert.deepEqual({ ...chunks[1], body: null }, { kind: 'literal', size: 4, sync: true, body: null });
    assert.equal((chunks[1] as { body: unknown }).body, stream);
  });

  test('strings: empty is "", 8-bit, CR, LF and long values are literals', () => {
    assert.deepEqual(roundTrip({ type: 'string', value: '' }), { quoted: Buffer.alloc(0) });
    assert.deepEqual(roundTrip({ type: 'astring', value: '' }), { quoted: Buffer.alloc(0) });
    assert.deepEqual(roundTrip({ type: 'string', value: 'Grüße' }), { literal: Buffer.from('Grüße') });
    assert.deepEqual(roundTrip({ type: 'string', value: 'a\r\nb' }), { literal: Buffer.from('a\r\nb') });
    assert.deepEqual(roundTrip({ type: 'string', value: 'a\nb' }), { literal: Buffer.from('a\nb') });
    assert.deepEqual(roundTrip({ type: 'string', value: 'x'.repeat(1024) }), {
      quoted: Buffer.from('x'.repeat(1024)),
    });
    assert.deepEqual(roundTrip({ type: 'string', value: 'x'.repeat(1025) }), {
      literal: Buffer.from('x'.repeat(1025)),
    });
    assert.deepEqual(roundTrip({ type: 'string', value: Buffer.from([0xff, 0x41]) }), {
      literal: Buffer.from([0xff, 0x41]),
    });
    assert.deepEqual(roundTrip({ type: 'string', value: 'atom' }), { quoted: Buffer.from('atom') });
  });

  test('astrings: bare only when a valid astring atom other than NIL', () => {
    assert.deepEqual(roundTrip({ type: 'astring', value: 'user@example.org' }), { atom: 'user@example.org' });
    assert.deepEqual(roundTrip({ type: 'astring', value: 'a]b' }), { atom: 'a]b' }); // ASTRING-CHAR has "]"
    assert.deepEqual(roundTrip({ type: 'astring', value: 'nil' }), { quoted: Buffer.from('nil') });
    for (const v of ['a b', 'a(', 'a)', 'a{', 'a%', 'a*', 'a"', 'a\\', 'a\t']) {
      assert.ok('quoted' in roundTrip({ type: 'astring', value: v }), v);
    }
  });

  test('nstring: NIL for null', () => {
    assert.deepEqual(roundTrip({ type: 'nstring', value: null }), { atom: 'NIL' });
    assert.deepEqual(roundTrip({ type: 'nstring', value: 'NIL' }), { quoted: Buffer.from('NIL') });
  });

  test('mailbox names: modified UTF-7, bare only when plainly safe', () => {
    const cases: Array<[string, Tok]> = [
      ['INBOX', { atom: 'INBOX' }],
      ['Archive/2024.old_x-y', { atom: 'Archive/2024.old_x-y' }],
      ['~peter/mail/台北/日本語', { quoted: Buffer.from('~peter/mail/&U,BTFw-/&ZeVnLIqe-') }],
      ['NIL', { quoted: Buffer.from('NIL') }],
      ['a]', { quoted: Buffer.from('a]') }],
      ['[Gmail]/All', { quoted: Buffer.from('[Gmail]/All') }],
      ['100%', { quoted: Buffer.from('100%') }],
      ['with "quote"', { quoted: Buffer.from('with "quote"') }],
      ['', { quoted: Buffer.alloc(0) }],
    ];
    for (const [name, tok] of cases) assert.deepEqual(roundTrip({ type: 'mailbox', name }), tok, name);
  });

  test('dates: from a Date or as received', () => {
    assert.deepEqual(roundTrip({ type: 'date', value: new Date(Date.UTC(2001, 0, 2, 3, 4, 5)) }), {
      quoted: Buffer.from(' 2-Jan-2001 03:04:05 +0000'),
    });
    assert.deepEqual(roundTrip({ type: 'date', value: '17-Jul-1996 02:44:25 -0700' }), {
      quoted: Buffer.from('17-Jul-1996 02:44:25 -0700'),
    });
  });

  test('raw text is sent as is', () => {
    assert.equal(
      text(
        serializeCommand(
          'A8',
          'UID FETCH',
          [
            { type: 'sequence', set: [[1, 4294967295]] },
            { type: 'raw', text: '(UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])' },
          ],
          SYNC,
        ),
      ),
      'A8 UID FETCH 1:4294967295 (UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])\r\n',
    );
  });
});

describe('serializeCommand: refuses what cannot be sent', () => {
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['an atom with a space', () => serializeCommand('A', 'X', ['a b'], SYNC), /"a b" is not a valid atom/],
    ['an empty atom', () => serializeCommand('A', 'X', [''], SYNC), /not a valid atom/],
    ['an atom with "]"', () => serializeCommand('A', 'X', ['a]'], SYNC), /not a valid atom/],
    ['a NUL in a string', () => serializeCommand('A', 'X', [{ type: 'string', value: 'a\0b' }], SYNC), /NUL/],
    [
      'a NUL in a buffer astring',
      () => serializeCommand('A', 'X', [{ type: 'astring', value: Buffer.from([0]) }], SYNC),
      /NUL/,
    ],
    [
      '\\Recent in a flag list',
      () => serializeCommand('A', 'X', [{ type: 'flags', flags: ['\\recent'] }], SYNC),
      /"\\\\recent" is not a flag/,
    ],
    [
      '\\* in a flag list',
      () => serializeCommand('A', 'X', [{ type: 'flags', flags: ['\\*'] }], SYNC),
      /not a flag/,
    ],
    [
      'a keyword with a space',
      () => serializeCommand('A', 'X', [{ type: 'flags', flags: ['a b'] }], SYNC),
      /not a flag/,
    ],
    ['a tag with "+"', () => serializeCommand('A+', 'X', [], SYNC), /bad tag "A\+"/],
    ['an empty tag', () => serializeCommand('', 'X', [], SYNC), /bad tag/],
    ['a command with CRLF', () => serializeCommand('A', 'X\r\nY', [], SYNC), /bad command name/],
    ['a command with two spaces', () => serializeCommand('A', 'UID  FETCH', [], SYNC), /bad command name/],
    [
      'raw text with CRLF',
      () => serializeCommand('A', 'X', [{ type: 'raw', text: 'a\r\nb' }], SYNC),
      /raw argument/,
    ],
    ['empty raw text', () => serializeCommand('A', 'X', [{ type: 'raw', text: '' }], SYNC), /raw argument/],
    ['a negative number', () => serializeCommand('A', 'X', [-1], SYNC), /number argument -1/],
    ['a fraction', () => serializeCommand('A', 'X', [1.5], SYNC), /number argument 1.5/],
    ['a 64-bit number', () => serializeCommand('A', 'X', [1n << 63n], SYNC), /number argument/],
    [
      'a bad sequence text',
      () => serializeCommand('A', 'X', [{ type: 'sequence', set: '1,,2' }], SYNC),
      /bad sequence set/,
    ],
    [
      'an empty sequence set',
      () => serializeCommand('A', 'X', [{ type: 'sequence', set: [] }], SYNC),
      /empty set/,
    ],
    [
      'a bad date text',
      () => serializeCommand('A', 'X', [{ type: 'date', value: '1-Jan-2000' }], SYNC),
      /bad date-time/,
    ],
    [
      'a lone surrogate in a mailbox',
      () => serializeCommand('A', 'X', [{ type: 'mailbox', name: '\ud800' }], SYNC),
      /unpaired surrogate/,
    ],
    [
      'a stream without size',
      () => serializeCommand('A', 'X', [{ type: 'literal', body: (async function* () {})() }], SYNC),
      /without a size/,
    ],
    [
      'a wrong literal size',
      () => serializeCommand('A', 'X', [{ type: 'literal', body: Buffer.alloc(3), size: 4 }], SYNC),
      /differs/,
    ],
    [
      'a null argument',
      () => serializeCommand('A', 'X', [null as unknown as Arg], SYNC),
      /argument null is not/,
    ],
    [
      'an unknown argument type',
      () => serializeCommand('A', 'X', [{ type: 'nope' } as unknown as Arg], SYNC),
      /unknown argument type "nope"/,
    ],
  ];
  for (const [what, run, message] of cases) {
    test(what, () => {
      assert.throws(run, (e: unknown) => e instanceof CommandSyntaxError && message.test(e.message));
    });
  }
});

describe('flag and atom predicates', () => {
  test('isSettableFlag', () => {
    for (const f of [
      '\\Seen',
      '\\Answered',
      '\\Flagged',
      '\\Deleted',
      '\\Draft',
      '\\Extension',
      '$Forwarded',
      'Junk',
    ]) {
      assert.ok(isSettableFlag(f), f);
    }
    for (const f of ['\\Recent', '\\*', '\\', '', 'a b', 'a(', '\\\\Seen']) assert.ok(!isSettableFlag(f), f);
  });

  test('isAtom follows ATOM-CHAR', () => {
    assert.ok(isAtom('FLAGS.SILENT'));
    for (const a of ['', 'a b', 'a]', 'a%', 'a*', 'a{', 'é', 'a\x7f']) assert.ok(!isAtom(a), a);
  });
});

describe('serializeCommand: properties', () => {
  const noNul = (b: Uint8Array) => Buffer.from(b.map((x) => (x === 0 ? 1 : x)));

  test('any string without NUL reads back byte for byte, a literal only when it must be', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 1100 }).map(noNul),
          fc.string({ unit: 'binary', maxLength: 40 }).map((s) => s.replaceAll('\0', '')),
          fc.string({
            unit: fc.constantFrom('a', '"', '\\', ' ', '\r', '\n', ']', 'N', 'I', 'L'),
            maxLength: 8,
          }),
        ),
        fc.constantFrom<'string' | 'astring' | 'nstring'>('string', 'astring', 'nstring'),
        (value, type) => {
          const tok = roundTrip({ type, value } as Arg);
          const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
          assert.deepEqual(stringBytes(tok), bytes);
          const mustBeLiteral =
            bytes.some((b) => b >= 0x80 || b === 0x0d || b === 0x0a) || bytes.length > 1024;
          assert.equal('literal' in tok, mustBeLiteral);
          if ('atom' in tok) {
            assert.equal(type, 'astring');
            assert.notEqual(tok.atom.toUpperCase(), 'NIL');
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('any mailbox name reads back as itself', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (name) => {
        assert.equal(
          decodeMailboxName(stringBytes(roundTrip({ type: 'mailbox', name })).toString('latin1')),
          name,
        );
      }),
      { numRuns: 1000 },
    );
  });

  test('nested lists of mixed arguments keep their structure under every literal mode', () => {
    const leaf = fc.oneof(
      fc.constantFrom('UID', 'FLAGS', 'X-GM-LABELS'),
      fc.nat().map((n): Arg => n),
      fc
        .string({ unit: 'binary', maxLength: 10 })
        .map((s): Arg => ({ type: 'string', value: s.replaceAll('\0', '') })),
    );
    const { tree } = fc.letrec<{ tree: Arg }>((tie) => ({
      tree: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('tree'), { maxLength: 4 }).map((items): Arg => ({ type: 'list', items })),
      ),
    }));
    const expected = (arg: Arg): Tok => {
      if (typeof arg === 'string') return { atom: arg };
      if (typeof arg === 'number' || typeof arg === 'bigint') return { atom: String(arg) };
      if (arg.type === 'list') return { list: arg.items.map(expected) };
      const bytes = Buffer.from(arg.type === 'string' ? (arg.value as string) : '', 'utf8');
      return bytes.some((b) => b >= 0x80 || b === 0x0a || b === 0x0d)
        ? { literal: bytes }
        : { quoted: bytes };
    };
    fc.assert(
      fc.property(tree, fc.constantFrom(SYNC, PLUS, MINUS), (arg, options) => {
        assert.deepEqual(roundTrip(arg, options), expected(arg));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('redactedForLog', () => {
  test('hides LOGIN arguments', () => {
    const args: Arg[] = [
      { type: 'astring', value: 'joe' },
      { type: 'astring', value: 'hunter2' },
    ];
    assert.equal(redactedForLog('A1', 'LOGIN', args), 'A1 LOGIN <redacted> <redacted>');
    assert.equal(redactedForLog('A1', 'login', args), 'A1 login <redacted> <redacted>');
    assert.equal(redactedForLog('A1', 'LOGIN', args, { showCredentials: true }), 'A1 LOGIN joe hunter2');
  });

  test('keeps the AUTHENTICATE mechanism, hides the initial response', () => {
    assert.equal(
      redactedForLog('A2', 'AUTHENTICATE', ['PLAIN', { type: 'raw', text: 'AGpvZQBodW50ZXIy' }]),
      'A2 AUTHENTICATE PLAIN <redacted>',
    );
  });

  test('shows literal bodies as their size only', () => {
    const line = redactedForLog('A3', 'APPEND', [
      { type: 'mailbox', name: 'INBOX' },
      { type: 'flags', flags: [] },
      { type: 'literal', body: Buffer.from('secret message') },
      { type: 'string', value: 'naïve' },
    ]);
    assert.equal(line, 'A3 APPEND INBOX () {14 bytes} {6 bytes}');
  });

  test('a password sent as a literal never reaches the log', () => {
    const line = redactedForLog('A4', 'LOGIN', [
      { type: 'astring', value: 'joe' },
      { type: 'astring', value: 'pässwörd' },
    ]);
    assert.ok(!line.includes('pässwörd') && !line.includes('bytes'));
  });
});
