// Resource limits of the response parser: how much a server may make us buffer or recurse.
// One place, so the session and CLI can document and override them consistently.

export interface ParserLimits {
  /** Non-literal bytes in one response (all its lines together). */
  maxLineLength: number;
  /** Bytes claimed by one literal, and buffered literal bytes in one response. */
  maxLiteralSize: number;
  /** Nesting of parenthesised lists. */
  maxDepth: number;
}

export const DEFAULT_LIMITS: Readonly<ParserLimits> = {
  maxLineLength: 1024 * 1024,
  maxLiteralSize: 2 ** 31 - 1,
  maxDepth: 64,
};

export function resolveLimits(given: Partial<ParserLimits> | undefined): ParserLimits {
  const limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof ParserLimits)[]) {
    const value = given?.[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`parser limit ${key} must be a positive integer, got ${value}`);
    }
    limits[key] = value;
  }
  return limits;
}
