// Long fuzz of the response parser (`npm run fuzz -- [--seconds N] [--iterations N] [--seed N]`):
// runs mutated inputs until a budget is spent, then prints outcome counts, speed and peak memory.
// Exits non-zero on the first input that makes the parser throw anything but a ProtocolError.

import { loadCorpus, type Outcome, prng, runCase } from './mutate.js';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isFinite(value) || value < 0) {
    console.error(`long-fuzz: --${name} needs a number`);
    process.exit(2);
  }
  return value;
}

const seconds = option('seconds', 60);
const iterations = option('iterations', Number.POSITIVE_INFINITY);
const seed = option('seed', Date.now() % 2 ** 31);
const corpus = loadCorpus();
const random = prng(seed);
const outcomes: Record<Outcome, number> = { parsed: 0, incomplete: 0, 'protocol-error': 0 };
const started = Date.now();
let cases = 0;
let bytes = 0;
let peakRss = 0;
let slowest = 0;
console.log(`long-fuzz: seed ${seed}, up to ${seconds} s / ${iterations} cases`);
try {
  while (cases < iterations && Date.now() - started < seconds * 1000) {
    const caseStart = performance.now();
    const result = runCase(random, corpus);
    slowest = Math.max(slowest, performance.now() - caseStart);
    outcomes[result.outcome]++;
    bytes += result.input.length;
    if (++cases % 1000 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
} catch (error) {
  console.error(`long-fuzz: FAILED after ${cases} cases (seed ${seed}):`, error);
  process.exit(1);
}
const elapsed = (Date.now() - started) / 1000;
console.log(
  `long-fuzz: ${cases} cases, ${(bytes / 1024 / 1024).toFixed(1)} MiB in ${elapsed.toFixed(1)} s; ` +
    `parsed ${outcomes.parsed}, incomplete ${outcomes.incomplete}, ProtocolError ${outcomes['protocol-error']}; ` +
    `slowest case ${slowest.toFixed(1)} ms, peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MiB`,
);
