import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeFlags, unionFlags } from '../../src/sync/flags.js';

test('normalizeFlags sorts, de-duplicates and drops \\Recent in any case', () => {
  assert.deepEqual(normalizeFlags(['\\Seen', '$Label', '\\RECENT', '\\Answered', '\\Seen', '\\recent']), [
    '$Label',
    '\\Answered',
    '\\Seen',
  ]);
  assert.deepEqual(normalizeFlags([]), []);
});

test('unionFlags is canonical and never holds \\Recent', () => {
  assert.deepEqual(unionFlags(['\\Seen', '\\Recent'], ['\\Flagged', '\\Seen']), ['\\Flagged', '\\Seen']);
});

test('normalizeFlags equals a sort of the distinct flags, for lists in any order and of any length', () => {
  const pool = [
    '\\Seen',
    '\\Answered',
    '\\Flagged',
    '\\Deleted',
    '\\Draft',
    '$Junk',
    '$label1',
    'Ä',
    'a',
    'B',
  ];
  let seed = 1;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let round = 0; round < 500; round++) {
    const flags = Array.from({ length: next(14) }, () => pool[next(pool.length)]!);
    const expected = [...new Set(flags)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    assert.deepEqual(normalizeFlags(flags), expected, flags.join(' '));
  }
});
