// The run trace drawn over the chart page (`--statechart --trace-in`), in headless Chromium offline:
// visited states and taken transitions are marked, the failed actor is marked with its reason, one
// timeline per actor, per-mailbox timings, and the actor picker narrows the marks to one actor.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { mailboxSyncMachine } from '../../machines/mailbox-sync.js';
import { extractChart } from '../../src/viz/extract.js';
import { writeStatechart } from '../../src/viz/statechart.js';
import { openOffline } from './browser.js';
import { checkRealSyncTrace, screenshotTracePage } from './trace-checks.js';
import { recordSampleRun, SECRET } from './trace-fixture.js';

const ARCHIVE_SENTENCE =
  'mailbox Archive stalled in appendingNew after 312 of 500 messages: connection: remote: BYE server shutting down';

describe('the run trace on the chart page in Chromium', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'interimap-trace-page-'));
  let refused: string[] = [];
  let browser: Browser;
  let page: Page;
  const classOf = async (state: string) =>
    (await page.locator(`[data-state="${state}"]`).getAttribute('class')) ?? '';

  const trace = join(dir, 'run.trace');

  before(async () => {
    const file = join(dir, 'trace.html');
    await recordSampleRun(trace);
    await writeStatechart({ file, format: 'html', trace });
    ({ browser, page, refused } = await openOffline(file, { width: 1300, height: 900 }));
  });

  after(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('no request leaves the file; one timeline per actor, events named as the charts draw them', async () => {
    assert.deepEqual(refused, []);
    assert.equal(await page.locator('#timeline-rows .timeline').count(), 5);
    const local = await page.locator('.timeline[data-actor="connection:local#0"] li').allTextContents();
    assert.match(local[0]!, /^\d+\.\d{3}s connecting \u2190 start$/);
    assert.match(local[1]!, /greeting \u2190 done: openTransport$/);
    assert.match(local.at(-1)!, /closed \u2190 error: logout$/);
  });

  test('the states each actor went through are marked visited; untouched ones are not', async () => {
    for (const state of [
      'orchestrator.openingDatabase',
      'orchestrator.syncing',
      'orchestrator.concludingCycle',
      'mailboxSync.selecting',
      'mailboxSync.checkpointingUidnext',
      'connection.greeting',
      'connection.authenticated.ready',
      'connection.loggingOut',
    ]) {
      assert.match(await classOf(state), /\bhl-visited\b/, state);
    }
    for (const state of ['mailboxSync.resuming', 'connection.idle', 'orchestrator.waiting']) {
      assert.doesNotMatch(await classOf(state), /\bhl\b/, state);
    }
  });

  test('the transitions taken are marked, by their index in the model', async () => {
    const model = extractChart(mailboxSyncMachine);
    const taken = model.transitions.findIndex(
      (t) => t.source === 'mailboxSync.appendingNew' && t.kind === 'error',
    );
    const never = model.transitions.findIndex(
      (t) => t.source === 'mailboxSync.resuming' && t.kind === 'done',
    );
    const edge = (i: number) =>
      page.locator(`[data-machine="mailboxSync"][data-transition="${i}"].hl-visited`);
    assert.equal(await edge(taken).count(), 1);
    assert.equal(await edge(never).count(), 0);
  });

  test('the failed mailbox is marked where it stalled, with its reason and progress', async () => {
    assert.match(await classOf('mailboxSync.appendingNew'), /\bhl-failed\b/);
    assert.match(await classOf('mailboxSync.failed'), /\bhl-failed\b/);
    assert.equal(
      await page.locator('#run-trace li.failed[data-actor="mailbox:Archive"]').textContent(),
      ARCHIVE_SENTENCE,
    );
    assert.equal(
      await page.locator('details[data-machine="mailboxSync"] .status').textContent(),
      ARCHIVE_SENTENCE,
    );
    assert.match(
      (await page.locator('#run-trace li.failed[data-actor="connection:remote#0"]').textContent()) ?? '',
      /^connection:remote#0 was closed in authenticated\.ready: bye: remote: server shutting down$/,
    );
  });

  test('per-mailbox timings: one row per mailbox, the failed one marked', async () => {
    const rows = page.locator('#run-trace table.trace-mailboxes tbody tr');
    assert.equal(await rows.count(), 2);
    const archive = page.locator('tr[data-actor="mailbox:Archive"]');
    assert.equal(await archive.getAttribute('class'), 'failed');
    assert.match((await archive.textContent()) ?? '', /failed \(312\/500 messages\)/);
    assert.match((await page.locator('tr[data-actor="mailbox:INBOX"]').textContent()) ?? '', /2 copied/);
  });

  test('the end-to-end checks, ready for a real sync: they pass on what went well, catch a failure', async () => {
    checkRealSyncTrace({ trace, secrets: [SECRET], mailboxes: ['INBOX'] });
    assert.throws(
      () => checkRealSyncTrace({ trace, secrets: [SECRET], mailboxes: ['INBOX', 'Archive'] }),
      /mailbox Archive/,
    );
    assert.throws(() => checkRealSyncTrace({ trace, secrets: ['INBOX'], mailboxes: [] }), /holds a secret/);
    const png = join(dir, 'shot.png');
    await screenshotTracePage(trace, png);
    assert.deepEqual([...readFileSync(png).subarray(1, 4)], [...Buffer.from('PNG')]);
  });

  test('the picker shows one actor: INBOX ended well, nothing else is marked', async () => {
    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: join('test-artifacts', 'trace-page.png') });
    await page.locator('#trace-actor').selectOption('mailbox:INBOX');
    assert.match(await classOf('mailboxSync.appendingNew'), /\bhl-visited\b/);
    assert.doesNotMatch(await classOf('mailboxSync.appendingNew'), /hl-failed/);
    assert.equal(await page.locator('details[data-machine="connection"] .hl').count(), 0);
    assert.equal(await page.locator('details[data-machine="orchestrator"] .hl').count(), 0);
    await page.locator('#trace-actor').selectOption('');
    assert.match(await classOf('mailboxSync.appendingNew'), /\bhl-failed\b/);
  });
});
