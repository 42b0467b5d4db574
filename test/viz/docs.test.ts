import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CHART_DOCS_DIR, chartDocs, PAGE_SCREENSHOT } from '../../src/viz/docs.js';

// Tests run from the repository root (npm test, node test/run.mjs).
const REGENERATE = 'docs/charts is stale: run `npm run charts` and commit the result';

test('docs/charts is exactly what the charts generate', async () => {
  const generated = await chartDocs();
  for (const [name, content] of generated) {
    const committed = readFileSync(join(CHART_DOCS_DIR, name), 'utf8');
    assert.ok(committed === content, `${name} differs. ${REGENERATE}`);
  }
  const extra = readdirSync(CHART_DOCS_DIR).filter((f) => !generated.has(f) && f !== PAGE_SCREENSHOT);
  assert.deepEqual(extra, [], `files no chart generates. ${REGENERATE}`);
});
