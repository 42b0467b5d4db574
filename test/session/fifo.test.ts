import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Fifo } from '../../src/session/fifo.js';

test('Fifo keeps order across compaction and removes from the middle', () => {
  const fifo = new Fifo<number>();
  for (let i = 0; i < 5000; i++) fifo.push(i);
  for (let i = 0; i < 3000; i++) assert.equal(fifo.shift(), i);
  assert.equal(fifo.length, 2000);
  fifo.remove(4000);
  fifo.remove(3000); // the head
  assert.equal(fifo.peek(), 3001);
  const rest = fifo.drain();
  assert.equal(rest.length, 1998);
  assert.ok(!rest.includes(4000));
  assert.deepEqual(rest.slice(0, 2), [3001, 3002]);
  assert.equal(fifo.length, 0);
  assert.equal(fifo.shift(), undefined);
});
