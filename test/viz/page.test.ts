// Opens the HTML page in headless Chromium with every non-file request refused (browser.ts): the
// page must need no network, draw each chart and highlight.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { CHARTS } from '../../src/viz/charts.js';
import { htmlPage, renderCharts } from '../../src/viz/html.js';
import { openOffline } from './browser.js';

const ARTIFACTS = 'test-artifacts';

/** What the page script puts on `window` (globalThis in the page; the tests' lib has no DOM types). */
interface PageGlobals {
  highlight(machineId: string, statePath: string, info?: { kind?: string; note?: string }): boolean;
  interimapCharts: {
    highlightTransition(machineId: string, index: number, info?: { kind?: string }): boolean;
    clear(machineId?: string): void;
    addTimeline(
      actorId: string,
      machineId: string,
      entries: { at: number; state: string; event?: string }[],
    ): unknown;
  };
  scrollTo(x: number, y: number): void;
}

describe('the HTML chart page in Chromium', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'interimap-page-'));
  let refused: string[] = [];
  let browser: Browser;
  let page: Page;

  before(async () => {
    const file = join(dir, 'charts.html');
    writeFileSync(file, htmlPage(await renderCharts(CHARTS)));
    ({ browser, page, refused } = await openOffline(file));
  });

  after(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('no request leaves the file', () => {
    assert.deepEqual(refused, []);
  });

  test('every chart is drawn with its states tagged', async () => {
    for (const { machine } of CHARTS) {
      const drawn = await page.$$eval(`details[data-machine="${machine.id}"] svg [data-state]`, (nodes) =>
        nodes.map((n) => n.getAttribute('data-state')),
      );
      for (const key of Object.keys(machine.root.states)) {
        assert.ok(drawn.includes(`${machine.id}.${key}`), `${machine.id}.${key} not drawn`);
      }
      const box = await page.locator(`details[data-machine="${machine.id}"] .chart svg`).boundingBox();
      assert.ok(box !== null && box.width > 200 && box.height > 200, `${machine.id}: chart not laid out`);
    }
    for (const path of [
      'connection.authenticated.ready',
      'mailboxSync.appendingNew',
      'orchestrator.syncing',
    ]) {
      assert.equal(await page.locator(`[data-state="${path}"]`).count(), 1, path);
    }
  });

  test('highlight() marks a state, a transition and fills the timeline; clear() unmarks', async () => {
    const result = await page.evaluate(() => {
      const { highlight, interimapCharts: api } = globalThis as unknown as PageGlobals;
      return {
        relative: highlight('connection', 'authenticated.ready', { note: 'lane 0: ready' }),
        full: highlight('mailboxSync', 'mailboxSync.failed', { kind: 'failed' }),
        unknown: highlight('connection', 'nowhere'),
        edge: api.highlightTransition('orchestrator', 0, { kind: 'visited' }),
      };
    });
    assert.deepEqual(result, { relative: true, full: true, unknown: false, edge: true });
    const ready = page.locator('[data-state="connection.authenticated.ready"]');
    assert.match((await ready.getAttribute('class')) ?? '', /\bhl\b.*\bhl-current\b/);
    assert.match(
      (await page.locator('[data-state="mailboxSync.failed"]').getAttribute('class')) ?? '',
      /hl-failed/,
    );
    assert.equal(
      await page.locator('details[data-machine="connection"] .status').textContent(),
      'lane 0: ready',
    );
    assert.equal(await page.locator('[data-machine="orchestrator"][data-transition="0"].hl').count(), 1);

    await page.evaluate(() => {
      const api = (globalThis as unknown as PageGlobals).interimapCharts;
      api.clear();
      api.addTimeline('mailbox.0', 'mailboxSync', [
        { at: 0, state: 'selecting' },
        { at: 12, state: 'appendingNew', event: 'done: checkpointModseq' },
      ]);
    });
    assert.equal(await page.locator('.hl').count(), 0);
    await page.locator('#timelines li', { hasText: 'appendingNew' }).click();
    assert.match(
      (await page.locator('[data-state="mailboxSync.appendingNew"]').getAttribute('class')) ?? '',
      /hl-current/,
    );

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'statechart-page.png'), fullPage: true });
    // The small one for docs/charts/statechart-page.png (copied by hand: it varies with fonts).
    await page.evaluate(() => (globalThis as unknown as PageGlobals).scrollTo(0, 0));
    await page.setViewportSize({ width: 1100, height: 760 });
    await page.screenshot({ path: join(ARTIFACTS, 'statechart-page-small.png') });
  });
});
