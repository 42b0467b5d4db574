// The interimap command as a process: exit codes, one-line errors, nothing created on bad input.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { INTERIMAP } from '../helpers/interimap-bin.js';

const home = mkdtempSync(join(tmpdir(), 'interimap-cli-'));
const configDir = join(home, 'config', 'interimap');
const dataDir = join(home, 'data');
mkdirSync(configDir, { recursive: true });
after(() => rmSync(home, { recursive: true, force: true }));

const TUNNELS =
  '[local]\ntype = tunnel\ncommand = /bin/false\n[remote]\ntype = tunnel\ncommand = /bin/false\n';
writeFileSync(join(configDir, 'config'), TUNNELS);

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [INTERIMAP, ...args], {
    env: {
      HOME: home,
      XDG_CONFIG_HOME: join(home, 'config'),
      XDG_DATA_HOME: dataDir,
      PATH: process.env.PATH,
    },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('refused before anything is opened', () => {
  const refused: [string[], string][] = [
    [['--repair', '--delete', 'a'], '--repair and --delete cannot be combined'],
    [['--rename', 'a'], '--rename needs exactly two mailboxes: SOURCE DEST'],
    [['--rename', 'a', 'b', 'c'], '--rename needs exactly two mailboxes: SOURCE DEST'],
    [['--delete'], '--delete needs at least one mailbox'],
    [['--target=local'], '--target only applies to --delete and --rename'],
    [['--repair', '--target=local'], '--target only applies to --delete and --rename'],
    [['--delete', '--target=backup', 'a'], 'invalid target "backup" (expected local, remote or database)'],
    [['--watch', '--delete', 'a'], '--delete cannot be combined with --watch or --notify'],
    [['--notify', '--repair'], '--repair cannot be combined with --watch or --notify'],
    [['--bogus'], 'unknown option: --bogus'],
    [['-x'], 'unknown option: -x'],
    [['--bogus', '--other'], 'unknown option: --bogus'],
    [['--watch=soon'], 'invalid value for --watch: "soon" (expected a number of seconds)'],
    [['--watch=-5'], 'invalid value for --watch: "-5" (expected a number of seconds)'],
    [['--notify=yes'], 'option --notify does not take a value'],
    [['--config'], 'option --config needs a value'],
    [['--config='], 'option --config needs a value'],
    [['--watch=2147484'], '--watch=2147484 is too long (at most 2147483 seconds)'],
    [['é'], 'invalid mailbox name "é" (must be non-empty 7-bit, UTF-7 encoded)'],
    [['--config=absent'], `${join(configDir, 'absent')}: no such configuration file`],
  ];
  for (const [args, message] of refused)
    test(args.join(' '), () => {
      assert.deepEqual(run(...args), { status: 1, stdout: '', stderr: `interimap: ${message}\n` });
      assert.equal(existsSync(dataDir), false);
    });

  test('a configuration error names file, section and option', () => {
    const file = join(configDir, 'bad');
    writeFileSync(file, '[local]\nport = x\n[remote]\n');
    assert.equal(
      run('--config=bad').stderr,
      `interimap: ${file}: [local] port: invalid value "x": expected a port number (1-65535)\n`,
    );
  });
});

describe('accepted', () => {
  test('--help prints the usage on stdout', () => {
    const r = run('--help');
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^Usage: interimap \[OPTION \.\.\.\] \[MAILBOX \.\.\.\]\n/);
    for (const option of [
      '--config',
      '--target',
      '--watch',
      '--notify',
      '--quiet',
      '--debug',
      '--help',
      '--version',
      '--repair',
      '--delete',
      '--rename',
    ])
      assert.ok(r.stdout.includes(option), option);
  });
  test('a valid invocation reaches the engine (which never creates the database under --watch)', () => {
    const r = run('--watch', 'INBOX');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^ERROR: database \S+\/localhost\.db does not exist\n$/);
  });
  test('warnings come first, through the log-prefix; the logfile is created 0600', () => {
    const log = join(home, 'log', 'interimap.log');
    mkdirSync(join(home, 'log'));
    const file = join(configDir, 'open');
    writeFileSync(file, `log-prefix = [%n]\nlogfile = ${log}\n[local]\npassword = x\n[remote]\n`);
    chmodSync(file, 0o644);
    const r = run('--config=open', '-q');
    const warning = `[]WARNING: ${file}: holds a password but is readable by group or others (mode 0644); run chmod 600 on it\n`;
    assert.ok(r.stderr.startsWith(warning), r.stderr);
    // Then the engine, which finds no server at localhost:993.
    assert.match(r.stderr.slice(warning.length), /^\[(local|remote)\]ERROR: cannot connect/);
    assert.equal(statSync(log).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(join(home, 'log')), ['interimap.log']);
  });
  test('an unopenable logfile is a configuration error', () => {
    writeFileSync(join(configDir, 'nolog'), `logfile = ${home}/missing/dir/log\n${TUNNELS}`);
    assert.deepEqual(run('--config=nolog'), {
      status: 1,
      stdout: '',
      stderr: `interimap: ${home}/missing/dir/log: cannot open the log file (ENOENT)\n`,
    });
  });
});
