// INTERNALDATE values (RFC 3501 §9 `date-time`, without its double quotes):
// "dd-Mon-yyyy hh:mm:ss +zzzz", where a one-digit day is padded with a space.

import { CommandSyntaxError, ProtocolError } from './errors.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH_INDEX = new Map(MONTHS.map((m, i) => [m.toLowerCase(), i]));

/** `zone` is ("+" / "-") 4DIGIT as hours and minutes; a day has 24 hours. */
const MAX_OFFSET_MINUTES = 23 * 60 + 59;
const MS_PER_MINUTE = 60_000;

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * Formats `date` as seen at UTC offset `tzOffsetMinutes` (east positive, default 0 = UTC), e.g.
 * ` 7-Feb-2024 09:05:00 +0100`. Milliseconds are dropped. Throws CommandSyntaxError for an
 * invalid Date, an offset of a day or more, or a local year outside 1..9999.
 */
export function formatInternalDate(date: Date, tzOffsetMinutes = 0): string {
  const time = date.getTime();
  if (Number.isNaN(time)) throw new CommandSyntaxError('date-time: invalid Date');
  if (!Number.isInteger(tzOffsetMinutes) || Math.abs(tzOffsetMinutes) > MAX_OFFSET_MINUTES) {
    throw new CommandSyntaxError(`date-time: time zone offset ${tzOffsetMinutes} minutes is out of range`);
  }
  const local = new Date(time + tzOffsetMinutes * MS_PER_MINUTE);
  const year = local.getUTCFullYear();
  if (year < 1 || year > 9999) throw new CommandSyntaxError(`date-time: year ${year} is outside 1..9999`);
  const day = local.getUTCDate();
  const abs = Math.abs(tzOffsetMinutes);
  // date-day-fixed = (SP DIGIT) / 2DIGIT: the fixed-width form pads with a space (§9).
  return (
    `${day < 10 ? ' ' : ''}${day}-${MONTHS[local.getUTCMonth()]}-${pad(year, 4)} ` +
    `${pad(local.getUTCHours(), 2)}:${pad(local.getUTCMinutes(), 2)}:${pad(local.getUTCSeconds(), 2)} ` +
    `${tzOffsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60), 2)}${pad(abs % 60, 2)}`
  );
}

const DATE_TIME = /^( \d|\d\d)-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$/;

/**
 * Parses a date-time strictly: the exact RFC 3501 layout (month names case-insensitive, as ABNF
 * strings are), a real calendar day, hours 00–23, minutes and seconds 00–59, zone minutes 00–59,
 * year 0001–9999. Throws ProtocolError naming the value and what is wrong with it.
 */
export function parseInternalDate(text: string): { date: Date; tzOffsetMinutes: number } {
  const fail = (what: string): never => {
    throw new ProtocolError(`bad date-time ${JSON.stringify(text)}: ${what}`);
  };
  const m = DATE_TIME.exec(text);
  if (m === null) return fail('expected "dd-Mon-yyyy hh:mm:ss +zzzz"');
  const [, dayText, monthText, yearText, hh, mi, ss, sign, zh, zm] = m as unknown as string[];
  const month = MONTH_INDEX.get(monthText!.toLowerCase());
  if (month === undefined) fail(`unknown month ${JSON.stringify(monthText)}`);
  const day = Number(dayText);
  const year = Number(yearText);
  const [hours, minutes, seconds] = [Number(hh), Number(mi), Number(ss)];
  if (year < 1) fail('year 0000');
  if (hours > 23 || minutes > 59 || seconds > 59) fail('time out of range');
  if (Number(zh) > 23 || Number(zm) > 59) fail('zone out of range');
  // setUTCFullYear, unlike Date.UTC, does not map years 0–99 to 1900–1999.
  const local = new Date(0);
  local.setUTCFullYear(year, month!, day);
  if (day < 1 || local.getUTCDate() !== day) fail(`no day ${day} in ${MONTHS[month!]} ${year}`);
  local.setUTCHours(hours, minutes, seconds, 0);
  const zone = Number(zh) * 60 + Number(zm);
  const tzOffsetMinutes = sign === '-' ? 0 - zone : zone; // 0 - 0 is +0: "-0000" means UTC too

  return { date: new Date(local.getTime() - tzOffsetMinutes * MS_PER_MINUTE), tzOffsetMinutes };
}
