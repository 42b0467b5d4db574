// A copy that fails before its APPEND: the remote's listing is made to lie about a new message's
// size (a relay rewrites RFC822.SIZE), so its body arrives with another length. The copy of such
// a small batch starts with the expunges (src/sync/runtime/new-mail.ts), so its failure must
// reach the mailbox's result through the flag step, leave no journal entry and no partial copy
// behind, and let the other direction's copy finish; the next honest run copies the rest, once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { StateStore } from '../../src/store/index.js';
import { appendMessages, loadCorpus, makeCorpus } from '../helpers/corpus.js';
import { type Dovecot, startDovecot } from '../helpers/dovecot.js';
import { ImapPipe } from '../helpers/imap-pipe.js';
import { makeScratchDir, removeScratchDir } from '../helpers/scratch.js';
import { startTcpRelay } from '../helpers/tcp-relay.js';
import { assertQuietRerun, type Endpoints, listUids, runSync } from './harness.js';

interface LyingRelay {
  port: number;
  /** While true, every RFC822.SIZE the server sends is reported one byte larger. */
  lying: boolean;
  close(): Promise<void>;
}

/** A TCP relay to `port` that rewrites the server's RFC822.SIZE items, whole lines at a time. */
async function startLyingRelay(port: number): Promise<LyingRelay> {
  const state = { lying: false };
  const relay = await startTcpRelay('127.0.0.1', port, (client, upstream) => {
    client.pipe(upstream);
    let partial = '';
    upstream.on('data', (chunk: Buffer) => {
      const text = partial + chunk.toString('latin1');
      const end = text.lastIndexOf('\r\n') + 2;
      partial = text.slice(end);
      const lines = text.slice(0, end);
      const out = state.lying
        ? lines.replace(/RFC822\.SIZE (\d+)/g, (_, size: string) => `RFC822.SIZE ${Number(size) + 1}`)
        : lines;
      client.write(Buffer.from(out, 'latin1'));
    });
    upstream.on('end', () => client.end());
  });
  return Object.assign(state, relay);
}

async function appendTo(server: Dovecot, seed: number, count: number): Promise<void> {
  const pipe = await ImapPipe.open(server.tunnelCommand);
  try {
    const corpus = makeCorpus({ seed, mailboxes: 1, messages: count, largeFraction: 0 });
    await appendMessages(pipe, 'INBOX', corpus.mailboxes[0]!.messages);
  } finally {
    await pipe.close();
  }
}

describe('a copy whose source lies about a size', { timeout: 120_000 }, () => {
  let local: Dovecot;
  let remote: Dovecot;
  let relay: LyingRelay;
  let dir: string;
  let endpoints: Endpoints;
  before(async () => {
    [local, remote] = await Promise.all([startDovecot(), startDovecot({ tcp: true })]);
    relay = await startLyingRelay(remote.imapPort!);
    dir = makeScratchDir('interimap-copy-faults');
    endpoints = {
      local: { tunnelCommand: local.tunnelCommand },
      remote: {
        tunnelCommand: remote.tunnelCommand,
        tcp: { port: relay.port, username: remote.user, password: remote.password },
      },
      dbPath: `${dir}/state.db`,
    };
    await loadCorpus(local, makeCorpus({ seed: 21, mailboxes: 1, messages: 20, largeFraction: 0 }));
    assert.equal((await runSync(endpoints)).output.status, 'synced');
  });
  after(async () => {
    await relay.close();
    await Promise.all([local.stop(), remote.stop()]);
    removeScratchDir(dir);
  });

  test('fails the mailbox with nothing half done, and the next run copies the rest once', async () => {
    await appendTo(remote, 22, 3);
    await appendTo(local, 23, 2);

    relay.lying = true;
    const failed = await runSync(endpoints);
    relay.lying = false;
    assert.ok(failed.output.status === 'failed', `status ${failed.output.status}`);
    assert.equal(failed.output.error.kind, 'server');
    assert.match(
      failed.output.error.message,
      /remote UID \d+: BODY\[\] is \d+ bytes but RFC822\.SIZE said \d+/,
    );
    // None of the remote's new messages reached the local server, and no append is left pending.
    assert.equal((await listUids(local)).length, 22);
    const store = StateStore.open(endpoints.dbPath, { create: false });
    try {
      const idx = store.findMailbox(Buffer.from('INBOX'))!.idx;
      assert.deepEqual(store.pendingAppendIntents(idx), []);
    } finally {
      store.close();
    }

    const rerun = await runSync(endpoints);
    assert.equal(rerun.output.status, 'synced');
    const [l, r] = await Promise.all([listUids(local), listUids(remote)]);
    assert.equal(l.length, 25);
    assert.equal(r.length, 25);
    const ids = (list: typeof l) => list.map((m) => m.messageId).sort();
    assert.deepEqual(ids(l), ids(r));
    assert.equal(new Set(ids(l)).size, 25, 'a message was copied twice');
    await assertQuietRerun(endpoints);
  });
});
