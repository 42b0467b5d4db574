// Round trips do not grow with the number of messages or flag lists: the same sync shape with
// ten times more flag changes, flag lists and expunges waits for the same number of replies
// (client write bursts counted by a delay proxy in front of each server).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type DelayProxy, startDelayProxy } from '../../bench/delay-proxy.js';
import { loadCorpus, makeCorpus } from '../helpers/corpus.js';
import { startDovecot } from '../helpers/dovecot.js';
import { makeScratchDir, removeScratchDir } from '../helpers/scratch.js';
import { type Endpoints, expungeOn, listUids, onServer, type Pair, runSync } from './harness.js';

describe('round trips', { timeout: 120_000 }, () => {
  let pair: Pair;
  let proxies: DelayProxy[];
  let endpoints: Endpoints;
  before(async () => {
    const [local, remote] = await Promise.all([startDovecot({ tcp: true }), startDovecot({ tcp: true })]);
    const dir = makeScratchDir('interimap-round-trips');
    pair = {
      local,
      remote,
      dbPath: `${dir}/state.db`,
      stop: async () => {
        await Promise.all([local.stop(), remote.stop()]);
        removeScratchDir(dir);
      },
    };
    proxies = await Promise.all(
      [local, remote].map((d) =>
        startDelayProxy({ targetHost: d.host, targetPort: d.imapPort!, delayMs: 25, burstGapMs: 10 }),
      ),
    );
    const tcp = (i: number) => ({ port: proxies[i]!.port, username: local.user, password: local.password });
    endpoints = {
      local: { tunnelCommand: local.tunnelCommand, tcp: tcp(0) },
      remote: { tunnelCommand: remote.tunnelCommand, tcp: tcp(1) },
      dbPath: pair.dbPath,
    };
    await loadCorpus(
      local,
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
