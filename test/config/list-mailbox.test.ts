import assert from 'node:assert/strict';
import { test } from 'node:test';
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
