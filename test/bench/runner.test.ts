// The bench runner: the INI config both tools read, measurement of a child's exit code, stderr, CPU and
// RSS, and an end-to-end Perl InterIMAP run on a tiny corpus that leaves both servers identical.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ServerPair } from '../../bench/pair.js';
import { measure, median, TOOLS, writeConfig } from '../../bench/runner.js';
import { makeCorpus } from '../helpers/corpus.js';
import { makeScratchDir, removeScratchDir } from '../helpers/scratch.js';

describe('bench runner', { timeout: 60_000 }, () => {
  test('writeConfig: database, tunnel and plain-TCP sections, compress=NO on both sides', () => {
    const dir = makeScratchDir('interimap-bench-test');
    try {
      const file = writeConfig(dir, {
        database: `${dir}/x.db`,
        local: { type: 'tunnel', command: 'imap -c a.conf' },
        remote: { type: 'imap', host: '127.0.0.1', port: 1143, username: 'u', password: 'p' },
        compress: false,
      });
      assert.equal(
        readFileSync(file, 'utf8'),
        `database = ${dir}/x.db\n\n[local]\ntype = tunnel\ncommand = imap -c a.conf\ncompress = NO\n\n` +
          '[remote]\ntype = imap\nhost = 127.0.0.1\nport = 1143\nSTARTTLS = NO\nusername = u\npassword = p\n' +
          'compress = NO\n',
      );
    } finally {
      removeScratchDir(dir);
    }
  });

  test('measure: exit code, stderr, CPU and peak RSS of the child', async () => {
    const dir = makeScratchDir('interimap-bench-test');
    try {
      const busy =
        'let x = 0; for (let i = 0; i < 3e7; i++) x += i; console.error("done", x > 0); process.exit(3)';
      const result = await measure([process.execPath, '-e', busy], { workDir: dir });
      assert.equal(result.exitCode, 3);
      assert.equal(result.stderr, 'done true');
      assert.ok(result.cpuSeconds > 0 && result.wallSeconds > 0);
      assert.ok(result.maxRssKiB > 10_000, `RSS ${result.maxRssKiB} KiB`);
      assert.equal(median([3, 1, 2]), 2);
      assert.equal(median([4, 1, 2, 3]), 2.5);
    } finally {
      removeScratchDir(dir);
    }
  });

  test('measure: a run over its time limit is killed and reported as failed', async () => {
    const dir = makeScratchDir('interimap-bench-test');
    try {
      const result = await measure(['/bin/sleep', '30'], { workDir: dir, timeoutMs: 300 });
      assert.notEqual(result.exitCode, 0);
      assert.match(result.stderr, /timed out after 0.3 s/);
    } finally {
      removeScratchDir(dir);
    }
  });

  test('--db-dir: the tools keep their databases in a private directory there, removed with the pair', async () => {
    const dir = makeScratchDir('interimap-bench-dbdir');
    try {
      const pair = await ServerPair.create(makeCorpus({ seed: 5, messages: 12, mailboxes: 2 }), {
        dbDir: dir,
      });
      let inside: string[];
      try {
        const result = await pair.run(TOOLS.ours, {});
        assert.equal(result.exitCode, 0, result.stderr);
        const [own] = readdirSync(dir);
        inside = readdirSync(join(dir, own!));
        assert.deepEqual(await pair.differences(), []);
      } finally {
        await pair.stop();
      }
      assert.deepEqual(inside, ['ours.db']);
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      removeScratchDir(dir);
    }
  });

  test('Perl InterIMAP syncs a tiny corpus: the pair is identical afterwards', async () => {
    const pair = await ServerPair.create(makeCorpus({ seed: 4, messages: 60, mailboxes: 6 }));
    try {
      assert.notEqual((await pair.differences()).length, 0);
      const result = await pair.run(TOOLS.perl, { compress: false });
      assert.equal(result.exitCode, 0, result.stderr);
      assert.deepEqual(await pair.differences(), []);
    } finally {
      await pair.stop();
    }
  });
});
