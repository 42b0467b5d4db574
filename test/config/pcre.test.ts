// ignore-mailbox: our RegExp translation against Perl itself, on sample mailbox names
// (the delimiter already replaced by NUL, as the engine does before matching).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { PcreError, translatePcre } from '../../src/config/pcre.js';

const NAMES = [
  'a b',
  'tab\tx',
  'ab',
  'INBOX',
  'virtual',
  'virtual\0Sent',
  'virtually',
  'Trash',
  'foo;bar',
  'a.b',
  'A+B',
  'x\0y\0z',
  'Spam',
  'spam',
  'Archive\x002024',
];

/** Which NAMES match PATTERN in Perl, as a string of 0/1 (one process for all names). */
function perlMatches(pattern: string): string {
  // Names go through stdin, one per line: NUL cannot appear in a command-line argument.
  const script =
    'my $re = shift; chomp(my @names = <STDIN>); print join "", map { $_ =~ qr/$re/ ? 1 : 0 } @names';
  return execFileSync('perl', ['-e', script, pattern], {
    input: NAMES.join('\n') + '\n',
    encoding: 'utf8',
    timeout: 10_000,
  });
}

function ourMatches(pattern: string): string {
  const re = translatePcre(pattern);
  return NAMES.map((n) => (re.test(n) ? '1' : '0')).join('');
}

describe('patterns we translate match the same names as in Perl', () => {
  const patterns = [
    '^virtual(?:\\x00|$)',
    '^virtual\\z',
    '\\Avirtual\\Z',
    '^a\\.b$',
    '(?i)^spam$',
    '[[:upper:]][[:digit:]]*$',
    '[[:punct:]]',
    '\\x{41}\\+',
    '^[^\\x00]+\\x00[0-9]{4}$',
    '\\x00.*\\x00',
    'foo;bar',
    '^(?!INBOX)[A-Z]',
    'Tr(?=ash)',
    '(?<=\\x00)S',
    '^(?<word>[a-z]+)\\x00\\k<word>',
    '\\h|;',
    '[]a]',
    'a{2,}|r{1}',
    '^[a-z]{,3}$',
    '\\v|\\s\\S',
    '[\\v\\h]',
    '\\V\\x00',
    'x\\z|\\x00y\\Z',
  ];
  for (const p of patterns) test(p, () => assert.equal(ourMatches(p), perlMatches(p)));
});

describe('what JavaScript cannot honour is refused by name', () => {
  const refused: [string, string][] = [
    ['a++', 'a possessive quantifier is not supported (at character 3)'],
    ['(?>a)', 'an atomic group (?>...) is not supported (at character 1)'],
    ['(?i:a)', 'an inline modifier (?flags) is not supported (at character 1)'],
    ['a(?i)b', 'an inline modifier (?flags) is not supported (at character 2)'],
    ['\\p{L}', 'the escape \\p{...} is not supported (at character 1)'],
    ['a\\Kb', 'the escape \\K is not supported (at character 2)'],
    ['(?#note)a', 'a comment group (?#...) is not supported (at character 1)'],
    ['(?P<n>a)', 'this named group syntax (use (?<name>...)) is not supported (at character 1)'],
    ['[\\H]', '\\H inside a character class is not supported (at character 1)'],
    ['[[:foo:]]', 'this POSIX character class is not supported (at character 1)'],
    ['^\\Qa.b\\E$', 'the escape \\Q...\\E quoting is not supported (at character 2)'],
    ['(a', 'Invalid regular expression: /(a/: Unterminated group'],
  ];
  for (const [p, message] of refused)
    test(p, () =>
      assert.throws(
        () => translatePcre(p),
        (e) => e instanceof PcreError && e.message === message,
      ),
    );
});
