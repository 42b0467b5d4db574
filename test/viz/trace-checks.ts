// Checks of a recorded run trace, shared by the unit tests (fake actors) and the end-to-end test
// of a real sync between two Dovecot servers once the engine lands: the file is private and holds
// no secret, its lines only the whitelisted fields; the run went where it should; a screenshot.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeStatechart } from '../../src/viz/statechart.js';
import { type RunTrace, readTrace } from '../../src/viz/trace-read.js';
import { openOffline } from './browser.js';

const HEADER_FIELDS = ['format', 'version', 'started'];
const STEP_FIELDS = new Set([
  't',
  'actor',
  'machine',
  'state',
  'event',
  'transitions',
  'status',
  'error',
  'counts',
]);
const NOTE_FIELDS = new Set(['t', 'actor', 'machine', 'state', 'note']);

/**
 * Mode 0600; none of `secrets` (passwords, message bodies, subjects…) appears, as is or in
 * base64 (AUTHENTICATE PLAIN); every line holds only the fields the format allows.
 */
export function assertPrivateTrace(file: string, secrets: readonly string[]): void {
  assert.equal(statSync(file).mode & 0o777, 0o600, `${file}: mode`);
  const text = readFileSync(file, 'utf8');
  for (const secret of secrets) {
    for (const form of [secret, Buffer.from(secret).toString('base64')]) {
      assert.ok(!text.includes(form), `${file} holds a secret (${secret.slice(0, 3)}…)`);
    }
  }
  const [header, ...lines] = text.trimEnd().split('\n');
  assert.deepEqual(Object.keys(JSON.parse(header!)), HEADER_FIELDS);
  for (const line of lines) {
    const fields = Object.keys(JSON.parse(line) as object);
    const allowed = fields.includes('note') ? NOTE_FIELDS : STEP_FIELDS;
    for (const field of fields) assert.ok(allowed.has(field), `unexpected field ${field} in ${line}`);
  }
}

/**
 * The end-to-end check of `interimap --trace=FILE` on a real sync (call it once the engine runs
 * against two Dovecot servers): private, every mailbox synced by its own actor ending `done`,
 * the orchestrator done without a fatal error, at least one connection actor per side.
 */
export function checkRealSyncTrace(opts: {
  trace: string;
  secrets: string[];
  mailboxes: string[];
}): RunTrace {
  assertPrivateTrace(opts.trace, opts.secrets);
  const trace = readTrace(readFileSync(opts.trace, 'utf8'), opts.trace);
  const orchestrator = trace.runs.find((r) => r.actor === 'orchestrator');
  assert.equal(orchestrator?.outcome, 'done', 'the orchestrator ended without a fatal error');
  for (const mailbox of opts.mailboxes) {
    const run = trace.runs.find((r) => r.actor === `mailbox:${mailbox}`);
    assert.equal(run?.outcome, 'done', `mailbox ${mailbox}`);
    assert.equal(run.entries.at(-1)?.state, 'done', `mailbox ${mailbox} synced`);
  }
  for (const side of ['local', 'remote']) {
    assert.ok(
      trace.runs.some((r) => r.machine === 'connection' && r.actor.startsWith(`connection:${side}`)),
      `a connection actor for ${side}`,
    );
  }
  return trace;
}

/** The page with `trace` drawn over it, opened offline, as a PNG (for the README). */
export async function screenshotTracePage(trace: string, png: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'interimap-trace-shot-'));
  try {
    const page = join(dir, 'trace.html');
    await writeStatechart({ file: page, format: 'html', trace });
    const offline = await openOffline(page, { width: 1200, height: 800 });
    try {
      assert.deepEqual(offline.refused, []);
      await offline.page.screenshot({ path: png });
    } finally {
      await offline.browser.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
