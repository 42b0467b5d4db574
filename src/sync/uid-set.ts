// UID checks shared by the planners. Formatting and splitting UID sets is the protocol layer's
// job (src/protocol/sequence-set.ts).
import { MAX_UID } from '../protocol/sequence-set.js';

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
