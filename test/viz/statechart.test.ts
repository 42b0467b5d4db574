import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CHARTS } from '../../src/viz/charts.js';
import { DEFAULT_HTML_FILE, type StatechartFormat, writeStatechart } from '../../src/viz/statechart.js';

describe('writeStatechart', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'interimap-viz-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('json: an array with every chart model', async () => {
    const file = join(dir, 'charts.json');
    await writeStatechart({ file, format: 'json' });
    const models = JSON.parse(readFileSync(file, 'utf8')) as { id: string }[];
    assert.deepEqual(
      models.map((m) => m.id),
      CHARTS.map((c) => c.machine.id),
    );
  });

  test('dot and mermaid: one graph per chart', async () => {
    for (const [format, start] of [
      ['dot', /^digraph "/gm],
      ['mermaid', /^stateDiagram-v2$/gm],
    ] as const) {
      const file = join(dir, `charts.${format}`);
      await writeStatechart({ file, format });
      assert.equal(readFileSync(file, 'utf8').match(start)?.length, CHARTS.length, format);
    }
  });

  test('html goes to interimap-statecharts.html when no file is named', () => {
    // A child process, so its working directory and stdout are its own.
    const module = new URL('../../src/viz/statechart.js', import.meta.url).href;
    const run = (opts: { file?: string; format: StatechartFormat }) =>
      execFileSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `(await import(${JSON.stringify(module)})).writeStatechart(${JSON.stringify(opts)})`,
        ],
        { cwd: dir, encoding: 'utf8', timeout: 30_000 },
      );
    assert.equal(run({ format: 'html' }), '');
    const page = readFileSync(join(dir, DEFAULT_HTML_FILE), 'utf8');
    assert.match(page, /^<!doctype html>/);
    assert.equal(page.match(/<div class="chart"><svg /g)?.length, CHARTS.length);
    assert.match(run({ format: 'dot' }), /^digraph "orchestrator" \{/);
    assert.match(run({ format: 'html', file: '-' }), /^<!doctype html>/);
  });

  test('bad format and unwritable file: one clear line', async () => {
    await assert.rejects(
      writeStatechart({ format: 'png' as StatechartFormat }),
      /^Error: --statechart-format: unknown format 'png' \(use html, mermaid, dot, json\)$/,
    );
    const file = join(dir, 'missing', 'x.json');
    await assert.rejects(writeStatechart({ file, format: 'json' }), (e: Error) =>
      e.message.startsWith(`--statechart: cannot write ${file}: ENOENT`),
    );
  });
});
