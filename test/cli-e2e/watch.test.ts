// Long-running modes: --watch polls and picks up a change, survives the local server going away
// (reconnects, logged) and exits cleanly on SIGTERM; --notify reacts to an APPEND pushed by the
// server through RFC 5465 NOTIFY, long before its 15-minute keepalive.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { assertInSync, finished, OutputWatch, type Pair, saveMessage, startedPair } from './harness.js';

/** The tunnel process our interimap runs for `server` (its child whose command names the config). */
function tunnelPid(parent: number, configDir: string): number {
  const out = execFileSync('ps', ['--ppid', String(parent), '-o', 'pid=,args='], { encoding: 'utf8' });
  const line = out.split('\n').find((l) => l.includes(configDir));
  if (line === undefined) throw new Error(`no tunnel process of ${parent} for ${configDir}:\n${out}`);
  return Number(line.trim().split(' ')[0]);
}

describe('--watch and --notify', { timeout: 120_000 }, () => {
  let pair: Pair;

  before(async () => {
    pair = await startedPair();
    await saveMessage(pair.local, 'INBOX', 'first');
    const run = await pair.run();
    assert.equal(run.code, 0, run.stderr);
  });
  after(() => pair.stop());

  test('--watch picks up a change, survives a lost connection, exits 0 on SIGTERM', async () => {
    const child = pair.spawn(['--watch=1']);
    const output = new OutputWatch(child);
    const done = finished(child);
    try {
      await saveMessage(pair.local, 'INBOX', 'watched');
      await output.waitFor(/INBOX: copied 0 to local, 1 to remote/);
      let mark = output.mark;
      process.kill(tunnelPid(child.pid!, pair.local.dir), 'SIGKILL');
      await output.waitFor(/connection lost; reconnecting in 1s/, mark);
      mark = output.mark;
      await saveMessage(pair.remote, 'INBOX', 'after-reconnect');
      await output.waitFor(/INBOX: copied 1 to local, 0 to remote/, mark);
      // INBOX stays selected between cycles: its LIST-STATUS must still see new mail.
      mark = output.mark;
      await saveMessage(pair.remote, 'INBOX', 'while-selected');
      await output.waitFor(/INBOX: copied 1 to local, 0 to remote/, mark);
      // A second instance cannot take the database the first one holds.
      const second = await pair.run();
      assert.equal(second.code, 1);
      assert.match(second.stderr, /locked by another interimap process/);
    } finally {
      child.kill('SIGTERM');
    }
    const run = await done;
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /mailbox\(es\) synced/);
    await assertInSync(pair);
  });

  test('--notify: an APPEND on the remote server is copied without waiting for a poll', async () => {
    const child = pair.spawn(['--notify', '--debug']);
    const output = new OutputWatch(child);
    const done = finished(child);
    try {
      // Both servers acknowledged NOTIFY SET: from now on they push changes.
      await output.waitFor(/local: S: \S+ OK NOTIFY/);
      await output.waitFor(/remote: S: \S+ OK NOTIFY/);
      const mark = output.mark;
      await saveMessage(pair.remote, 'INBOX', 'pushed');
      await output.waitFor(/INBOX: copied 1 to local, 0 to remote/, mark);
    } finally {
      child.kill('SIGTERM');
    }
    const run = await done;
    assert.equal(run.code, 0, run.stderr);
    await assertInSync(pair);
  });
});
