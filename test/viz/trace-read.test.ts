// Reading a run trace back: runs per actor (a new run at each start), time per state, how each run
// ended and the failure sentence; malformed files are one error naming the line; a cut last line is skipped.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { failureText, readTrace } from '../../src/viz/trace-read.js';

const HEADER = '{"format":"interimap-trace","version":1,"started":"2026-11-27T10:00:00.000Z"}';
const lines = (...rows: object[]) => `${[HEADER, ...rows.map((r) => JSON.stringify(r))].join('\n')}\n`;
const step = (t: number, actor: string, state: string, event: string, extra: object = {}) => ({
  t,
  actor,
  machine: actor.startsWith('mailbox:') ? 'mailbox-sync' : 'connection',
  state,
  event,
  ...extra,
});

describe('readTrace', () => {
  test('runs, state times, outcome and the failure sentence', () => {
    const trace = readTrace(
      lines(
        step(0, 'mailbox:INBOX', 'selecting', 'xstate.init'),
        step(5, 'mailbox:INBOX', 'appendingNew', 'xstate.done.actor.checkpointModseq', { transitions: [17] }),
        { t: 6, actor: 'mailbox:INBOX', note: { copied: 40, total: 90 } },
        { t: 7, actor: 'mailbox:INBOX', note: { copied: 41 } },
        step(25, 'mailbox:INBOX', 'failed', 'xstate.error.actor.appendNew', {
          transitions: [22, 17],
          status: 'done',
          error: 'connection: BYE',
        }),
        step(30, 'connection:local#0', 'connecting', 'xstate.init'),
        step(32, 'connection:local#0', 'greeting', 'xstate.done.actor.0.connection.connecting'),
        step(40, 'mailbox:INBOX', 'selecting', 'xstate.init'),
        step(41, 'mailbox:INBOX', 'done', 'xstate.done.actor.x', { status: 'done' }),
      ),
      'run.trace',
    );
    assert.equal(trace.started, '2026-11-27T10:00:00.000Z');
    assert.equal(trace.duration, 41);
    assert.equal(trace.truncated, false);
    assert.deepEqual(
      trace.runs.map((r) => [r.actor, r.run, r.outcome]),
      [
        ['mailbox:INBOX', 1, 'failed'],
        ['connection:local#0', 1, 'unfinished'],
        ['mailbox:INBOX', 2, 'done'],
      ],
    );
    const [failed, connection, again] = trace.runs;
    assert.deepEqual(failed!.stateTimes, { selecting: 5, appendingNew: 20 });
    assert.deepEqual(failed!.transitions, [17, 22]);
    assert.equal(failed!.stoppedIn, 'appendingNew');
    assert.deepEqual(failed!.note, { copied: 41, total: 90 });
    assert.equal(
      failureText(failed!),
      'mailbox INBOX stalled in appendingNew after 41 of 90 messages: connection: BYE',
    );
    assert.deepEqual(
      connection!.stateTimes,
      { connecting: 2, greeting: 9 },
      'the last state lasts to the end',
    );
    assert.equal(connection!.end, 41);
    assert.equal(failureText(connection!), undefined);
    assert.equal(failureText(again!), undefined);
  });

  test('a last line cut short is skipped and reported', () => {
    const text = lines(step(0, 'mailbox:A', 'selecting', 'xstate.init')) + '{"t":3,"actor":"mail';
    const trace = readTrace(text, 'cut.trace');
    assert.equal(trace.truncated, true);
    assert.equal(trace.runs.length, 1);
  });

  test('malformed files: one error naming the file and line', () => {
    assert.throws(() => readTrace('', 'e.trace'), /^Error: e\.trace:1: not an interimap trace/);
    assert.throws(() => readTrace('{"t":1}\n', 'e.trace'), /^Error: e\.trace:1: not an interimap trace/);
    assert.throws(
      () => readTrace(HEADER.replace('"version":1', '"version":7') + '\n', 'e.trace'),
      /e\.trace:1: unsupported trace version 7/,
    );
    assert.throws(
      () => readTrace(`${HEADER}\nnot json\n{}\n`, 'e.trace'),
      /^Error: e\.trace:2: not a JSON line$/,
    );
    assert.throws(() => readTrace(`${HEADER}\n[1]\n`, 'e.trace'), /e\.trace:2: not a JSON object/);
    assert.throws(
      () => readTrace(lines({ t: 'x', actor: 'a' }), 'e.trace'),
      /e\.trace:2: field t must be a number/,
    );
    assert.throws(
      () => readTrace(lines({ t: 1, actor: 'a', machine: 'connection', event: 'e' }), 'e.trace'),
      /e\.trace:2: field state must be a string/,
    );
    assert.throws(
      () => readTrace(lines(step(1, 'a', 's', 'e', { transitions: ['x'] })), 'e.trace'),
      /e\.trace:2: field transitions must be a list of indexes/,
    );
    assert.throws(
      () =>
        readTrace(lines(step(0, 'a', 's', 'xstate.init'), { t: 1, actor: 'a', note: { x: {} } }), 'e.trace'),
      /e\.trace:3: field note must hold numbers and strings/,
    );
  });
});
