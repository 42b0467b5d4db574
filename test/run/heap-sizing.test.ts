// limitHeapGrowth: V8's young generation stays at its first size for the rest of the process, a
// user's own heap options are kept, and V8's defaults are back by the time 'exit' listeners run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const MODULE = fileURLToPath(new URL('../../src/run/heap-sizing.js', import.meta.url));

/**
 * In a fresh Node (with `nodeOptions`): calls limitHeapGrowth, then allocates two million objects
 * that each survive a few scavenges (what makes V8 grow the young generation), and prints the
 * young generation's size in MiB.
 */
function youngGenerationAfterChurn(nodeOptions: string[]): number {
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8';
    const { limitHeapGrowth } = await import(${JSON.stringify(MODULE)});
    limitHeapGrowth();
    const kept = [];
    for (let i = 0; i < 1 << 21; i++) {
      kept.push({ i, text: 'x'.repeat(16) + i });
      if (kept.length > 200000) kept.splice(0, 100000);
    }
    const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    process.stdout.write(String(young.space_size / 1048576));`;
  const r = spawnSync(process.execPath, [...nodeOptions, '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
  });
  assert.equal(r.status, 0, r.stderr);
  return Number(r.stdout);
}

test('the young generation does not grow past its first size', () => {
  // Without the limit the same churn grows it (asserted below with the user's own options).
  assert.ok(youngGenerationAfterChurn([]) <= 2, 'two 1 MiB semi-spaces at most');
});

test("a user's own heap options are kept", () => {
  assert.ok(youngGenerationAfterChurn(['--max-semi-space-size=8']) > 2, 'grown under the user options');
});

test("V8's defaults are back when 'exit' listeners run (a code cache written then is accepted later)", () => {
  // A code cache made under other V8 options is refused: made at exit after the limit, then
  // consumed by a fresh process with default options, it must be accepted.
  const script = `
    import { Script } from 'node:vm';
    const { limitHeapGrowth } = await import(${JSON.stringify(MODULE)});
    const source = 'function twice(x) { return 2 * x; } twice(21);';
    const script = new Script(source);
    script.runInThisContext();
    process.on('exit', () => process.stdout.write(script.createCachedData().toString('base64')));
    limitHeapGrowth();`;
  const made = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const check = `
    const { Script } = require('node:vm');
    const s = new Script('function twice(x) { return 2 * x; } twice(21);', {
      cachedData: Buffer.from(${JSON.stringify(made.stdout)}, 'base64'),
    });
    process.stdout.write(s.cachedDataRejected ? 'rejected' : 'accepted');`;
  const used = spawnSync(process.execPath, ['-e', check], { encoding: 'utf8' });
  assert.equal(used.stdout, 'accepted');
});
