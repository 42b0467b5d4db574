// Sequence sets and UID sets (RFC 3501 §9 `sequence-set`): compact formatting of number sets,
// strict parsing of the wire form, and splitting of long sets into several shorter ones.

import { CommandSyntaxError, ProtocolError } from './errors.js';
import type { SequenceRanges } from './types.js';

/** The largest sequence number or UID (RFC 3501 §9 `nz-number` is a 32-bit unsigned value). */
export const MAX_UID = 4294967295;

/** Longest text of one set item, `4294967295:4294967295`: the smallest usable split limit. */
const LONGEST_ITEM = 21;

function assertUid(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_UID) {
    throw new CommandSyntaxError(`${what}: ${n} is not a number in 1..${MAX_UID}`);
  }
}

function isRanges(set: Iterable<number> | SequenceRanges): set is SequenceRanges {
  if (!Array.isArray(set)) return false;
  return set.length === 0 || Array.isArray(set[0]);
}

/**
 * Sorts and merges a set given as numbers or ranges (a range may be reversed, `[5, 1]`, as
 * `5:1` is on the wire) into ascending, disjoint, non-adjacent ranges.
 */
export function normalizeSequenceRanges(set: Iterable<number> | SequenceRanges): SequenceRanges {
  if (isRanges(set)) return mergeRanges(set);
  // A typed array sorts numerically without a comparator callback: the fast path for big UID lists.
  const numbers = Array.isArray(set) ? (set as number[]) : Array.from(set);
  const sorted = new Uint32Array(numbers.length);
  for (let i = 0; i < numbers.length; i++) {
    const n = numbers[i]!;
    assertUid(n, 'sequence set');
    sorted[i] = n;
  }
  sorted.sort();
  const out: SequenceRanges = [];
  let lo = -1;
  let hi = -1;
  for (const n of sorted) {
    if (n <= hi + 1) {
      if (n > hi) hi = n;
    } else {
      if (lo !== -1) out.push([lo, hi]);
      lo = n;
      hi = n;
    }
  }
  if (lo !== -1) out.push([lo, hi]);
  return out;
}

function mergeRanges(ranges: SequenceRanges): SequenceRanges {
  const ordered = ranges.map(([a, b]): [number, number] => {
    assertUid(a, 'sequence set');
    assertUid(b, 'sequence set');
    return a <= b ? [a, b] : [b, a];
  });
  ordered.sort((x, y) => x[0] - y[0]);
  const out: SequenceRanges = [];
  for (const [lo, hi] of ordered) {
    const last = out[out.length - 1];
    if (last !== undefined && lo <= last[1] + 1) {
      if (hi > last[1]) last[1] = hi;
    } else {
      out.push([lo, hi]);
    }
  }
  return out;
}

function formatItem(lo: number, hi: number): string {
  return lo === hi ? String(lo) : `${lo}:${hi}`;
}

/**
 * Formats a set as its shortest wire text, sorted and merged: `[7, 1, 2, 3, 9, 10]` → `1:3,7,9:10`.
 * Throws CommandSyntaxError on an empty set or a number outside 1..4294967295.
 */
export function formatSequenceSet(set: Iterable<number> | SequenceRanges): string {
  const ranges = normalizeSequenceRanges(set);
  if (ranges.length === 0) throw new CommandSyntaxError('sequence set: empty set');
  const items = new Array<string>(ranges.length);
  for (let i = 0; i < ranges.length; i++) {
    const [lo, hi] = ranges[i]!;
    items[i] = formatItem(lo, hi);
  }
  return items.join(',');
}

export interface ParseSequenceSetOptions {
  /**
   * The value `*` stands for (the largest number in use: the message count or the highest UID,
   * which only the caller knows). Without it `*` is rejected, since a server never sends `*`
   * in the sets we parse (COPYUID, APPENDUID, VANISHED, MODIFIED, ESEARCH ALL).
   */
  star?: number;
}

/**
 * Parses wire text such as `1:5,7,9:*` strictly (no spaces, no zero, no leading zeros, no empty
 * items). Ranges keep the order they were sent in — COPYUID pairs its two sets by position — and
 * each range is returned low end first. Throws ProtocolError naming the offending offset.
 */
export function parseSequenceSet(text: string, options: ParseSequenceSetOptions = {}): SequenceRanges {
  const out: SequenceRanges = [];
  let i = 0;
  const fail = (what: string): never => {
    throw new ProtocolError(`bad sequence set ${JSON.stringify(text)}: ${what} at offset ${i}`, i);
  };
  const readNumber = (): number => {
    if (text.charCodeAt(i) === 0x2a /* * */) {
      if (options.star === undefined) fail("'*' is not allowed here");
      i++;
      return options.star!;
    }
    const start = i;
    const first = text.charCodeAt(i);
    if (!(first >= 0x31 && first <= 0x39)) fail('expected a number from 1');
    let n = 0;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      n = n * 10 + (c - 0x30);
      i++;
      if (n > MAX_UID) {
        i = start;
        fail(`number larger than ${MAX_UID}`);
      }
    }
    return n;
  };
  if (options.star !== undefined) assertUid(options.star, "sequence set '*'");
  for (;;) {
    const a = readNumber();
    let b = a;
    if (text.charCodeAt(i) === 0x3a /* : */) {
      i++;
      b = readNumber();
    }
    out.push(a <= b ? [a, b] : [b, a]);
    if (i === text.length) return out;
    if (text.charCodeAt(i) !== 0x2c /* , */) fail("expected ',' or end");
    i++;
  }
}

/**
 * Splits a set into several sets whose wire text is each at most `maxBytes` long (servers cap
 * command lines; the sync engine sends long UID sets as several commands of about 4 KiB). The
 * pieces are disjoint and ascending, and together hold exactly the input set.
 */
export function splitSequenceSet(set: Iterable<number> | SequenceRanges, maxBytes = 4096): string[] {
  if (!Number.isInteger(maxBytes) || maxBytes < LONGEST_ITEM) {
    throw new CommandSyntaxError(`sequence set: split limit ${maxBytes} is below ${LONGEST_ITEM} bytes`);
  }
  const pieces: string[] = [];
  let items: string[] = [];
  let length = 0;
  for (const [lo, hi] of normalizeSequenceRanges(set)) {
    const item = formatItem(lo, hi);
    // +1 for the comma that joins this item to the previous one.
    if (items.length > 0 && length + 1 + item.length > maxBytes) {
      pieces.push(items.join(','));
      items = [];
      length = 0;
    }
    length += (items.length > 0 ? 1 : 0) + item.length;
    items.push(item);
  }
  if (items.length > 0) pieces.push(items.join(','));
  return pieces;
}
