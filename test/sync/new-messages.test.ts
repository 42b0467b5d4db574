import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_UID } from '../../src/protocol/sequence-set.js';
import { planNewMessages } from '../../src/sync/new-messages.js';

describe('planNewMessages', () => {
  const cases: Array<[string, number, number, number[], boolean, string[]]> = [
    ['never synced, empty mailbox', 0, 1, [], false, []],
    ['never synced, messages', 0, 5, [], true, [`1:${MAX_UID}`]],
    ['nothing new', 10, 10, [], false, []],
    ['new messages from the database UIDNEXT', 10, 15, [], true, [`10:${MAX_UID}`]],
    ['skips our own appends', 10, 15, [10, 11, 13], true, [`12,14:${MAX_UID}`]],
    ['all new ones already replicated', 10, 12, [10, 11], false, []],
    ['skip UIDs below since are irrelevant', 10, 12, [3, 4], true, [`10:${MAX_UID}`]],
    ['last UID of the space', MAX_UID, MAX_UID + 1, [], true, [`${MAX_UID}`]],
    ['the space is exhausted', MAX_UID + 1, MAX_UID + 1, [], false, []],
    ['skipping the last UID', MAX_UID - 1, MAX_UID + 1, [MAX_UID], true, [`${MAX_UID - 1}`]],
  ];
  for (const [name, dbUidNext, serverUidNext, skip, needed, pieces] of cases) {
    test(name, () => {
      const plan = planNewMessages({ dbUidNext, serverUidNext, skip });
      assert.equal(plan.needed, needed);
      assert.deepEqual(plan.pieces, pieces);
      for (const piece of plan.pieces) assert.ok(!piece.includes('*'));
    });
  }
  test('a long skip list is split into ~4 KiB pieces', () => {
    const skip = Array.from({ length: 20000 }, (_, i) => 100 + i * 2);
    const plan = planNewMessages({ dbUidNext: 100, serverUidNext: 50000, skip });
    assert.ok(plan.pieces.length > 1);
    assert.ok(plan.pieces.every((p) => p.length <= 4096));
    assert.ok(plan.pieces.at(-1)!.endsWith(`:${MAX_UID}`));
    assert.ok(!plan.pieces.join(',').split(',').includes('100'));
  });
  test('rejects impossible UIDNEXT values', () => {
    assert.throws(() => planNewMessages({ dbUidNext: -1, serverUidNext: 1 }), /database UIDNEXT -1/);
    assert.throws(() => planNewMessages({ dbUidNext: 1, serverUidNext: 2 ** 33 }), /server UIDNEXT/);
  });
});
