// The mailbox sync chart driven by fake step actors: traces of state values per scenario, the
// counts it adds up, and errors carried as data to the failed state.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createActor, toPromise } from 'xstate';
import type {
  AppendOutcome,
  MailboxActorContracts,
  MailboxSyncInput,
  PropagationOutcome,
  SelectOutcome,
} from '../../machines/contracts.js';
import { mailboxSyncMachine } from '../../machines/mailbox-sync.js';
import { deferred, fakeActors, scripted, startTraced } from './fakes.js';
import { type Stimuli, unlabelledStates, unreachedStates } from './graph.js';

const input: MailboxSyncInput = { mailbox: 'INBOX', lane: 0, repair: false, slot: 0 };

const selected: SelectOutcome = {
  local: { uidValidity: 1, uidNext: 10, highestModseq: 100n, exists: 9 },
  remote: { uidValidity: 7, uidNext: 20, highestModseq: 2n ** 62n, exists: 19 },
  uidValidityChanged: [],
  interrupted: false,
};
const quiet: PropagationOutcome = { counts: {}, pendingUpdates: false };
const caughtUp: AppendOutcome = { counts: {}, pendingUpdates: false, newMessages: false };

type Impls = Parameters<typeof fakeActors<MailboxActorContracts>>[0];

/** Runs the chart with the default quiet fakes, some replaced; returns trace, output and calls. */
async function run(overrides: Partial<Impls> = {}, runInput: MailboxSyncInput = input) {
  const calls: string[] = [];
  const inputs: unknown[] = [];
  const impls: Impls = {
    selectMailbox: (i) => {
      inputs.push(i);
      return selected;
    },
    fullSync: (i) => {
      inputs.push(i);
      return { counts: {} };
    },
    propagateExpunges: () => ({ counts: {} }),
    propagateFlags: () => quiet,
    checkpointModseq: () => undefined,
    appendNew: () => caughtUp,
    checkpointUidnext: () => undefined,
    ...overrides,
  };
  const machine = mailboxSyncMachine.provide({ actors: fakeActors<MailboxActorContracts>(impls, calls) });
  const { actor, trace, errors } = startTraced(machine, runInput);
  const output = await toPromise(actor);
  assert.deepEqual(errors, []);
  return { trace, output, calls, inputs, actor };
}

const happyTrace = [
  'selecting',
  'propagatingExpunges',
  'propagatingFlags',
  'checkpointingModseq',
  'appendingNew',
  'checkpointingUidnext',
  'done',
];
/** Spec step 2, expunges then flags. */
const step2 = ['propagatingExpunges', 'propagatingFlags'];

describe('mailbox sync chart', { timeout: 10_000 }, () => {
  test('happy path walks every QRESYNC step once and sums the counts per direction', async () => {
    const { trace, output, calls, inputs } = await run({
      propagateExpunges: () => ({ counts: { toLocal: { expunged: 2 }, toRemote: { expunged: 1 } } }),
      propagateFlags: () => ({
        counts: { toRemote: { flagsUpdated: 3 }, conflicts: 1 },
        pendingUpdates: false,
      }),
      appendNew: () => ({
        counts: { toLocal: { copied: 4 }, toRemote: { copied: 5 } },
        pendingUpdates: false,
        newMessages: false,
      }),
    });
    assert.deepEqual(trace, happyTrace);
    assert.deepEqual(calls, [
      'selectMailbox',
      'propagateExpunges',
      'propagateFlags',
      'checkpointModseq',
      'appendNew',
      'checkpointUidnext',
    ]);
    assert.deepEqual(inputs, [input]);
    assert.deepEqual(output, {
      mailbox: 'INBOX',
      status: 'synced',
      counts: {
        toLocal: { copied: 4, flagsUpdated: 0, expunged: 2 },
        toRemote: { copied: 5, flagsUpdated: 3, expunged: 1 },
        conflicts: 1,
      },
    });
  });

  test('propagation repeats while the servers keep reporting updates, then checkpoints', async () => {
    const flags = scripted<PropagationOutcome>(
      { counts: { toLocal: { flagsUpdated: 1 } }, pendingUpdates: true },
      { counts: { toLocal: { flagsUpdated: 1 } }, pendingUpdates: true },
      { counts: { toLocal: { flagsUpdated: 1 } }, pendingUpdates: false },
    );
    const { trace, output } = await run({ propagateFlags: flags });
    assert.deepEqual(trace, ['selecting', ...step2, ...step2, ...happyTrace.slice(1)]);
    assert.equal(output.counts.toLocal.flagsUpdated, 3);
  });

  test('copying repeats while new messages arrive; updates meanwhile send it back to step 2', async () => {
    const append = scripted<AppendOutcome>(
      { counts: { toRemote: { copied: 1 } }, pendingUpdates: false, newMessages: true },
      { counts: { toRemote: { copied: 1 } }, pendingUpdates: true, newMessages: false },
      caughtUp,
    );
    const { trace, output } = await run({ appendNew: append });
    assert.deepEqual(trace, [
      ...happyTrace.slice(0, 5),
      'appendingNew',
      'checkpointingUidnext',
      ...happyTrace.slice(1),
    ]);
    assert.equal(output.counts.toRemote.copied, 2);
  });

  test('a changed UIDVALIDITY fails the mailbox with that kind, before any other step', async () => {
    const { trace, output, calls } = await run({
      selectMailbox: () => ({ ...selected, uidValidityChanged: ['remote'] }),
    });
    assert.deepEqual(trace, ['selecting', 'failed']);
    assert.deepEqual(calls, ['selectMailbox']);
    assert.equal(output.status, 'failed');
    assert.ok(output.status === 'failed');
    assert.equal(output.error.kind, 'uidvalidity-changed');
    assert.equal(output.error.mailbox, 'INBOX');
    assert.match(output.error.message, /remote/);
  });

  test('a rejecting step fails the mailbox with the error as data, keeping the counts so far', async () => {
    const { trace, output } = await run({
      propagateExpunges: () => ({ counts: { toLocal: { expunged: 1 } } }),
      propagateFlags: () => Promise.reject({ kind: 'server', message: 'UID STORE: NO [OVERQUOTA]' }),
    });
    assert.deepEqual(trace, ['selecting', 'propagatingExpunges', 'propagatingFlags', 'failed']);
    assert.equal(output.status, 'failed');
    assert.ok(output.status === 'failed');
    assert.deepEqual(output.error, {
      kind: 'server',
      message: 'UID STORE: NO [OVERQUOTA]',
      mailbox: 'INBOX',
    });
    assert.equal(output.counts.toLocal.expunged, 1);
  });

  test('an unexpected exception becomes an internal error, never an actor crash', async () => {
    const { output } = await run({
      checkpointUidnext: () => {
        throw new TypeError('x is undefined');
      },
    });
    assert.ok(output.status === 'failed');
    assert.deepEqual(output.error, {
      kind: 'internal',
      message: 'TypeError: x is undefined',
      mailbox: 'INBOX',
    });
  });

  test('a runtime that forgot an actor gets a failed mailbox naming it', async () => {
    const output = await toPromise(createActor(mailboxSyncMachine, { input }).start());
    assert.ok(output.status === 'failed');
    assert.equal(output.error.kind, 'internal');
    assert.match(output.error.message, /selectMailbox/);
  });

  test('an interrupted previous run is resumed by a full sync of those messages first', async () => {
    const { trace, inputs } = await run({
      selectMailbox: () => ({ ...selected, interrupted: true }),
      fullSync: (i) => {
        assert.deepEqual(i, { mailbox: 'INBOX', lane: 0, scope: 'interrupted' });
        return { counts: {} };
      },
    });
    assert.deepEqual(trace, ['selecting', 'resuming', ...happyTrace.slice(1)]);
    assert.deepEqual(inputs, []);
  });

  test('repair mode replaces the QRESYNC propagation by a full sync of the whole mailbox', async () => {
    const repairInput = { ...input, lane: 1, repair: true };
    const { trace, inputs, calls } = await run({}, repairInput);
    assert.deepEqual(trace, [
      'selecting',
      'repairing',
      'checkpointingModseq',
      'appendingNew',
      'checkpointingUidnext',
      'done',
    ]);
    assert.deepEqual(inputs, [repairInput, { mailbox: 'INBOX', lane: 1, scope: 'mailbox' }]);
    assert.ok(!calls.includes('propagateFlags'));
  });

  test('a stop request finishes the current step and stops at the next checkpoint', async () => {
    const flagsStarted = deferred();
    const release = deferred<PropagationOutcome>();
    const calls: string[] = [];
    const machine = mailboxSyncMachine.provide({
      actors: fakeActors<MailboxActorContracts>(
        {
          selectMailbox: () => selected,
          fullSync: () => ({ counts: {} }),
          propagateExpunges: () => ({ counts: {} }),
          propagateFlags: () => {
            flagsStarted.resolve();
            return release.promise;
          },
          checkpointModseq: () => undefined,
          appendNew: () => caughtUp,
          checkpointUidnext: () => undefined,
        },
        calls,
      ),
    });
    const { actor, trace } = startTraced(machine, input);
    await flagsStarted.promise;
    actor.send({ type: 'mailbox.stop' });
    release.resolve({ counts: { toRemote: { flagsUpdated: 2 } }, pendingUpdates: false });
    const output = await toPromise(actor);
    assert.deepEqual(trace, [
      'selecting',
      'propagatingExpunges',
      'propagatingFlags',
      'checkpointingModseq',
      'stopped',
    ]);
    assert.ok(!calls.includes('appendNew'));
    assert.equal(output.status, 'stopped');
    assert.equal(output.counts.toRemote.flagsUpdated, 2);
  });

  test('every state is reachable (xstate/graph shortest paths over all step outcomes)', () => {
    const stimuli: Stimuli = {
      outputs: {
        selectMailbox: [
          selected,
          { ...selected, uidValidityChanged: ['local'] },
          { ...selected, interrupted: true },
        ],
        propagateFlags: [quiet, { ...quiet, pendingUpdates: true }],
        appendNew: [caughtUp, { ...caughtUp, newMessages: true }, { ...caughtUp, pendingUpdates: true }],
        fullSync: [{ counts: {} }],
        propagateExpunges: [{ counts: {} }],
      },
      errors: [{ kind: 'server', message: 'NO' }],
      external: [{ type: 'mailbox.stop' }],
      key: (s) => [s.context.stopRequested, s.context.pendingUpdates],
    };
    const inputs = [input, { ...input, repair: true }];
    assert.deepEqual(unreachedStates(mailboxSyncMachine, inputs, stimuli), []);
    // The check can fail: without an interrupted run, resuming is never reached.
    const noResume = { ...stimuli, outputs: { ...stimuli.outputs, selectMailbox: [selected] } };
    assert.deepEqual(unreachedStates(mailboxSyncMachine, inputs, noResume), ['mailboxSync.resuming']);
  });

  test('every state carries a meta.label for the drawings', () => {
    assert.deepEqual(unlabelledStates(mailboxSyncMachine), []);
  });
});
