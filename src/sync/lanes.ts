// Whether a cycle is worth more than one lane (connection pair). Extra lanes overlap the round trips of
// several mailboxes, and share a bulk copy between more server processes; each costs a login per
// server (a process per tunnel). With little to copy over a fast link they only cost: one lane's
// mailboxes are done before a second lane would be ready.

/**
 * Set by the end-to-end tests of the parallel engine (max-connections > 1 with little to copy):
 * every lane is used whatever the cycle's work.
 */
const EVERY_LANE = process.env.INTERIMAP_TEST_EVERY_LANE === '1';

/** At least this many new messages in the cycle make it a bulk copy. */
export const BULK_MESSAGES = 500;
/** A listing round trip at least this long (ms) makes the link slow: round trips dominate. */
export const SLOW_ROUND_TRIP_MS = 15;

export interface CycleWork {
  /** Mailboxes to synchronize in the cycle. */
  dirty: number;
  /** New messages on both sides by LIST-STATUS and the database; undefined when unknown for some. */
  newMessages: number | undefined;
  /** The slower server's round trip for the listing's first LIST, in milliseconds. */
  roundTripMs: number;
}

export function worthExtraLanes({ dirty, newMessages, roundTripMs }: CycleWork): boolean {
  if (dirty <= 1) return false;
  if (EVERY_LANE) return true;
  const bulk = newMessages === undefined || newMessages >= BULK_MESSAGES;
  return bulk || roundTripMs >= SLOW_ROUND_TRIP_MS;
}
