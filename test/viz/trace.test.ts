// The run trace recorder on real charts driven by fake actors: well-formed JSON lines, every actor
// named and its states in order, transitions mapped to the chart model, the failure and its
// reason recorded, notes checked, no payload, output or credential in the file, mode 0600.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createActor, createMachine } from 'xstate';
import { connectionMachine } from '../../machines/connection.js';
import { CHARTS } from '../../src/viz/charts.js';
import { extractChart } from '../../src/viz/extract.js';
import { createTraceRecorder, stateText } from '../../src/viz/trace.js';
import type { TraceLine, TraceNoteLine, TraceStep } from '../../src/viz/trace-line.js';
import { assertPrivateTrace } from './trace-checks.js';
import { ARCHIVE_FAILURE, recordSampleRun, SECRET } from './trace-fixture.js';

/** The lines after the header of a trace file with steps only. */
function stepsIn(file: string): TraceStep[] {
  return readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((l) => JSON.parse(l) as TraceStep);
}

/** Consecutive repeats dropped: the path of states, not the targetless steps within one. */
function path(steps: TraceStep[]): string[] {
  return steps.map((s) => s.state).filter((s, i, all) => i === 0 || all[i - 1] !== s);
}

describe('run trace recorder', { timeout: 30_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'interimap-trace-'));
  const file = join(dir, 'run.trace');
  let text = '';
  let lines: TraceLine[] = [];
  const steps = (actor: string) => lines.filter((l): l is TraceStep => l.actor === actor && 'event' in l);

  before(async () => {
    writeFileSync(file, 'an older, world-readable file\n', { mode: 0o644 });
    await recordSampleRun(file);
    text = readFileSync(file, 'utf8');
    const [header, ...rest] = text.trimEnd().split('\n');
    assert.deepEqual(Object.keys(JSON.parse(header!)), ['format', 'version', 'started']);
    lines = rest.map((l) => JSON.parse(l) as TraceLine);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('private: mode 0600 even for an older file, only whitelisted fields, no planted secret', () => {
    assertPrivateTrace(file, [SECRET, 'Subject', 'welcome']);
    assert.ok(!text.includes('password'));
  });

  test('every line is one JSON object with t, actor and either a step or a note', () => {
    assert.ok(text.endsWith('\n'));
    assert.ok(lines.length > 20);
    let last = 0;
    for (const line of lines) {
      assert.equal(typeof line.actor, 'string');
      assert.ok(line.t >= last, 'time goes forward');
      last = line.t;
      if ('note' in line) continue;
      assert.equal(typeof line.state, 'string');
      assert.equal(typeof line.event, 'string');
      assert.ok(['orchestrator', 'mailbox-sync', 'connection'].includes(line.machine), line.machine);
    }
    assert.deepEqual([...new Set(lines.map((l) => l.actor))].sort(), [
      'connection:local#0',
      'connection:remote#0',
      'mailbox:Archive',
      'mailbox:INBOX',
      'orchestrator',
    ]);
  });

  test('each actor goes through its states in order', () => {
    assert.deepEqual(path(steps('orchestrator')), [
      'openingDatabase',
      'connecting',
      'listing',
      'syncing',
      'concludingCycle',
      'done',
    ]);
    assert.deepEqual(path(steps('mailbox:INBOX')), [
      'selecting',
      'propagatingExpunges',
      'propagatingFlags',
      'checkpointingModseq',
      'appendingNew',
      'checkpointingUidnext',
      'done',
    ]);
    assert.deepEqual(path(steps('connection:local#0')), [
      'connecting',
      'greeting',
      'notAuthenticated.checkingCapabilities',
      'notAuthenticated.authenticating',
      'authenticated.checkingCapabilities',
      'authenticated.enabling',
      'authenticated.ready',
      'loggingOut',
      'closed',
    ]);
    assert.equal(steps('mailbox:INBOX')[0]!.event, 'xstate.init');
    assert.equal(steps('mailbox:INBOX')[1]!.event, 'xstate.done.actor.selectMailbox');
    // The payload-carrying event is recorded by type, as a targetless step of `listing`.
    assert.ok(steps('orchestrator').some((s) => s.event === 'notify.changed' && s.state === 'listing'));
    assert.ok(steps('connection:local#0').some((s) => s.event === 'always'));
  });

  test('the transitions taken are indexes into the chart model, leading to the recorded state', () => {
    const models = new Map(CHARTS.map((c) => [c.name, extractChart(c.machine)]));
    let checked = 0;
    for (const step of lines.filter((l): l is TraceStep => 'transitions' in l)) {
      const model = models.get(step.machine)!;
      const targets = step.transitions!.flatMap((i) => model.transitions[i]!.targets);
      if (targets.length === 0) continue;
      assert.ok(
        targets.some((t) => `${model.id}.${step.state}`.startsWith(t)),
        `${step.actor} → ${step.state} via ${targets}`,
      );
      checked++;
    }
    assert.ok(checked > 20);
  });

  test('the failed mailbox ends with its reason and counts; the note is attached in its state', () => {
    const archive = steps('mailbox:Archive');
    const end = archive.at(-1)!;
    assert.equal(end.state, 'failed');
    assert.equal(end.status, 'done');
    assert.equal(end.error, `${ARCHIVE_FAILURE.kind}: ${ARCHIVE_FAILURE.message}`);
    assert.equal(archive.at(-2)!.state, 'appendingNew');
    const note = lines.find((l): l is TraceNoteLine => 'note' in l)!;
    assert.deepEqual(note, {
      t: note.t,
      actor: 'mailbox:Archive',
      machine: 'mailbox-sync',
      state: 'appendingNew',
      note: { copied: 312, total: 500, bytes: 1_234_567 },
    });
    const inbox = steps('mailbox:INBOX').at(-1)!;
    assert.equal(inbox.error, undefined);
    assert.equal(inbox.counts?.toLocal.copied, 2);
    assert.equal(inbox.counts?.toLocal.flagsUpdated, 2);
    assert.equal(inbox.counts?.toRemote.expunged, 1);
    const remote = steps('connection:remote#0').at(-1)!;
    assert.deepEqual([remote.state, remote.error], ['closed', 'bye: remote: server shutting down']);
    assert.equal(steps('connection:local#0').at(-1)!.error, undefined, 'a logout is no failure');
  });

  test('notes take numbers and short strings only', () => {
    const recorder = createTraceRecorder(join(dir, 'notes.trace'));
    assert.throws(() => recorder.note('x', { body: 'a'.repeat(81) }), /trace note for x: field body/);
    assert.throws(() => recorder.note('x', { n: Number.NaN }), /field n must be a finite number/);
    assert.throws(() => recorder.note('x', { 'bad key': 1 }), /invalid field name "bad key"/);
    assert.throws(() => recorder.note('x', { line: 'a\nb' }), /one-line string/);
    recorder.note('x', { phase: 'copying', done: 3 });
    return recorder.close();
  });

  test('roots: unnamed ones are numbered, a name given again is the same actor (a new run)', async () => {
    const roots = join(dir, 'roots.trace');
    const recorder = createTraceRecorder(roots);
    const input = { server: 'x', startTls: false, compress: false };
    const start = (systemId?: string) =>
      createActor(connectionMachine, {
        input,
        inspect: recorder.inspect,
        ...(systemId ? { systemId } : {}),
      }).start();
    const actors = [start(), start(), start('connection:local#0'), start('connection:local#0')];
    for (const actor of actors) actor.stop();
    await recorder.close();
    const names = stepsIn(roots)
      .filter((l) => l.event === 'xstate.init')
      .map((l) => l.actor);
    assert.deepEqual(names, ['connection', 'connection#2', 'connection:local#0', 'connection:local#0']);
  });

  test('eventless transitions out of the initial state: the start is recorded first, once', async () => {
    const machine = createMachine({
      id: 'hop',
      initial: 'a',
      states: { a: { always: 'b' }, b: { type: 'final' } },
    });
    const hops = join(dir, 'hops.trace');
    const recorder = createTraceRecorder(hops);
    createActor(machine, { inspect: recorder.inspect }).start();
    await recorder.close();
    const steps = stepsIn(hops);
    assert.deepEqual(
      steps.map((l) => [l.actor, l.state, l.event, l.status]),
      [
        ['hop', 'a', 'xstate.init', undefined],
        ['hop', 'b', 'always', 'done'],
      ],
    );
  });

  test('an unwritable trace file is one clear error', () => {
    assert.throws(
      () => createTraceRecorder(join(dir, 'missing', 'x.trace')),
      /^Error: --trace: cannot create .*x\.trace: ENOENT/,
    );
  });

  test('state values as text', () => {
    assert.equal(stateText('idle'), 'idle');
    assert.equal(stateText({ authenticated: 'ready' }), 'authenticated.ready');
    assert.equal(stateText({ a: { b: 'c' }, d: 'e' }), 'a.b.c|d.e');
  });
});
