// The default actors of the charts: each rejects with "not provided", so a runtime that forgets
// one gets a clear error as data instead of a hang. The runtime supplies the real ones via
// `machine.provide({ actors })`, typed with PromiseActors.
import { fromPromise, type PromiseActorLogic } from 'xstate';
import type { SyncError } from './contracts.js';

/** A record of actor contracts: each name maps to its input and output types. */
type Contracts<C> = { [K in keyof C]: { input: unknown; output: unknown } };

/** The promise actors implementing a contract record (e.g. MailboxActorContracts). */
export type PromiseActors<C extends Contracts<C>> = {
  [K in keyof C]: PromiseActorLogic<C[K]['output'], C[K]['input']>;
};

/** One placeholder per contract; listing every name (`true`) is checked by the compiler. */
export function placeholderActors<C extends Contracts<C>>(names: { [K in keyof C]: true }): PromiseActors<C> {
  const actors: Record<string, PromiseActorLogic<unknown, unknown>> = {};
  for (const name of Object.keys(names)) {
    const error: SyncError = { kind: 'internal', message: `actor '${name}' was not provided by the runtime` };
    actors[name] = fromPromise(() => Promise.reject(error));
  }
  return actors as PromiseActors<C>;
}
