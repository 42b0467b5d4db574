// UID sets as the planners hand them to the runtime: compacted ranges and their text form, split
// into pieces of at most ~4 KiB so that no command line grows past what servers accept.
// The protocol serializer is not on this branch; this is the one place sync formats UID sets.

import type { SequenceRanges } from '../protocol/types.js';

/** The largest UID (RFC 3501 §2.3.1.1: a 32-bit unsigned value). */
export const MAX_UID = 4294967295;

/** Longest UID set text per command; servers commonly cap lines at 8 KiB and more (cf. RFC 7162 §4). */
export const UID_SET_MAX_CHARS = 4096;

/** Sorts, de-duplicates and merges UIDs into inclusive ranges: [3,1,2,7] → [[1,3],[7,7]]. */
export function compactUids(uids: Iterable<number>): SequenceRanges {
  const list = [...uids];
  for (const uid of list) assertUid(uid, 'UID set');
  const sorted = Uint32Array.from(list).sort();
  const ranges: SequenceRanges = [];
  for (const uid of sorted) {
    const last = ranges[ranges.length - 1];
    if (last !== undefined && uid <= last[1] + 1) {
      if (uid > last[1]) last[1] = uid;
    } else {
      ranges.push([uid, uid]);
    }
  }
  return ranges;
}

/** Numeric order for UIDs (Array.prototype.sort compares as strings without it). */
export function ascending(a: number, b: number): number {
  return a - b;
}

/** Throws a one-line error unless `uid` is a valid UID (an integer in 1..4294967295). */
export function assertUid(uid: number, where: string): void {
  if (!Number.isInteger(uid) || uid < 1 || uid > MAX_UID) {
    throw new RangeError(`${where}: ${uid} is not a UID (an integer from 1 to ${MAX_UID})`);
  }
}

function formatRange([first, last]: [number, number]): string {
  return first === last ? String(first) : `${first}:${last}`;
}

/** Text form of ranges, e.g. [[1,3],[7,7]] → "1:3,7". */
export function formatUidSet(ranges: SequenceRanges): string {
  return ranges.map(formatRange).join(',');
}

/**
 * Splits ranges into UID set texts of at most `maxChars` characters each, cutting only at commas,
 * so each piece is a valid set for its own pipelined command. An empty input gives no piece.
 */
export function chunkUidSet(ranges: SequenceRanges, maxChars = UID_SET_MAX_CHARS): string[] {
  const pieces: string[] = [];
  let parts: string[] = [];
  let length = -1; // the first part has no leading comma
  for (const range of ranges) {
    const text = formatRange(range);
    if (parts.length > 0 && length + 1 + text.length > maxChars) {
      pieces.push(parts.join(','));
      parts = [];
      length = -1;
    }
    parts.push(text);
    length += 1 + text.length;
  }
  if (parts.length > 0) pieces.push(parts.join(','));
  return pieces;
}

/** compactUids then chunkUidSet: UIDs in any order to the command-sized set texts. */
export function uidSetPieces(uids: Iterable<number>, maxChars = UID_SET_MAX_CHARS): string[] {
  return chunkUidSet(compactUids(uids), maxChars);
}
