// Test helpers for the charts: fake promise actors that log their calls, scripted outputs, a
// deferred promise, and a recorder of the state values an actor goes through.
import {
  type Actor,
  type AnyActorLogic,
  type AnyActorRef,
  type AnyStateMachine,
  createActor,
  fromPromise,
  type InputFrom,
} from 'xstate';
import type { PromiseActors } from '../../machines/placeholders.js';

type Contracts<C> = { [K in keyof C]: { input: unknown; output: unknown } };
type Impls<C extends Contracts<C>> = {
  [K in keyof C]: (input: C[K]['input'], signal: AbortSignal) => C[K]['output'] | Promise<C[K]['output']>;
};

/** Fake actors from plain functions; every call is logged as `name` in `calls`. */
export function fakeActors<C extends Contracts<C>>(impls: Impls<C>, calls: string[]): PromiseActors<C> {
  const actors: Record<string, AnyActorLogic> = {};
  for (const [name, impl] of Object.entries(impls) as Array<
    [string, (i: unknown, s: AbortSignal) => unknown]
  >) {
    actors[name] = fromPromise(async ({ input, signal }) => {
      calls.push(name);
      return impl(input, signal);
    });
  }
  return actors as PromiseActors<C>;
}

/** Returns the given values one per call, then repeats the last one. */
export function scripted<T>(...values: T[]): () => T {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)]!;
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A state value as one dotted string: `reconnecting.backingOff`, or `a|b` for parallel regions. */
export function valueText(value: unknown): string {
  if (typeof value === 'string') return value;
  return Object.entries(value as Record<string, unknown>)
    .map(([key, sub]) => `${key}.${valueText(sub)}`)
    .join('|');
}

/**
 * Starts `machine` and records the state value after every transition that has a target
 * (self re-entries included, context-only transitions excluded), starting with the initial one.
 * The actor's errors are kept, so an unhandled one fails the test instead of the process.
 */
export function startTraced<M extends AnyStateMachine>(machine: M, input: InputFrom<M>) {
  const trace: string[] = [];
  const errors: unknown[] = [];
  let root: AnyActorRef | undefined;
  const actor: Actor<M> = createActor(machine as AnyStateMachine, {
    input,
    inspect: (ev) => {
      if (root === undefined || ev.actorRef !== root) return;
      if (ev.type === '@xstate.microstep' && ev._transitions.some((t) => t.target !== undefined)) {
        trace.push(valueText((ev.snapshot as unknown as { value: unknown }).value));
      }
    },
  }) as Actor<M>;
  root = actor;
  actor.subscribe({ error: (e) => errors.push(e) });
  trace.push(valueText((actor as AnyActorRef).getSnapshot().value));
  actor.start();
  return { actor, trace, errors };
}
