import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MAX_UID } from '../../src/protocol/sequence-set.js';
import { normalizeFlags } from '../../src/sync/flags.js';
import {
  type FullSyncInput,
  interruptedRows,
  type MessageState,
  planFullSync,
} from '../../src/sync/full-sync.js';
import { UidMapping } from '../../src/sync/mapping.js';

function messages(entries: Array<[number, string[], bigint?]>): Map<number, MessageState> {
  return new Map(entries.map(([uid, flags, modseq]) => [uid, { flags, modseq: modseq ?? 1n }]));
}

function base(over: Partial<FullSyncInput>): FullSyncInput {
  return {
    mailbox: 'INBOX',
    mapping: UidMapping.fromRows([]),
    local: new Map(),
    remote: new Map(),
    missing: 'replicate',
    ...over,
  };
}

describe('planFullSync', () => {
  test('empty mailbox: nothing to do', () => {
    const plan = planFullSync(base({}));
    assert.deepEqual(plan.anomalies, []);
    assert.deepEqual(plan.warnings, []);
  });

  test('consistent pairs are only listed as replicated (for the new-message skip list)', () => {
    const plan = planFullSync(
      base({
        mapping: UidMapping.fromRows([
          { localUid: 1, remoteUid: 5 },
          { localUid: MAX_UID, remoteUid: 6 },
        ]),
        local: messages([
          [1, ['\\Seen']],
          [MAX_UID, []],
        ]),
        remote: messages([
          [5, ['\\Seen', '\\Recent']],
          [6, []],
        ]),
      }),
    );
    assert.deepEqual(plan.anomalies, []);
    assert.deepEqual(plan.replicated, { local: [1, MAX_UID], remote: [5, 6] });
  });

  test('a mapping row whose messages are both gone is removed', () => {
    const plan = planFullSync(base({ mapping: UidMapping.fromRows([{ localUid: 1, remoteUid: 2 }]) }));
    assert.deepEqual(plan.deleteMappings, [1]);
    assert.deepEqual(plan.anomalies, [{ kind: 'dead-mapping', localUid: 1, remoteUid: 2 }]);
  });

  test('both reported VANISHED: removed without anomaly', () => {
    const plan = planFullSync(
      base({
        mapping: UidMapping.fromRows([{ localUid: 1, remoteUid: 2 }]),
        vanished: { local: [1], remote: [2] },
      }),
    );
    assert.deepEqual(plan.deleteMappings, [1]);
    assert.deepEqual(plan.anomalies, []);
  });

  const halfDead: Array<[string, Partial<FullSyncInput>, object, object]> = [
    [
      'repair: survivor replicated again (no mail lost)',
      { missing: 'replicate' },
      { replicate: { local: [], remote: [20] }, expunge: { local: [], remote: [] } },
      { action: 'replicate' },
    ],
    [
      'resume: the deletion is propagated',
      { missing: 'deleted' },
      { replicate: { local: [], remote: [] }, expunge: { local: [], remote: [20] } },
      { action: 'expunge' },
    ],
  ];
  for (const [name, over, expected, anomaly] of halfDead) {
    test(`mapping with its local message gone, ${name}`, () => {
      const plan = planFullSync(
        base({
          mapping: UidMapping.fromRows([{ localUid: 10, remoteUid: 20 }]),
          remote: messages([[20, []]]),
          ...over,
        }),
      );
      assert.deepEqual({ replicate: plan.replicate, expunge: plan.expunge }, expected);
      assert.deepEqual(plan.deleteMappings, [10]);
      assert.deepEqual(plan.anomalies, [
        { kind: 'half-dead-mapping', missingOn: 'local', localUid: 10, remoteUid: 20, ...anomaly },
      ]);
    });
  }

  test('a message reported VANISHED on one side is expunged on the other even when repairing', () => {
    const plan = planFullSync(
      base({
        mapping: UidMapping.fromRows([{ localUid: 10, remoteUid: 20 }]),
        local: messages([[10, []]]),
        vanished: { local: [], remote: [20] },
      }),
    );
    assert.deepEqual(plan.expunge, { local: [10], remote: [] });
    assert.deepEqual(plan.anomalies, []);
  });

  test('unmapped messages are replicated to the other side', () => {
    const plan = planFullSync(
      base({
        local: messages([
          [3, []],
          [1, []],
          [2, []],
        ]),
        remote: messages([[9, ['\\Seen']]]),
      }),
    );
    assert.deepEqual(plan.replicate, { local: [1, 2, 3], remote: [9] });
    assert.deepEqual(plan.warnings, [
      'INBOX: no mapping for 3 local UID(s) 1:3; replicating them.',
      'INBOX: no mapping for 1 remote UID(s) 9; replicating them.',
    ]);
  });

  describe('flags that differ', () => {
    const mapping = UidMapping.fromRows([{ localUid: 1, remoteUid: 2 }]);
    const synced = { local: 100n, remote: 2n ** 63n - 2n };
    const cases: Array<[string, bigint, bigint, string, string[][], string[][]]> = [
      ['only local changed: remote follows', 101n, 5n, 'local', [], [['\\Seen']]],
      [
        'only remote changed (MODSEQ 2^63-1): local follows',
        100n,
        2n ** 63n - 1n,
        'remote',
        [['\\Flagged']],
        [],
      ],
      [
        'both changed: union',
        101n,
        2n ** 63n - 1n,
        'union',
        [['\\Flagged', '\\Seen']],
        [['\\Flagged', '\\Seen']],
      ],
      [
        'neither changed (missed update): union',
        1n,
        1n,
        'union',
        [['\\Flagged', '\\Seen']],
        [['\\Flagged', '\\Seen']],
      ],
    ];
    for (const [name, lModseq, rModseq, resolution, localStores, remoteStores] of cases) {
      test(name, () => {
        const plan = planFullSync(
          base({
            mapping,
            synced,
            local: messages([[1, ['\\Seen'], lModseq]]),
            remote: messages([[2, ['\\Flagged'], rModseq]]),
          }),
        );
        assert.deepEqual(
          plan.stores.local.map((s) => s.flags),
          localStores,
        );
        assert.deepEqual(
          plan.stores.remote.map((s) => s.flags),
          remoteStores,
        );
        assert.equal(plan.anomalies[0]?.kind === 'flags-differ' && plan.anomalies[0].resolution, resolution);
      });
    }
    test('without a reliable HIGHESTMODSEQ every difference is a conflict', () => {
      const plan = planFullSync(
        base({ mapping, local: messages([[1, ['\\Seen']]]), remote: messages([[2, ['\\Flagged']]]) }),
      );
      assert.deepEqual(plan.stores.local, [{ flags: ['\\Flagged', '\\Seen'], uids: [1] }]);
      assert.match(
        plan.warnings[0]!,
        /flags differ for local UID 1 \(\\Seen\) and remote UID 2 \(\\Flagged\)/,
      );
    });
  });

  test('100,000 messages: linear planning', () => {
    const n = 100000;
    const rows = Array.from({ length: n }, (_, i) => ({ localUid: i + 1, remoteUid: i + 1 }));
    const all = messages(rows.map((r) => [r.localUid, ['\\Seen']]));
    const plan = planFullSync(base({ mapping: UidMapping.fromRows(rows), local: all, remote: all }));
    assert.equal(plan.replicated.local.length, n);
    assert.deepEqual(plan.anomalies, []);
  });
});

describe('interruptedRows', () => {
  test('pairs at or above either committed UIDNEXT', () => {
    const rows = [
      { localUid: 1, remoteUid: 1 },
      { localUid: 5, remoteUid: 3 },
      { localUid: 4, remoteUid: 9 },
      { localUid: MAX_UID, remoteUid: 2 },
    ];
    assert.deepEqual(interruptedRows(rows, { local: 5, remote: 9 }), rows.slice(1));
  });
});

describe('planFullSync: property', () => {
  const flagList = fc.subarray(['\\Seen', '\\Flagged', '$Work']);
  // one pair: flags on each side, or null when that copy is missing
  const pair = fc.tuple(fc.option(flagList), fc.option(flagList));
  const single = fc.tuple(fc.constantFrom<'local' | 'remote'>('local', 'remote'), flagList);

  test('after repair both sides hold the same messages and flags, and no message is lost', () => {
    fc.assert(
      fc.property(
        fc.array(pair, { maxLength: 30 }),
        fc.array(single, { maxLength: 10 }),
        (pairs, singles) => {
          const local = new Map<number, MessageState>();
          const remote = new Map<number, MessageState>();
          const rows = pairs.map((_, i) => ({ localUid: i + 1, remoteUid: 500 + i }));
          pairs.forEach(([l, r], i) => {
            if (l !== null) local.set(rows[i]!.localUid, { flags: l, modseq: 1n });
            if (r !== null) remote.set(rows[i]!.remoteUid, { flags: r, modseq: 1n });
          });
          for (const [i, [side, flags]] of singles.entries()) {
            (side === 'local' ? local : remote).set(2000 + i, { flags, modseq: 1n });
          }
          const before = { local: [...local.keys()], remote: [...remote.keys()] };
          const plan = planFullSync(base({ mapping: UidMapping.fromRows(rows), local, remote }));

          // apply: expunge, forget rows, store flags, replicate (new UID on the other side, new row)
          const sides = { local, remote };
          const mapping = new Map(rows.map((r) => [r.localUid, r.remoteUid]));
          for (const uid of plan.deleteMappings) mapping.delete(uid);
          for (const side of ['local', 'remote'] as const) {
            for (const uid of plan.expunge[side]) sides[side].delete(uid);
            for (const { flags, uids } of plan.stores[side]) {
              for (const uid of uids) sides[side].set(uid, { flags, modseq: 2n });
            }
          }
          let nextUid = 10000;
          for (const side of ['local', 'remote'] as const) {
            const target = side === 'local' ? remote : local;
            for (const uid of plan.replicate[side]) {
              const copy = nextUid++;
              target.set(copy, { flags: sides[side].get(uid)!.flags, modseq: 2n });
              mapping.set(side === 'local' ? uid : copy, side === 'local' ? copy : uid);
            }
          }
          assert.equal(plan.expunge.local.length + plan.expunge.remote.length, 0);
          assert.equal(mapping.size, local.size);
          assert.equal(local.size, remote.size);
          assert.ok(
            before.local.every((uid) => local.has(uid)) && before.remote.every((uid) => remote.has(uid)),
          );
          for (const [l, r] of mapping) {
            assert.deepEqual(normalizeFlags(local.get(l)!.flags), normalizeFlags(remote.get(r)!.flags));
          }
        },
      ),
    );
  });
});
