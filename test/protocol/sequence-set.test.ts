import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { CommandSyntaxError, ProtocolError } from '../../src/protocol/errors.js';
import {
  formatSequenceSet,
  MAX_UID,
  normalizeSequenceRanges,
  parseSequenceSet,
  splitSequenceSet,
} from '../../src/protocol/sequence-set.js';
import type { SequenceRanges } from '../../src/protocol/types.js';

function expand(ranges: SequenceRanges): number[] {
  const out: number[] = [];
  for (const [lo, hi] of ranges) for (let n = lo; n <= hi; n++) out.push(n);
  return out;
}

const uids = fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 200 });

describe('formatSequenceSet', () => {
  test('sorts, merges and compacts numbers', () => {
    assert.equal(formatSequenceSet([7, 1, 2, 3, 9, 10, 11, 12, 5, 4, 3]), '1:5,7,9:12');
    assert.equal(formatSequenceSet(new Set([42])), '42');
    assert.equal(formatSequenceSet([MAX_UID, 1]), `1,${MAX_UID}`);
  });

  test('merges overlapping, adjacent and reversed ranges', () => {
    assert.equal(
      formatSequenceSet([
        [9, 12],
        [1, 3],
        [5, 4],
        [7, 7],
        [2, 3],
      ]),
      '1:5,7,9:12',
    );
  });

  test('rejects empty sets and numbers outside 1..2^32-1', () => {
    for (const bad of [[], [0], [MAX_UID + 1], [1.5], [Number.NaN], [-1]]) {
      assert.throws(() => formatSequenceSet(bad), CommandSyntaxError, JSON.stringify(bad));
    }
    assert.throws(() => formatSequenceSet([[0, 3]]), CommandSyntaxError);
  });

  test('parse(format(set)) is the normalized set, holding exactly the same numbers', () => {
    fc.assert(
      fc.property(uids, (set) => {
        const ranges = parseSequenceSet(formatSequenceSet(set));
        assert.deepEqual(ranges, normalizeSequenceRanges(set));
        assert.deepEqual(
          expand(ranges),
          [...new Set(set)].sort((a, b) => a - b),
        );
      }),
    );
  });

  test('ranges and numbers give the same text', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 100 }))),
        (r) => {
          if (r.length === 0) return;
          assert.equal(formatSequenceSet(r), formatSequenceSet(expand(normalizeSequenceRanges(r))));
        },
      ),
    );
  });
});

describe('parseSequenceSet', () => {
  test('keeps the order ranges were sent in, low end first', () => {
    assert.deepEqual(parseSequenceSet('1:5,7,9:12'), [
      [1, 5],
      [7, 7],
      [9, 12],
    ]);
    assert.deepEqual(parseSequenceSet('9,3:1'), [
      [9, 9],
      [1, 3],
    ]);
    assert.deepEqual(parseSequenceSet(String(MAX_UID)), [[MAX_UID, MAX_UID]]);
  });

  test("'*' only with a value for it", () => {
    assert.deepEqual(parseSequenceSet('5:*', { star: 9 }), [[5, 9]]);
    assert.deepEqual(parseSequenceSet('*:20', { star: 9 }), [[9, 20]]);
    assert.throws(() => parseSequenceSet('5:*'), /'\*' is not allowed here at offset 2/);
  });

  const bad = [
    '',
    ',',
    '1,',
    ',1',
    '0',
    '01',
    '1:',
    ':1',
    '1::2',
    ' 1',
    '1 ',
    '1,,2',
    '4294967296',
    'a',
    '1:0',
    '-1',
  ];
  for (const text of bad) {
    test(`rejects ${JSON.stringify(text)}`, () => {
      assert.throws(
        () => parseSequenceSet(text),
        (e: unknown) =>
          e instanceof ProtocolError &&
          e.message.includes(JSON.stringify(text)) &&
          /offset \d+/.test(e.message),
      );
    });
  }
});

describe('splitSequenceSet', () => {
  test('short sets stay whole', () => {
    assert.deepEqual(splitSequenceSet([1, 2, 3, 10]), ['1:3,10']);
    assert.deepEqual(splitSequenceSet([]), []);
  });

  test('cuts at item boundaries within the limit', () => {
    assert.deepEqual(splitSequenceSet([1, 3, 5, 7, 9, 11], 21), ['1,3,5,7,9,11']);
    assert.deepEqual(splitSequenceSet([100, 300, 500, 700, 900], 21), ['100,300,500,700,900']);
    assert.deepEqual(splitSequenceSet([1000, 3000, 5000, 7000, 9000], 21), ['1000,3000,5000,7000', '9000']);
  });

  test('refuses a limit below one item', () => {
    assert.throws(() => splitSequenceSet([1], 20), CommandSyntaxError);
  });

  test('pieces are within the limit, disjoint, and their union is the whole set', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: MAX_UID }), { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 21, max: 200 }),
        (set, limit) => {
          const pieces = splitSequenceSet(set, limit);
          const all: number[] = [];
          for (const piece of pieces) {
            assert.ok(piece.length <= limit, `${piece} is longer than ${limit}`);
            for (const [lo, hi] of parseSequenceSet(piece)) all.push(lo, hi);
          }
          // joined back together the pieces are the formatted whole
          assert.equal(pieces.join(','), formatSequenceSet(set));
          assert.ok(all.every((n, i) => i === 0 || n >= all[i - 1]!));
        },
      ),
    );
  });

  test('a 4 KiB split of 100k scattered UIDs', () => {
    const set = Array.from({ length: 100_000 }, (_, i) => 1 + i * 2);
    const pieces = splitSequenceSet(set);
    assert.ok(pieces.length > 100);
    assert.ok(pieces.every((p) => p.length <= 4096));
    assert.ok(
      pieces.slice(0, -1).every((p) => p.length > 4080),
      'pieces are filled up to the limit',
    );
    assert.equal(
      pieces.reduce((n, p) => n + p.split(',').length, 0),
      100_000,
    );
  });
});

test('parseSequenceSet on arbitrary text either parses or throws ProtocolError', () => {
  fc.assert(
    fc.property(
      fc.string({ unit: fc.constantFrom(...'0123456789:,*x '.split('')), maxLength: 20 }),
      (text) => {
        try {
          for (const [lo, hi] of parseSequenceSet(text, { star: 7 }))
            assert.ok(1 <= lo && lo <= hi && hi <= MAX_UID);
        } catch (e) {
          assert.ok(e instanceof ProtocolError, String(e));
        }
      },
    ),
    { numRuns: 3000 },
  );
});
