// docs/interimap.1 renders without warnings and documents every option of --help and every
// configuration key the loader knows.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { HELP } from '../../src/cli/help.js';
import { GLOBAL_OPTIONS, SERVER_OPTIONS } from '../../src/config/load.js';

const MANUAL = 'docs/interimap.1';

function rendered(): { text: string; warnings: string } {
  const r = spawnSync('man', ['--warnings', '-l', MANUAL], {
    env: { ...process.env, MANWIDTH: '80', MAN_KEEP_FORMATTING: '' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return { text: r.stdout.replace(/.\x08/g, ''), warnings: r.stderr };
}

test('the manual renders without warnings', () => {
  const { text, warnings } = rendered();
  assert.equal(warnings, '');
  assert.match(text, /^INTERIMAP\(1\)/m);
});

test('every --help option and every configuration key is in the manual', () => {
  const { text } = rendered();
  const helpOptions = [...HELP.matchAll(/--[a-z]+/g)].map((m) => m[0]);
  assert.ok(helpOptions.length >= 11);
  for (const option of new Set(helpOptions)) assert.ok(text.includes(option), `--help names ${option}`);
  for (const key of [...GLOBAL_OPTIONS, ...SERVER_OPTIONS])
    assert.match(text, new RegExp(`^ {7}(?:[\\w-]+, )?${key}\\b`, 'm'), key);
});
