// The `--statechart` export: every chart as one self-contained HTML page (with a run trace drawn
// over it, `--trace-in`), or as Mermaid, DOT or JSON text, written to a file or to stdout. The CLI
// parses the options and calls writeStatechart.
import { readFile, writeFile } from 'node:fs/promises';
import { CHARTS } from './charts.js';
import { extractChart } from './extract.js';
import { toDot, toMermaid } from './formats.js';
import { htmlPage, renderCharts } from './html.js';
import { traceOverlay } from './trace-overlay.js';
import { type RunTrace, readTrace } from './trace-read.js';

/** A wrong option or an unreadable or unwritable file: one line for the user, not a bug. */
export class StatechartError extends Error {}

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

/** The HTML page with the run trace in `traceFile` drawn over the charts. */
export async function tracedPage(traceFile: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(traceFile, 'utf8');
  } catch (error) {
    throw new StatechartError(`--trace-in: cannot read ${traceFile}: ${(error as Error).message}`);
  }
  let trace: RunTrace;
  try {
    trace = readTrace(text, traceFile);
  } catch (error) {
    throw new StatechartError(`--trace-in: ${(error as Error).message}`);
  }
  return htmlPage(await renderCharts(CHARTS), traceOverlay(trace, traceFile));
}

/**
 * Writes the charts to `file`, or to stdout when it is undefined or `-` (the HTML page goes to
 * DEFAULT_HTML_FILE unless a file is named). `trace`: a run trace file to draw over the HTML page.
 */
export async function writeStatechart(opts: {
  file?: string;
  format: StatechartFormat;
  trace?: string;
}): Promise<void> {
  if (!STATECHART_FORMATS.includes(opts.format)) {
    throw new StatechartError(
      `--statechart-format: unknown format '${opts.format}' (use ${STATECHART_FORMATS.join(', ')})`,
    );
  }
  if (opts.trace !== undefined && opts.format !== 'html') {
    throw new StatechartError(
      `--trace-in draws on the HTML page: it cannot be combined with --statechart-format=${opts.format}`,
    );
  }
  const text = opts.trace === undefined ? await statechartText(opts.format) : await tracedPage(opts.trace);
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
    throw new StatechartError(`--statechart: cannot write ${file}: ${(error as Error).message}`);
  }
}
