// `npm run charts`: regenerates docs/charts/ from the state charts (run from the repository root).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CHART_DOCS_DIR, chartDocs } from './docs.js';

await mkdir(CHART_DOCS_DIR, { recursive: true });
for (const [name, content] of await chartDocs()) await writeFile(join(CHART_DOCS_DIR, name), content);
console.log(`wrote ${CHART_DOCS_DIR}/`);
