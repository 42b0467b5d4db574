// Unit checks of the runtime's small pure pieces: the QRESYNC seq-match sample and the tracker's
// telling our own echoed writes from other clients' changes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { seqMatchSample } from '../../src/sync/runtime/select.js';
import { SideTracker } from '../../src/sync/runtime/tracker.js';

/** What the store gives: the count and the highest UIDs, descending. */
const sample = (ascending: number[]) => seqMatchSample(ascending.length, [[...ascending].reverse()]);

describe('seqMatchSample', () => {
  test('pairs the highest UIDs with the highest sequence numbers', () => {
    assert.equal(sample([]), undefined);
    assert.deepEqual(sample([3, 4, 9, 10, 11]), {
      seqs: [[1, 5]],
      uids: [
        [3, 4],
        [9, 11],
      ],
    });
  });

  test('keeps at most 1024 UIDs and a short UID set', () => {
    const contiguous = Array.from({ length: 5000 }, (_, i) => i + 1);
    assert.deepEqual(sample(contiguous), { seqs: [[3977, 5000]], uids: [[3977, 5000]] });
    const sparse = Array.from({ length: 5000 }, (_, i) => 2 * i + 1);
    const sparseSample = sample(sparse)!;
    const picked = sparseSample.uids.length;
    assert.ok(picked > 5 && picked < 40, `${picked} UIDs`);
    assert.deepEqual(sparseSample.seqs, [[5000 - picked + 1, 5000]]);
    assert.deepEqual(sparseSample.uids.at(-1), [9999, 9999]);
  });
});

describe('SideTracker', () => {
  const fetch = (uid: number, modseq: bigint, flags?: string[]) =>
    ({
      kind: 'untagged',
      type: 'FETCH',
      seq: 1,
      attributes: { uid, modseq, ...(flags && { flags }) },
    }) as const;

  test('our own STORE echoed back is not a change, another client’s is', () => {
    const tracker = new SideTracker(10n);
    tracker.expectFlags(5, ['\\Seen']);
    tracker.absorb(fetch(5, 11n, ['\\Recent', '\\Seen']));
    tracker.absorb(fetch(6, 12n));
    assert.equal(tracker.pending, false);
    assert.equal(tracker.highestModseq, 12n);
    tracker.absorb(fetch(7, 13n, ['\\Flagged']));
    assert.deepEqual([...tracker.take().modified.keys()], [7]);
    assert.equal(tracker.pending, false);
  });

  test('VANISHED of our own expunges is not news; a vanished UID drops its flag update', () => {
    const tracker = new SideTracker(1n);
    tracker.expectExpunge([2, 3]);
    tracker.absorb(fetch(4, 5n, ['$X']));
    tracker.absorb({ kind: 'untagged', type: 'VANISHED', earlier: false, uids: [[2, 4]] });
    const taken = tracker.take();
    assert.deepEqual(taken.vanished, [4]);
    assert.deepEqual(
      [2, 3, 4].map((uid) => tracker.expunged(uid)),
      [true, true, false],
    );
    assert.equal(taken.modified.size, 0);
    tracker.absorb({ kind: 'untagged', type: 'OK', code: { name: 'HIGHESTMODSEQ', value: 40n }, text: '' });
    assert.equal(tracker.highestModseq, 40n);
  });

  test('EXISTS explained by our own APPENDs is no new mail; one more than that is', () => {
    const exists = (number: number) => ({ kind: 'untagged', type: 'EXISTS', number }) as const;
    const vanished = (first: number, last: number, earlier = false) =>
      ({ kind: 'untagged', type: 'VANISHED', earlier, uids: [[first, last]] as [number, number][] }) as const;
    const tracker = new SideTracker(1n);
    tracker.absorb(exists(7));
    assert.equal(tracker.sawExists, true, 'before the SELECT is known every EXISTS counts');
    tracker.sawExists = false;
    tracker.selected(10);
    tracker.absorb(vanished(1, 2, true)); // gone before the SELECT: the count stays 10
    tracker.absorb(vanished(3, 4)); // 8 left
    tracker.absorb(vanished(3, 4)); // the same response delivered twice
    tracker.expectAppends(5);
    tracker.absorb(exists(13));
    assert.equal(tracker.sawExists, false, '8 + our 5');
    tracker.absorb(exists(14));
    assert.equal(tracker.sawExists, true, 'one more than ours');
    tracker.sawExists = false;
    tracker.absorb(exists(14));
    assert.equal(tracker.sawExists, false, 'that arrival is now counted');
  });
});
