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
