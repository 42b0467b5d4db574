// How many lanes a cycle is worth: every lane for a bulk copy or a slow link, two for a few
// mailboxes with little to copy over a fast link, one for a single mailbox.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BULK_MESSAGES,
  earlySideOf,
  laneLimit,
  SECOND_LANE_MAILBOXES,
  SLOW_ROUND_TRIP_MS,
} from '../../src/sync/lanes.js';

const fast = SLOW_ROUND_TRIP_MS / 10;

test('one dirty mailbox never needs a second lane, whatever the work or the link', () => {
  assert.equal(laneLimit({ dirty: 1, newMessages: undefined, roundTripMs: 100 }), 1);
  assert.equal(laneLimit({ dirty: 0, newMessages: 10 * BULK_MESSAGES, roundTripMs: 100 }), 1);
});

test('a little to copy over a fast link: one lane for a few mailboxes, two for more', () => {
  assert.equal(laneLimit({ dirty: SECOND_LANE_MAILBOXES - 1, newMessages: 0, roundTripMs: fast }), 1);
  assert.equal(laneLimit({ dirty: SECOND_LANE_MAILBOXES, newMessages: 0, roundTripMs: fast }), 2);
  assert.equal(laneLimit({ dirty: 20, newMessages: BULK_MESSAGES - 1, roundTripMs: fast }), 2);
});

test('a bulk copy, or work not known (a new mailbox, no LIST-STATUS): every lane', () => {
  assert.equal(laneLimit({ dirty: 2, newMessages: BULK_MESSAGES, roundTripMs: fast }), undefined);
  assert.equal(laneLimit({ dirty: 2, newMessages: undefined, roundTripMs: fast }), undefined);
});

test('a slow link: every lane, however little there is to copy', () => {
  assert.equal(laneLimit({ dirty: 2, newMessages: 0, roundTripMs: SLOW_ROUND_TRIP_MS }), undefined);
});

test('early selection: on the slower server, when its round trip makes the link slow and there is a next mailbox', () => {
  const slow = SLOW_ROUND_TRIP_MS;
  assert.equal(earlySideOf({ local: 1, remote: slow }, 5), 'remote');
  assert.equal(earlySideOf({ local: slow * 2, remote: slow }, 5), 'local');
  assert.equal(earlySideOf({ local: 1, remote: slow - 1 }, 5), undefined, 'a fast link');
  assert.equal(
    earlySideOf({ local: 1, remote: slow * 4 }, 1),
    undefined,
    'one mailbox: nothing to select ahead',
  );
});
