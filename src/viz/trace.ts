// The run trace recorder (`--trace=FILE`): an XState inspector that writes one JSON line per state
// transition of every chart actor (orchestrator, mailbox-sync children, connection roots), with
// event types only: never a payload, a context or an output beyond a failure's kind and message.
import { closeSync, createWriteStream, fchmodSync, openSync, type WriteStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { finished } from 'node:stream/promises';
import type { AnyStateMachine, AnyStateNode, InspectionEvent } from 'xstate';
import type { SideCounts, SyncCounts } from '../../machines/contracts.js';
import { toSyncError } from '../../machines/sync-error.js';
import { mailboxActorName } from './actor-names.js';
import { CHARTS } from './charts.js';
import { type TransitionDefinition, transitionDefinitions } from './extract.js';
import {
  ERROR_TEXT_LIMIT,
  NOTE_LIMITS,
  TRACE_FORMAT,
  TRACE_VERSION,
  type TraceHeader,
  type TraceLine,
  type TraceNote,
  type TraceStep,
} from './trace-line.js';

export interface TraceRecorder {
  /**
   * The inspector: pass it to every root actor of the run, `createActor(logic, { inspect })`;
   * the actors they invoke or spawn are inspected with them. Name a root with its `systemId`
   * (see connectionActorName); unnamed roots take their chart's name.
   */
  readonly inspect: (event: InspectionEvent) => void;
  /** Attaches progress figures to an actor (numbers and short strings only), e.g. `{ copied: 312, total: 500 }`. */
  note(actor: string, data: TraceNote): void;
  /** Flushes and closes the file; rejects with the first write error. Later events are ignored. */
  close(): Promise<void>;
}

/** What an actor's run-time object offers beyond ActorRefLike (xstate's Actor class). */
interface InspectedActor {
  id: string;
  sessionId: string;
  systemId?: string;
  logic?: unknown;
  _parent?: InspectedActor;
  getSnapshot(): unknown;
}

interface MachineSnapshot {
  status: 'active' | 'done' | 'error' | 'stopped';
  value: unknown;
  context?: unknown;
  output?: unknown;
  error?: unknown;
}

interface ActorInfo {
  name: string;
  /** The chart's name (`mailbox-sync`), or the machine id for a chart src/viz does not draw. */
  machine: string;
  state: string;
}

const CHART_NAMES: ReadonlyMap<string, string> = new Map(CHARTS.map((c) => [c.machine.id, c.name]));

/**
 * Opens `file` (created or truncated, mode 0600: a trace tells which mailboxes exist) and returns
 * the recorder writing to it; a file that cannot be created is one Error naming it.
 */
export function createTraceRecorder(file: string): TraceRecorder {
  const now = () => performance.now();
  const out = openTraceFile(file);
  const start = now();
  let writeError: Error | undefined;
  let closed = false;
  out.on('error', (error) => {
    writeError ??= new Error(`--trace: cannot write ${file}: ${error.message}`);
  });
  const write = (line: TraceHeader | TraceLine) => {
    if (!closed) out.write(`${JSON.stringify(line)}\n`);
  };
  const elapsed = () => Math.round((now() - start) * 10) / 10;
  write({ format: TRACE_FORMAT, version: TRACE_VERSION, started: new Date().toISOString() });

  const actors = new WeakMap<object, ActorInfo | null>();
  const byName = new Map<string, ActorInfo>();
  const rootNames = new Map<string, number>();

  /**
   * The actor's trace identity, or null when it is not a state machine (promise actors…).
   * `snapshot`: the one being inspected (the actor's own is not set yet during its first macrostep).
   */
  const infoOf = (ref: InspectedActor, snapshot?: MachineSnapshot): ActorInfo | null => {
    const known = actors.get(ref);
    if (known !== undefined) return known;
    const machine = asMachine(ref.logic);
    const info =
      machine === null
        ? null
        : {
            name: nameOf(ref, machine, snapshot),
            machine: CHART_NAMES.get(machine.id) ?? machine.id,
            state: '',
          };
    actors.set(ref, info);
    if (info !== null) byName.set(info.name, info);
    return info;
  };

  const nameOf = (ref: InspectedActor, machine: AnyStateMachine, snapshot?: MachineSnapshot): string => {
    const own = ownName(ref, machine, snapshot);
    if (ref._parent !== undefined) {
      const parent = infoOf(ref._parent);
      // A mailbox is synced by one actor at a time: its name needs no parent to be unique.
      return own.startsWith('mailbox:') || parent === null ? own : `${parent.name}/${own}`;
    }
    // A name the runtime gave (or a mailbox's) may come back, e.g. a connection opened again in
    // watch mode: the reader starts a new run of it. Unnamed roots are told apart by a number.
    if (ref.systemId !== undefined || ref.id !== ref.sessionId || own.startsWith('mailbox:')) return own;
    const seen = (rootNames.get(own) ?? 0) + 1;
    rootNames.set(own, seen);
    return seen === 1 ? own : `${own}#${seen}`;
  };

  /** One step line; the outcome (status, error, counts) when `snapshot` ended the actor. */
  const record = (
    info: ActorInfo,
    state: string,
    event: string,
    snapshot?: MachineSnapshot,
    taken: number[] = [],
  ) => {
    info.state = state;
    const line: TraceStep = { t: elapsed(), actor: info.name, machine: info.machine, state, event };
    if (taken.length > 0) line.transitions = taken;
    write(snapshot === undefined ? line : { ...line, ...outcomeOf(info.machine, snapshot) });
  };

  const inspect = (ev: InspectionEvent): void => {
    if (closed) return;
    const ref = ev.actorRef as unknown as InspectedActor;
    if (ev.type === '@xstate.microstep') {
      const snapshot = ev.snapshot as MachineSnapshot;
      const info = infoOf(ref, snapshot);
      if (info === null) return;
      const defs = ev._transitions as TransitionDefinition[];
      // Eventless transitions out of the initial state run before the start is reported: record it first.
      const initial = defs[0]?.source.path.join('.') ?? '';
      if (info.state === '' && initial !== '') record(info, initial, 'xstate.init');
      const index = transitionIndex(asMachine(ref.logic));
      const taken = defs.map((t) => index?.get(t)).filter((i): i is number => i !== undefined);
      const eventless = defs.length > 0 && defs.every((t) => t.eventType === '');
      record(info, stateText(snapshot.value), eventless ? 'always' : eventType(ev.event), snapshot, taken);
    } else if (ev.type === '@xstate.snapshot') {
      const snapshot = ev.snapshot as MachineSnapshot;
      const info = infoOf(ref, snapshot);
      if (info === null) return;
      const type = eventType(ev.event);
      // The start (unless recorded with its first transitions) and a throw are not microsteps.
      if ((type === 'xstate.init' && info.state === '') || snapshot.status === 'error') {
        record(info, stateText(snapshot.value), type, snapshot);
      }
    }
  };

  return {
    inspect: (ev) => {
      // An inspector must never break the run it watches: a bug here costs the trace only.
      try {
        inspect(ev);
      } catch (error) {
        writeError ??= new Error(`--trace: ${file}: recording failed: ${(error as Error).message}`);
      }
    },
    note(actor, data) {
      const note = checkNote(actor, data);
      const info = byName.get(actor);
      write(
        info === undefined
          ? { t: elapsed(), actor, note }
          : { t: elapsed(), actor, machine: info.machine, state: info.state, note },
      );
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      out.end();
      return finished(out).then(
        () => {
          if (writeError !== undefined) throw writeError;
        },
        () => {
          throw writeError;
        },
      );
    },
  };
}

function openTraceFile(file: string): WriteStream {
  let fd: number;
  try {
    fd = openSync(file, 'w', 0o600);
  } catch (error) {
    throw new Error(`--trace: cannot create ${file}: ${(error as Error).message}`);
  }
  try {
    // The mode of openSync applies only to a new file; an existing one is truncated and narrowed too.
    fchmodSync(fd, 0o600);
  } catch (error) {
    closeSync(fd);
    throw new Error(`--trace: cannot restrict ${file} to mode 0600: ${(error as Error).message}`);
  }
  return createWriteStream('', { fd });
}

/**
 * The actor's logic when it is a state machine. By shape, not `instanceof StateMachine`: a second
 * copy of xstate in node_modules would have its own class.
 */
function asMachine(logic: unknown): AnyStateMachine | null {
  const candidate = logic as Partial<AnyStateMachine> | null | undefined;
  return typeof candidate?.id === 'string' && typeof candidate.root?.states === 'object'
    ? (candidate as AnyStateMachine)
    : null;
}

/** Roots: their systemId or explicit id; otherwise mailbox actors by mailbox, others by chart. */
function ownName(ref: InspectedActor, machine: AnyStateMachine, snapshot?: MachineSnapshot): string {
  if (ref._parent === undefined) {
    if (ref.systemId !== undefined) return ref.systemId;
    if (ref.id !== ref.sessionId) return ref.id;
  }
  const current = snapshot ?? (ref.getSnapshot() as MachineSnapshot | undefined);
  const mailbox = current?.context as { mailbox?: unknown } | undefined;
  if (machine.id === 'mailboxSync' && typeof mailbox?.mailbox === 'string') {
    return mailboxActorName(mailbox.mailbox);
  }
  return ref._parent === undefined ? (CHART_NAMES.get(machine.id) ?? machine.id) : ref.id;
}

const indexes = new WeakMap<AnyStateMachine, Map<TransitionDefinition, number>>();

/** Transition definition → index in the chart model, by the model's own walk (extract.ts). */
function transitionIndex(machine: AnyStateMachine | null): Map<TransitionDefinition, number> | null {
  if (machine === null) return null;
  let index = indexes.get(machine);
  if (index === undefined) {
    const built = new Map<TransitionDefinition, number>();
    const visit = (node: AnyStateNode): void => {
      for (const t of transitionDefinitions(node)) built.set(t, built.size);
      for (const child of Object.values(node.states)) visit(child);
    };
    visit(machine.root);
    indexes.set(machine, built);
    index = built;
  }
  return index;
}

/** A state value as one string: `authenticated.ready`, or `a.x|b.y` for parallel regions. */
export function stateText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return '';
  return Object.entries(value)
    .map(([key, sub]) => {
      const below = stateText(sub);
      return below === '' ? key : `${key}.${below}`;
    })
    .join('|');
}

/** Text from outside (an event type, an error message) made safe for one line and bounded. */
function clean(text: string, limit: number): string {
  const flat = text.replace(/[\x00-\x1f\x7f]+/g, ' ');
  return flat.length > limit ? `${flat.slice(0, limit - 1)}…` : flat;
}

function eventType(event: { type?: unknown } | undefined): string {
  return typeof event?.type === 'string' ? clean(event.type, 120) : 'unknown';
}

/** The end of an actor: status, a whitelisted error text and the counts; nothing else of the output. */
function outcomeOf(
  machine: string,
  snapshot: MachineSnapshot,
): Pick<TraceStep, 'status' | 'error' | 'counts'> {
  if (snapshot.status === 'error') {
    const { kind, message } = toSyncError(snapshot.error);
    return { status: 'error', error: clean(`${kind}: ${message}`, ERROR_TEXT_LIMIT) };
  }
  if (snapshot.status !== 'done') return {};
  const output = (snapshot.output ?? {}) as Record<string, unknown>;
  const ending: Pick<TraceStep, 'status' | 'error' | 'counts'> = { status: 'done' };
  let failure: unknown;
  if (machine === 'mailbox-sync') {
    if (output.status === 'failed') failure = output.error;
    ending.counts = countsOf(output.counts);
  } else if (machine === 'orchestrator') {
    const summary = (output.summary ?? {}) as Record<string, unknown>;
    failure = summary.fatal ?? undefined;
    ending.counts = countsOf(summary.counts);
  } else if (machine === 'connection' && typeof output.reason === 'string' && output.reason !== 'logout') {
    ending.error = clean(`${output.reason}: ${String(output.detail)}`, ERROR_TEXT_LIMIT);
  }
  if (failure !== undefined && failure !== null) {
    const { kind, message } = toSyncError(failure);
    ending.error = clean(`${kind}: ${message}`, ERROR_TEXT_LIMIT);
  }
  if (ending.counts === undefined) delete ending.counts;
  return ending;
}

/** Copies the numbers of a SyncCounts, nothing else. */
function countsOf(value: unknown): SyncCounts | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const counts = value as Record<string, unknown>;
  const number = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const side = (v: unknown): SideCounts => {
    const s = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
    return { copied: number(s.copied), flagsUpdated: number(s.flagsUpdated), expunged: number(s.expunged) };
  };
  return {
    toLocal: side(counts.toLocal),
    toRemote: side(counts.toRemote),
    conflicts: number(counts.conflicts),
  };
}

/** A note holds progress figures only: finite numbers and short one-line strings under plain keys. */
function checkNote(actor: string, data: TraceNote): TraceNote {
  const entries = Object.entries(data);
  const where = `trace note for ${actor}`;
  if (entries.length > NOTE_LIMITS.keys) throw new Error(`${where}: more than ${NOTE_LIMITS.keys} fields`);
  for (const [key, value] of entries) {
    if (!NOTE_LIMITS.keyPattern.test(key))
      throw new Error(`${where}: invalid field name ${JSON.stringify(key)}`);
    const ok =
      typeof value === 'number'
        ? Number.isFinite(value)
        : typeof value === 'string' &&
          value.length <= NOTE_LIMITS.stringLength &&
          !/[\x00-\x1f\x7f]/.test(value);
    if (!ok) {
      throw new Error(
        `${where}: field ${key} must be a finite number or a one-line string of at most ${NOTE_LIMITS.stringLength} characters`,
      );
    }
  }
  return { ...data };
}
