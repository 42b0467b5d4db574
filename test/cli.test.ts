import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

test('--version prints the package version', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  const out = execFileSync(process.execPath, ['dist/src/cli/main.js', '--version'], { encoding: 'utf8' });
  assert.equal(out, `interimap ${pkg.version}\n`);
});
