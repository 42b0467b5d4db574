// The mailbox sync runtime off the plain path: one-way initial copies, UIDVALIDITY changes,
// --repair of a damaged database, and mail delivered while a sync runs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { StateStore } from '../../src/store/index.js';
import { appendMessages, loadCorpus, makeCorpus, makeMessage } from '../helpers/corpus.js';
import type { Dovecot } from '../helpers/dovecot.js';
import { ImapPipe } from '../helpers/imap-pipe.js';
import { compareServers, snapshotServer } from '../helpers/mail-compare.js';
import {
  assertQuietRerun,
  expungeOn,
  listUids,
  onServer,
  type Pair,
  runSync,
  startPair,
  writes,
} from './harness.js';

async function differences(pair: Pair) {
  const [a, b] = await Promise.all([snapshotServer(pair.local), snapshotServer(pair.remote)]);
  return compareServers(a, b);
}

const small = (seed: number, messages: number) =>
  makeCorpus({ seed, mailboxes: 1, messages, medianSize: 600, largeFraction: 0 });

async function createMailbox(server: Dovecot, name: string): Promise<void> {
  await onServer(server, [`CREATE "${name}"`]);
}

async function append(server: Dovecot, mailbox: string, count: number, tag: string): Promise<void> {
  const pipe = await ImapPipe.open(server.tunnelCommand);
  try {
    const messages = Array.from({ length: count }, (_, i) =>
      makeMessage(i + tag.length * 977, `<${tag}.${i}@special.test>`, { medianSize: 600, largeFraction: 0 }),
    );
    await appendMessages(pipe, mailbox, messages);
  } finally {
    await pipe.close();
  }
}

async function loadInto(server: Dovecot, mailbox: string, corpus: ReturnType<typeof makeCorpus>) {
  const pipe = await ImapPipe.open(server.tunnelCommand);
  try {
    await appendMessages(pipe, mailbox, corpus.mailboxes[0]!.messages);
  } finally {
    await pipe.close();
  }
}

async function highestModseq(server: Dovecot, mailbox = 'INBOX'): Promise<bigint> {
  const out = await server.doveadm(['mailbox', 'status', 'highestmodseq', mailbox]);
  return BigInt(/(\d+)/.exec(out)![1]!);
}

/** Moves the database's HIGHESTMODSEQ up to the servers', so a change made now goes unseen. */
async function hideChanges(pair: Pair): Promise<void> {
  const [l, r] = await Promise.all([highestModseq(pair.local), highestModseq(pair.remote)]);
  const store = StateStore.open(pair.dbPath, { create: false });
  try {
    store.checkpointModseq(store.findMailbox(Buffer.from('INBOX'))!.idx, l, r);
  } finally {
    store.close();
  }
}

describe('mailbox sync: special cases', { timeout: 120_000 }, () => {
  let pair: Pair;
  before(async () => {
    pair = await startPair();
  });
  after(async () => {
    await pair.stop();
  });

  test('initial sync from local only, then from remote only', async () => {
    for (const [from, name] of [
      ['local', 'FromLocal'],
      ['remote', 'FromRemote'],
    ] as const) {
      await Promise.all([createMailbox(pair.local, name), createMailbox(pair.remote, name)]);
      await append(pair[from], name, 12, name);
      const result = await runSync(pair, { mailbox: name });
      assert.equal(result.output.status, 'synced');
      const counts = result.output.counts;
      assert.equal(from === 'local' ? counts.toRemote.copied : counts.toLocal.copied, 12);
      assert.equal((await listUids(pair.local, name)).length, 12);
      assert.equal((await listUids(pair.remote, name)).length, 12);
      await assertQuietRerun(pair, name);
    }
    assert.deepEqual(await differences(pair), []);
  });

  test('large messages cross in both directions at once, streamed', async () => {
    const big = (seed: number) =>
      makeCorpus({
        seed,
        mailboxes: 1,
        messages: 40,
        medianSize: 600,
        largeFraction: 0,
        hugeMessages: [12 << 20, 6 << 20],
      });
    await Promise.all([createMailbox(pair.local, 'Big'), createMailbox(pair.remote, 'Big')]);
    const [toRemote, toLocal] = [big(31), big(32)];
    await Promise.all([loadInto(pair.local, 'Big', toRemote), loadInto(pair.remote, 'Big', toLocal)]);
    const result = await runSync(pair, { mailbox: 'Big' });
    assert.equal(result.output.status, 'synced', JSON.stringify(result.output));
    assert.equal(result.output.counts.toRemote.copied, 42);
    assert.equal(result.output.counts.toLocal.copied, 42);
    assert.deepEqual(await differences(pair), []);
  });

  test('mail delivered and flags changed during a sync are synced by that run or the next, once', async () => {
    await loadCorpus(pair.remote, small(20, 20));
    await runSync(pair);
    const synced = await listUids(pair.local);
    await loadCorpus(pair.local, small(21, 300));
    let delivering = true;
    let delivered = 0;
    const deliverer = (async () => {
      while (delivering) {
        const side = delivered % 2 === 0 ? pair.local : pair.remote;
        const uid = synced[delivered % synced.length]!.uid;
        await onServer(pair.local, [`UID STORE ${uid} +FLAGS ($During${delivered})`]);
        await append(side, 'INBOX', 1, `during${delivered++}`);
      }
    })();
    const first = await runSync(pair);
    delivering = false;
    await deliverer;
    assert.equal(first.output.status, 'synced');
    const second = await runSync(pair);
    assert.equal(second.output.status, 'synced');
    assert.deepEqual(await differences(pair), []);
    const local = await listUids(pair.local);
    assert.equal(local.length, synced.length + 300 + delivered);
    const flags = new Set(local.flatMap((m) => m.flags));
    for (let i = 0; i < delivered; i++) assert.ok(flags.has(`$During${i}`), `$During${i} lost`);
  });

  test('--repair fixes a lost mapping row, flags changed and a message expunged behind its back', async () => {
    const local = await listUids(pair.local);
    const remote = await listUids(pair.remote);
    const remoteOf = (id: string | null) => remote.find((m) => m.messageId === id)!.uid;
    const store = StateStore.open(pair.dbPath, { create: false });
    try {
      store.removeMappingsByLocal(store.findMailbox(Buffer.from('INBOX'))!.idx, [local[2]!.uid]);
    } finally {
      store.close();
    }
    await onServer(pair.local, [`UID STORE ${local[4]!.uid} FLAGS (\\Answered $Repair)`]);
    const gone = remoteOf(local[6]!.messageId);
    await expungeOn(pair.remote, [gone]);
    await hideChanges(pair);
    await runSync(pair);
    assert.equal((await differences(pair)).length, 2, 'a plain sync does not see these changes');

    const repair = await runSync(pair, { repair: true });
    assert.equal(repair.output.status, 'synced', JSON.stringify(repair.output));
    assert.ok(
      repair.warnings.some((w) => /disappeared; replicating again/.test(w)),
      repair.warnings.join('\n'),
    );
    assert.ok(
      repair.warnings.some((w) => /flags differ/.test(w)),
      repair.warnings.join('\n'),
    );
    assert.deepEqual(await differences(pair), []);
    assert.equal((await listUids(pair.remote)).length, local.length, 'no duplicate of the unmapped pair');
    await assertQuietRerun(pair);
  });

  test('a UIDVALIDITY change fails the mailbox with its kind', async () => {
    await pair.remote.doveadm(['mailbox', 'update', '--uid-validity', '12345', 'INBOX']);
    const result = await runSync(pair);
    assert.equal(result.output.status, 'failed');
    assert.equal(result.output.status === 'failed' && result.output.error.kind, 'uidvalidity-changed');
    assert.match(JSON.stringify(result.output), /UIDVALIDITY changed on remote/);
    assert.deepEqual(writes(result), []);
  });
});
