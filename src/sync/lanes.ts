// How many lanes (connection pairs) a cycle is worth. Extra lanes overlap the round trips of
// several mailboxes, and share a bulk copy between more server processes; each costs a login per
// server (a process per tunnel). With little to copy over a fast link, a second lane pays for
// itself once there are a few mailboxes to share (it opens while the first lane syncs the first
// of them), more lanes only cost.

/**
 * Set by the end-to-end tests of the parallel engine (max-connections > 1 with little to copy):
 * every lane is used whatever the cycle's work.
 */
const EVERY_LANE = process.env.INTERIMAP_TEST_EVERY_LANE === '1';

/** At least this many new messages in the cycle make it a bulk copy. */
export const BULK_MESSAGES = 500;
/** A listing round trip at least this long (ms) makes the link slow: round trips dominate. */
export const SLOW_ROUND_TRIP_MS = 15;
/**
 * Small work on a fast link gets a second lane from this many dirty mailboxes. Measured on the
 * benchmark's loopback incremental (20 dirty mailboxes, 200 new messages; docs/performance.md):
 * 1 lane 0.389–0.405 s, 2 lanes 0.376–0.381 s, 4 lanes 0.407 s.
 */
export const SECOND_LANE_MAILBOXES = 4;

import type { PerSide, Side } from './side.js';

export interface CycleWork {
  /** Mailboxes to synchronize in the cycle. */
  dirty: number;
  /** New messages on both sides by LIST-STATUS and the database; undefined when unknown for some. */
  newMessages: number | undefined;
  /** The slower server's round trip for the listing's first LIST, in milliseconds. */
  roundTripMs: number;
}

/** The most lanes worth opening for the cycle; undefined: as many as max-connections allows. */
export function laneLimit({ dirty, newMessages, roundTripMs }: CycleWork): number | undefined {
  if (dirty <= 1) return 1;
  if (EVERY_LANE) return undefined;
  const bulk = newMessages === undefined || newMessages >= BULK_MESSAGES;
  if (bulk || roundTripMs >= SLOW_ROUND_TRIP_MS) return undefined;
  return dirty >= SECOND_LANE_MAILBOXES ? 2 : 1;
}

/**
 * The server whose connections alternate in the cycle, one per lane syncing a mailbox while the
 * other SELECTs the lane's next (select.ts, selectEarly): the slower one, when its round trip
 * makes the link slow and there is a next mailbox to select. Each lane then logs in once more to it.
 */
export function earlySideOf(roundTrips: PerSide<number>, dirty: number): Side | undefined {
  const slower: Side = roundTrips.remote >= roundTrips.local ? 'remote' : 'local';
  return dirty > 1 && roundTrips[slower] >= SLOW_ROUND_TRIP_MS ? slower : undefined;
}
