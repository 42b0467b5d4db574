// The parser on bytes captured from a real Dovecot 2.3 (test/fixtures/dovecot/README.md): typed
// results of every interesting response, and identical results however the bytes are split.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { FetchAttributes, Response, UntaggedResponse } from '../../src/protocol/types.js';
import { parseByteByByte, parseInPieces } from './parser-helpers.js';

const fixture = (name: string): Buffer => readFileSync(`test/fixtures/dovecot/${name}.raw`);
const session1 = fixture('session1');
const session2 = fixture('session2');

type Untagged<T extends UntaggedResponse['type']> = UntaggedResponse & { type: T };

function untagged<T extends UntaggedResponse['type']>(responses: Response[], type: T): Untagged<T>[] {
  return responses.filter((r): r is Untagged<T> => r.kind === 'untagged' && r.type === type);
}

function tagged(responses: Response[], tag: string) {
  const found = responses.find((r) => r.kind === 'tagged' && r.tag === tag);
  assert.ok(found && found.kind === 'tagged', `no tagged response ${tag}`);
  return found;
}

describe('Dovecot session 1: capabilities, mailboxes, APPEND, LIST-EXTENDED, STATUS', () => {
  const responses = parseInPieces(session1);

  test('every response is parsed, ending with BYE and the LOGOUT completion', () => {
    assert.equal(responses.length, 43);
    assert.deepEqual(responses.at(-2), { kind: 'untagged', type: 'BYE', text: 'Logging out' });
    assert.equal(tagged(responses, 'a21').status, 'OK');
  });

  test('PREAUTH greeting carries the complete, upper-cased capability list', () => {
    const greeting = responses[0]!;
    assert.ok(greeting.kind === 'untagged' && greeting.type === 'PREAUTH');
    assert.ok(greeting.code?.name === 'CAPABILITY');
    for (const cap of [
      'IMAP4REV1',
      'QRESYNC',
      'CONDSTORE',
      'LIST-EXTENDED',
      'LIST-STATUS',
      'UIDPLUS',
      'LITERAL+',
    ]) {
      assert.ok(greeting.code.capabilities.includes(cap), cap);
    }
    assert.ok(greeting.code.capabilities.includes('COMPRESS=DEFLATE'));
    assert.ok(greeting.code.capabilities.includes('NOTIFY'));
    const [capability] = untagged(responses, 'CAPABILITY');
    assert.deepEqual(capability!.capabilities, greeting.code.capabilities);
  });

  test('ENABLED, ID, NAMESPACE', () => {
    assert.deepEqual(untagged(responses, 'ENABLED')[0]!.capabilities, ['QRESYNC']);
    assert.deepEqual(untagged(responses, 'ID')[0]!.params, { name: 'Dovecot' });
    assert.deepEqual(untagged(responses, 'NAMESPACE')[0], {
      kind: 'untagged',
      type: 'NAMESPACE',
      personal: [{ prefix: '', delimiter: '/' }],
      other: null,
      shared: null,
    });
  });

  test('APPENDUID codes, single and MULTIAPPEND ranges', () => {
    assert.deepEqual(tagged(responses, 'a11').code, {
      name: 'APPENDUID',
      uidValidity: 1795813398,
      uids: [[1, 1]],
    });
    assert.deepEqual(tagged(responses, 'a12').code, {
      name: 'APPENDUID',
      uidValidity: 1795813398,
      uids: [[2, 3]],
    });
  });

  test('LIST-EXTENDED with RETURN (SUBSCRIBED CHILDREN STATUS) and awkward names', () => {
    const lists = untagged(responses, 'LIST');
    const names = lists.map((l) => l.mailbox);
    assert.deepEqual(names.slice(0, 6), [
      'Caf&AOk-',
      'literal name',
      'weird [x] %*&-"q',
      'Archive',
      'Archive/2024',
      'INBOX',
    ]);
    assert.deepEqual(lists[3], {
      kind: 'untagged',
      type: 'LIST',
      attributes: ['\\Noselect', '\\HasChildren'],
      delimiter: '/',
      mailbox: 'Archive',
    });
    assert.deepEqual(lists[4]!.attributes, ['\\Subscribed', '\\HasNoChildren']);
    const inbox = untagged(responses, 'STATUS').find((s) => s.mailbox === 'INBOX');
    assert.deepEqual(inbox!.attributes, {
      messages: 4,
      uidNext: 5,
      uidValidity: 1795813398,
      unseen: 3,
      highestModseq: 5n,
      size: 25500n,
    });
    const weird = untagged(responses, 'STATUS').find((s) => s.mailbox.startsWith('weird'));
    assert.equal(weird!.attributes.uidValidity, 1795813395);
  });

  test('RECURSIVEMATCH gives CHILDINFO; LSUB', () => {
    assert.deepEqual(untagged(responses, 'LIST')[6], {
      kind: 'untagged',
      type: 'LIST',
      attributes: ['\\Noselect'],
      delimiter: '/',
      mailbox: 'Archive',
      childInfo: ['SUBSCRIBED'],
    });
    assert.deepEqual(
      untagged(responses, 'LSUB').map((l) => l.mailbox),
      ['Archive/2024', 'Caf&AOk-'],
    );
  });

  test('NO with ALREADYEXISTS and TRYCREATE codes', () => {
    assert.deepEqual(tagged(responses, 'a18').code, { name: 'ALREADYEXISTS' });
    assert.equal(tagged(responses, 'a19').code, undefined);
    assert.equal(tagged(responses, 'a19').status, 'NO');
    assert.deepEqual(tagged(responses, 'a20').code, { name: 'TRYCREATE' });
  });
});

describe('Dovecot session 2: SELECT, QRESYNC, FETCH, STORE, SEARCH, COPY', () => {
  const responses = parseInPieces(session2);
  const fetches = untagged(responses, 'FETCH');
  const attributesOf = (i: number): FetchAttributes => fetches[i]!.attributes;

  test('SELECT data and codes', () => {
    assert.deepEqual(tagged(responses, 'b2'), {
      kind: 'tagged',
      tag: 'b2',
      status: 'BAD',
      text: 'No mailbox selected (0.001 + 0.000 secs).',
    });
    const codes = responses.slice(4, 13).map((r) => ('code' in r ? r.code : undefined));
    assert.deepEqual(codes, [
      undefined,
      {
        name: 'PERMANENTFLAGS',
        flags: ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft', '$Forwarded', '\\*'],
      },
      undefined,
      undefined,
      { name: 'OTHER', atom: 'UNSEEN', tokens: [{ type: 'number', value: 2n }] },
      { name: 'UIDVALIDITY', value: 1795813398 },
      { name: 'UIDNEXT', value: 5 },
      { name: 'HIGHESTMODSEQ', value: 5n },
      { name: 'READ-WRITE' },
    ]);
    assert.deepEqual(responses[6], { kind: 'untagged', type: 'EXISTS', number: 4 });
  });

  test('UID EXPUNGE under QRESYNC reports VANISHED; re-SELECT reports CLOSED and VANISHED (EARLIER)', () => {
    assert.deepEqual(responses[13], { kind: 'untagged', type: 'VANISHED', earlier: false, uids: [[4, 4]] });
    assert.deepEqual(tagged(responses, 'b5').code, { name: 'HIGHESTMODSEQ', value: 7n });
    assert.deepEqual(responses[17], {
      kind: 'untagged',
      type: 'OK',
      code: { name: 'CLOSED' },
      text: 'Previous mailbox closed.',
    });
    assert.deepEqual(responses[26], { kind: 'untagged', type: 'VANISHED', earlier: true, uids: [[4, 4]] });
    assert.deepEqual(attributesOf(0), { uid: 1, flags: ['\\Seen', '$Forwarded'], modseq: 3n });
  });

  test('FETCH UID FLAGS MODSEQ INTERNALDATE RFC822.SIZE ENVELOPE', () => {
    const first = attributesOf(3);
    assert.equal(first.uid, 1);
    assert.equal(first.modseq, 3n);
    assert.equal(first.internalDate, '17-Jul-2024 00:44:25 +0000');
    assert.equal(first.rfc822Size, 289);
    assert.deepEqual(first.envelope, {
      date: 'Wed, 17 Jul 2024 02:23:25 +0200',
      subject: Buffer.from('=?UTF-8?Q?Caf=C3=A9?= meeting'),
      from: [{ name: 'Alice Example', adl: null, mailbox: 'alice', host: 'example.org' }],
      sender: [{ name: 'Alice Example', adl: null, mailbox: 'alice', host: 'example.org' }],
      replyTo: [{ name: 'Alice Example', adl: null, mailbox: 'alice', host: 'example.org' }],
      to: [
        { name: null, adl: null, mailbox: 'bob', host: 'example.net' },
        { name: 'Carol', adl: null, mailbox: 'carol', host: 'example.com' },
      ],
      cc: [{ name: null, adl: null, mailbox: 'dave', host: 'example.com' }],
      bcc: null,
      inReplyTo: '<m0@example.org>',
      messageId: '<m1@example.org>',
    });
    assert.equal(attributesOf(4).rfc822Size, 24699);
    assert.equal(attributesOf(4).envelope?.date, null);
  });

  test('BODY[HEADER.FIELDS (...)], BODY[]<0>, BODY[] literals', () => {
    const [fields, partial, whole] = attributesOf(7).bodies!;
    assert.deepEqual(fields, {
      section: 'HEADER.FIELDS (MESSAGE-ID SUBJECT)',
      data: Buffer.from('Subject: a longer one\r\nMessage-ID: <m2@example.net>\r\n\r\n'),
      size: 55,
      streamed: false,
    });
    assert.deepEqual(partial, {
      section: '',
      origin: 0,
      data: Buffer.from('From: bob@example.ne'),
      size: 20,
      streamed: false,
    });
    assert.equal(whole!.size, 24699);
    assert.ok(whole!.data!.toString().startsWith('From: bob@example.net\r\n'));
    assert.ok(
      whole!
        .data!.toString()
        .endsWith('line 300 of a message long enough to be split across reads: 0123456789abcdefghij'),
    );
    assert.equal(attributesOf(6).bodies![2]!.data!.length, 289);
  });

  test('BINARY[1] as literal8 with NUL bytes, BINARY.SIZE kept as a raw item', () => {
    assert.deepEqual(attributesOf(8), {
      uid: 3,
      bodies: [
        {
          section: '1',
          data: Buffer.from(Array.from({ length: 20 }, (_, i) => i)),
          size: 20,
          streamed: false,
        },
      ],
      other: { 'BINARY.SIZE[1]': { type: 'number', value: 20n } },
    });
  });

  test('MODIFIED, SEARCH with MODSEQ, ESEARCH, COPYUID', () => {
    assert.deepEqual(tagged(responses, 'b10').code, { name: 'MODIFIED', set: [[1, 1]] });
    assert.deepEqual(untagged(responses, 'SEARCH'), [
      { kind: 'untagged', type: 'SEARCH', numbers: [1, 2, 3], modseq: 8n },
      { kind: 'untagged', type: 'SEARCH', numbers: [2, 3] },
    ]);
    assert.deepEqual(untagged(responses, 'ESEARCH'), [
      { kind: 'untagged', type: 'ESEARCH', tag: 'b13', uid: true, min: 1, max: 3, all: [[1, 3]], count: 3 },
    ]);
    assert.deepEqual(tagged(responses, 'b15').code, {
      name: 'COPYUID',
      uidValidity: 1795813394,
      source: [[1, 2]],
      dest: [[1, 2]],
    });
  });
});

describe('Dovecot fixtures split anywhere', () => {
  for (const [name, bytes] of [
    ['session1', session1],
    ['session2', session2],
  ] as const) {
    const whole = parseInPieces(bytes);
    test(`${name}: one byte at a time`, () => {
      assert.deepEqual(parseByteByByte(bytes), whole);
    });
    test(`${name}: random chunk splits`, () => {
      fc.assert(
        fc.property(
          fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 60 }),
          (cuts) => {
            assert.deepEqual(
              parseInPieces(
                bytes,
                cuts.sort((a, b) => a - b),
              ),
              whole,
            );
          },
        ),
        { numRuns: 150 },
      );
    });
    test(`${name}: streaming every body gives the same bytes`, () => {
      const streamed: Buffer[] = [];
      const responses = parseInPieces(bytes, [1000, 5000, 9000], {
        bodySink: () => {
          const parts: Buffer[] = [];
          return { write: (c) => parts.push(Buffer.from(c)), end: () => streamed.push(Buffer.concat(parts)) };
        },
      });
      const buffered = untagged(whole, 'FETCH').flatMap((f) => f.attributes.bodies ?? []);
      const viaSink = untagged(responses, 'FETCH').flatMap((f) => f.attributes.bodies ?? []);
      assert.equal(viaSink.length, buffered.length);
      assert.ok(viaSink.every((body) => body.streamed && body.data === null));
      assert.deepEqual(
        streamed,
        buffered.map((body) => body.data),
      );
    });
  }
});
