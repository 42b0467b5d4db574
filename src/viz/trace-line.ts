// The run trace's file format (`--trace=FILE`): JSON lines, a header first, then one line per state
// transition of a chart actor and one per progress note. Shared by the recorder and the reader.
import type { SyncCounts } from '../../machines/contracts.js';

export const TRACE_FORMAT = 'interimap-trace';
export const TRACE_VERSION = 1;

/** The first line. */
export interface TraceHeader {
  format: typeof TRACE_FORMAT;
  version: typeof TRACE_VERSION;
  /** Wall-clock time of t = 0, ISO 8601. */
  started: string;
}

/** What every later line has. */
interface TraceLineBase {
  /** Milliseconds since the trace started. */
  t: number;
  /** Stable actor name: `orchestrator`, `mailbox:INBOX`, `connection:local#0`. */
  actor: string;
}

/** An actor took a transition (or started: event `xstate.init`). */
export interface TraceStep extends TraceLineBase {
  /** The chart's name: `orchestrator`, `mailbox-sync`, `connection` (src/viz/charts.ts). */
  machine: string;
  /** The state after the step, dot-joined below the machine (`authenticated.ready`); `a|b` for parallel regions. */
  state: string;
  /** The type of the event that caused it, `always` for eventless transitions; never its payload. */
  event: string;
  /** Indexes of the transitions taken in the chart model's `transitions` (src/viz/extract.ts). */
  transitions?: number[];
  /** The actor ended: `done` in a final state, `error` when it threw. */
  status?: 'done' | 'error';
  /** Why it failed: `kind: message` of a failed final state's output, or of what was thrown. */
  error?: string;
  /** The counts a mailbox or orchestrator actor ended with. */
  counts?: SyncCounts;
}

/** Numbers and short strings the runtime attaches to an actor, e.g. `{ copied: 312, total: 500 }`. */
export type TraceNote = Record<string, number | string>;

export interface TraceNoteLine extends TraceLineBase {
  /** The actor's chart and state when the note was taken, when the actor is known. */
  machine?: string;
  state?: string;
  note: TraceNote;
}

export type TraceLine = TraceStep | TraceNoteLine;

/** Limits that keep a note to progress figures (never message data). */
export const NOTE_LIMITS = { keys: 16, keyPattern: /^[A-Za-z][A-Za-z0-9_-]{0,31}$/, stringLength: 80 };

/** Error texts are cut here: a reason, not a dump. */
export const ERROR_TEXT_LIMIT = 300;
