// The shipped command's code cache against real servers: a run with nothing to do saves the code it
// compiled, and each later run that does a kind of work the cache's runs had not (copying, flag
// updates, expunges) saves it again with that code too; other runs leave it alone
// (src/cli/compile-cache.ts, src/cli/sync-code.ts).
import assert from 'node:assert/strict';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Pair, saveMessage, startedPair } from './harness.js';

describe('the code cache of the shipped command', { timeout: 60_000 }, () => {
  let pair: Pair;
  let cacheDir: string;
  const caches = () => readdirSync(cacheDir).filter((f) => f.endsWith('.v8'));
  /** The kinds of work (sync-code.ts) the only cache covers. */
  const kinds = () => {
    const files = caches();
    assert.equal(files.length, 1, `caches: ${files.join(', ')}`);
    return Number(/\.(\d+)\.v8$/.exec(files[0]!)?.[1]);
  };
  const run = async (expected: RegExp) => {
    const result = await pair.run();
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, expected);
  };
  before(async () => {
    pair = await startedPair();
    cacheDir = join(pair.cacheHome, 'interimap');
    await saveMessage(pair.local, 'INBOX', 'cache-0');
    const first = await pair.run();
    assert.equal(first.code, 0, first.stderr);
    rmSync(cacheDir, { recursive: true, force: true });
  });
  after(() => pair.stop());

  test('saved by a run with nothing to do, then again as runs do new kinds of work', async () => {
    await run(/0 mailbox\(es\) synced/);
    assert.equal(kinds(), 0);

    await saveMessage(pair.local, 'INBOX', 'cache-1');
    await run(/1 mailbox\(es\) synced; messages copied 0 to local, 1 to remote/);
    assert.equal(kinds(), 1 | 2, 'a mailbox synchronized, a message copied');

    await pair.remote.doveadm(['flags', 'add', '\\Flagged', 'mailbox', 'INBOX', 'ALL']);
    await run(/flags updated 2 local, 0 remote/);
    assert.equal(kinds(), 1 | 2 | 4, 'and flags updated');
    const saved = statSync(join(cacheDir, caches()[0]!)).mtimeMs;

    await pair.remote.doveadm(['flags', 'remove', '\\Flagged', 'mailbox', 'INBOX', 'ALL']);
    await run(/flags updated 2 local, 0 remote/);
    await run(/0 mailbox\(es\) synced/);
    assert.equal(statSync(join(cacheDir, caches()[0]!)).mtimeMs, saved, 'runs of known kinds leave it');

    await pair.local.doveadm(['expunge', 'mailbox', 'INBOX', 'ALL']);
    await run(/expunged 0 local, 2 remote/);
    assert.equal(kinds(), 1 | 2 | 4 | 8);
  });
});
