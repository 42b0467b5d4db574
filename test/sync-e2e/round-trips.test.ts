// Round trips do not grow with the number of messages or flag lists: the same sync shape with
// ten times more flag changes, flag lists and expunges waits for the same number of replies
// (client write bursts counted by a delay proxy in front of each server). And the first listing
// of new messages costs none of its own: it leaves in the same write as the SELECT; nor does the
// FETCH of their bodies: it leaves behind the expunges, before their reply. A copy of one small
// APPEND to a distant server leaves with the expunges and flag updates, before their replies.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type DelayProxy, startDelayProxy } from '../../bench/delay-proxy.js';
import { appendMessages, loadCorpus, makeCorpus } from '../helpers/corpus.js';
import { startDovecot } from '../helpers/dovecot.js';
import { ImapPipe } from '../helpers/imap-pipe.js';
import { type RecordingRelay, startRecordingRelay } from '../helpers/recording-relay.js';
import { makeScratchDir, removeScratchDir } from '../helpers/scratch.js';
import { type Endpoints, expungeOn, listUids, onServer, type Pair, runSync } from './harness.js';

/**
 * Two Dovecots reached over TCP through a relay each (`relayTo` starts it), and the endpoints of
 * that pair through the relays.
 */
async function relayedPair<R extends { port: number }>(
  name: string,
  relayTo: (host: string, port: number, side: 'local' | 'remote') => Promise<R>,
): Promise<{ pair: Pair; relays: R[]; endpoints: Endpoints }> {
  const [local, remote] = await Promise.all([startDovecot({ tcp: true }), startDovecot({ tcp: true })]);
  const dir = makeScratchDir(name);
  const pair = {
    local,
    remote,
    dbPath: `${dir}/state.db`,
    stop: async () => {
      await Promise.all([local.stop(), remote.stop()]);
      removeScratchDir(dir);
    },
  };
  const relays = await Promise.all([
    relayTo(local.host, local.imapPort!, 'local'),
    relayTo(remote.host, remote.imapPort!, 'remote'),
  ]);
  const tcp = (i: number) => ({ port: relays[i]!.port, username: local.user, password: local.password });
  const endpoints = {
    local: { tunnelCommand: local.tunnelCommand, tcp: tcp(0) },
    remote: { tunnelCommand: remote.tunnelCommand, tcp: tcp(1) },
    dbPath: pair.dbPath,
  };
  return { pair, relays, endpoints };
}

describe('round trips', { timeout: 120_000 }, () => {
  let pair: Pair;
  let proxies: DelayProxy[];
  let endpoints: Endpoints;
  before(async () => {
    ({
      pair,
      relays: proxies,
      endpoints,
    } = await relayedPair('interimap-round-trips', (host, port) =>
      startDelayProxy({ targetHost: host, targetPort: port, delayMs: 25, burstGapMs: 10 }),
    ));
    await loadCorpus(
      pair.local,
      makeCorpus({ seed: 41, mailboxes: 1, messages: 400, medianSize: 400, largeFraction: 0 }),
    );
    await runSync(endpoints);
  });
  after(async () => {
    await Promise.all(proxies.map((p) => p.close()));
    await pair.stop();
  });

  /** Flag changes over `lists` flag lists on `perList` messages of each side, `expunges` per side. */
  async function changeAndCount(lists: number, perList: number, expunges: number): Promise<number> {
    for (const [side, offset] of [
      ['local', 0],
      ['remote', 200],
    ] as const) {
      const uids = (await listUids(pair[side])).map((m) => m.uid).slice(offset);
      const stores = Array.from({ length: lists }, (_, l) => {
        const set = uids.slice(l * perList, (l + 1) * perList).join(',');
        return `UID STORE ${set} FLAGS ($${side}${lists}x${l})`;
      });
      await onServer(pair[side], stores);
      await expungeOn(pair[side], uids.slice(150, 150 + expunges));
    }
    for (const p of proxies) p.resetCounters();
    const result = await runSync(endpoints);
    assert.equal(result.output.status, 'synced');
    return proxies.reduce((n, p) => n + p.bursts(), 0);
  }

  test('ten times more flag lists, messages and expunges: no more round trips', async () => {
    const few = await changeAndCount(2, 2, 1);
    const many = await changeAndCount(20, 6, 10);
    assert.ok(many <= few, `${many} round trips for the large change set, ${few} for the small one`);
  });
});

describe('the first listing of new messages', { timeout: 120_000 }, () => {
  let pair: Pair;
  let relays: RecordingRelay[];
  let endpoints: Endpoints;
  before(async () => {
    ({ pair, relays, endpoints } = await relayedPair('interimap-select-listing', startRecordingRelay));
    await loadCorpus(pair.local, makeCorpus({ seed: 7, mailboxes: 1, messages: 20, largeFraction: 0 }));
    await runSync(endpoints);
  });
  after(async () => {
    await Promise.all(relays.map((r) => r.close()));
    await pair.stop();
  });

  test('goes out with the SELECT, the bodies behind the expunges, the MODSEQ re-read with the APPEND', async () => {
    for (const [side, seed, expunged] of [
      ['local', 8, 0],
      ['remote', 9, 1],
    ] as const) {
      const pipe = await ImapPipe.open(pair[side].tunnelCommand);
      const extra = makeCorpus({ seed, mailboxes: 1, messages: 3, largeFraction: 0 });
      await appendMessages(pipe, 'INBOX', extra.mailboxes[0]!.messages);
      await pipe.close();
      // One of the synced messages goes on each side: the other side gets a UID EXPUNGE.
      await expungeOn(pair[side], [(await listUids(pair[side]))[expunged]!.uid]);
    }
    for (const relay of relays) {
      relay.chunks.length = 0;
      relay.both.length = 0;
    }
    const result = await runSync(endpoints);
    assert.equal(result.output.status, 'synced');
    for (const [i, relay] of relays.entries()) {
      // The MODSEQ re-read after our APPEND goes out before the APPEND's reply comes back.
      const reread = relay.both.findIndex((c) => c.from === 'client' && /CHANGEDSINCE/.test(c.text));
      const appended = relay.both.findIndex((c) => c.from === 'server' && /APPENDUID/.test(c.text));
      assert.ok(reread >= 0 && appended >= 0, `server ${i}: no re-read or no APPEND`);
      assert.ok(reread < appended, `server ${i}: the re-read waited for the APPEND's reply`);
      // The bodies of the new messages are asked for before the expunge's reply comes back.
      const expunge = /(\S+) UID EXPUNGE /.exec(
        relay.both.find((c) => c.from === 'client' && / UID EXPUNGE /.test(c.text))?.text ?? '',
      );
      assert.ok(expunge, `server ${i}: no UID EXPUNGE`);
      const expunged = relay.both.findIndex(
        (c) => c.from === 'server' && c.text.includes(`${expunge[1]} OK`),
      );
      const bodies = relay.both.findIndex(
        (c) => c.from === 'client' && /UID FETCH \S+ \(UID BODY\.PEEK\[\]\)/.test(c.text),
      );
      assert.ok(bodies >= 0 && expunged >= 0, `server ${i}: no body FETCH or no expunge reply`);
      assert.ok(bodies < expunged, `server ${i}: the body FETCH waited for the expunge's reply`);
      const select = relay.chunks.find((c) => / SELECT "?INBOX"? /.test(c));
      assert.ok(select, `server ${i}: no SELECT written`);
      assert.match(
        select,
        / SELECT "?INBOX"? \(QRESYNC [^\r]*\r\n\S+ UID FETCH \d+:4294967295 \(UID MODSEQ FLAGS INTERNALDATE RFC822\.SIZE\)\r\n/,
      );
    }
    const [local, remote] = await Promise.all([listUids(pair.local), listUids(pair.remote)]);
    assert.equal(local.length, 24);
    assert.equal(remote.length, 24);
  });
});

describe('a small copy to a distant server', { timeout: 120_000 }, () => {
  // The remote is 2 × 150 ms away behind a delay proxy, with a recording relay in front of the
  // proxy: the relay sees what the client sent before which reply had reached it.
  let pair: Pair;
  let relays: RecordingRelay[];
  let delays: DelayProxy[] = [];
  let endpoints: Endpoints;
  before(async () => {
    ({ pair, relays, endpoints } = await relayedPair('interimap-early-copy', async (host, port, side) => {
      if (side === 'local') return startRecordingRelay(host, port);
      const delay = await startDelayProxy({ targetHost: host, targetPort: port, delayMs: 150 });
      delays = [delay];
      return startRecordingRelay('127.0.0.1', delay.port);
    }));
    await loadCorpus(pair.local, makeCorpus({ seed: 11, mailboxes: 1, messages: 20, largeFraction: 0 }));
    await runSync(endpoints);
  });
  after(async () => {
    await Promise.all([...relays, ...delays].map((r) => r.close()));
    await pair.stop();
  });

  test('goes out with the expunges and flag updates, and the re-reads with it', async () => {
    // New mail, an expunge and a flag change on each side.
    for (const [side, seed, expunged, flagged] of [
      ['local', 12, 0, 5],
      ['remote', 13, 1, 6],
    ] as const) {
      const pipe = await ImapPipe.open(pair[side].tunnelCommand);
      const extra = makeCorpus({ seed, mailboxes: 1, messages: 3, largeFraction: 0 });
      await appendMessages(pipe, 'INBOX', extra.mailboxes[0]!.messages);
      await pipe.close();
      const uids = await listUids(pair[side]);
      await onServer(pair[side], [`UID STORE ${uids[flagged]!.uid} +FLAGS ($${side})`]);
      await expungeOn(pair[side], [uids[expunged]!.uid]);
    }
    const remote = relays[1]!;
    remote.both.length = 0;
    const result = await runSync(endpoints);
    assert.equal(result.output.status, 'synced');

    const sent = (pattern: RegExp) =>
      remote.both.findIndex((c) => c.from === 'client' && pattern.test(c.text));
    const tagOf = (pattern: RegExp) => {
      const chunk = remote.both.find((c) => c.from === 'client' && pattern.test(c.text))?.text ?? '';
      const line = chunk.split('\r\n').find((l) => pattern.test(l)) ?? '';
      return line.split(' ')[0]!;
    };
    const answered = (tag: string) =>
      remote.both.findIndex((c) => c.from === 'server' && c.text.includes(`\r\n${tag} OK`));
    const expunge = tagOf(/ UID EXPUNGE /);
    const flags = tagOf(/ UID STORE \d+ \(UNCHANGEDSINCE/);
    const bodies = tagOf(/ UID FETCH \S+ \(UID BODY\.PEEK\[\]\)/);
    for (const [what, tag] of Object.entries({ expunge, flags, bodies })) {
      assert.ok(answered(tag) >= 0, `no reply to the ${what} command (${tag}) seen`);
    }
    const append = sent(/ APPEND INBOX /);
    assert.ok(append >= 0, 'no APPEND to the remote');
    // The local bodies arrive long before the remote's replies: the APPEND does not wait for them.
    assert.ok(append < answered(expunge), "the APPEND waited for the expunge's reply");
    assert.ok(append < answered(flags), "the APPEND waited for the flag update's reply");
    // Both MODSEQ re-reads (behind the body FETCH, behind the APPEND) leave before any reply.
    const rereads = remote.both.flatMap((c, k) =>
      c.from === 'client' && /CHANGEDSINCE/.test(c.text) ? [k] : [],
    );
    assert.ok(rereads.length >= 1, 'no MODSEQ re-read');
    for (const k of rereads) assert.ok(k < answered(bodies), "a re-read waited for the body FETCH's reply");

    const [local, remoteUids] = await Promise.all([listUids(pair.local), listUids(pair.remote)]);
    assert.equal(local.length, 24);
    assert.deepEqual(
      remoteUids.map((m) => m.flags.join(' ')).sort(),
      local.map((m) => m.flags.join(' ')).sort(),
    );
  });
});
