// Command lines: we refuse exactly what the Perl InterIMAP 0.5.7 refuses, except the deliberate
// differences of docs/config-differences.md. Perl runs with a configuration whose servers fail at
// once; it refused the command line when it printed its usage or one of its argument errors.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { INTERIMAP } from '../helpers/interimap-bin.js';

const home = mkdtempSync(join(tmpdir(), 'interimap-cli-perl-'));
mkdirSync(join(home, 'config', 'interimap'), { recursive: true });
mkdirSync(join(home, 'data'));
writeFileSync(
  join(home, 'config', 'interimap', 'config'),
  '[local]\ntype = tunnel\ncommand = /bin/false\n[remote]\ntype = tunnel\ncommand = /bin/false\n',
);
after(() => rmSync(home, { recursive: true, force: true }));

const env = {
  HOME: home,
  XDG_CONFIG_HOME: join(home, 'config'),
  XDG_DATA_HOME: join(home, 'data'),
  PATH: '/usr/bin:/bin',
};
const PERL_REFUSES = /^Usage: |^Invalid target |^Invalid mailbox name /m;

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: 20_000 }, (_error, _stdout, stderr) => resolve(stderr));
  });
}

type Verdict = 'accepted' | 'refused';
const perlVerdict = async (args: string[]): Promise<Verdict> =>
  PERL_REFUSES.test(await run('/usr/bin/interimap', args)) ? 'refused' : 'accepted';
const ourVerdict = async (args: string[]): Promise<Verdict> => {
  const stderr = await run(process.execPath, [INTERIMAP, ...args]);
  // Refusals are one `interimap: ` line; an accepted command line reaches the engine, whose
  // servers (/bin/false) fail with log lines instead.
  return stderr.startsWith('interimap: ') ? 'refused' : 'accepted';
};

const same: [string[], Verdict][] = [
  [[], 'accepted'],
  [['INBOX', 'Sent'], 'accepted'],
  [['--watch'], 'accepted'],
  [['--watch=30', 'INBOX'], 'accepted'],
  [['--watch', '5', 'INBOX'], 'accepted'],
  [['--notify'], 'accepted'],
  [['--notify', '--watch=10'], 'accepted'],
  [['-qq', '--debug', '--debug'], 'accepted'],
  [['--q'], 'accepted'],
  [['--repair'], 'accepted'],
  [['INBOX', '--repair'], 'accepted'],
  [['--delete', '--target=local,remote', 'x'], 'accepted'],
  [['--rename', '--target', 'database', 'a', 'b'], 'accepted'],
  [['--config=config', '--', '--odd'], 'accepted'],
  [['--watch=abc'], 'refused'],
  [['--notify', '--repair'], 'refused'],
  [['--watch', '--delete', 'x'], 'refused'],
  [['--target=local'], 'refused'],
  [['--repair', '--target=local'], 'refused'],
  [['--delete', '--target=foo', 'x'], 'refused'],
  [['--delete'], 'refused'],
  [['--rename', 'a'], 'refused'],
  [['--repair', '--delete', 'x'], 'refused'],
  [['--conf=config'], 'refused'],
  [['--bogus'], 'refused'],
  [['-5'], 'refused'],
  [['-qx'], 'refused'],
  [['--no-notify'], 'refused'],
  [['--quiet=1'], 'refused'],
  [['--help=3'], 'refused'],
  [['é'], 'refused'],
];
for (const [args, verdict] of same)
  test(`${args.join(' ') || '(no argument)'}: ${verdict} by both`, async () => {
    assert.equal(await ourVerdict(args), verdict);
    assert.equal(await perlVerdict(args), verdict);
  });

test('--watch=-5: Perl accepts a negative interval, we refuse it', async () => {
  assert.equal(await ourVerdict(['--watch=-5']), 'refused');
  assert.equal(await perlVerdict(['--watch=-5']), 'accepted');
});
