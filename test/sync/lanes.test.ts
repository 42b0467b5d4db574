// Whether a cycle is worth more than one lane: a bulk copy or a slow link, and more than one
// mailbox to synchronize.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BULK_MESSAGES, SLOW_ROUND_TRIP_MS, worthExtraLanes } from '../../src/sync/lanes.js';

const fast = SLOW_ROUND_TRIP_MS / 10;

test('one dirty mailbox never needs a second lane, whatever the work or the link', () => {
  assert.equal(worthExtraLanes({ dirty: 1, newMessages: undefined, roundTripMs: 100 }), false);
  assert.equal(worthExtraLanes({ dirty: 0, newMessages: 10 * BULK_MESSAGES, roundTripMs: 100 }), false);
});

test('a little to copy over a fast link: one lane', () => {
  assert.equal(worthExtraLanes({ dirty: 20, newMessages: 0, roundTripMs: fast }), false);
  assert.equal(worthExtraLanes({ dirty: 20, newMessages: BULK_MESSAGES - 1, roundTripMs: fast }), false);
});

test('a bulk copy, or work not known (a new mailbox, no LIST-STATUS): every lane', () => {
  assert.equal(worthExtraLanes({ dirty: 2, newMessages: BULK_MESSAGES, roundTripMs: fast }), true);
  assert.equal(worthExtraLanes({ dirty: 2, newMessages: undefined, roundTripMs: fast }), true);
});

test('a slow link: every lane, however little there is to copy', () => {
  assert.equal(worthExtraLanes({ dirty: 2, newMessages: 0, roundTripMs: SLOW_ROUND_TRIP_MS }), true);
});
