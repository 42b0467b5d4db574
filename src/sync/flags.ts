// Flag lists as the planners compare and store them: canonical order, no duplicates, no \Recent.

/**
 * Canonical form of a flag list: \Recent dropped (RFC 3501 §2.3.2: it is session-only and cannot
 * be set by STORE or APPEND), duplicates removed, sorted by code unit so that two lists holding the
 * same flags compare equal whatever order each server sent them in.
 */
export function normalizeFlags(flags: Iterable<string>): string[] {
  // Called for every message a FETCH lists or echoes: an insertion sort into a fresh array, with no
  // Set, no sort() and no lower-cased copy of each flag (lists hold a handful of flags).
  const result: string[] = [];
  for (const flag of flags) {
    if (flag.length === 7 && flag.toLowerCase() === '\\recent') continue;
    let at = result.length;
    while (at > 0 && result[at - 1]! > flag) at--;
    if (at > 0 && result[at - 1] === flag) continue;
    result.push(flag);
    for (let k = result.length - 1; k > at; k--) result[k] = result[k - 1]!;
    result[at] = flag;
  }
  return result;
}

/** A string key for a canonical flag list (flags are atoms, so a space cannot occur inside one). */
export function flagsKey(normalized: readonly string[]): string {
  return normalized.join(' ');
}

/** The union of two flag lists, in canonical form: how a conflicting update is resolved. */
export function unionFlags(a: Iterable<string>, b: Iterable<string>): string[] {
  return normalizeFlags([...a, ...b]);
}

export function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((flag, i) => flag === b[i]);
}

/** Plain code-unit order (what Array.prototype.sort does without a comparator), named for clarity. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
