// Table tests of the response parser on the RFC examples, plus its limits, errors, stop() and
// the body sink path.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProtocolError } from '../../src/protocol/errors.js';
import { type LiteralSink, parseResponse, ResponseParser } from '../../src/protocol/parser.js';
import type { Response } from '../../src/protocol/types.js';
import { crlf, parseInPieces } from './parser-helpers.js';

const parse = (line: string): Response => parseResponse(crlf(line + '\n'));
const b = (text: string): Buffer => Buffer.from(text);

function table(rows: Array<[string, Response]>): void {
  for (const [line, expected] of rows) {
    test(line.length > 70 ? line.slice(0, 70) + '…' : line, () => {
      assert.deepEqual(parse(line), expected);
    });
  }
}

describe('RFC 3501 examples', () => {
  const envelope = {
    date: 'Wed, 17 Jul 1996 02:23:25 -0700 (PDT)',
    subject: b('IMAP4rev1 WG mtg summary and minutes'),
    from: [{ name: 'Terry Gray', adl: null, mailbox: 'gray', host: 'cac.washington.edu' }],
    sender: [{ name: 'Terry Gray', adl: null, mailbox: 'gray', host: 'cac.washington.edu' }],
    replyTo: [{ name: 'Terry Gray', adl: null, mailbox: 'gray', host: 'cac.washington.edu' }],
    to: [{ name: null, adl: null, mailbox: 'imap', host: 'cac.washington.edu' }],
    cc: [
      { name: null, adl: null, mailbox: 'minutes', host: 'CNRI.Reston.VA.US' },
      { name: 'John Klensin', adl: null, mailbox: 'KLENSIN', host: 'MIT.EDU' },
    ],
    bcc: null,
    inReplyTo: null,
    messageId: '<B27397-0100000@cac.washington.edu>',
  };
  table([
    ['* OK IMAP4rev1 Service Ready', { kind: 'untagged', type: 'OK', text: 'IMAP4rev1 Service Ready' }],
    [
      '* CAPABILITY IMAP4rev1 STARTTLS AUTH=GSSAPI LOGINDISABLED',
      {
        kind: 'untagged',
        type: 'CAPABILITY',
        capabilities: ['IMAP4REV1', 'STARTTLS', 'AUTH=GSSAPI', 'LOGINDISABLED'],
      },
    ],
    ['* 172 EXISTS', { kind: 'untagged', type: 'EXISTS', number: 172 }],
    ['* 1 RECENT', { kind: 'untagged', type: 'RECENT', number: 1 }],
    ['* 3 EXPUNGE', { kind: 'untagged', type: 'EXPUNGE', number: 3 }],
    [
      '* OK [UNSEEN 12] Message 12 is first unseen',
      {
        kind: 'untagged',
        type: 'OK',
        code: { name: 'OTHER', atom: 'UNSEEN', tokens: [{ type: 'number', value: 12n }] },
        text: 'Message 12 is first unseen',
      },
    ],
    [
      '* OK [UIDVALIDITY 3857529045] UIDs valid',
      { kind: 'untagged', type: 'OK', code: { name: 'UIDVALIDITY', value: 3857529045 }, text: 'UIDs valid' },
    ],
    [
      '* OK [UIDNEXT 4392] Predicted next UID',
      { kind: 'untagged', type: 'OK', code: { name: 'UIDNEXT', value: 4392 }, text: 'Predicted next UID' },
    ],
    [
      '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)',
      {
        kind: 'untagged',
        type: 'FLAGS',
        flags: ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'],
      },
    ],
    [
      '* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited',
      {
        kind: 'untagged',
        type: 'OK',
        code: { name: 'PERMANENTFLAGS', flags: ['\\Deleted', '\\Seen', '\\*'] },
        text: 'Limited',
      },
    ],
    [
      'A142 OK [READ-WRITE] SELECT completed',
      { kind: 'tagged', tag: 'A142', status: 'OK', code: { name: 'READ-WRITE' }, text: 'SELECT completed' },
    ],
    [
      '* LIST (\\Noselect) "/" ""',
      { kind: 'untagged', type: 'LIST', attributes: ['\\Noselect'], delimiter: '/', mailbox: '' },
    ],
    [
      '* LIST () "." #news.comp.mail.misc',
      { kind: 'untagged', type: 'LIST', attributes: [], delimiter: '.', mailbox: '#news.comp.mail.misc' },
    ],
    [
      '* LSUB () "." #news.comp.mail.misc',
      { kind: 'untagged', type: 'LSUB', attributes: [], delimiter: '.', mailbox: '#news.comp.mail.misc' },
    ],
    [
      '* LIST (\\Noselect) NIL ""',
      { kind: 'untagged', type: 'LIST', attributes: ['\\Noselect'], delimiter: null, mailbox: '' },
    ],
    [
      '* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)',
      {
        kind: 'untagged',
        type: 'STATUS',
        mailbox: 'blurdybloop',
        attributes: { messages: 231, uidNext: 44292 },
      },
    ],
    ['* SEARCH 2 84 882', { kind: 'untagged', type: 'SEARCH', numbers: [2, 84, 882] }],
    ['* SEARCH', { kind: 'untagged', type: 'SEARCH', numbers: [] }],
    [
      '* 23 FETCH (FLAGS (\\Seen) UID 4827313)',
      { kind: 'untagged', type: 'FETCH', seq: 23, attributes: { flags: ['\\Seen'], uid: 4827313 } },
    ],
    [
      '* 12 FETCH (FLAGS (\\Seen) INTERNALDATE "17-Jul-1996 02:44:25 -0700" RFC822.SIZE 4286 ENVELOPE ("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev1 WG mtg summary and minutes" (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) ((NIL NIL "imap" "cac.washington.edu")) ((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL "<B27397-0100000@cac.washington.edu>") BODY ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92))',
      {
        kind: 'untagged',
        type: 'FETCH',
        seq: 12,
        attributes: {
          flags: ['\\Seen'],
          internalDate: '17-Jul-1996 02:44:25 -0700',
          rfc822Size: 4286,
          envelope,
          other: {
            BODY: {
              type: 'list',
              items: [
                { type: 'string', value: b('TEXT') },
                { type: 'string', value: b('PLAIN') },
                {
                  type: 'list',
                  items: [
                    { type: 'string', value: b('CHARSET') },
                    { type: 'string', value: b('US-ASCII') },
                  ],
                },
                { type: 'nil' },
                { type: 'nil' },
                { type: 'string', value: b('7BIT') },
                { type: 'number', value: 3028n },
                { type: 'number', value: 92n },
              ],
            },
          },
        },
      },
    ],
    [
      '* BYE IMAP4rev1 Server logging out',
      { kind: 'untagged', type: 'BYE', text: 'IMAP4rev1 Server logging out' },
    ],
    [
      '* PREAUTH IMAP4rev1 server logged in as Smith',
      { kind: 'untagged', type: 'PREAUTH', text: 'IMAP4rev1 server logged in as Smith' },
    ],
    [
      '* NO Disk is 98% full, please delete unnecessary data',
      { kind: 'untagged', type: 'NO', text: 'Disk is 98% full, please delete unnecessary data' },
    ],
    [
      '+ Ready for additional command text',
      { kind: 'continuation', text: 'Ready for additional command text' },
    ],
    ['+', { kind: 'continuation', text: '' }],
    [
      'A044 BAD No such command as "BLURDYBLOOP"',
      { kind: 'tagged', tag: 'A044', status: 'BAD', text: 'No such command as "BLURDYBLOOP"' },
    ],
  ]);

  test('* 12 FETCH (BODY[HEADER] {342} ...) keeps the literal bytes', () => {
    const header =
      'Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\nFrom: Terry Gray <gray@cac.washington.edu>\r\n\r\n';
    const r = parseResponse(Buffer.from(`* 12 FETCH (BODY[HEADER] {${header.length}}\r\n${header})\r\n`));
    assert.deepEqual(r, {
      kind: 'untagged',
      type: 'FETCH',
      seq: 12,
      attributes: { bodies: [{ section: 'HEADER', data: b(header), size: header.length, streamed: false }] },
    });
  });
});

describe('RFC 7162 (CONDSTORE/QRESYNC) examples', () => {
  table([
    [
      '* OK [HIGHESTMODSEQ 715194045007] Highest',
      {
        kind: 'untagged',
        type: 'OK',
        code: { name: 'HIGHESTMODSEQ', value: 715194045007n },
        text: 'Highest',
      },
    ],
    [
      "* OK [NOMODSEQ] Sorry, this mailbox format doesn't support modsequences",
      {
        kind: 'untagged',
        type: 'OK',
        code: { name: 'NOMODSEQ' },
        text: "Sorry, this mailbox format doesn't support modsequences",
      },
    ],
    [
      '* 7 FETCH (MODSEQ (320162342) FLAGS (\\Seen \\Deleted))',
      {
        kind: 'untagged',
        type: 'FETCH',
        seq: 7,
        attributes: { modseq: 320162342n, flags: ['\\Seen', '\\Deleted'] },
      },
    ],
    [
      'd105 OK [MODIFIED 7,9] Conditional STORE failed',
      {
        kind: 'tagged',
        tag: 'd105',
        status: 'OK',
        code: {
          name: 'MODIFIED',
          set: [
            [7, 7],
            [9, 9],
          ],
        },
        text: 'Conditional STORE failed',
      },
    ],
    [
      '* SEARCH 2 5 6 7 11 12 18 19 20 23 (MODSEQ 917162500)',
      { kind: 'untagged', type: 'SEARCH', numbers: [2, 5, 6, 7, 11, 12, 18, 19, 20, 23], modseq: 917162500n },
    ],
    [
      '* STATUS blurdybloop (MESSAGES 231 UIDNEXT 7500 HIGHESTMODSEQ 7011231777)',
      {
        kind: 'untagged',
        type: 'STATUS',
        mailbox: 'blurdybloop',
        attributes: { messages: 231, uidNext: 7500, highestModseq: 7011231777n },
      },
    ],
    [
      '* ESEARCH (TAG "a") ALL 1:3,5 MODSEQ 1236',
      {
        kind: 'untagged',
        type: 'ESEARCH',
        tag: 'a',
        uid: false,
        all: [
          [1, 3],
          [5, 5],
        ],
        modseq: 1236n,
      },
    ],
    [
      '* VANISHED (EARLIER) 41,43:116,118,120:211,214:540',
      {
        kind: 'untagged',
        type: 'VANISHED',
        earlier: true,
        uids: [
          [41, 41],
          [43, 116],
          [118, 118],
          [120, 211],
          [214, 540],
        ],
      },
    ],
    [
      '* VANISHED 405,407,410',
      {
        kind: 'untagged',
        type: 'VANISHED',
        earlier: false,
        uids: [
          [405, 405],
          [407, 407],
          [410, 410],
        ],
      },
    ],
    ['* OK [CLOSED]', { kind: 'untagged', type: 'OK', code: { name: 'CLOSED' }, text: '' }],
    [
      '* ENABLED CONDSTORE QRESYNC',
      { kind: 'untagged', type: 'ENABLED', capabilities: ['CONDSTORE', 'QRESYNC'] },
    ],
    [
      '* 1 FETCH (UID 4 MODSEQ (9223372036854775807) FLAGS (\\Seen))',
      {
        kind: 'untagged',
        type: 'FETCH',
        seq: 1,
        attributes: { uid: 4, modseq: 9223372036854775807n, flags: ['\\Seen'] },
      },
    ],
  ]);
});

describe('RFC 4315 (UIDPLUS) examples', () => {
  table([
    [
      'A003 OK [APPENDUID 38505 3955] APPEND completed',
      {
        kind: 'tagged',
        tag: 'A003',
        status: 'OK',
        code: { name: 'APPENDUID', uidValidity: 38505, uids: [[3955, 3955]] },
        text: 'APPEND completed',
      },
    ],
    [
      'A004 OK [COPYUID 38505 304,319:320 3956:3958] Done',
      {
        kind: 'tagged',
        tag: 'A004',
        status: 'OK',
        code: {
          name: 'COPYUID',
          uidValidity: 38505,
          source: [
            [304, 304],
            [319, 320],
          ],
          dest: [[3956, 3958]],
        },
        text: 'Done',
      },
    ],
    [
      'A003 NO [UIDNOTSTICKY] Non-persistent UIDs',
      {
        kind: 'tagged',
        tag: 'A003',
        status: 'NO',
        code: { name: 'OTHER', atom: 'UIDNOTSTICKY', tokens: [] },
        text: 'Non-persistent UIDs',
      },
    ],
  ]);
});

describe('RFC 5258 (LIST-EXTENDED) and RFC 5465 OLDNAME examples', () => {
  table([
    [
      '* LIST (\\Marked \\NoInferiors \\Subscribed) "/" "inbox"',
      {
        kind: 'untagged',
        type: 'LIST',
        attributes: ['\\Marked', '\\NoInferiors', '\\Subscribed'],
        delimiter: '/',
        mailbox: 'inbox',
      },
    ],
    [
      '* LIST (\\Subscribed \\NonExistent) "/" "Fruit/Peach"',
      {
        kind: 'untagged',
        type: 'LIST',
        attributes: ['\\Subscribed', '\\NonExistent'],
        delimiter: '/',
        mailbox: 'Fruit/Peach',
      },
    ],
    [
      '* LIST () "/" "Fruit" ("CHILDINFO" ("SUBSCRIBED"))',
      {
        kind: 'untagged',
        type: 'LIST',
        attributes: [],
        delimiter: '/',
        mailbox: 'Fruit',
        childInfo: ['SUBSCRIBED'],
      },
    ],
    [
      '* LIST () "/" "NewMailbox" ("OLDNAME" ("OldMailbox"))',
      {
        kind: 'untagged',
        type: 'LIST',
        attributes: [],
        delimiter: '/',
        mailbox: 'NewMailbox',
        oldName: 'OldMailbox',
      },
    ],
  ]);
});

describe('RFC 5819 (LIST-STATUS) example', () => {
  test('LIST and STATUS pairs, with the double space of the RFC', () => {
    const responses = parseInPieces(
      crlf(
        [
          '* LIST () "."  "INBOX"',
          '* STATUS "INBOX" (MESSAGES 17 UNSEEN 16)',
          '* LIST () "." "foo"',
          '* STATUS "foo" (MESSAGES 30 UNSEEN 29)',
          '* LIST (\\NoSelect) "." "bar"',
          'A01 OK List completed.',
          '',
        ].join('\n'),
      ),
    );
    assert.deepEqual(responses, [
      { kind: 'untagged', type: 'LIST', attributes: [], delimiter: '.', mailbox: 'INBOX' },
      { kind: 'untagged', type: 'STATUS', mailbox: 'INBOX', attributes: { messages: 17, unseen: 16 } },
      { kind: 'untagged', type: 'LIST', attributes: [], delimiter: '.', mailbox: 'foo' },
      { kind: 'untagged', type: 'STATUS', mailbox: 'foo', attributes: { messages: 30, unseen: 29 } },
      { kind: 'untagged', type: 'LIST', attributes: ['\\NoSelect'], delimiter: '.', mailbox: 'bar' },
      { kind: 'tagged', tag: 'A01', status: 'OK', text: 'List completed.' },
    ]);
  });
});

describe('RFC 4978 (COMPRESS) responses', () => {
  table([
    ['a OK DEFLATE active', { kind: 'tagged', tag: 'a', status: 'OK', text: 'DEFLATE active' }],
    [
      'b NO [COMPRESSIONACTIVE] DEFLATE active via TLS',
      {
        kind: 'tagged',
        tag: 'b',
        status: 'NO',
        code: { name: 'COMPRESSIONACTIVE' },
        text: 'DEFLATE active via TLS',
      },
    ],
  ]);
});

describe('other typed responses and codes', () => {
  table([
    [
      '* NAMESPACE (("" "/")) NIL (("#shared." "." "X-PARAM" ("A" "B")))',
      {
        kind: 'untagged',
        type: 'NAMESPACE',
        personal: [{ prefix: '', delimiter: '/' }],
        other: null,
        shared: [{ prefix: '#shared.', delimiter: '.' }],
      },
    ],
    [
      '* ID ("name" "Cyrus" "version" NIL)',
      { kind: 'untagged', type: 'ID', params: { name: 'Cyrus', version: null } },
    ],
    ['* ID NIL', { kind: 'untagged', type: 'ID', params: null }],
    [
      '* ESEARCH (TAG "A285") UID MIN 7 MAX 3800 COUNT 15',
      { kind: 'untagged', type: 'ESEARCH', tag: 'A285', uid: true, min: 7, max: 3800, count: 15 },
    ],
    ['* ESEARCH (TAG "x")', { kind: 'untagged', type: 'ESEARCH', tag: 'x', uid: false }],
    ...(['NONEXISTENT', 'TRYCREATE', 'UNAVAILABLE', 'OVERQUOTA', 'ALREADYEXISTS', 'ALERT'] as const).map(
      (name): [string, Response] => [
        `t1 NO [${name}] text`,
        { kind: 'tagged', tag: 't1', status: 'NO', code: { name }, text: 'text' },
      ],
    ),
    [
      '* OK [CAPABILITY IMAP4rev1 compress=deflate] ready',
      {
        kind: 'untagged',
        type: 'OK',
        code: { name: 'CAPABILITY', capabilities: ['IMAP4REV1', 'COMPRESS=DEFLATE'] },
        text: 'ready',
      },
    ],
    [
      '* OK [BADCHARSET (US-ASCII "UTF-8")] x',
      {
        kind: 'untagged',
        type: 'OK',
        code: {
          name: 'OTHER',
          atom: 'BADCHARSET',
          tokens: [
            {
              type: 'list',
              items: [
                { type: 'atom', value: 'US-ASCII' },
                { type: 'string', value: b('UTF-8') },
              ],
            },
          ],
        },
        text: 'x',
      },
    ],
    [
      '* 3 XYZZY foo (1 "a") BODY[TEXT]',
      {
        kind: 'untagged',
        type: 'OTHER',
        name: 'XYZZY',
        tokens: [
          { type: 'number', value: 3n },
          { type: 'atom', value: 'foo' },
          {
            type: 'list',
            items: [
              { type: 'number', value: 1n },
              { type: 'string', value: b('a') },
            ],
          },
          { type: 'section', value: 'BODY[TEXT]' },
        ],
      },
    ],
    [
      '* 5 FETCH (UID 9 BINARY[1]<10> ~{3}\r\n\0\r\n X-GM-LABELS (\\Inbox))',
      {
        kind: 'untagged',
        type: 'FETCH',
        seq: 5,
        attributes: {
          uid: 9,
          bodies: [{ section: '1', origin: 10, data: Buffer.from([0, 13, 10]), size: 3, streamed: false }],
          other: { 'X-GM-LABELS': { type: 'list', items: [{ type: 'atom', value: '\\Inbox' }] } },
        },
      },
    ],
    [
      '* 6 FETCH (BODY[] NIL)',
      {
        kind: 'untagged',
        type: 'FETCH',
        seq: 6,
        attributes: { bodies: [{ section: '', data: null, size: 0, streamed: false }] },
      },
    ],
  ]);
});

describe('mailbox names', () => {
  table([
    [
      '* LIST () "/" "a [b] %*& \\"q\\" \\\\"',
      { kind: 'untagged', type: 'LIST', attributes: [], delimiter: '/', mailbox: 'a [b] %*& "q" \\' },
    ],
    [
      '* LIST () "/" {5}\r\nx]y\r\n',
      { kind: 'untagged', type: 'LIST', attributes: [], delimiter: '/', mailbox: 'x]y\r\n' },
    ],
    [
      '* LIST () "/" "Caf\u00e9 {3}"',
      { kind: 'untagged', type: 'LIST', attributes: [], delimiter: '/', mailbox: 'Caf\u00e9 {3}' },
    ],
    [
      '* LIST () "/" ~user/mail',
      { kind: 'untagged', type: 'LIST', attributes: [], delimiter: '/', mailbox: '~user/mail' },
    ],
    [
      '* STATUS "{5}" (MESSAGES 1)',
      { kind: 'untagged', type: 'STATUS', mailbox: '{5}', attributes: { messages: 1 } },
    ],
  ]);
});

function rejects(bytes: Buffer, pattern: RegExp, options = {}): ProtocolError {
  const parser = new ResponseParser(() => {}, options);
  try {
    parser.push(bytes);
  } catch (error) {
    assert.ok(error instanceof ProtocolError, `expected a ProtocolError, got ${error}`);
    assert.match(error.message, pattern);
    // Failed parsers stay failed instead of resynchronising on garbage.
    assert.throws(() => parser.push(crlf('* OK\n')), ProtocolError);
    return error;
  }
  return assert.fail(`no error for ${JSON.stringify(bytes.toString())}`);
}

describe('errors', () => {
  test('name what was expected, the stream offset and the bytes', () => {
    const error = rejects(
      crlf('* OK fine\n* 4 FETCH (UID x)\n'),
      /expected a number at stream offset 26, got "x\)\\r\\n"/,
    );
    assert.equal(error.offset, 26);
  });
  test('count literal bodies in stream offsets', () => {
    rejects(crlf('* 1 FETCH (BODY[] {3}\nabc UID y)\n'), /expected a number at stream offset 31, got "y\)/);
  });
  test('truncate and escape long excerpts', () => {
    const error = rejects(Buffer.from(`a1 MAYBE ${'\x01'.repeat(100)}\r\n`), /expected OK, NO or BAD/);
    assert.match(error.message, /got "MAYBE \\x01\\x01.*"…$/);
    assert.ok(error.message.length < 200);
  });
  test('a {n} ending the text of a status response is text, not a literal', () => {
    assert.deepEqual(parseInPieces(crlf('a1 NO bad size {5}\n* BYE see {3}\n+ {2}\n')), [
      { kind: 'tagged', tag: 'a1', status: 'NO', text: 'bad size {5}' },
      { kind: 'untagged', type: 'BYE', text: 'see {3}' },
      { kind: 'continuation', text: '{2}' },
    ]);
  });
  test('reject a bad status, missing tag, bad escapes, unterminated strings', () => {
    rejects(crlf('a1 MAYBE x\n'), /expected OK, NO or BAD at stream offset 3/);
    rejects(crlf(' OK\n'), /expected a tag/);
    rejects(crlf('* LIST () "/" "a\\b"\n'), /after a backslash/);
    rejects(crlf('* LIST () "/" "abc\n'), /closing double quote/);
    rejects(crlf('* 1 FETCH (UID 1\n'), /expected a space|expected "\)"|end of response/);
    rejects(crlf('* 1 EXISTS extra\n'), /expected end of response/);
    rejects(crlf('* 1 FETCH (MODSEQ (9223372036854775808))\n'), /below 2\^63/);
    rejects(crlf('* 1 FETCH (UID 4294967296)\n'), /below 2\^32/);
  });
});

describe('limits', () => {
  test('a line longer than maxLineLength, split or not', () => {
    const line = crlf(`* OK ${'x'.repeat(200)}\n`);
    rejects(line, /maxLineLength \(100 non-literal bytes\)/, { maxLineLength: 100 });
    const parser = new ResponseParser(() => {}, { maxLineLength: 100 });
    assert.throws(
      () => {
        for (let i = 0; i < line.length; i += 7) parser.push(line.subarray(i, i + 7));
      },
      { name: 'ProtocolError', message: /maxLineLength/ },
    );
  });
  test('a line without LF cannot grow the buffer past the limit', () => {
    const parser = new ResponseParser(() => {}, { maxLineLength: 1000 });
    const chunk = Buffer.alloc(300, 0x61);
    assert.throws(() => {
      for (let i = 0; i < 10; i++) parser.push(chunk);
    }, /maxLineLength/);
  });
  test('nesting deeper than maxDepth', () => {
    rejects(crlf(`* X ${'('.repeat(10)}${')'.repeat(10)}\n`), /maxDepth \(8\)/, { maxDepth: 8 });
    assert.doesNotThrow(() =>
      parseInPieces(crlf(`* X ${'('.repeat(8)}${')'.repeat(8)}\n`), [], { maxDepth: 8 }),
    );
  });
  test('a literal claim above maxLiteralSize is refused before any byte is buffered', () => {
    rejects(
      crlf('* 1 FETCH (BODY[] {4000000000}\n'),
      /literal of 4000000000 bytes exceeds maxLiteralSize \(2147483647 bytes\)/,
    );
    rejects(crlf('* 1 FETCH (BODY[] {1001}\n'), /exceeds maxLiteralSize \(1000 bytes\)/, {
      maxLiteralSize: 1000,
    });
    rejects(crlf('* 1 FETCH (BINARY[] ~{99999999999999999999}\n'), /exceeds maxLiteralSize/);
  });
  test('a huge claim within the limit allocates only what arrives', () => {
    const parser = new ResponseParser(() => {}, { maxLiteralSize: 2 ** 31 - 1 });
    const before = process.memoryUsage().arrayBuffers;
    parser.push(crlf('* 1 FETCH (BODY[] {2000000000}\n'));
    parser.push(Buffer.alloc(1000, 0x61));
    assert.ok(process.memoryUsage().arrayBuffers - before < 50_000_000);
    assert.equal(parser.idle, false);
  });
  test('invalid limits are refused', () => {
    assert.throws(() => new ResponseParser(() => {}, { maxDepth: 0 }), RangeError);
  });
});

test('an exception from onResponse leaves the parser failed, not desynchronised', () => {
  const parser = new ResponseParser(() => {
    throw new Error('consumer broke');
  });
  assert.throws(() => parser.push(crlf('* OK a\n* OK b\n')), /consumer broke/);
  assert.throws(() => parser.push(crlf('* OK c\n')), /consumer broke/);
});

describe('stop() and remainder()', () => {
  test('stop inside onResponse after a tagged OK keeps the rest of the chunk', () => {
    const seen: Response[] = [];
    const parser: ResponseParser = new ResponseParser((r) => {
      seen.push(r);
      if (r.kind === 'tagged') parser.stop();
    });
    parser.push(Buffer.from('* OK x\r\nS1 OK Begin TLS negotiation now\r\n\x16\x03\x01binary'));
    parser.push(Buffer.from('more'));
    assert.equal(seen.length, 2);
    assert.deepEqual(parser.remainder(), Buffer.from('\x16\x03\x01binarymore'));
  });
  test('stop with nothing after the response leaves an empty remainder', () => {
    const parser: ResponseParser = new ResponseParser(() => parser.stop());
    parser.push(crlf('c OK DEFLATE active\n'));
    assert.equal(parser.remainder().length, 0);
  });
});

describe('bodySink', () => {
  const message = Buffer.from('Subject: hi\r\n\r\n' + 'body line\r\n'.repeat(500));
  const stream = Buffer.concat([
    Buffer.from(
      `* 3 FETCH (UID 42 FLAGS (\\Seen) BODY[HEADER.FIELDS (SUBJECT)] {13}\r\nSubject: hi\r\n BODY[] {${message.length}}\r\n`,
    ),
    message,
    Buffer.from(' MODSEQ (77))\r\n'),
  ]);

  function run(cuts: number[]) {
    const calls: Array<{ seq: number; section: string; size: number; uid: number | undefined }> = [];
    const chunks: Buffer[] = [];
    let ended = 0;
    const sink: LiteralSink = {
      write: (c) => chunks.push(Buffer.from(c)),
      end: () => ended++,
    };
    const responses = parseInPieces(stream, cuts, {
      bodySink: (ctx) => {
        calls.push({ seq: ctx.seq, section: ctx.section, size: ctx.size, uid: ctx.attributes.uid });
        return ctx.section === '' ? sink : undefined;
      },
    });
    return { calls, chunks, ended, responses };
  }

  for (const [name, cuts] of [
    ['one chunk', []],
    ['many chunks', Array.from({ length: 200 }, (_, i) => i * 29)],
  ] as Array<[string, number[]]>) {
    test(`streams BODY[] in order, buffers what the hook declines (${name})`, () => {
      const { calls, chunks, ended, responses } = run(cuts);
      assert.deepEqual(calls, [
        { seq: 3, section: 'HEADER.FIELDS (SUBJECT)', size: 13, uid: 42 },
        { seq: 3, section: '', size: message.length, uid: 42 },
      ]);
      assert.deepEqual(Buffer.concat(chunks), message);
      if (cuts.length > 0) assert.ok(chunks.length > 1);
      assert.equal(ended, 1);
      assert.deepEqual(responses, [
        {
          kind: 'untagged',
          type: 'FETCH',
          seq: 3,
          attributes: {
            uid: 42,
            flags: ['\\Seen'],
            bodies: [
              { section: 'HEADER.FIELDS (SUBJECT)', data: b('Subject: hi\r\n'), size: 13, streamed: false },
              { section: '', data: null, size: message.length, streamed: true },
            ],
            modseq: 77n,
          },
        },
      ]);
    });
  }

  test('streams every body of a FETCH, also after an ENVELOPE literal', () => {
    const bodies = ['a', 'bb', 'ccc', 'dddd'];
    const wire = crlf(
      `* 9 FETCH (UID 5 ENVELOPE (NIL {2}\nhi NIL NIL NIL NIL NIL NIL NIL NIL) ${bodies
        .map((body, i) => `BODY[${i + 1}] {${body.length}}\n${body}`)
        .join(' ')})\n`,
    );
    const sections: string[] = [];
    const received: string[] = [];
    const responses = parseInPieces(wire, [3, 40, 41, 60], {
      bodySink: (ctx) => {
        sections.push(ctx.section);
        assert.equal(ctx.attributes.uid, 5);
        assert.equal(ctx.attributes.bodies?.length ?? 0, sections.length - 1);
        let text = '';
        return {
          write: (c) => {
            text += c.toString();
          },
          end: () => received.push(`end:${text}`),
        };
      },
    });
    assert.deepEqual(sections, ['1', '2', '3', '4']);
    assert.deepEqual(
      received,
      bodies.map((body) => `end:${body}`),
    );
    const fetch = responses[0]!;
    assert.ok(fetch.kind === 'untagged' && fetch.type === 'FETCH');
    assert.deepEqual(fetch.attributes.envelope?.subject, b('hi'));
    assert.deepEqual(
      fetch.attributes.bodies,
      bodies.map((body, i) => ({ section: String(i + 1), data: null, size: body.length, streamed: true })),
    );
  });

  test('is not asked for literals that are not body sections', () => {
    let asked = 0;
    parseInPieces(
      crlf('* 1 FETCH (ENVELOPE (NIL {2}\nhi NIL NIL NIL NIL NIL NIL NIL NIL))\n* LIST () "/" {1}\nx\n'),
      [],
      {
        bodySink: () => {
          asked++;
          return undefined;
        },
      },
    );
    assert.equal(asked, 0);
  });
});
