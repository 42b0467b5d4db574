// Long-running modes and signals: --watch polls and picks up a change, survives the local server going away
// (reconnects, logged) and exits cleanly on SIGTERM; --notify reacts to an APPEND pushed by the
// server through RFC 5465 NOTIFY, long before its 15-minute keepalive; SIGTERM mid-sync stops at a
// checkpoint and the next run completes the work.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { loadCorpus, makeCorpus } from '../helpers/corpus.js';
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
      await output.waitFor(/messages copied 0 to local, 1 to remote/);
      let mark = output.mark;
      process.kill(tunnelPid(child.pid!, pair.local.dir), 'SIGKILL');
      await output.waitFor(/connection lost; reconnecting in 1s/, mark);
      mark = output.mark;
      await saveMessage(pair.remote, 'INBOX', 'after-reconnect');
      await output.waitFor(/messages copied 1 to local, 0 to remote/, mark);
      // INBOX stays selected between cycles: its LIST-STATUS must still see new mail.
      mark = output.mark;
      await saveMessage(pair.remote, 'INBOX', 'while-selected');
      await output.waitFor(/messages copied 1 to local, 0 to remote/, mark);
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
      let mark = output.mark;
      await saveMessage(pair.remote, 'INBOX', 'pushed');
      await output.waitFor(/messages copied 1 to local, 0 to remote/, mark);
      // A mailbox created on one side (a PERSONAL MailboxName event) is created on the other,
      // and mail saved in it afterwards follows (it joined the NOTIFY mailbox set).
      mark = output.mark;
      await pair.local.doveadm(['mailbox', 'create', 'Fresh']);
      await output.waitFor(/remote\(Fresh\): Created mailbox Fresh/, mark);
      mark = output.mark;
      await saveMessage(pair.local, 'Fresh', 'in-fresh');
      await output.waitFor(/messages copied 0 to local, 1 to remote/, mark);
    } finally {
      child.kill('SIGTERM');
    }
    const run = await done;
    assert.equal(run.code, 0, run.stderr);
    await assertInSync(pair);
  });
});

for (const maxConnections of [1, 4]) {
  describe(`SIGTERM during a sync, max-connections = ${maxConnections}`, { timeout: 120_000 }, () => {
    let pair: Pair;

    before(async () => {
      pair = await startedPair({ maxConnections });
      const corpus = makeCorpus({
        seed: 5,
        mailboxes: 10,
        messages: 1500,
        medianSize: 2000,
        largeFraction: 0,
      });
      await loadCorpus(pair.local, corpus);
    });
    after(() => pair.stop());

    test('stops at a checkpoint; the next run completes without a loss or a duplicate', async () => {
      const child = pair.spawn(['--debug']);
      const output = new OutputWatch(child);
      const done = finished(child);
      await output.waitFor(/mailbox \S+: copied/);
      child.kill('SIGTERM');
      const stopped = await done;
      assert.equal(stopped.signal, null, 'exits by itself, not killed by the signal');
      // The mailboxes being copied (one per lane) stopped at a checkpoint; the queued ones never started.
      const interrupted = Number(/mailbox\(es\) synced, (\d+) interrupted/.exec(stopped.stderr)?.[1]);
      assert.ok(interrupted >= 1 && interrupted <= maxConnections, stopped.stderr);
      const run = await pair.run();
      assert.equal(run.code, 0, run.stderr);
      await assertInSync(pair);
    });
  });
}
