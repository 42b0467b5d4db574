// Message bodies are streamed, never held whole: a 200 MiB message (and a few small ones) is synced
// by the CLI with a 64 MiB V8 heap, through the compressed remote connection, and the child's peak
// RSS (GNU time's %M) stays far below the size of the message. Body Buffers live outside the V8
// heap, so the heap limit alone would not catch a buffered copy; the RSS bound does.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadCorpus, makeCorpus } from '../helpers/corpus.js';
import { assertInSync, finished, MAIN, type Pair, startedPair } from './harness.js';

const GNU_TIME = '/usr/bin/time';
const HUGE = 200 << 20;
/** Node itself, the modules, the database and the read-ahead take ~100 MiB; a copy would add 200. */
const RSS_BOUND_KIB = 160 << 10;

describe('streaming: a 200 MiB message with a 64 MiB heap', { timeout: 600_000 }, () => {
  let pair: Pair;

  before(async () => {
    assert.ok(existsSync(GNU_TIME), `${GNU_TIME} is needed to read the peak RSS (apt-get install time)`);
    pair = await startedPair();
    const corpus = makeCorpus({
      seed: 3,
      mailboxes: 1,
      messages: 20,
      largeFraction: 0,
      hugeMessages: [HUGE],
    });
    await loadCorpus(pair.remote, corpus);
  });
  after(() => pair.stop());

  test('synced byte for byte, peak RSS bounded', async (t) => {
    const rssFile = join(pair.dir, 'rss');
    const child = spawn(
      GNU_TIME,
      [
        '-f',
        '%M',
        '-o',
        rssFile,
        process.execPath,
        '--max-old-space-size=64',
        MAIN,
        `--config=${pair.dir}/config`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: pair.dir } },
    );
    const run = await finished(child, 300_000);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /messages copied 21 to local, 0 to remote/);
    await assertInSync(pair);
    const peakKiB = Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1));
    assert.ok(peakKiB > 0, `no peak RSS in ${rssFile}`);
    t.diagnostic(`peak RSS ${peakKiB >> 10} MiB`);
    assert.ok(
      peakKiB < RSS_BOUND_KIB,
      `peak RSS ${peakKiB >> 10} MiB exceeds ${RSS_BOUND_KIB >> 10} MiB: bodies are buffered`,
    );
  });
});
