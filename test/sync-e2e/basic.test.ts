// The QRESYNC path end to end on two real Dovecot servers: initial copies both ways, a rerun
// that writes nothing, flag changes (and conflicts), expunges and new mail on either side.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadCorpus, makeCorpus } from '../helpers/corpus.js';
import { assertIdentical, snapshotServer } from '../helpers/mail-compare.js';
import {
  assertCheckpointsMatchServers,
  assertQuietRerun,
  expungeOn,
  listUids,
  onServer,
  type Pair,
  runSync,
  startPair,
  writes,
} from './harness.js';

async function assertInSync(pair: Pair): Promise<void> {
  const [a, b] = await Promise.all([snapshotServer(pair.local), snapshotServer(pair.remote)]);
  assertIdentical(a, b, ['local', 'remote']);
}

const small = (seed: number, messages: number) =>
  makeCorpus({ seed, mailboxes: 1, messages, medianSize: 700, largeFraction: 0 });

describe('mailbox sync over QRESYNC', { timeout: 120_000 }, () => {
  let pair: Pair;
  before(async () => {
    pair = await startPair();
  });
  after(async () => {
    await pair.stop();
  });

  test('initial sync copies each side to the other', async () => {
    await Promise.all([loadCorpus(pair.local, small(1, 30)), loadCorpus(pair.remote, small(2, 20))]);
    const result = await runSync(pair);
    assert.equal(result.output.status, 'synced', JSON.stringify(result.output));
    assert.equal(result.output.counts.toRemote.copied, 30);
    assert.equal(result.output.counts.toLocal.copied, 20);
    await assertInSync(pair);
    assert.equal((await listUids(pair.local)).length, 50);
  });

  test('a rerun without changes writes nothing', async () => {
    const result = await runSync(pair);
    assert.equal(result.output.status, 'synced');
    assert.deepEqual(writes(result), []);
  });

  test('flag changes on each side are propagated; conflicts end as the union', async () => {
    await onServer(pair.local, ['UID STORE 1:3 +FLAGS (\\Flagged)', 'UID STORE 4 FLAGS (\\Answered)']);
    const remoteUids = (await listUids(pair.remote)).map((m) => m.uid);
    // The first sync put local's 30 messages after remote's own 20: local[i] is remote[20 + i].
    await onServer(pair.remote, [
      `UID STORE ${remoteUids[10]} +FLAGS (\\Seen $Work)`,
      `UID STORE ${remoteUids[23]} FLAGS (\\Draft)`,
    ]);
    const result = await runSync(pair);
    assert.equal(result.output.status, 'synced');
    assert.equal(result.output.counts.conflicts, 1);
    assert.ok(
      result.warnings.some((w) => /Conflicting flag update/.test(w)),
      result.warnings.join('\n'),
    );
    await assertInSync(pair);
    const local = await listUids(pair.local);
    assert.deepEqual(local[3]!.flags, ['\\Answered', '\\Draft']);
    await assertCheckpointsMatchServers(pair);
    await assertQuietRerun(pair);
  });

  test('expunges on each side and on both are propagated', async () => {
    const local = (await listUids(pair.local)).map((m) => m.uid);
    const remote = (await listUids(pair.remote)).map((m) => m.uid);
    await expungeOn(pair.local, [local[0]!, local[5]!]);
    // local[5] is remote[25] (expunged on both); remote[7] is local[37].
    await expungeOn(pair.remote, [remote[25]!, remote[7]!]);
    const result = await runSync(pair);
    assert.equal(result.output.status, 'synced');
    assert.equal(result.output.counts.toRemote.expunged, 1);
    assert.equal(result.output.counts.toLocal.expunged, 1);
    await assertInSync(pair);
    assert.equal((await listUids(pair.local)).length, 47);
    await assertCheckpointsMatchServers(pair);
    await assertQuietRerun(pair);
  });

  test('new messages on both sides are copied', async () => {
    await Promise.all([loadCorpus(pair.local, small(3, 5)), loadCorpus(pair.remote, small(4, 7))]);
    const result = await runSync(pair);
    assert.equal(result.output.status, 'synced');
    assert.equal(result.output.counts.toRemote.copied, 5);
    assert.equal(result.output.counts.toLocal.copied, 7);
    await assertInSync(pair);
    await assertCheckpointsMatchServers(pair);
    await assertQuietRerun(pair);
  });
});
