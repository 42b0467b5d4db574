// Interned strings for short protocol words (flags, item and response names, tags): a FETCH
// flood repeats the same few words millions of times, and comparing a few bytes against a cached
// copy is much cheaper than decoding a fresh string each time.

const SLOTS = 1024;
/** Longer words are rare and varied; they are decoded directly. */
const MAX_CACHED_LENGTH = 32;

const keys: Array<Buffer | undefined> = new Array(SLOTS);
const words: string[] = new Array(SLOTS);
const upperWords: Array<string | undefined> = new Array(SLOTS);

function slotOf(buf: Buffer, start: number, end: number): number {
  const length = end - start;
  if (length > MAX_CACHED_LENGTH) return -1;
  let hash = length;
  for (let i = start; i < end; i++) hash = (Math.imul(hash, 31) + buf[i]!) | 0;
  const slot = (hash ^ (hash >>> 10)) & (SLOTS - 1);
  const key = keys[slot];
  if (key !== undefined && key.length === length) {
    let same = true;
    for (let i = 0; i < length; i++) {
      if (key[i] !== buf[start + i]) {
        same = false;
        break;
      }
    }
    if (same) return slot;
  }
  keys[slot] = Buffer.from(buf.subarray(start, end));
  words[slot] = buf.toString('latin1', start, end);
  upperWords[slot] = undefined;
  return slot;
}

/** The bytes as a latin1 string. */
export function wordAt(buf: Buffer, start: number, end: number): string {
  const slot = slotOf(buf, start, end);
  return slot < 0 ? buf.toString('latin1', start, end) : words[slot]!;
}

/** The bytes as an upper-cased latin1 string, for case-insensitive names. */
export function upperWordAt(buf: Buffer, start: number, end: number): string {
  const slot = slotOf(buf, start, end);
  if (slot < 0) return buf.toString('latin1', start, end).toUpperCase();
  let upper = upperWords[slot];
  if (upper === undefined) {
    upper = words[slot]!.toUpperCase();
    upperWords[slot] = upper;
  }
  return upper;
}
