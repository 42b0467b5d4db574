// parseArgs: the Invocation built from accepted command lines.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseArgs } from '../../src/cli/args.js';
import type { Invocation } from '../../src/cli/invocation.js';

const env = { HOME: '/h', XDG_CONFIG_HOME: '/c' };

function invocation(...argv: string[]): Invocation {
  const parsed = parseArgs(argv, env);
  assert.equal(parsed.kind, 'run');
  return (parsed as { invocation: Invocation }).invocation;
}

describe('accepted command lines', () => {
  test('no argument: synchronize with the default configuration', () => {
    assert.deepEqual(invocation(), {
      command: 'sync',
      mailboxes: [],
      targets: ['local', 'remote', 'database'],
      notify: false,
      quiet: false,
      debug: 0,
      configPath: '/c/interimap/config',
    });
  });
  test('--watch defaults to 60 s, 900 s with --notify, which implies --watch', () => {
    assert.equal(invocation('--watch').watch, 60);
    assert.equal(invocation('--watch=0').watch, 60);
    assert.equal(invocation('--notify').watch, 900);
    assert.equal(invocation('--watch=30', '--notify').watch, 30);
  });
  test('--watch takes a following number, but not a following mailbox', () => {
    assert.deepEqual(
      [invocation('--watch', '5', 'INBOX').watch, invocation('--watch', '5', 'INBOX').mailboxes],
      [5, ['INBOX']],
    );
    assert.deepEqual(
      [invocation('--watch', 'Sent').watch, invocation('--watch', 'Sent').mailboxes],
      [60, ['Sent']],
    );
  });
  test('mailboxes: INBOX is case-insensitive, options may follow them, -- ends options', () => {
    const inv = invocation('inbox', 'Sent', '--repair', '--', '--odd');
    assert.equal(inv.command, 'repair');
    assert.deepEqual(inv.mailboxes, ['INBOX', 'Sent', '--odd']);
  });
  test('counters and flags: -qq, repeated --debug', () => {
    const inv = invocation('-qq', '--debug', '--debug');
    assert.deepEqual([inv.quiet, inv.debug], [true, 2]);
  });
  test('--target: repeatable, comma-separated, kept in canonical order', () => {
    const inv = invocation('--delete', '--target=database,local', '--target', 'local', 'a', 'b');
    assert.deepEqual(
      [inv.command, inv.targets, inv.mailboxes],
      ['delete', ['local', 'database'], ['a', 'b']],
    );
    assert.deepEqual(invocation('--rename', 'a', 'b').targets, ['local', 'remote', 'database']);
  });
  test('--config: relative to the config directory, absolute as is, the last one wins', () => {
    assert.equal(invocation('--config=work').configPath, '/c/interimap/work');
    assert.equal(invocation('--config', '/etc/i.conf').configPath, '/etc/i.conf');
    assert.equal(invocation('--config=a', '--config=b').configPath, '/c/interimap/b');
  });
  test('--help and --version win over everything else', () => {
    assert.deepEqual(parseArgs(['--repair', '-h'], env), { kind: 'help' });
    assert.deepEqual(parseArgs(['--version', 'x'], env), { kind: 'version' });
  });
});

describe('refused command lines (the option scanner)', () => {
  const refused: [string[], string][] = [
    [['--config', '--repair'], 'option --config needs a value'],
    [['--delete', '--target', '-q', 'x'], 'option --target needs a value'],
    [['--statechart-format='], 'option --statechart-format needs a value'],
    [['-5'], 'unknown option: -5'],
    [['--watch', '-5'], 'unknown option: -5'],
    [['-qx'], 'unknown option: -x'],
    [['-q=1'], 'option -q does not take a value'],
    [['--debug=2'], 'option --debug does not take a value'],
    [['--__proto__'], 'unknown option: --__proto__'],
    [['--Help'], 'unknown option: --Help'],
    [['---quiet'], 'unknown option: ---quiet'],
  ];
  for (const [argv, message] of refused)
    test(argv.join(' '), () => assert.throws(() => parseArgs(argv, env), { name: 'UsageError', message }));
  test('a lone "-" is a mailbox, and a value', () => {
    assert.deepEqual(invocation('-').mailboxes, ['-']);
    assert.equal(invocation('--config', '-').configPath, '/c/interimap/-');
  });
  test('--q and --h are the long forms of -q and -h, as with Getopt::Long', () => {
    assert.equal(invocation('--q').quiet, true);
    assert.deepEqual(parseArgs(['--h'], env), { kind: 'help' });
  });
  test('the value of --watch N is only taken when N is a number', () => {
    assert.deepEqual(
      [invocation('--watch', '5', '6').watch, invocation('--watch', '5', '6').mailboxes],
      [5, ['6']],
    );
    assert.equal(invocation('--watch=5', '--watch').watch, 60);
  });
});
