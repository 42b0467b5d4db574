import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MAX_UID } from '../../src/protocol/sequence-set.js';
import { type FlagUpdate, planChanges, type SideChanges } from '../../src/sync/changes.js';
import { UidMapping } from '../../src/sync/mapping.js';

const MODSEQ_MAX = 2n ** 63n - 1n;

function side(vanished: number[], modified: Record<number, string[]> = {}, modseq = 10n): SideChanges {
  const map = new Map<number, FlagUpdate>();
  for (const [uid, flags] of Object.entries(modified)) map.set(Number(uid), { flags, modseq });
  return { vanished, modified: map };
}

// local 1..4 ⇄ remote 11..14, plus the top of the UID space
const mapping = UidMapping.fromRows([
  { localUid: 1, remoteUid: 11 },
  { localUid: 2, remoteUid: 12 },
  { localUid: 3, remoteUid: 13 },
  { localUid: 4, remoteUid: 14 },
  { localUid: MAX_UID, remoteUid: MAX_UID },
]);

describe('planChanges: expunges', () => {
  test('nothing reported, nothing to do', () => {
    const plan = planChanges({ mailbox: 'INBOX', mapping, local: side([]), remote: side([]) });
    assert.deepEqual(plan.expunge, { local: [], remote: [] });
    assert.deepEqual(plan.stores, { local: [], remote: [] });
    assert.deepEqual(plan.deleteMappings, []);
    assert.deepEqual(plan.warnings, []);
  });
  test('a vanished UID is expunged on the other side and its mapping row removed', () => {
    const plan = planChanges({ mailbox: 'INBOX', mapping, local: side([2, MAX_UID]), remote: side([13]) });
    assert.deepEqual(plan.expunge, { local: [3], remote: [12, MAX_UID] });
    assert.deepEqual(plan.deleteMappings, [2, 3, MAX_UID]);
  });
  test('a message gone on both sides is not expunged again', () => {
    const plan = planChanges({ mailbox: 'INBOX', mapping, local: side([1]), remote: side([11]) });
    assert.deepEqual(plan.expunge, { local: [], remote: [] });
    assert.deepEqual(plan.deleteMappings, [1]);
  });
  test('unmapped vanished UIDs are ignored and reported', () => {
    const plan = planChanges({ mailbox: 'INBOX', mapping, local: side([7, 8, 9]), remote: side([]) });
    assert.deepEqual(plan.unmapped.vanished.local, [7, 8, 9]);
    assert.deepEqual(plan.expunge, { local: [], remote: [] });
    assert.deepEqual(plan.warnings, ['INBOX: no mapping for 3 vanished local UID(s) 7:9; ignoring.']);
  });
  test('vanished UIDs at or above the synced UIDNEXT are dropped', () => {
    const synced = { local: { uidNext: 3, highestModSeq: 0n }, remote: { uidNext: 100, highestModSeq: 0n } };
    const plan = planChanges({ mailbox: 'm', mapping, local: side([2, 4]), remote: side([]), synced });
    assert.deepEqual(plan.expunge.remote, [12]);
  });
});

describe('planChanges: flags', () => {
  test('one STORE per distinct flag list, deterministic order, \\Recent never stored', () => {
    const plan = planChanges({
      mailbox: 'INBOX',
      mapping,
      local: side([], { 1: ['\\Seen', '\\Recent'], 2: ['\\Seen'], 3: ['$Work', '\\Seen'] }),
      remote: side([], { 14: [] }),
    });
    assert.deepEqual(plan.stores.remote, [
      { flags: ['$Work', '\\Seen'], uids: [13] },
      { flags: ['\\Seen'], uids: [11, 12] },
    ]);
    assert.deepEqual(plan.stores.local, [{ flags: [], uids: [4] }]);
    assert.deepEqual(plan.conflicts, []);
  });
  test('same change on both sides: nothing to send', () => {
    const plan = planChanges({
      mailbox: 'INBOX',
      mapping,
      local: side([], { 1: ['\\Seen', '\\Flagged'] }),
      remote: side([], { 11: ['\\Flagged', '\\Seen', '\\Recent'] }),
    });
    assert.deepEqual(plan.stores, { local: [], remote: [] });
  });
  test('different changes on both sides: union on both, with a warning', () => {
    const plan = planChanges({
      mailbox: 'Work',
      mapping,
      local: side([], { 2: ['\\Seen'] }),
      remote: side([], { 12: ['\\Flagged'] }),
    });
    assert.deepEqual(plan.stores.local, [{ flags: ['\\Flagged', '\\Seen'], uids: [2] }]);
    assert.deepEqual(plan.stores.remote, [{ flags: ['\\Flagged', '\\Seen'], uids: [12] }]);
    assert.equal(plan.conflicts.length, 1);
    assert.deepEqual(plan.warnings, [
      'Conflicting flag update in Work for local UID 2 (\\Seen) and remote UID 12 (\\Flagged); setting both to the union (\\Flagged \\Seen).',
    ]);
  });
  test('expunge on one side beats a flag change on the other', () => {
    const plan = planChanges({
      mailbox: 'INBOX',
      mapping,
      local: side([3]),
      remote: side([], { 13: ['\\Flagged'] }),
    });
    assert.deepEqual(plan.expunge.remote, [13]);
    assert.deepEqual(plan.stores, { local: [], remote: [] });
    assert.deepEqual(plan.expungeOverFlags, [{ expungedOn: 'local', localUid: 3, remoteUid: 13 }]);
    assert.equal(plan.warnings.length, 1);
  });
  test('a flag change on a UID vanished on the same side is stale', () => {
    const plan = planChanges({
      mailbox: 'INBOX',
      mapping,
      local: side([1], { 1: ['\\Seen'] }),
      remote: side([]),
    });
    assert.deepEqual(plan.stores, { local: [], remote: [] });
    assert.deepEqual(plan.expungeOverFlags, []);
  });
  test('unmapped modified UIDs are reported, not guessed', () => {
    const plan = planChanges({
      mailbox: 'INBOX',
      mapping,
      local: side([], { 99: ['\\Seen'] }),
      remote: side([]),
    });
    assert.deepEqual(plan.unmapped.modified.local, [99]);
    assert.match(plan.warnings[0]!, /no mapping for modified local UID\(s\) 99; run --repair/);
  });
  test('updates at or below the synced HIGHESTMODSEQ (up to 2^63-1) are already propagated', () => {
    const synced = {
      local: { uidNext: 100, highestModSeq: MODSEQ_MAX - 1n },
      remote: { uidNext: 100, highestModSeq: MODSEQ_MAX },
    };
    const plan = planChanges({
      mailbox: 'm',
      mapping,
      local: side([], { 1: ['\\Seen'] }, MODSEQ_MAX),
      remote: side([], { 12: ['\\Seen'] }, MODSEQ_MAX),
      synced,
    });
    assert.deepEqual(plan.stores.remote, [{ flags: ['\\Seen'], uids: [11] }]);
    assert.deepEqual(plan.stores.local, []);
  });
});

const withoutRecent = (flags: readonly string[]) => flags.filter((f) => f !== '\\Recent');

describe('planChanges: property', () => {
  const FLAGS = ['\\Seen', '\\Flagged', '\\Answered', '\\Recent', '$Work'];
  const flagList = fc.subarray(FLAGS);
  const change = fc.oneof(
    fc.constant<'expunge'>('expunge'),
    flagList.map((flags) => ({ flags })),
    fc.constant<'keep'>('keep'),
  );

  test('applying the plan makes both sides equal and loses only what one side expunged', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(flagList, change, change), { maxLength: 40 }), (messages) => {
        // message i: local UID i+1, remote UID 1000+2i, both initially with the same flags
        const local = new Map<number, string[]>();
        const remote = new Map<number, string[]>();
        const rows = messages.map((_, i) => ({ localUid: i + 1, remoteUid: 1000 + 2 * i }));
        const input = { local: side([]), remote: side([]) };
        messages.forEach(([flags, lChange, rChange], i) => {
          const { localUid, remoteUid } = rows[i]!;
          for (const [store, uid, ch, changes] of [
            [local, localUid, lChange, input.local],
            [remote, remoteUid, rChange, input.remote],
          ] as const) {
            // \Recent is per session: a server never reports it back as a stored flag
            if (ch === 'expunge') (changes.vanished as number[]).push(uid);
            else if (ch === 'keep') store.set(uid, withoutRecent(flags));
            else {
              store.set(uid, withoutRecent(ch.flags));
              (changes.modified as Map<number, FlagUpdate>).set(uid, { flags: ch.flags, modseq: 5n });
            }
          }
        });
        const map = UidMapping.fromRows(rows);
        const plan = planChanges({ mailbox: 'm', mapping: map, ...input });
        for (const uid of plan.expunge.local) local.delete(uid);
        for (const uid of plan.expunge.remote) remote.delete(uid);
        for (const { flags, uids } of plan.stores.local) for (const uid of uids) local.set(uid, flags);
        for (const { flags, uids } of plan.stores.remote) for (const uid of uids) remote.set(uid, flags);
        const deleted = new Set(plan.deleteMappings);
        messages.forEach(([, lChange, rChange], i) => {
          const { localUid, remoteUid } = rows[i]!;
          const expunged = lChange === 'expunge' || rChange === 'expunge';
          assert.equal(local.has(localUid), !expunged);
          assert.equal(remote.has(remoteUid), !expunged);
          assert.equal(deleted.has(localUid), expunged);
          if (!expunged) {
            const l = [...local.get(localUid)!].sort();
            const r = [...remote.get(remoteUid)!].sort();
            assert.deepEqual(l, r);
            assert.ok(!l.includes('\\Recent'));
          }
        });
      }),
    );
  });

  test('100,000 messages changed on both sides are planned in linear time', () => {
    const n = 100000;
    const rows = Array.from({ length: n }, (_, i) => ({ localUid: i + 1, remoteUid: i + 1 }));
    const modified = new Map<number, FlagUpdate>();
    for (let uid = 1; uid <= n; uid++) modified.set(uid, { flags: uid % 2 ? ['\\Seen'] : [], modseq: 2n });
    const plan = planChanges({
      mailbox: 'big',
      mapping: UidMapping.fromRows(rows),
      local: { vanished: [], modified },
      remote: { vanished: Array.from({ length: n / 2 }, (_, i) => 2 * i + 2), modified: new Map() },
    });
    assert.equal(plan.expunge.local.length, n / 2);
    assert.deepEqual(
      plan.stores.remote.map((s) => s.uids.length),
      [n / 2],
    );
  });
});
