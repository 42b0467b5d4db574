// Turns an XState v5 machine into a plain, JSON-ready chart model by walking its StateNode tree
// (states, transitions map, always, delays, invokes, guards, meta.label): generated from the
// definition itself, so a drawing can never drift from the chart the runtime executes.
import type { AnyStateMachine, AnyStateNode } from 'xstate';

export type StateType = 'atomic' | 'compound' | 'parallel' | 'final' | 'history';

export interface ChartInvoke {
  /** The actor logic's name in `setup({ actors })`. */
  src: string;
  /** The invoke id: the child actor's id at run time (XState generates `<n>.<state id>` when unnamed). */
  id: string;
}

export interface ChartState {
  /** The state's path from the machine, dot-joined and prefixed with the machine id. */
  id: string;
  key: string;
  /** The parent's id; null for the machine's root node. */
  parent: string | null;
  type: StateType;
  /** Id of the initial child of a compound state. */
  initial?: string;
  label?: string;
  description?: string;
  tags?: string[];
  invokes: ChartInvoke[];
  final?: true;
}

export type TransitionKind = 'event' | 'always' | 'after' | 'done' | 'error' | 'snapshot' | 'doneState';

export interface ChartTransition {
  source: string;
  /** Empty for a targetless transition (actions only, the state is not left). */
  targets: string[];
  /** For display: `done: select`, `error: select`, `after commandTimeout`, `always` or the event type. */
  event: string;
  /** XState's own descriptor (`xstate.done.actor.0.connection.selecting`); '' for `always`. */
  eventType: string;
  kind: TransitionKind;
  /** The guard as an expression of guard names, e.g. `needsStartTls && !hasStartTls`. */
  guard?: string;
  actions?: string[];
  reenter?: true;
}

export interface ChartModel {
  /** The machine id (`connection`, `mailboxSync`, `orchestrator`). */
  id: string;
  /** Every state node in document order, the root first. */
  states: ChartState[];
  /** Every transition in document order of its source state. */
  transitions: ChartTransition[];
}

/** The state path of a node: the machine id followed by its keys, dot-joined. */
function pathId(node: AnyStateNode): string {
  return [node.machine.id, ...node.path].join('.');
}

export function extractChart(machine: AnyStateMachine): ChartModel {
  const states: ChartState[] = [];
  const transitions: ChartTransition[] = [];
  const visit = (node: AnyStateNode): void => {
    states.push(stateOf(node));
    transitions.push(...transitionsOf(node));
    for (const child of Object.values(node.states)) visit(child);
  };
  visit(machine.root);
  return { id: machine.id, states, transitions };
}

function stateOf(node: AnyStateNode): ChartState {
  const state: ChartState = {
    id: pathId(node),
    key: node.path.length === 0 ? node.machine.id : node.key,
    parent: node.parent === undefined ? null : pathId(node.parent),
    type: node.type,
    // XState's `invoke` getter already names inline logic `xstate.invoke.<id>`; the type still allows logic.
    invokes: node.invoke.map((i) => ({ src: typeof i.src === 'string' ? i.src : 'inline', id: i.id })),
  };
  const initial = node.type === 'compound' ? node.initial.target[0] : undefined;
  if (initial !== undefined) state.initial = pathId(initial);
  const label = (node.meta as { label?: unknown } | undefined)?.label;
  if (typeof label === 'string') state.label = label;
  if (node.description !== undefined) state.description = node.description;
  if (node.tags.length > 0) state.tags = [...node.tags];
  if (node.type === 'final') state.final = true;
  return state;
}

export type TransitionDefinition = NonNullable<AnyStateNode['always']>[number];

/**
 * The node's own transition definitions in XState's order (on, onDone, invoke done/error, after),
 * then always: the order of the model's transitions (the run trace maps taken ones to indexes by it).
 */
export function transitionDefinitions(node: AnyStateNode): TransitionDefinition[] {
  return [...node.transitions.values()].flat().concat(node.always ?? []);
}

function transitionsOf(node: AnyStateNode): ChartTransition[] {
  return transitionDefinitions(node).map((t) => transitionOf(node, t));
}

function transitionOf(node: AnyStateNode, t: TransitionDefinition): ChartTransition {
  const { kind, event } = describeEvent(node, t);
  const transition: ChartTransition = {
    source: pathId(node),
    targets: (t.target ?? []).map(pathId),
    event,
    eventType: t.eventType,
    kind,
  };
  if (t.guard !== undefined) transition.guard = guardName(t.guard);
  if (t.actions.length > 0) transition.actions = t.actions.map(actionName);
  if (t.reenter) transition.reenter = true;
  return transition;
}

const actorEvent = /^xstate\.(done\.actor|error\.actor|snapshot)\.(.+)$/;

function describeEvent(node: AnyStateNode, t: TransitionDefinition): { kind: TransitionKind; event: string } {
  const descriptor = t.eventType;
  if (descriptor === '') return { kind: 'always', event: 'always' };
  const delay = (t as { delay?: unknown }).delay;
  if (delay !== undefined) {
    return { kind: 'after', event: `after ${typeof delay === 'number' ? `${delay}ms` : String(delay)}` };
  }
  if (descriptor === `xstate.done.state.${node.id}`) return { kind: 'doneState', event: 'done' };
  const match = actorEvent.exec(descriptor);
  if (match === null) return { kind: 'event', event: descriptor };
  const [, which, actorId] = match as unknown as [string, string, string];
  // An invoke's events name its actor id; show the logic's name, which the chart's author wrote.
  const name = node.invoke.find((i) => i.id === actorId)?.src ?? actorId;
  const kind = which === 'done.actor' ? 'done' : which === 'error.actor' ? 'error' : 'snapshot';
  return { kind, event: `${kind}: ${name}` };
}

/** A guard reference: a name, `{type, params}`, or a higher-order and/or/not/stateIn function. */
function guardName(guard: unknown): string {
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const combined = guard as { name: string; guards?: unknown[]; stateValue?: unknown };
    const parts = (combined.guards ?? []).map((g) => (isBinary(g) ? `(${guardName(g)})` : guardName(g)));
    if (combined.name === 'and') return parts.join(' && ');
    if (combined.name === 'or') return parts.join(' || ');
    if (combined.name === 'not') return `!${parts[0]}`;
    if (combined.name === 'stateIn') return `in(${JSON.stringify(combined.stateValue)})`;
    return combined.name || 'inline';
  }
  if (typeof guard === 'object' && guard !== null && 'type' in guard) return String(guard.type);
  return 'inline';
}

function isBinary(guard: unknown): boolean {
  return typeof guard === 'function' && (guard.name === 'and' || guard.name === 'or');
}

/** An action's name; XState's built-ins (`xstate.assign`, `xstate.emit`…) lose their prefix. */
function actionName(action: unknown): string {
  if (typeof action === 'string') return action;
  const type = (action as { type?: unknown } | null)?.type;
  if (typeof type === 'string') return type.replace(/^xstate\./, '');
  if (typeof action === 'function') return action.name || 'inline';
  return 'inline';
}
