// Plans the UID FETCH of a side's new messages: everything from the database's UIDNEXT up, minus the
// UIDs already replicated (our own appends, or adopted after an interrupted run).

import { MAX_UID, normalizeSequenceRanges, splitSequenceSet } from '../protocol/sequence-set.js';
import type { SequenceRanges } from '../protocol/types.js';

/** Longest UID set text per command: servers cap command lines (8 KiB and more, cf. RFC 7162 §4). */
export const UID_SET_MAX_CHARS = 4096;

export interface NewMessagesInput {
  /** UIDNEXT stored in the database (0 for a mailbox never synchronized). */
  dbUidNext: number;
  /** UIDNEXT the server reported (STATUS, SELECT or LIST-STATUS). */
  serverUidNext: number;
  /** UIDs at or above dbUidNext that must not be fetched (already replicated). */
  skip?: Iterable<number>;
}

export interface NewMessagesFetch {
  /** Whether a fetch is needed at all: some UID in [dbUidNext, serverUidNext) is not skipped. */
  needed: boolean;
  ranges: SequenceRanges;
  /** The ranges as UID set texts of at most ~4 KiB each, one pipelined UID FETCH per piece. */
  pieces: string[];
}

/**
 * The last range always ends at 4294967295, never `*`: `N:*` also matches the highest existing UID
 * when it is below N (RFC 3501 §6.4.8), which would fetch an old message again.
 */
export function planNewMessages(input: NewMessagesInput, maxChars = UID_SET_MAX_CHARS): NewMessagesFetch {
  const { dbUidNext, serverUidNext } = input;
  for (const [what, value] of [
    ['database UIDNEXT', dbUidNext],
    ['server UIDNEXT', serverUidNext],
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value > MAX_UID + 1) {
      throw new RangeError(`new messages: ${what} ${value} is not a UIDNEXT value`);
    }
  }
  const since = Math.max(dbUidNext, 1);
  const ranges: SequenceRanges = [];
  let next = since;
  for (const [first, last] of normalizeSequenceRanges(input.skip ?? [])) {
    if (last < next) continue;
    if (first > next) ranges.push([next, first - 1]);
    next = last + 1;
  }
  if (next <= MAX_UID) ranges.push([next, MAX_UID]);
  const needed = ranges.length > 0 && ranges[0]![0] < serverUidNext;
  return { needed, ranges, pieces: needed ? splitSequenceSet(ranges, maxChars) : [] };
}
