// Model-based reachability for the charts with xstate/graph: explore every event a state can
// take (actor outputs and errors, delays, external events) and list the states never reached.
import type { AnyEventObject, AnyMachineSnapshot, AnyStateMachine, AnyStateNode } from 'xstate';
import { getShortestPaths, getStateNodes } from 'xstate/graph';

export interface Stimuli {
  /** The outputs each actor may finish with, by invoke id (`mailbox.*` for spawned ones). */
  outputs: Record<string, unknown[]>;
  /** What an actor may reject with. */
  errors: unknown[];
  /** Events from outside the chart, with their payload. */
  external: AnyEventObject[];
  /** The part of the context that decides where the chart can go (keeps the exploration finite). */
  key: (snapshot: AnyMachineSnapshot) => unknown;
}

/** Done and error events of the actors a state waits for, its delayed events, and the external ones. */
function eventsFor(snapshot: AnyMachineSnapshot, stimuli: Stimuli): AnyEventObject[] {
  const events = [...stimuli.external];
  for (const node of snapshot._nodes) {
    for (const descriptor of Object.keys(node.on)) {
      const actor = /^xstate\.(done|error)\.actor\.(.+)$/.exec(descriptor);
      if (actor === null) {
        if (descriptor.startsWith('xstate.after.')) events.push({ type: descriptor });
        continue;
      }
      const [, kind, pattern] = actor as unknown as [string, 'done' | 'error', string];
      const ids = pattern.endsWith('.*')
        ? Object.keys(snapshot.children).filter((id) => id.startsWith(pattern.slice(0, -1)))
        : [pattern];
      for (const actorId of ids) {
        const type = `xstate.${kind}.actor.${actorId}`;
        if (kind === 'done') {
          for (const output of stimuli.outputs[pattern] ?? [undefined])
            events.push({ type, output, actorId });
        } else {
          for (const error of stimuli.errors) events.push({ type, error, actorId });
        }
      }
    }
  }
  return events;
}

/** Ids of the state nodes a resting snapshot is in, over every path from each input. */
function restingStates(machine: AnyStateMachine, inputs: unknown[], stimuli: Stimuli): Set<string> {
  const reached = new Set<string>();
  for (const input of inputs) {
    const paths = getShortestPaths(machine, {
      input,
      events: (snapshot) => eventsFor(snapshot, stimuli),
      serializeState: (snapshot) => JSON.stringify([snapshot.value, stimuli.key(snapshot)]),
      serializeEvent: (event) => JSON.stringify(event, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)),
    });
    for (const path of paths) for (const node of path.state._nodes) reached.add(node.id);
  }
  return reached;
}

function targetsOf(node: AnyStateNode): AnyStateNode[] {
  return [...node.transitions.values(), node.always ?? []].flat().flatMap((t) => t.target ?? []);
}

/**
 * The states of `machine` no exploration reaches. A transient state (only eventless transitions)
 * is never at rest, so it counts as reached when a reached state has a transition into it.
 */
export function unreachedStates(machine: AnyStateMachine, inputs: unknown[], stimuli: Stimuli): string[] {
  const reached = restingStates(machine, inputs, stimuli);
  const all = getStateNodes(machine.root);
  const enteredFromReached = new Set(
    all.filter((n) => reached.has(n.id)).flatMap((n) => targetsOf(n).map((t) => t.id)),
  );
  return all
    .filter((n) => !reached.has(n.id))
    .filter((n) => !(n.always !== undefined && enteredFromReached.has(n.id)))
    .map((n) => n.id);
}

/** States without a `meta.label`, which the chart drawings need. */
export function unlabelledStates(machine: AnyStateMachine): string[] {
  return getStateNodes(machine.root)
    .filter((n) => typeof (n.meta as { label?: unknown } | undefined)?.label !== 'string')
    .map((n) => n.id);
}
