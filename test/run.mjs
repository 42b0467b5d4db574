// Runs every compiled test file (dist/test/**/*.test.js) with node's test runner.
// A plain `node --test dist/test` would also execute helpers, since Node treats every
// file below a `test` directory as a test. Extra arguments filter by substring.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = 'dist/test';
const filters = process.argv.slice(2);
const files = readdirSync(root, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.test.js'))
  .filter((f) => filters.length === 0 || filters.some((p) => f.includes(p)))
  .sort()
  .map((f) => join(root, f));
if (files.length === 0) {
  console.error('test/run.mjs: no test file matched');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-timeout=300000', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
