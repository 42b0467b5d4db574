// Incremental change plans: deterministic, disjoint where they must be, with conflicts; and applied to
// a real Dovecot they change exactly the planned messages.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { applyChanges, planChanges } from '../../bench/changes.js';
import {
  type CorpusMessage,
  corpusMessageCount,
  loadCorpus,
  makeCorpus,
  renderMessage,
} from '../helpers/corpus.js';
import { startDovecot } from '../helpers/dovecot.js';
import { snapshotServer } from '../helpers/mail-compare.js';

const corpus = makeCorpus({ seed: 21, messages: 400, largeFraction: 0 });

function ids(side: ReturnType<typeof planChanges>['local'], pick: 'flags' | 'expunge'): string[] {
  return [...side.values()].flatMap((c) => [...c[pick].keys()]);
}

describe('incremental changes', { timeout: 60_000 }, () => {
  test('plan: 1% each of flags, expunges and new mail per side, half the flag changes conflicting', () => {
    const plan = planChanges(corpus, 0.01);
    assert.deepEqual(planChanges(corpus, 0.01), plan);
    for (const side of [plan.local, plan.remote]) {
      assert.equal(ids(side, 'flags').length, 4);
      assert.equal(ids(side, 'expunge').length, 4);
      assert.equal([...side.values()].flatMap((c) => c.append).length, 4);
    }
    const localFlags = new Set(ids(plan.local, 'flags'));
    assert.equal(ids(plan.remote, 'flags').filter((id) => localFlags.has(id)).length, 2);
    const expunged = [...ids(plan.local, 'expunge'), ...ids(plan.remote, 'expunge')];
    const flagged = new Set([...localFlags, ...ids(plan.remote, 'flags')]);
    assert.equal(new Set(expunged).size, 8);
    assert.ok(expunged.every((id) => !flagged.has(id)));
  });

  test('applied to a server: planned flags set, planned messages gone, new ones added', async () => {
    const plan = planChanges(corpus, 0.01);
    const byId = new Map(corpus.mailboxes.flatMap((m) => m.messages.map((x) => [x.messageId, x] as const)));
    const hash = (m: CorpusMessage) => createHash('sha256').update(renderMessage(m)).digest('hex');
    const dovecot = await startDovecot();
    try {
      await loadCorpus(dovecot, corpus);
      await applyChanges(dovecot, plan.local);
      const after = await snapshotServer(dovecot);
      assert.equal([...after.values()].flat().length, corpusMessageCount(corpus));
      for (const [mailbox, change] of plan.local) {
        const found = new Map(after.get(mailbox)!.map((m) => [m.sha256, m.flags]));
        for (const [id, flags] of change.flags) assert.deepEqual(found.get(hash(byId.get(id)!)), flags);
        for (const id of change.expunge) assert.equal(found.has(hash(byId.get(id)!)), false);
        for (const message of change.append) assert.deepEqual(found.get(hash(message)), message.flags);
      }
    } finally {
      await dovecot.stop();
    }
  });
});
