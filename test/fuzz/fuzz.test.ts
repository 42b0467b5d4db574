// Short fuzz run in the normal test suite: mutated valid responses yield responses or a
// ProtocolError, never another exception (a hang would trip the test timeout).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadCorpus, type Outcome, prng, runCase } from './mutate.js';

test('mutated responses parse or fail with ProtocolError (50,000 cases, fixed seed)', {
  timeout: 120_000,
}, () => {
  const corpus = loadCorpus();
  const random = prng(20240717);
  const outcomes: Record<Outcome, number> = { parsed: 0, incomplete: 0, 'protocol-error': 0 };
  for (let i = 0; i < 50_000; i++) outcomes[runCase(random, corpus).outcome]++;
  // The mutations must exercise both sides: some inputs still parse, many are rejected.
  assert.ok(outcomes.parsed > 100, JSON.stringify(outcomes));
  assert.ok(outcomes['protocol-error'] > 100, JSON.stringify(outcomes));
});
