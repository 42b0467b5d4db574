// The `--statechart` export: every chart as one self-contained HTML page, or as Mermaid, DOT or
// JSON text, written to a file or to stdout. The CLI parses the options and calls writeStatechart.
import { writeFile } from 'node:fs/promises';
import { CHARTS } from './charts.js';
import { extractChart } from './extract.js';
import { toDot, toMermaid } from './formats.js';
import { htmlPage, renderCharts } from './html.js';

export type StatechartFormat = 'html' | 'mermaid' | 'dot' | 'json';

export const STATECHART_FORMATS: readonly StatechartFormat[] = ['html', 'mermaid', 'dot', 'json'];

/** Where `--statechart` writes the HTML page when no file is named. */
export const DEFAULT_HTML_FILE = 'interimap-statecharts.html';

/**
 * The text of every chart in `format`. Several charts follow each other: DOT files may hold
 * several graphs, Mermaid diagrams are separated by their `---` front matter, JSON is an array.
 */
export async function statechartText(format: StatechartFormat): Promise<string> {
  if (format === 'html') return htmlPage(await renderCharts(CHARTS));
  const models = CHARTS.map((c) => extractChart(c.machine));
  if (format === 'json') return `${JSON.stringify(models, null, 2)}\n`;
  const render = format === 'dot' ? toDot : toMermaid;
  return models.map(render).join('\n');
}

/**
 * Writes the charts to `file`, or to stdout when it is undefined or `-` (the HTML page goes to
 * DEFAULT_HTML_FILE unless a file is named).
 */
export async function writeStatechart(opts: { file?: string; format: StatechartFormat }): Promise<void> {
  if (!STATECHART_FORMATS.includes(opts.format)) {
    throw new Error(
      `--statechart-format: unknown format '${opts.format}' (use ${STATECHART_FORMATS.join(', ')})`,
    );
  }
  const text = await statechartText(opts.format);
  const file = opts.file ?? (opts.format === 'html' ? DEFAULT_HTML_FILE : undefined);
  if (file === undefined || file === '-') {
    await new Promise<void>((resolve, reject) =>
      process.stdout.write(text, (error) => (error ? reject(error) : resolve())),
    );
    return;
  }
  try {
    await writeFile(file, text);
  } catch (error) {
    throw new Error(`--statechart: cannot write ${file}: ${(error as Error).message}`);
  }
}
