// Property tests: responses generated from random values (quoted strings with escapes, literals,
// nested lists, 63-bit mod-sequences) and written in wire form parse back to those values,
// however the bytes are split.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { FetchAttributes, Response, Token } from '../../src/protocol/types.js';
import { parseInPieces } from './parser-helpers.js';

/** Wire form of a string: quoted (escaping `"` and `\`) when possible, else a literal. */
function wireString(bytes: Buffer, asLiteral: boolean): Buffer {
  if (asLiteral || bytes.includes(13) || bytes.includes(10)) {
    return Buffer.concat([Buffer.from(`{${bytes.length}}\r\n`), bytes]);
  }
  const escaped: number[] = [0x22];
  for (const byte of bytes) {
    if (byte === 0x22 || byte === 0x5c) escaped.push(0x5c);
    escaped.push(byte);
  }
  escaped.push(0x22);
  return Buffer.from(escaped);
}

type Wire = Buffer | string;
const join = (parts: Wire[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));

const stringArb = fc.record({
  bytes: fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
  literal: fc.boolean(),
});
const modseqArb = fc.bigInt({ min: 1n, max: 2n ** 63n - 1n });
const atomArb = fc
  .stringMatching(/^[A-Za-z$\\][A-Za-z0-9.$_-]{0,11}$/)
  .filter((a) => a.toUpperCase() !== 'NIL');

const tokenArb: fc.Arbitrary<{ token: Token; wire: Buffer }> = fc.letrec<{
  node: { token: Token; wire: Buffer };
}>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    atomArb.map((value) => ({ token: { type: 'atom', value } as Token, wire: Buffer.from(value) })),
    fc
      .bigInt({ min: 0n, max: 2n ** 63n - 1n })
      .map((value) => ({ token: { type: 'number', value } as Token, wire: Buffer.from(String(value)) })),
    stringArb.map(({ bytes, literal }) => ({
      token: { type: 'string', value: bytes } as Token,
      wire: wireString(bytes, literal),
    })),
    fc.constant({ token: { type: 'nil' } as Token, wire: Buffer.from('NIL') }),
    fc.array(tie('node'), { maxLength: 4 }).map((items) => ({
      token: { type: 'list', items: items.map((i) => i.token) } as Token,
      wire: join(['(', ...items.flatMap((i, n) => (n === 0 ? [i.wire] : [' ', i.wire])), ')']),
    })),
  ),
})).node;

const cutsArb = (length: number) =>
  fc
    .uniqueArray(fc.integer({ min: 0, max: Math.max(0, length) }), { maxLength: 12 })
    .map((c) => c.sort((a, b) => a - b));

/** Generates [wire bytes, expected response] pairs. */
const responseArb: fc.Arbitrary<[Buffer, Response]> = fc.oneof(
  // FETCH with UID, MODSEQ, FLAGS, a subject and a body
  fc
    .record({
      seq: fc.integer({ min: 1, max: 2 ** 32 - 1 }),
      uid: fc.integer({ min: 1, max: 2 ** 32 - 1 }),
      modseq: modseqArb,
      flags: fc.array(atomArb, { maxLength: 4 }),
      body: stringArb,
      section: fc.constantFrom('', 'TEXT', 'HEADER.FIELDS (MESSAGE-ID)', '1.2'),
    })
    .map(({ seq, uid, modseq, flags, body, section }): [Buffer, Response] => {
      const attributes: FetchAttributes = {
        uid,
        modseq,
        flags,
        bodies: [{ section, data: body.bytes, size: body.bytes.length, streamed: false }],
      };
      const wire = join([
        `* ${seq} FETCH (UID ${uid} MODSEQ (${modseq}) FLAGS (${flags.join(' ')}) BODY[${section}] `,
        wireString(body.bytes, body.literal),
        ')\r\n',
      ]);
      return [wire, { kind: 'untagged', type: 'FETCH', seq, attributes }];
    }),
  // LIST with any mailbox name bytes (valid UTF-8 text), quoted or literal
  fc
    .record({
      name: fc.string({ unit: 'grapheme', maxLength: 20 }),
      literal: fc.boolean(),
      delimiter: fc.constantFrom('/', '.', null),
    })
    .map(({ name, literal, delimiter }): [Buffer, Response] => [
      join([
        `* LIST (\\HasNoChildren) ${delimiter === null ? 'NIL' : `"${delimiter}"`} `,
        wireString(Buffer.from(name), literal),
        '\r\n',
      ]),
      { kind: 'untagged', type: 'LIST', attributes: ['\\HasNoChildren'], delimiter, mailbox: name },
    ]),
  // STATUS with a 63-bit HIGHESTMODSEQ
  fc
    .record({ modseq: modseqArb, messages: fc.nat() })
    .map(({ modseq, messages }): [Buffer, Response] => [
      Buffer.from(`* STATUS INBOX (MESSAGES ${messages} HIGHESTMODSEQ ${modseq})\r\n`),
      { kind: 'untagged', type: 'STATUS', mailbox: 'INBOX', attributes: { messages, highestModseq: modseq } },
    ]),
  // An unknown response of arbitrary nested tokens
  fc
    .array(tokenArb, { minLength: 1, maxLength: 5 })
    .map((tokens): [Buffer, Response] => [
      join(['* XUNKNOWN ', ...tokens.flatMap((t, n) => (n === 0 ? [t.wire] : [' ', t.wire])), '\r\n']),
      { kind: 'untagged', type: 'OTHER', name: 'XUNKNOWN', tokens: tokens.map((t) => t.token) },
    ]),
);

describe('generated responses parse back to what was generated', () => {
  test('single responses, split anywhere', () => {
    fc.assert(
      fc.property(
        responseArb.chain(([wire, expected]) =>
          fc.tuple(fc.constant(wire), fc.constant(expected), cutsArb(wire.length)),
        ),
        ([wire, expected, cuts]) => {
          assert.deepEqual(parseInPieces(wire, cuts), [expected]);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('streams of responses, split anywhere', () => {
    fc.assert(
      fc.property(
        fc.array(responseArb, { minLength: 1, maxLength: 8 }).chain((pairs) => {
          const wire = Buffer.concat(pairs.map(([w]) => w));
          return fc.tuple(fc.constant(wire), fc.constant(pairs.map(([, r]) => r)), cutsArb(wire.length));
        }),
        ([wire, expected, cuts]) => {
          assert.deepEqual(parseInPieces(wire, cuts), expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});
