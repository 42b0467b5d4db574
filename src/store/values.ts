// Checks and conversions between engine values and SQLite cells: 32-bit UIDs as numbers,
// 63-bit MODSEQs as bigints (never through a lossy number), mailbox names as BLOBs.

const UINT32_MAX = 0xffffffff;
/** RFC 7162 section 7: mod-sequence-value is a positive 63-bit unsigned integer. */
const MODSEQ_MAX = (1n << 63n) - 1n;

function fail(what: string, value: unknown, range: string): never {
  throw new RangeError(`state database: ${what} ${String(value)} is not ${range}`);
}

/** A message UID (RFC 3501 section 2.3.1.1): 1 to 2^32-1. */
export function checkUid(what: string, uid: number): number {
  if (!Number.isInteger(uid) || uid < 1 || uid > UINT32_MAX) fail(what, uid, 'a UID (1..4294967295)');
  return uid;
}

/** A UIDNEXT as stored: 0 before the first sync, at most 2^32 (one past the largest UID). */
export function checkUidNext(what: string, uidNext: number): number {
  if (!Number.isInteger(uidNext) || uidNext < 0 || uidNext > UINT32_MAX + 1) {
    fail(what, uidNext, 'a UIDNEXT (0..4294967296)');
  }
  return uidNext;
}

export function checkUidValidity(what: string, uidValidity: number): number {
  if (!Number.isInteger(uidValidity) || uidValidity < 1 || uidValidity > UINT32_MAX) {
    fail(what, uidValidity, 'a UIDVALIDITY (1..4294967295)');
  }
  return uidValidity;
}

/** A HIGHESTMODSEQ as stored: 0 before the first sync. Fits SQLite's signed 64-bit INTEGER. */
export function checkModseq(what: string, modseq: bigint): bigint {
  if (typeof modseq !== 'bigint' || modseq < 0n || modseq > MODSEQ_MAX) {
    fail(what, modseq, 'a MODSEQ (0..2^63-1, as a bigint)');
  }
  return modseq;
}

export function checkMailboxName(name: Buffer): Buffer {
  if (!Buffer.isBuffer(name) || name.length === 0) {
    throw new RangeError('state database: a mailbox name must be a non-empty Buffer');
  }
  return name;
}

/** Reads a HIGHESTMODSEQ cell. The Perl tool writes it as a signed 64-bit integer and reads it back
 *  as unsigned, so a negative cell stands for a value of 2^63 or more: read it the same way. */
export function modseqFromCell(cell: bigint): bigint {
  return BigInt.asUintN(64, cell);
}

/** Reads a mailbox name cell: a BLOB normally, TEXT in rows copied by a flat version-0 upgrade. */
export function nameFromCell(cell: Buffer | string): Buffer {
  return typeof cell === 'string' ? Buffer.from(cell, 'utf8') : cell;
}

/** A mailbox name for messages, with the NUL hierarchy separators shown as "\0". */
export function showName(name: Buffer): string {
  return JSON.stringify(name.toString('utf8')).replaceAll('\\u0000', '\\0');
}
