// Syntax checks shared by the option parsers: the character sets the Perl tool accepts for each
// kind of value, booleans, numbers. Each returns the parsed value or throws via `invalid`.
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

export function portNumber(o: Origin, value: string): number {
  const n = /^[0-9]{1,5}$/.test(value) ? Number(value) : 0;
  if (n < 1 || n > 65535)
    invalid(o, `invalid value ${JSON.stringify(value)}: expected a port number (1-65535)`);
  return n;
}
