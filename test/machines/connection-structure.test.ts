import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AnyStateNode } from 'xstate';
import { connectionMachine } from '../../machines/connection.js';

function allStates(node: AnyStateNode): AnyStateNode[] {
  return [node, ...Object.values(node.states).flatMap(allStates)];
}

test('every state has a meta.label; every invoke has onError and a timer bounding it', () => {
  const states = allStates(connectionMachine.root).slice(1);
  assert.ok(states.length > 10);
  for (const state of states) {
    assert.equal(typeof state.meta?.label, 'string', `${state.id} has no meta.label`);
    for (const invoke of state.invoke) {
      assert.ok(
        state.transitions.has(`xstate.error.actor.${invoke.id}`),
        `${state.id}: invoke without onError`,
      );
      assert.ok(state.after.length > 0, `${state.id}: invoke without a timeout`);
    }
  }
});
