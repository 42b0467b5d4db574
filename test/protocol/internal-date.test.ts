import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { CommandSyntaxError, ProtocolError } from '../../src/protocol/errors.js';
import { formatInternalDate, parseInternalDate } from '../../src/protocol/internal-date.js';

const utc = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0): Date => {
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, 0);
  return date;
};

describe('formatInternalDate', () => {
  const examples: Array<[Date, number | undefined, string]> = [
    [utc(2024, 2, 7, 8, 5, 0), 60, ' 7-Feb-2024 09:05:00 +0100'],
    [utc(2024, 2, 7, 8, 5, 0), undefined, ' 7-Feb-2024 08:05:00 +0000'],
    [utc(1996, 7, 17, 9, 44, 25), -420, '17-Jul-1996 02:44:25 -0700'], // RFC 3501 §8 example
    [utc(2024, 1, 1, 2, 0, 0), -210, '31-Dec-2023 22:30:00 -0330'],
    [utc(1, 1, 1, 0, 0, 0), 0, ' 1-Jan-0001 00:00:00 +0000'],
    [utc(9999, 12, 31, 23, 59, 59), 0, '31-Dec-9999 23:59:59 +0000'],
    [utc(2023, 12, 31, 11, 0, 0), 840, ' 1-Jan-2024 01:00:00 +1400'],
  ];
  for (const [date, offset, text] of examples) {
    test(text, () => assert.equal(formatInternalDate(date, offset), text));
  }

  test('drops milliseconds', () => {
    assert.equal(
      formatInternalDate(new Date(Date.UTC(2020, 0, 10, 0, 0, 0, 999))),
      '10-Jan-2020 00:00:00 +0000',
    );
  });

  test('rejects what it cannot express', () => {
    assert.throws(() => formatInternalDate(new Date(Number.NaN)), CommandSyntaxError);
    assert.throws(() => formatInternalDate(utc(2020, 1, 1), 24 * 60), CommandSyntaxError);
    assert.throws(() => formatInternalDate(utc(2020, 1, 1), 1.5), CommandSyntaxError);
    assert.throws(() => formatInternalDate(utc(1, 1, 1), -1), /year 0 is outside/);
    assert.throws(() => formatInternalDate(utc(10000, 1, 1)), /year 10000 is outside/);
  });
});

describe('parseInternalDate', () => {
  test('reads both day forms, any month case, and the zone', () => {
    const expected = { date: utc(2024, 2, 7, 8, 5, 0), tzOffsetMinutes: 60 };
    assert.deepEqual(parseInternalDate(' 7-Feb-2024 09:05:00 +0100'), expected);
    assert.deepEqual(parseInternalDate('07-feb-2024 09:05:00 +0100'), expected);
    assert.deepEqual(parseInternalDate('17-Jul-1996 02:44:25 -0700'), {
      date: utc(1996, 7, 17, 9, 44, 25),
      tzOffsetMinutes: -420,
    });
    assert.deepEqual(parseInternalDate('29-Feb-2024 00:00:00 -0000'), {
      date: utc(2024, 2, 29),
      tzOffsetMinutes: 0,
    });
    assert.deepEqual(parseInternalDate(' 1-Jan-0050 00:00:00 +0000').date, utc(50, 1, 1));
  });

  const bad: Array<[string, RegExp]> = [
    ['7-Feb-2024 09:05:00 +0100', /expected/],
    ['"17-Jul-1996 02:44:25 -0700"', /expected/],
    ['17-Jul-1996 02:44:25', /expected/],
    ['17-Jul-96 02:44:25 -0700', /expected/],
    ['17-Jul-1996  2:44:25 -0700', /expected/],
    ['17-Jly-1996 02:44:25 -0700', /unknown month "Jly"/],
    ['31-Feb-2024 00:00:00 +0000', /no day 31 in Feb 2024/],
    ['29-Feb-2023 00:00:00 +0000', /no day 29 in Feb 2023/],
    ['00-Jan-2024 00:00:00 +0000', /no day 0/],
    ['01-Jan-0000 00:00:00 +0000', /year 0000/],
    ['01-Jan-2024 24:00:00 +0000', /time out of range/],
    ['01-Jan-2024 00:60:00 +0000', /time out of range/],
    ['01-Jan-2024 00:00:60 +0000', /time out of range/],
    ['01-Jan-2024 00:00:00 +0060', /zone out of range/],
    ['01-Jan-2024 00:00:00 +2400', /zone out of range/],
    ['01-Jan-2024 00:00:00 +01000', /expected/],
  ];
  for (const [text, message] of bad) {
    test(`rejects ${JSON.stringify(text)}`, () => {
      assert.throws(
        () => parseInternalDate(text),
        (e: unknown) =>
          e instanceof ProtocolError && e.message.includes(JSON.stringify(text)) && message.test(e.message),
      );
    });
  }
});

test('format → parse round-trips over years 1..9999 and offsets -12:59..+14:00', () => {
  const first = utc(1, 1, 1).getTime() + 779 * 60_000; // the earliest instant that is year 1 at -12:59
  const last = utc(9999, 12, 31, 23, 59, 59).getTime() - 840 * 60_000;
  fc.assert(
    fc.property(
      fc.integer({ min: first / 1000, max: last / 1000 }),
      fc.integer({ min: -779, max: 840 }),
      (seconds, offset) => {
        const date = new Date(seconds * 1000);
        const text = formatInternalDate(date, offset);
        assert.match(text, /^( \d|\d\d)-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d [+-]\d{4}$/);
        assert.deepEqual(parseInternalDate(text), { date, tzOffsetMinutes: offset });
      },
    ),
    { numRuns: 5000 },
  );
});

test('parseInternalDate on arbitrary text either parses or throws ProtocolError', () => {
  const near = fc.constantFrom(
    ' 7-Feb-2024 09:05:00 +0100',
    '31-Dec-9999 23:59:59 -1259',
    '29-Feb-2000 00:00:00 +1400',
  );
  const mutated = fc
    .tuple(near, fc.nat(25), fc.constantFrom(...'0123456789 -+:aZ'.split('')))
    .map(([s, i, c]) => s.slice(0, i) + c + s.slice(i + 1));
  fc.assert(
    fc.property(fc.oneof(mutated, fc.string()), (text) => {
      try {
        const { date } = parseInternalDate(text);
        assert.ok(!Number.isNaN(date.getTime()));
      } catch (e) {
        assert.ok(e instanceof ProtocolError, String(e));
      }
    }),
    { numRuns: 3000 },
  );
});
