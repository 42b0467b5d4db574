// The shipped command's code cache against real servers: a run with nothing to do saves a partial
// cache (it never compiled the mailbox steps), and the first run that synchronizes a mailbox saves
// the whole one in its place (src/cli/compile-cache.ts, src/cli/sync-code.ts).
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Pair, saveMessage, startedPair } from './harness.js';

describe('the code cache of the shipped command', { timeout: 60_000 }, () => {
  let pair: Pair;
  let cacheDir: string;
  const caches = () => readdirSync(cacheDir).filter((f) => f.endsWith('.v8'));
  before(async () => {
    pair = await startedPair();
    cacheDir = join(pair.cacheHome, 'interimap');
    const first = await pair.run();
    assert.equal(first.code, 0, first.stderr);
    rmSync(cacheDir, { recursive: true, force: true });
  });
  after(() => pair.stop());

  test('a run with nothing to do saves a partial cache; the next sync makes it whole', async () => {
    const noop = await pair.run();
    assert.equal(noop.code, 0, noop.stderr);
    assert.match(noop.stderr, /0 mailbox\(es\) synced/);
    const [partial] = caches();
    assert.match(partial ?? '', /\.partial\.v8$/, `caches: ${caches().join(', ')}`);

    await saveMessage(pair.local, 'INBOX', 'cache-1');
    const sync = await pair.run();
    assert.equal(sync.code, 0, sync.stderr);
    assert.match(sync.stderr, /1 mailbox\(es\) synced/);
    assert.deepEqual(caches(), [partial!.replace(/\.partial\.v8$/, '.v8')]);
  });
});
