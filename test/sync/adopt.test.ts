import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type AppendIntent, planAdoption, type TargetMessage } from '../../src/sync/adopt.js';

const DATE = Date.UTC(2024, 0, 2, 3, 4, 5);

function intent(sourceUid: number, over: Partial<AppendIntent> = {}): AppendIntent {
  return { sourceUid, size: 1000 + sourceUid, internalDate: DATE, sha256: `h${sourceUid}`, ...over };
}
function found(uid: number, like: AppendIntent, over: Partial<TargetMessage> = {}): TargetMessage {
  const { size, internalDate, sha256, messageId } = like;
  const m: TargetMessage = { uid, size, internalDate, ...over };
  if (sha256 !== undefined && !('sha256' in over)) m.sha256 = sha256;
  if (messageId !== undefined && !('messageId' in over)) m.messageId = messageId;
  return m;
}

describe('planAdoption', () => {
  test('nothing pending, nothing found', () => {
    assert.deepEqual(planAdoption([], []), { adopt: [], append: [], ambiguous: [], unexplained: [] });
  });

  test('copies that landed are adopted, the others still appended, strangers left alone', () => {
    const [a, b, c] = [intent(1), intent(2), intent(3)];
    const stranger: TargetMessage = { uid: 52, size: 5, internalDate: DATE, sha256: 'zz' };
    const plan = planAdoption([a!, b!, c!], [found(50, a!), stranger, found(51, c!)]);
    assert.deepEqual(plan.adopt, [
      { intent: a, targetUid: 50 },
      { intent: c, targetUid: 51 },
    ]);
    assert.deepEqual(plan.append, [b]);
    assert.deepEqual(plan.unexplained, [stranger]);
  });

  const mismatches: Array<[string, Partial<TargetMessage>]> = [
    ['size differs', { size: 1 }],
    ['INTERNALDATE differs', { internalDate: DATE + 1000 }],
    ['content hash differs even with the same Message-ID', { sha256: 'other' }],
  ];
  for (const [name, over] of mismatches) {
    test(`no adoption when ${name}`, () => {
      const i = intent(1, { messageId: '<m@x>' });
      const plan = planAdoption([i], [found(9, i, over)]);
      assert.deepEqual(plan.adopt, []);
      assert.deepEqual(plan.append, [i]);
    });
  }

  test('Message-ID is used when no content hash is available on both sides', () => {
    const i = intent(1, { messageId: '<m@x>' });
    const plan = planAdoption([i], [found(9, i, { sha256: undefined })]);
    assert.deepEqual(plan.adopt, [{ intent: i, targetUid: 9 }]);
  });

  test('size and date alone never adopt', () => {
    const i = intent(1, { sha256: undefined });
    const plan = planAdoption([i], [found(9, i)]);
    assert.deepEqual(plan.adopt, []);
    assert.deepEqual(
      plan.unexplained.map((m) => m.uid),
      [9],
    );
  });

  test('ambiguous Message-ID matches are reported, not guessed', () => {
    const i1 = intent(1, { sha256: undefined, messageId: '<same@x>', size: 10 });
    const i2 = intent(2, { sha256: undefined, messageId: '<same@x>', size: 10 });
    const plan = planAdoption([i1, i2], [found(7, i1)]);
    assert.deepEqual(plan.adopt, []);
    assert.deepEqual(plan.append, []);
    assert.equal(plan.ambiguous.length, 1);
    assert.deepEqual(plan.ambiguous[0]!.intents, [i1, i2]);
    assert.deepEqual(
      plan.ambiguous[0]!.candidates.map((m) => m.uid),
      [7],
    );
  });

  test('identical content (same SHA-256) is interchangeable: paired in UID order, the rest appended', () => {
    const i1 = intent(4, { sha256: 'dup', size: 10 });
    const i2 = intent(2, { sha256: 'dup', size: 10 });
    const plan = planAdoption([i1, i2], [found(8, i1)]);
    assert.deepEqual(plan.adopt, [{ intent: i2, targetUid: 8 }]);
    assert.deepEqual(plan.append, [i1]);
    assert.deepEqual(plan.ambiguous, []);
  });

  test('duplicate identifiers are rejected', () => {
    assert.throws(() => planAdoption([intent(1), intent(1)], []), /intent source UID 1 occurs twice/);
  });

  test('many pending intents: linear matching', () => {
    const intents = Array.from({ length: 50000 }, (_, i) => intent(i + 1));
    const plan = planAdoption(
      intents,
      intents.filter((i) => i.sourceUid % 2 === 0).map((i) => found(i.sourceUid + 100000, i)),
    );
    assert.equal(plan.adopt.length, 25000);
    assert.equal(plan.append.length, 25000);
  });
});
