// Reads a run trace (`--trace-in=FILE`) back into one record per actor run: the states it went
// through, the transitions it took, how long each state lasted, how it ended and why it failed.
import type { SyncCounts } from '../../machines/contracts.js';
import { TRACE_FORMAT, type TraceNote, type TraceStep } from './trace-line.js';

export interface TraceEntry {
  /** Milliseconds since the trace started. */
  at: number;
  state: string;
  event: string;
}

export interface ActorRun {
  /** The actor's name in the trace; a mailbox synced again in a later watch cycle is a new run. */
  actor: string;
  /** 1 for the first run of this actor name, 2 for the next… */
  run: number;
  /** The chart's name (`mailbox-sync`). */
  machine: string;
  entries: TraceEntry[];
  /** Indexes into the chart model's transitions, each once. */
  transitions: number[];
  start: number;
  end: number;
  outcome: 'done' | 'failed' | 'error' | 'unfinished';
  error?: string;
  counts?: SyncCounts;
  /** The latest value of each note field. */
  note: TraceNote;
  /** Where it stopped: the state before its final state, or its last state if it never ended. */
  stoppedIn: string;
  /** Milliseconds spent in each state (until the next step, or the end of the trace). */
  stateTimes: Record<string, number>;
}

export interface RunTrace {
  /** Wall-clock start, ISO 8601. */
  started: string;
  /** Time of the last line. */
  duration: number;
  runs: ActorRun[];
  /** The last line was cut short (the process ended while writing): it was skipped. */
  truncated: boolean;
}

/** Parses a trace file's text; a malformed line is one error naming `source` and the line number. */
export function readTrace(text: string, source: string): RunTrace {
  const rows = text.split('\n');
  const complete = text.endsWith('\n');
  if (complete) rows.pop();
  const parse = (n: number): Record<string, unknown> | undefined => {
    let value: unknown;
    try {
      value = JSON.parse(rows[n]!);
    } catch {
      if (n === rows.length - 1 && !complete && n > 0) return undefined;
      throw new Error(`${source}:${n + 1}: not a JSON line`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new Error(`${source}:${n + 1}: not a JSON object`);
    }
    return value as Record<string, unknown>;
  };
  let header: Record<string, unknown> | undefined;
  try {
    header = parse(0);
  } catch {
    // Not JSON at all: reported below as not a trace.
  }
  if (header?.format !== TRACE_FORMAT)
    throw new Error(`${source}:1: not an interimap trace (no header line)`);
  if (header.version !== 1)
    throw new Error(`${source}:1: unsupported trace version ${String(header.version)}`);

  const runs: ActorRun[] = [];
  const current = new Map<string, ActorRun>();
  let truncated = false;
  let duration = 0;
  for (let n = 1; n < rows.length; n++) {
    const line = parse(n);
    if (line === undefined) {
      truncated = true;
      break;
    }
    const where = `${source}:${n + 1}`;
    const t = line.t;
    const actor = line.actor;
    if (typeof t !== 'number' || !Number.isFinite(t)) throw new Error(`${where}: field t must be a number`);
    if (typeof actor !== 'string' || actor === '') throw new Error(`${where}: field actor must be a name`);
    duration = Math.max(duration, t);
    if ('note' in line) {
      const run = current.get(actor);
      if (run !== undefined) Object.assign(run.note, checkedNote(line.note, where));
      continue;
    }
    const step = checkedStep(line, where);
    let run = current.get(actor);
    if (run === undefined || step.event === 'xstate.init') {
      run = newRun(step, runs.filter((r) => r.actor === actor).length + 1);
      runs.push(run);
      current.set(actor, run);
    }
    addStep(run, step);
  }
  for (const run of runs) finishRun(run, duration);
  return { started: String(header.started ?? ''), duration, runs, truncated };
}

function checkedStep(line: Record<string, unknown>, where: string): TraceStep {
  for (const field of ['machine', 'state', 'event'] as const) {
    if (typeof line[field] !== 'string') throw new Error(`${where}: field ${field} must be a string`);
  }
  const transitions = line.transitions;
  if (transitions !== undefined && !(Array.isArray(transitions) && transitions.every(Number.isInteger))) {
    throw new Error(`${where}: field transitions must be a list of indexes`);
  }
  return line as unknown as TraceStep;
}

function checkedNote(note: unknown, where: string): TraceNote {
  const fields = typeof note === 'object' && note !== null ? Object.entries(note) : null;
  if (fields === null || !fields.every(([, v]) => typeof v === 'number' || typeof v === 'string')) {
    throw new Error(`${where}: field note must hold numbers and strings`);
  }
  return Object.fromEntries(fields) as TraceNote;
}

function newRun(step: TraceStep, run: number): ActorRun {
  return {
    actor: step.actor,
    run,
    machine: step.machine,
    entries: [],
    transitions: [],
    start: step.t,
    end: step.t,
    outcome: 'unfinished',
    note: {},
    stoppedIn: step.state,
    stateTimes: {},
  };
}

function addStep(run: ActorRun, step: TraceStep): void {
  const previous = run.entries.at(-1);
  if (previous !== undefined) {
    run.stateTimes[previous.state] = (run.stateTimes[previous.state] ?? 0) + (step.t - previous.at);
  }
  run.entries.push({ at: step.t, state: step.state, event: step.event });
  for (const index of step.transitions ?? [])
    if (!run.transitions.includes(index)) run.transitions.push(index);
  run.end = step.t;
  if (step.status !== undefined) {
    // The state it was in when it ended: the one before the final state it moved to.
    run.stoppedIn = previous?.state ?? step.state;
    run.outcome = step.status === 'error' ? 'error' : step.error !== undefined ? 'failed' : 'done';
    if (step.error !== undefined) run.error = step.error;
    if (step.counts !== undefined) run.counts = step.counts;
  } else {
    run.stoppedIn = step.state;
  }
}

/** An unfinished run's last state lasts until the end of the trace. */
function finishRun(run: ActorRun, duration: number): void {
  const last = run.entries.at(-1);
  if (run.outcome === 'unfinished' && last !== undefined) {
    run.stateTimes[last.state] = (run.stateTimes[last.state] ?? 0) + (duration - last.at);
    run.end = duration;
  }
}

/** `mailbox INBOX` for a mailbox actor, the actor's name otherwise; with the run number after the first. */
export function runLabel(run: ActorRun): string {
  const name = run.actor.startsWith('mailbox:') ? `mailbox ${run.actor.slice(8)}` : run.actor;
  return run.run > 1 ? `${name} (run ${run.run})` : name;
}

/**
 * One sentence for a run that failed: `mailbox INBOX stalled in appendingNew after 312 of 500
 * messages: connection: BYE` (a connection "was closed in" its state); undefined for a run that did not fail.
 */
export function failureText(run: ActorRun): string | undefined {
  if (run.outcome !== 'failed' && run.outcome !== 'error') return undefined;
  const { copied, total } = run.note;
  const progress =
    typeof copied === 'number'
      ? ` after ${copied}${typeof total === 'number' ? ` of ${total}` : ''} messages`
      : '';
  const verb = run.machine === 'connection' ? 'was closed in' : 'stalled in';
  return `${runLabel(run)} ${verb} ${run.stoppedIn}${progress}: ${run.error ?? 'unknown error'}`;
}
