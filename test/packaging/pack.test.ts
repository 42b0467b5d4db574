// The npm package as a user gets it: `npm pack` on a copy of the project (so its prepack build runs
// without touching our dist/), then `npm install -g` of the tarball into a private prefix, which
// builds better-sqlite3 from source; the installed command must start, load its native module and sync.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { corpusMessageCount, loadCorpus, makeCorpus } from '../helpers/corpus.js';
import { type Dovecot, startDovecot } from '../helpers/dovecot.js';
import { assertIdentical, snapshotServer } from '../helpers/mail-compare.js';
import { makeScratchDir, removeScratchDir } from '../helpers/scratch.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
};
/** Building better-sqlite3 from source takes about a minute of CPU; a busy machine needs more. */
const INSTALL_TIMEOUT_MS = 900_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Without the npm_* variables of an enclosing `npm test`: they would override the flags we pass. */
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));

function run(file: string, args: string[], cwd: string, timeoutMs = 120_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd, env: cleanEnv, timeout: timeoutMs, maxBuffer: 64 << 20, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function ok(r: Run, what: string): Run {
  assert.equal(r.code, 0, `${what} failed:\n${r.stderr.slice(-4000)}`);
  return r;
}

describe('npm package', { timeout: INSTALL_TIMEOUT_MS + 300_000 }, () => {
  let work = '';
  let tarball = '';
  let prefix = '';
  let installed: Run;

  before(async () => {
    work = makeScratchDir('interimap-pack');
    const copy = join(work, 'project');
    cpSync(ROOT, copy, {
      recursive: true,
      filter: (source) => !/^(node_modules|dist|\.git)$/.test(source.slice(ROOT.length).split('/')[0]!),
    });
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    ok(await run('npm', ['pack', '--pack-destination', work], copy, 300_000), 'npm pack');
    const packed = readdirSync(work).filter((f) => f.endsWith('.tgz'));
    assert.deepEqual(packed, [`${PACKAGE.name}-${PACKAGE.version}.tgz`]);
    tarball = join(work, packed[0]!);
    prefix = join(work, 'prefix');
    // The command the getting-started guide gives; the npm cache is shared with the user's own.
    const args = ['install', '-g', '--prefix', prefix, '--allow-scripts=better-sqlite3'];
    installed = await run('npm', [...args, '--no-audit', '--no-fund', tarball], work, INSTALL_TIMEOUT_MS);
  });

  after(() => {
    if (work) removeScratchDir(work);
  });

  test('the tarball holds the bundled program, manual, units and README, and no tests or sources', async () => {
    const listing = ok(await run('tar', ['-tzf', tarball], work), 'tar')
      .stdout.split('\n')
      .filter(Boolean);
    for (const file of [
      'package/package.json',
      'package/README.md',
      'package/dist/cli/interimap.cjs',
      'package/dist/cli/program.cjs',
      'package/dist/cli/THIRD-PARTY-LICENSES.txt',
      'package/docs/interimap.1',
      'package/contrib/systemd/interimap.service',
      'package/contrib/systemd/interimap@.service',
    ]) {
      assert.ok(listing.includes(file), `${file} missing from the tarball`);
    }
    const shipped = /^package\/(package\.json|README\.md|docs\/interimap\.1|contrib\/.+|dist\/cli\/.+)$/;
    assert.deepEqual(
      listing.filter((f) => !shipped.test(f)),
      [],
    );
  });

  test('npm install -g of the tarball succeeds, its install scripts all allowed', () => {
    ok(installed, 'npm install -g');
    assert.doesNotMatch(installed.stderr, /not yet covered by allowScripts/);
  });

  test('the installed command answers --help and --version', async () => {
    const bin = join(prefix, 'bin', 'interimap');
    const help = ok(await run(bin, ['--help'], work), 'interimap --help');
    assert.match(help.stdout, /^Usage: interimap \[OPTION \.\.\.\] \[MAILBOX \.\.\.\]\n/);
    assert.match(help.stdout, /--config=FILE/);
    const version = ok(await run(bin, ['--version'], work), 'interimap --version');
    assert.equal(version.stdout, `interimap ${PACKAGE.version}\n`);
  });

  test('the installed better-sqlite3 native module loads', async () => {
    const home = join(prefix, 'lib', 'node_modules', PACKAGE.name);
    const script =
      "import Database from 'better-sqlite3'; const db = new Database(':memory:');" +
      "process.stdout.write(db.prepare('select sqlite_version() as v').get().v);";
    const r = ok(await run(process.execPath, ['--input-type=module', '-e', script], home), 'better-sqlite3');
    assert.match(r.stdout, /^3\.\d+\.\d+$/);
  });

  test('xstate is bundled, not installed: the command below syncs without it', () => {
    const modules = join(prefix, 'lib', 'node_modules', PACKAGE.name, 'node_modules');
    assert.ok(existsSync(join(modules, 'better-sqlite3')), `no dependencies installed in ${modules}`);
    assert.ok(!existsSync(join(modules, 'xstate')), 'xstate installed');
  });

  test('the installed command synchronizes two Dovecot servers', async () => {
    const servers: Dovecot[] = [];
    try {
      servers.push(await startDovecot());
      servers.push(await startDovecot());
      const [local, remote] = servers as [Dovecot, Dovecot];
      const corpus = makeCorpus({ seed: 5, mailboxes: 3, messages: 20, medianSize: 800, largeFraction: 0 });
      await loadCorpus(local, corpus);
      const config = join(work, 'config');
      const tunnel = (server: Dovecot) => ['type = tunnel', `command = ${server.tunnelCommand}`];
      const text = [
        `database = ${join(work, 'state.db')}`,
        '[local]',
        ...tunnel(local),
        '[remote]',
        ...tunnel(remote),
      ];
      writeFileSync(config, `${text.join('\n')}\n`);
      ok(await run(join(prefix, 'bin', 'interimap'), [`--config=${config}`], work), 'interimap');
      const [a, b] = await Promise.all([snapshotServer(local), snapshotServer(remote)]);
      assertIdentical(a, b, ['local', 'remote']);
      assert.equal([...b.values()].flat().length, corpusMessageCount(corpus));
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  });

  test('the manual is installed as interimap(1)', () => {
    assert.ok(existsSync(join(prefix, 'share', 'man', 'man1', 'interimap.1')));
  });
});
