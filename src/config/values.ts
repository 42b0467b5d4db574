// Syntax checks shared by the option parsers: the character sets the Perl tool accepts for each
// kind of value, booleans, numbers, and the typed view of one section's options built on them.
import { TransportError } from '../transport/errors.js';
import { parsePort } from '../transport/host.js';
import { invalid, type Origin } from './errors.js';

/** No C0/C1 control character (what Perl calls \P{Control}). */
export const NON_CONTROL = /^[^\x00-\x1F\x7F-\x9F]*$/;
/** RFC 3501 TEXT-CHAR: 7-bit, no NUL, CR or LF. */
export const TEXT_CHARS = /^[\x01-\x09\x0B\x0C\x0E-\x7F]*$/;
/** 7-bit without NUL (username, password). */
export const ASCII = /^[\x01-\x7F]*$/;

/** Checks `value` against a character set; `allowEmpty` false also refuses ''. */
export function checked(o: Origin, value: string, chars: RegExp, allowEmpty: boolean, what: string): string {
  if (value === '' && !allowEmpty) invalid(o, 'empty value');
  if (!chars.test(value)) invalid(o, `invalid value ${JSON.stringify(value)}: ${what}`);
  return value;
}

/** YES or NO, in any case (1/0/true/false are not accepted, as in the Perl tool). */
export function yesNo(o: Origin, value: string): boolean {
  const v = value.toUpperCase();
  if (v !== 'YES' && v !== 'NO') invalid(o, `invalid value ${JSON.stringify(value)}: expected YES or NO`);
  return v === 'YES';
}

/** Runs a transport-layer parser on an option's value, naming the option when it refuses it. */
export function parsedAt<T>(o: Origin, parse: (value: string) => T, value: string): T {
  try {
    return parse(value);
  } catch (error) {
    if (error instanceof TransportError) invalid(o, error.message);
    throw error;
  }
}

export const portNumber = (o: Origin, value: string): number => parsedAt(o, parsePort, value);

/** Looks an option up for one section (falling back to the default section where allowed). */
export type OptionReader = (option: string) => { value: string; origin: Origin } | undefined;

const NO_CONTROL = 'control characters are not allowed';
export const SEVEN_BIT = 'only 7-bit characters are allowed';

/** Typed access to the options of one section; every getter validates what it returns. */
export class Options {
  constructor(readonly entry: OptionReader) {}

  text(option: string, chars = NON_CONTROL, what = NO_CONTROL, allowEmpty = false): string | undefined {
    const e = this.entry(option);
    return e && checked(e.origin, e.value, chars, allowEmpty, what);
  }

  flag(option: string, fallback: boolean): boolean {
    const e = this.entry(option);
    return e ? yesNo(e.origin, e.value) : fallback;
  }
}
