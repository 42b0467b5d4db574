import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chunkUidSet, compactUids, formatUidSet, MAX_UID, uidSetPieces } from '../../src/sync/uid-set.js';

describe('compactUids / formatUidSet', () => {
  const cases: Array<[string, number[], string]> = [
    ['single', [5], '5'],
    ['unsorted with duplicates', [3, 1, 2, 2, 7, 9, 8], '1:3,7:9'],
    ['gaps', [1, 3, 5], '1,3,5'],
    ['top of the UID space', [MAX_UID, MAX_UID - 1, 1], `1,${MAX_UID - 1}:${MAX_UID}`],
  ];
  for (const [name, uids, text] of cases) {
    test(name, () => assert.equal(formatUidSet(compactUids(uids)), text));
  }
  test('empty input gives no range', () => assert.deepEqual(compactUids([]), []));
  test('rejects non-UIDs with a clear message', () => {
    for (const bad of [0, -1, 1.5, MAX_UID + 1, Number.NaN]) {
      assert.throws(() => compactUids([bad]), /is not a UID/);
    }
  });
});

describe('chunkUidSet', () => {
  test('cuts only at commas and keeps each piece within the limit', () => {
    const uids = Array.from({ length: 5000 }, (_, i) => 1 + i * 2);
    const pieces = uidSetPieces(uids, 100);
    assert.ok(pieces.length > 1);
    for (const piece of pieces) {
      assert.ok(piece.length <= 100, piece);
      assert.match(piece, /^\d+(,\d+)*$/);
    }
    assert.deepEqual(pieces.join(',').split(',').map(Number), uids);
  });
  test('default limit is 4096 characters', () => {
    const uids = Array.from({ length: 10000 }, (_, i) => 1000000 + i * 2);
    const pieces = uidSetPieces(uids);
    assert.ok(pieces.every((p) => p.length <= 4096));
    assert.ok(pieces.slice(0, -1).every((p) => p.length > 4000));
  });
  test('no ranges, no piece', () => assert.deepEqual(chunkUidSet([]), []));
});
