// The orchestrator chart driven by fake actors: traces per command and mode, the concurrency
// limit on mailbox actors, failures as data and exit codes, watch cycles, reconnects, shutdown.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createActor, fromPromise, toPromise, waitFor } from 'xstate';
import type {
  EarlySelection,
  MailboxActorContracts,
  MailboxSyncInput,
  MailboxSyncOutput,
  OrchestratorActorContracts,
  OrchestratorInput,
  SyncError,
} from '../../machines/contracts.js';
import { zeroCounts } from '../../machines/counts.js';
import { mailboxSyncMachine } from '../../machines/mailbox-sync.js';
import { orchestratorMachine } from '../../machines/orchestrator.js';
import { deferred, fakeActors, startTraced } from './fakes.js';
import { type Stimuli, unlabelledStates, unreachedStates } from './graph.js';

type Impls = Parameters<typeof fakeActors<OrchestratorActorContracts>>[0];
type MailboxFake = (input: MailboxSyncInput) => Promise<MailboxSyncOutput>;

const lost: SyncError = { kind: 'connection', message: 'connection reset by peer' };

function synced(mailbox: string, copied = 1): MailboxSyncOutput {
  const counts = zeroCounts();
  counts.toLocal.copied = copied;
  return { mailbox, status: 'synced', counts };
}

/** Lists `toSync` once per cycle, with no mailbox-list change. */
function listing(...toSync: string[]) {
  return () => ({ abort: null, changes: [], toSync });
}

/** `listing`, from a server slow to answer: the lanes select their next mailboxes ahead. */
function earlyListing(...toSync: string[]) {
  return () => ({ ...listing(...toSync)(), earlySelect: true });
}

/** A mailbox actor that syncs after `ms(mailbox)` milliseconds. */
function syncedAfter(ms: (mailbox: string) => number): MailboxFake {
  return async ({ mailbox }) => {
    await new Promise((resolve) => setTimeout(resolve, ms(mailbox)));
    return synced(mailbox);
  };
}

interface Harness {
  overrides?: Partial<Impls>;
  mailbox?: MailboxFake;
  input: OrchestratorInput;
}

/** Starts the orchestrator with quiet fakes (some replaced); records calls, progress and logs. */
function start({ overrides = {}, mailbox = async (i) => synced(i.mailbox), input }: Harness) {
  const calls: string[] = [];
  const mailboxInputs: MailboxSyncInput[] = [];
  const progress: MailboxSyncOutput[] = [];
  const reconnects: Array<{ attempt: number; delayMs: number }> = [];
  const early: EarlySelection[] = [];
  const impls: Impls = {
    openDatabase: () => undefined,
    connectServers: () => undefined,
    listMailboxes: listing(),
    reconcileMailboxes: () => undefined,
    keepAlive: () => undefined,
    deleteMailboxes: (i) => ({ deleted: i.mailboxes.length }),
    findRenameConflicts: () => ({ existsOn: [] }),
    renameMailbox: () => ({ renamed: 3 }),
    ...overrides,
  };
  const machine = orchestratorMachine.provide({
    actors: {
      ...fakeActors<OrchestratorActorContracts>(impls, calls),
      mailboxSync: fromPromise<MailboxSyncOutput, MailboxSyncInput>(({ input: i }) => {
        mailboxInputs.push(i);
        return mailbox(i);
      }),
    },
    actions: {
      reportProgress: (_, output) => progress.push(output),
      logReconnect: (_, info) => reconnects.push(info),
      selectEarly: (_, { selections }) => early.push(...selections),
    },
    delays: { watchInterval: 10, keepaliveInterval: 10, reconnectDelay: 10 },
  });
  const traced = startTraced(machine, input);
  return { ...traced, calls, mailboxInputs, progress, reconnects, early };
}

const sync = (...mailboxes: string[]): OrchestratorInput => ({ command: { name: 'sync', mailboxes } });
const cycle = ['listing', 'syncing', 'concludingCycle'];

describe('orchestrator chart', { timeout: 10_000 }, () => {
  test('no dirty mailbox: done with exit code 0 and no mailbox actor spawned', async () => {
    const run = start({ input: sync() });
    const output = await toPromise(run.actor);
    assert.deepEqual(run.trace, ['openingDatabase', 'connecting', ...cycle, 'done']);
    assert.deepEqual(run.calls, ['openDatabase', 'connectServers', 'listMailboxes']);
    assert.equal(run.mailboxInputs.length, 0);
    assert.equal(output.exitCode, 0);
    assert.equal(output.summary.cycles, 1);
    assert.deepEqual(run.errors, []);
  });

  test('5 dirty mailboxes with maxParallel 2: never more than 2 at once, one per lane, all synced', async () => {
    let active = 0;
    let peak = 0;
    const busyLanes = new Set<number>();
    const run = start({
      input: { ...sync(), maxParallel: 2 },
      overrides: { listMailboxes: listing('a', 'b', 'c', 'd', 'e') },
      mailbox: async ({ mailbox, lane }) => {
        assert.ok(!busyLanes.has(lane), `lane ${lane} used twice at once`);
        busyLanes.add(lane);
        peak = Math.max(peak, ++active);
        await new Promise((resolve) => setTimeout(resolve, 2));
        active--;
        busyLanes.delete(lane);
        return synced(mailbox, 2);
      },
    });
    const output = await toPromise(run.actor);
    assert.equal(peak, 2);
    assert.deepEqual(
      run.mailboxInputs.map((i) => i.mailbox),
      ['a', 'b', 'c', 'd', 'e'],
    );
    assert.ok(run.mailboxInputs.every((i) => i.lane < 2 && !i.repair));
    assert.deepEqual(run.progress.map((p) => p.mailbox).sort(), ['a', 'b', 'c', 'd', 'e']);
    assert.equal(output.exitCode, 0);
    assert.deepEqual(output.summary.mailboxes, { synced: 5, stopped: 0, failed: 0 });
    assert.equal(output.summary.counts.toLocal.copied, 10);
    assert.deepEqual(run.errors, []);
  });

  test('a listing that finds one lane worth it: its mailboxes run one at a time on lane 0, the next cycle may use all', async () => {
    const listings = [
      { abort: null, changes: [], toSync: ['a', 'b', 'c'], lanes: 1 },
      { abort: null, changes: [], toSync: ['d', 'e'] },
    ];
    let cycle = 0;
    const run = start({
      input: { ...sync(), maxParallel: 4, watch: { intervalSeconds: 60, notify: false } },
      overrides: { listMailboxes: () => listings[Math.min(cycle++, 1)]! },
      mailbox: async ({ mailbox }) => {
        await new Promise((resolve) => setTimeout(resolve, 2));
        return synced(mailbox);
      },
    });
    await waitFor(run.actor, () => run.mailboxInputs.length === 5);
    run.actor.send({ type: 'shutdown' });
    await toPromise(run.actor);
    assert.deepEqual(
      run.mailboxInputs.map((i) => [i.mailbox, i.lane]),
      [
        ['a', 0],
        ['b', 0],
        ['c', 0],
        ['d', 0],
        ['e', 1],
      ],
    );
  });

  test('connectServers opens one lane per parallel mailbox', async () => {
    const lanes: number[] = [];
    const run = start({
      input: { ...sync(), maxParallel: 3 },
      overrides: { connectServers: (i) => void lanes.push(i.lanes) },
    });
    await toPromise(run.actor);
    assert.deepEqual(lanes, [3]);
  });

  test('one mailbox failing: the others still sync, the failure is reported, exit code 1', async () => {
    const boom: SyncError = {
      kind: 'uidvalidity-changed',
      message: 'UIDVALIDITY changed on local',
      mailbox: 'b',
    };
    const run = start({
      input: sync(),
      overrides: { listMailboxes: listing('a', 'b', 'c') },
      mailbox: async ({ mailbox }) =>
        mailbox === 'b' ? { mailbox, status: 'failed', counts: zeroCounts(), error: boom } : synced(mailbox),
    });
    const output = await toPromise(run.actor);
    assert.deepEqual(run.trace.at(-1), 'done');
    assert.equal(output.exitCode, 1);
    assert.deepEqual(output.summary.mailboxes, { synced: 2, stopped: 0, failed: 1 });
    assert.deepEqual(output.summary.failures, [{ mailbox: 'b', error: boom }]);
    assert.deepEqual(
      run.progress.map((p) => p.status),
      ['synced', 'failed', 'synced'],
    );
  });

  test('a lane that cannot open: its mailbox runs on a lower lane, not counted as failing, until the next connect', async () => {
    const listings = [listing('a', 'b', 'c', 'd', 'e'), listing('f', 'g', 'h')];
    let cycle = 0;
    const run = start({
      input: { ...sync(), maxParallel: 4, watch: { intervalSeconds: 60, notify: false } },
      overrides: { listMailboxes: () => listings[Math.min(cycle++, 1)]!() },
      mailbox: async ({ mailbox, lane }) => {
        if (lane >= 2) {
          const error: SyncError = {
            kind: 'lane-unavailable',
            message: 'remote: too many connections',
            mailbox,
          };
          return { mailbox, status: 'failed', counts: zeroCounts(), error };
        }
        await new Promise((resolve) => setTimeout(resolve, 2));
        return synced(mailbox);
      },
    });
    await waitFor(run.actor, () => run.progress.filter((p) => p.status === 'synced').length === 8);
    run.actor.send({ type: 'shutdown' });
    const output = await toPromise(run.actor);
    // c and d were tried on lanes 2 and 3 once, then waited for lanes 0 and 1; the second cycle
    // tries no lane above them.
    const tried = run.mailboxInputs.filter((i) => i.lane >= 2).map((i) => [i.mailbox, i.lane]);
    assert.deepEqual(tried, [
      ['c', 2],
      ['d', 3],
    ]);
    assert.deepEqual(
      run.progress
        .filter((p) => p.status === 'synced')
        .map((p) => p.mailbox)
        .sort(),
      ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'],
    );
    assert.deepEqual(output.summary.failures, []);
    assert.equal(output.summary.mailboxes.failed, 0);
  });

  test('early selection: each lane reserves its next mailbox, selected ahead on its other slot', async () => {
    const run = start({
      input: { ...sync(), maxParallel: 2 },
      overrides: { listMailboxes: earlyListing('a', 'b', 'c', 'd', 'e') },
      mailbox: syncedAfter((mailbox) => (mailbox === 'a' ? 20 : 2)),
    });
    const output = await toPromise(run.actor);
    assert.equal(output.exitCode, 0);
    assert.deepEqual(output.summary.mailboxes, { synced: 5, stopped: 0, failed: 0 });
    // a on lane 0 and b on lane 1 reserve c and d; lane 1, done first, runs d, then reserves e.
    const ran = run.mailboxInputs.map(({ mailbox, lane, slot }) => [mailbox, lane, slot]);
    assert.deepEqual(ran, [
      ['a', 0, 0],
      ['b', 1, 0],
      ['d', 1, 1],
      ['e', 1, 0],
      ['c', 0, 1],
    ]);
    // Every mailbox but a lane's first is selected ahead, on the lane and slot it then runs on.
    const selected = run.early.map(({ mailbox, lane, slot }) => [mailbox, lane, slot]);
    assert.deepEqual(selected.sort(), ran.filter(([m]) => m !== 'a' && m !== 'b').sort());
  });

  test('early selection: a lane left with nothing does not keep a later lane from its reserved mailbox', async () => {
    // a (lane 0) and b (lane 1) reserve c and d; b ends first, so lane 1 runs d and reserves e;
    // lane 0 runs c and ends with nothing left while d still runs, then lane 1 must still run e.
    const delays: Record<string, number> = { a: 10, b: 1, c: 1, d: 30, e: 1 };
    const run = start({
      input: { ...sync(), maxParallel: 2 },
      overrides: { listMailboxes: earlyListing('a', 'b', 'c', 'd', 'e') },
      mailbox: syncedAfter((mailbox) => delays[mailbox]!),
    });
    const output = await toPromise(run.actor);
    assert.deepEqual(output.summary.mailboxes, { synced: 5, stopped: 0, failed: 0 });
    assert.deepEqual(
      run.mailboxInputs.map(({ mailbox, lane }) => [mailbox, lane]),
      [
        ['a', 0],
        ['b', 1],
        ['d', 1],
        ['c', 0],
        ['e', 1],
      ],
    );
  });

  test('without early selection every mailbox runs on slot 0 and none is reserved', async () => {
    const run = start({
      input: { ...sync(), maxParallel: 2 },
      overrides: { listMailboxes: listing('a', 'b', 'c') },
    });
    await toPromise(run.actor);
    assert.deepEqual(run.early, []);
    assert.deepEqual(
      run.mailboxInputs.map((i) => i.slot),
      [0, 0, 0],
    );
  });

  test('a lane that cannot open gives back the mailbox reserved for it', async () => {
    const run = start({
      input: { ...sync(), maxParallel: 2 },
      overrides: {
        listMailboxes: earlyListing('a', 'b', 'c', 'd'),
      },
      mailbox: async ({ mailbox, lane }) => {
        if (lane === 1) {
          const error: SyncError = { kind: 'lane-unavailable', message: 'refused', mailbox };
          return { mailbox, status: 'failed', counts: zeroCounts(), error };
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
        return synced(mailbox);
      },
    });
    const output = await toPromise(run.actor);
    assert.equal(output.exitCode, 0);
    assert.deepEqual(
      run.progress
        .filter((p) => p.status === 'synced')
        .map((p) => p.mailbox)
        .sort(),
      ['a', 'b', 'c', 'd'],
    );
    assert.deepEqual(
      run.mailboxInputs.filter((i) => i.lane === 1).map((i) => i.mailbox),
      ['b'],
    );
  });

  test('a mailbox actor that throws counts as that mailbox failing, not as a crash', async () => {
    const run = start({
      input: sync(),
      overrides: { listMailboxes: listing('a', 'b') },
      mailbox: async ({ mailbox }) => {
        if (mailbox === 'a') throw new TypeError('bug');
        return synced(mailbox);
      },
    });
    const output = await toPromise(run.actor);
    assert.equal(output.exitCode, 1);
    assert.deepEqual(output.summary.failures, [
      { mailbox: 'a', error: { kind: 'internal', message: 'TypeError: bug', mailbox: 'a' } },
    ]);
    assert.equal(output.summary.mailboxes.synced, 1);
    assert.deepEqual(run.errors, []);
  });

  test('a disappeared mailbox aborts the plan: exit 1 without reconciling or syncing', async () => {
    const abort: SyncError = {
      kind: 'mailbox-list',
      message: 'mailbox foo exists on local only',
      mailbox: 'foo',
    };
    const run = start({
      input: sync(),
      overrides: {
        listMailboxes: () => ({
          abort,
          changes: [{ action: 'create', mailbox: 'x', target: 'remote' }],
          toSync: ['x'],
        }),
      },
    });
    const output = await toPromise(run.actor);
    assert.deepEqual(run.trace, ['openingDatabase', 'connecting', 'listing', 'failed']);
    assert.ok(!run.calls.includes('reconcileMailboxes'));
    assert.equal(run.mailboxInputs.length, 0);
    assert.equal(output.exitCode, 1);
    assert.deepEqual(output.summary.fatal, abort);
  });

  test('mailbox-list changes are reconciled before syncing', async () => {
    const changes = [{ action: 'create' as const, mailbox: 'new', target: 'remote' as const }];
    const reconciled: unknown[] = [];
    const run = start({
      input: sync(),
      overrides: {
        listMailboxes: () => ({ abort: null, changes, toSync: ['new'] }),
        reconcileMailboxes: (i) => void reconciled.push(i),
      },
    });
    const output = await toPromise(run.actor);
    assert.deepEqual(run.trace, [
      'openingDatabase',
      'connecting',
      'listing',
      'reconciling',
      ...cycle.slice(1),
      'done',
    ]);
    assert.deepEqual(reconciled, [{ changes }]);
    assert.equal(output.summary.mailboxChanges, 1);
    assert.equal(output.summary.mailboxes.synced, 1);
  });

  test('the database is opened before connecting; its failure ends the run with exit 1', async () => {
    const run = start({
      input: sync(),
      overrides: { openDatabase: () => Promise.reject({ kind: 'database', message: 'database is locked' }) },
    });
    const output = await toPromise(run.actor);
    assert.deepEqual(run.trace, ['openingDatabase', 'failed']);
    assert.deepEqual(run.calls, ['openDatabase']);
    assert.deepEqual(output.summary.fatal, { kind: 'database', message: 'database is locked' });
    assert.equal(output.exitCode, 1);
  });

  test('without --watch a lost connection ends the run with exit 1', async () => {
    const run = start({ input: sync(), overrides: { listMailboxes: () => Promise.reject(lost) } });
    const output = await toPromise(run.actor);
    assert.deepEqual(run.trace, ['openingDatabase', 'connecting', 'listing', 'failed']);
    assert.equal(output.exitCode, 1);
    assert.deepEqual(output.summary.fatal, lost);
  });

  test('without --watch a connection lost between steps: no new mailbox starts, exit 1', async () => {
    const started = deferred();
    const release = deferred();
    const run = start({
      input: sync(),
      overrides: { listMailboxes: listing('a', 'b') },
      mailbox: async ({ mailbox }) => {
        started.resolve();
        await release.promise;
        return synced(mailbox);
      },
    });
    await started.promise;
    run.actor.send({ type: 'connection.lost', error: lost });
    release.resolve();
    const output = await toPromise(run.actor);
    assert.deepEqual(
      run.mailboxInputs.map((i) => i.mailbox),
      ['a'],
    );
    assert.equal(run.trace.at(-1), 'done');
    assert.deepEqual(output.summary.fatal, lost);
    assert.equal(output.exitCode, 1);
  });

  test('watch mode: cycles after the watch interval until a shutdown event ends it', async () => {
    const run = start({ input: { ...sync(), watch: { intervalSeconds: 60, notify: false } } });
    await waitFor(run.actor, (s) => s.matches('waiting') && s.context.summary.cycles === 2);
    run.actor.send({ type: 'shutdown' });
    const output = await toPromise(run.actor);
    assert.deepEqual(run.trace, [
      'openingDatabase',
      'connecting',
      ...cycle,
      'waiting',
      ...cycle,
      'waiting',
      'done',
    ]);
    assert.equal(output.exitCode, 0);
    assert.equal(output.summary.interrupted, true);
    assert.equal(output.summary.cycles, 2);
  });

  test('watch mode: a lost connection backs off, reconnects and resumes cycling', async () => {
    let lists = 0;
    const run = start({
      input: { ...sync(), watch: { intervalSeconds: 60, notify: false } },
      overrides: { listMailboxes: () => (++lists <= 2 ? Promise.reject(lost) : listing('a')()) },
    });
    await waitFor(run.actor, (s) => s.matches('waiting'));
    run.actor.send({ type: 'shutdown' });
    const output = await toPromise(run.actor);
    const reconnect = ['listing', 'reconnecting', 'connecting'];
    assert.deepEqual(run.trace, [
      'openingDatabase',
      'connecting',
      ...reconnect,
      ...reconnect,
      ...cycle,
      'waiting',
      'done',
    ]);
    assert.deepEqual(run.reconnects, [
      { attempt: 1, delayMs: 1000 },
      { attempt: 2, delayMs: 2000 },
    ]);
    assert.equal(output.summary.mailboxes.synced, 1);
    assert.equal(output.exitCode, 0);
  });

  test('watch mode: a mailbox losing the connection stops new spawns, then reconnects', async () => {
    let failOnce = true;
    const run = start({
      input: { ...sync(), watch: { intervalSeconds: 60, notify: false } },
      overrides: { listMailboxes: listing('a', 'b') },
      mailbox: async ({ mailbox }) => {
        if (!failOnce) return synced(mailbox);
        failOnce = false;
        return { mailbox, status: 'failed', counts: zeroCounts(), error: { ...lost, mailbox } };
      },
    });
    await waitFor(run.actor, (s) => s.matches('waiting'));
    run.actor.send({ type: 'shutdown' });
    const output = await toPromise(run.actor);
    assert.deepEqual(run.trace, [
      'openingDatabase',
      'connecting',
      ...cycle,
      'reconnecting',
      'connecting',
      ...cycle,
      'waiting',
      'done',
    ]);
    // b was not started on the dead connection; the second cycle synced both.
    assert.deepEqual(
      run.mailboxInputs.map((i) => i.mailbox),
      ['a', 'a', 'b'],
    );
    assert.equal(output.exitCode, 0);
  });

  test('notify mode: NOOP keepalive after the interval, a notify.changed event starts a cycle', async () => {
    const run = start({ input: { ...sync(), watch: { intervalSeconds: 900, notify: true } } });
    await waitFor(run.actor, (s) => s.matches('waiting') && run.calls.includes('keepAlive'));
    run.actor.send({ type: 'notify.changed' });
    await waitFor(run.actor, (s) => s.matches('waiting') && s.context.summary.cycles === 2);
    run.actor.send({ type: 'shutdown' });
    await toPromise(run.actor);
    assert.deepEqual(run.trace.slice(0, 9), [
      'openingDatabase',
      'connecting',
      ...cycle,
      'waiting',
      'keepingAlive',
      'waiting',
      'listing',
    ]);
  });

  test('notify mode: a change reported mid-cycle starts the next cycle at once; a lost idle connection reconnects', async () => {
    const started = deferred();
    const release = deferred();
    let syncs = 0;
    const run = start({
      input: { ...sync(), watch: { intervalSeconds: 900, notify: true } },
      overrides: { listMailboxes: listing('a') },
      mailbox: async ({ mailbox }) => {
        if (++syncs === 1) {
          started.resolve();
          await release.promise;
        }
        return synced(mailbox);
      },
    });
    await started.promise;
    run.actor.send({ type: 'notify.changed' });
    release.resolve();
    await waitFor(run.actor, (s) => s.matches('waiting'));
    run.actor.send({ type: 'connection.lost', error: lost });
    await waitFor(run.actor, (s) => s.matches('waiting') && s.context.summary.cycles === 3);
    run.actor.send({ type: 'shutdown' });
    const output = await toPromise(run.actor);
    assert.deepEqual(run.trace, [
      'openingDatabase',
      'connecting',
      ...cycle,
      ...cycle,
      'waiting',
      'reconnecting',
      'connecting',
      ...cycle,
      'waiting',
      'done',
    ]);
    assert.equal(output.exitCode, 0);
  });

  test('shutdown while syncing: running mailboxes stop at their checkpoint, queued ones never start', async () => {
    const appendStarted = deferred();
    const releaseAppend = deferred();
    const leafCalls: string[] = [];
    const realMailbox = mailboxSyncMachine.provide({
      actors: fakeActors<MailboxActorContracts>(
        {
          selectMailbox: () => ({
            local: { uidValidity: 1, uidNext: 1, highestModseq: 1n, exists: 0 },
            remote: { uidValidity: 1, uidNext: 1, highestModseq: 1n, exists: 0 },
            uidValidityChanged: [],
            interrupted: false,
          }),
          fullSync: () => ({ counts: {} }),
          propagateExpunges: () => ({ counts: {} }),
          propagateFlags: () => ({ counts: {}, pendingUpdates: false }),
          checkpointModseq: () => undefined,
          appendNew: async () => {
            appendStarted.resolve();
            await releaseAppend.promise;
            return { counts: { toRemote: { copied: 1 } }, pendingUpdates: false, newMessages: true };
          },
          checkpointUidnext: () => undefined,
        },
        leafCalls,
      ),
    });
    const progress: MailboxSyncOutput[] = [];
    const machine = orchestratorMachine.provide({
      actors: {
        ...fakeActors<OrchestratorActorContracts>(
          {
            openDatabase: () => undefined,
            connectServers: () => undefined,
            listMailboxes: listing('a', 'b'),
            reconcileMailboxes: () => undefined,
            keepAlive: () => undefined,
            deleteMailboxes: () => ({ deleted: 0 }),
            findRenameConflicts: () => ({ existsOn: [] }),
            renameMailbox: () => ({ renamed: 0 }),
          },
          [],
        ),
        mailboxSync: realMailbox,
      },
      actions: { reportProgress: (_, output) => progress.push(output) },
    });
    const { actor, trace } = startTraced(machine, sync());
    await appendStarted.promise;
    actor.send({ type: 'shutdown' });
    releaseAppend.resolve();
    const output = await toPromise(actor);
    assert.deepEqual(trace, ['openingDatabase', 'connecting', ...cycle, 'done']);
    // New messages kept arriving, but a is checkpointed and stopped; b never started.
    assert.deepEqual(leafCalls.slice(-2), ['appendNew', 'checkpointUidnext']);
    assert.deepEqual(
      progress.map((p) => [p.mailbox, p.status]),
      [['a', 'stopped']],
    );
    assert.equal(output.summary.interrupted, true);
    assert.deepEqual(output.summary.mailboxes, { synced: 0, stopped: 1, failed: 0 });
    assert.equal(output.summary.counts.toRemote.copied, 1);
    assert.equal(output.exitCode, 0);
  });

  test('repair: every listed mailbox gets a mailbox actor in repair mode', async () => {
    const listed: unknown[] = [];
    const run = start({
      input: { command: { name: 'repair', mailboxes: ['INBOX'] } },
      overrides: {
        listMailboxes: (i) => {
          listed.push(i);
          return { abort: null, changes: [], toSync: ['INBOX'] };
        },
      },
    });
    const output = await toPromise(run.actor);
    assert.deepEqual(listed, [{ mailboxes: ['INBOX'], repair: true }]);
    assert.deepEqual(run.mailboxInputs, [{ mailbox: 'INBOX', lane: 0, repair: true, slot: 0 }]);
    assert.equal(output.exitCode, 0);
  });

  test('delete: connects only the targeted servers and deletes, without listing', async () => {
    const connected: unknown[] = [];
    const deleted: unknown[] = [];
    const run = start({
      input: { command: { name: 'delete', mailboxes: ['a', 'b'], targets: ['remote', 'database'] } },
      overrides: {
        connectServers: (i) => void connected.push(i),
        deleteMailboxes: (i) => {
          deleted.push(i);
          return { deleted: 2 };
        },
      },
    });
    const output = await toPromise(run.actor);
    assert.deepEqual(run.trace, ['openingDatabase', 'connecting', 'deleting', 'done']);
    assert.deepEqual(connected, [{ sides: ['remote'], lanes: 1 }]);
    assert.deepEqual(deleted, [{ name: 'delete', mailboxes: ['a', 'b'], targets: ['remote', 'database'] }]);
    assert.equal(output.summary.mailboxChanges, 2);
    assert.equal(output.exitCode, 0);
  });

  const rename: OrchestratorInput = {
    command: { name: 'rename', source: 'old', dest: 'new', targets: ['local', 'remote', 'database'] },
  };

  test('rename: checks DEST on every target, then renames', async () => {
    const run = start({ input: rename });
    const output = await toPromise(run.actor);
    assert.deepEqual(run.trace, ['openingDatabase', 'connecting', 'checkingRename', 'renaming', 'done']);
    assert.equal(output.summary.mailboxChanges, 3);
    assert.equal(output.exitCode, 0);
  });

  test('rename aborts when DEST exists on a target, renaming nothing', async () => {
    const run = start({
      input: rename,
      overrides: { findRenameConflicts: () => ({ existsOn: ['remote'] }) },
    });
    const output = await toPromise(run.actor);
    assert.deepEqual(run.trace, ['openingDatabase', 'connecting', 'checkingRename', 'failed']);
    assert.ok(!run.calls.includes('renameMailbox'));
    assert.equal(output.exitCode, 1);
    assert.equal(output.summary.fatal?.kind, 'mailbox-exists');
    assert.match(output.summary.fatal?.message ?? '', /new exists on remote/);
  });

  test('a bad maxParallel is refused with a clear error', () => {
    const actor = createActor(orchestratorMachine, { input: { ...sync(), maxParallel: 0 } });
    const errors: unknown[] = [];
    actor.subscribe({ error: (e) => errors.push(e) });
    actor.start();
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /maxParallel must be a positive integer, got 0/);
  });

  test('every state is reachable (xstate/graph shortest paths over all commands and modes)', () => {
    const failed: MailboxSyncOutput = { mailbox: 'b', status: 'failed', counts: zeroCounts(), error: lost };
    const stimuli: Stimuli = {
      outputs: {
        listMailboxes: [
          { abort: lost, changes: [], toSync: [] },
          { abort: null, changes: [], toSync: [] },
          {
            abort: null,
            changes: [{ action: 'subscribe', mailbox: 'a', target: 'local' }],
            toSync: ['a', 'b'],
          },
        ],
        'mailbox.*': [synced('a'), failed],
        deleteMailboxes: [{ deleted: 1 }],
        findRenameConflicts: [{ existsOn: [] }, { existsOn: ['database'] }],
        renameMailbox: [{ renamed: 1 }],
      },
      errors: [lost],
      external: [{ type: 'shutdown' }, { type: 'notify.changed' }, { type: 'connection.lost', error: lost }],
      key: ({ context: c }) => [
        c.queue.length,
        Object.keys(c.running).length,
        c.shutdownRequested,
        c.connectionLost,
        c.changedMeanwhile,
      ],
    };
    const inputs: OrchestratorInput[] = [
      sync(),
      { ...sync(), watch: { intervalSeconds: 60, notify: false } },
      { ...sync(), watch: { intervalSeconds: 900, notify: true } },
      { command: { name: 'repair', mailboxes: [] } },
      { command: { name: 'delete', mailboxes: ['a'], targets: ['local'] } },
      rename,
    ];
    assert.deepEqual(unreachedStates(orchestratorMachine, inputs, stimuli), []);
  });

  test('every state carries a meta.label for the drawings', () => {
    assert.deepEqual(unlabelledStates(orchestratorMachine), []);
  });
});
