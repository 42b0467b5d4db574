import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseListMailbox } from '../../src/config/list-mailbox.js';

test('bare and quoted patterns, C and hexadecimal escapes', () => {
  assert.deepEqual(parseListMailbox('INBOX  foo/*\t%'), ['INBOX', 'foo/*', '%']);
  assert.deepEqual(parseListMailbox('"a b" "x\\x00y" "\\"\\\\\\0\\a\\b\\t\\n\\v\\f\\r"'), [
    'a b',
    'x\0y',
    '"\\\0\x07\b\t\n\v\f\r',
  ]);
  assert.deepEqual(parseListMailbox('"\\xfF"'), ['\xff']);
});

test('malformed lists', () => {
  assert.deepEqual(parseListMailbox('foo"bar"'), { error: 'cannot parse a pattern at "\\"bar\\""' });
  assert.deepEqual(parseListMailbox('"unterminated'), {
    error: 'cannot parse a pattern at "\\"unterminated"',
  });
  assert.deepEqual(parseListMailbox('"bad \\q escape"'), {
    error: 'cannot parse a pattern at "\\"bad \\\\q escape\\""',
  });
  assert.deepEqual(parseListMailbox('""'), { error: 'cannot parse a pattern at "\\"\\""' });
  assert.deepEqual(parseListMailbox('a (b)'), { error: 'cannot parse a pattern at "(b)"' });
});

test('any list of byte-string patterns survives quoting and parsing', () => {
  const quote = (p: string) =>
    /^[\x21\x23-\x27\x2A-\x5B\x5D-\x7A\x7C-\x7E]+$/.test(p)
      ? p
      : `"${[...p].map((c) => (c === '"' || c === '\\' ? `\\${c}` : c < ' ' || c > '~' ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : c)).join('')}"`;
  const pattern = fc.string({
    unit: fc.integer({ min: 0, max: 255 }).map((n) => String.fromCharCode(n)),
    minLength: 1,
  });
  fc.assert(
    fc.property(fc.array(pattern, { minLength: 1, maxLength: 5 }), (patterns) => {
      assert.deepEqual(parseListMailbox(patterns.map(quote).join(' ')), patterns);
    }),
    { numRuns: 500 },
  );
});
