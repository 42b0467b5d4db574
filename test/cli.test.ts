import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { delimiter, dirname } from 'node:path';
import { test } from 'node:test';
import { INTERIMAP } from './helpers/interimap-bin.js';

// The bundle and tsc's output sit at different depths below package.json; both find it.
for (const entry of [INTERIMAP, 'dist/src/cli/main.js']) {
  test(`--version prints the package version (${entry.replace(/^.*\/dist\//, 'dist/')})`, () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const out = execFileSync(process.execPath, [entry, '--version'], { encoding: 'utf8' });
    assert.equal(out, `interimap ${pkg.version}\n`);
  });
}

// As installed (npm's bin link), the command runs by its #! line.
test('the command runs by its own #! line', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  const PATH = [dirname(process.execPath), process.env.PATH].filter(Boolean).join(delimiter);
  const out = execFileSync(INTERIMAP, ['--version'], { encoding: 'utf8', env: { ...process.env, PATH } });
  assert.equal(out, `interimap ${pkg.version}\n`);
});
