// `npm run bench`: compares our interimap with the Perl InterIMAP 0.5.7 on the scenarios of
// bench/scenarios.ts, each on fresh servers, and prints median wall time, CPU, peak RSS, write bursts
// and the Perl/ours wall-time ratio. Exits non-zero when any run failed or left the servers different.
import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type CellRow as Row, runCell } from './cell.js';
import { lowerBoundScenarios } from './lower-bound.js';
import { NODE_STARTUP_VARIABLES } from './pair.js';
import { CpuAccounting, ensureGnuTime, median, TOOLS, type Tool } from './runner.js';
import { type BenchContext, SCENARIOS } from './scenarios.js';

const USAGE =
  'usage: sync-bench [--tools=perl,ours] [--scenarios=1,2,3,4,5,6] [--match=TEXT] [--runs=N] [--interleave]\n' +
  '                  [--scale=1] [--db-dir=DIR]\n' +
  SCENARIOS.map((s) => `  ${s.group}: ${s.label}`).join('\n');

interface Options {
  tools: Tool[];
  groups: Set<number>;
  /** Only the cells whose label holds this text. */
  match: string | undefined;
  /** Alternate the tools run by run within a cell, rather than all of one tool's runs first. */
  interleave: boolean;
  context: Omit<BenchContext, 'cpu'>;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      tools: { type: 'string', default: 'perl,ours' },
      scenarios: { type: 'string', default: '1,2,3,4,5,6' },
      match: { type: 'string' },
      interleave: { type: 'boolean', default: false },
      runs: { type: 'string', default: '3' },
      scale: { type: 'string', default: '1' },
      'db-dir': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const tools = values.tools.split(',').map((name) => {
    const tool = name === 'raw' ? undefined : TOOLS[name as Tool['name']];
    if (!tool) throw new Error(`unknown tool '${name}' in --tools (perl, ours)`);
    return tool;
  });
  const groups = new Set(values.scenarios.split(',').map(Number));
  if ([...groups].some((g) => !Number.isInteger(g) || g < 1)) {
    throw new Error(`--scenarios wants numbers like 1,3,4, not '${values.scenarios}'`);
  }
  const runs = Number(values.runs);
  const scale = Number(values.scale);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer`);
  if (!(scale > 0 && scale <= 1)) throw new Error(`--scale must be in (0, 1]`);
  const dbDir = values['db-dir'];
  if (dbDir !== undefined && !statSync(dbDir, { throwIfNoEntry: false })?.isDirectory())
    throw new Error(`--db-dir ${dbDir} is not a directory`);
  return {
    tools,
    groups,
    match: values.match,
    interleave: values.interleave,
    context: { runs, scale, ...(dbDir !== undefined && { dbDir }) },
  };
}

const seconds = (s: number) => `${s.toFixed(s < 10 ? 3 : 2)} s`;
const mebibytes = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;

function formatTable(rows: Row[]): string {
  const header = [
    'scenario',
    'tool',
    'wall (median)',
    'wall min–max',
    'CPU',
    'server CPU',
    'peak RSS',
    'bursts',
    'perl/ours',
  ];
  const medianWall = (row: Row | undefined) =>
    row && 'runs' in row.outcome ? median(row.outcome.runs.map((r) => r.wallSeconds)) : undefined;
  const cells = (row: Row): string[] => {
    const name = `${row.scenario.group}. ${row.scenario.label}`;
    if ('failure' in row.outcome) return [name, row.tool.name];
    const runs = row.outcome.runs;
    const walls = runs.map((r) => r.wallSeconds);
    const bursts = runs.map((r) => r.bursts).filter((b): b is number => b !== undefined);
    const serverCpu = runs.map((r) => r.serverCpuSeconds).filter((s): s is number => s !== undefined);
    const perl = medianWall(rows.find((r) => r.scenario === row.scenario && r.tool.name === 'perl'));
    const ratio =
      row.tool.name === 'ours' && perl !== undefined ? `${(perl / medianWall(row)!).toFixed(2)}×` : '';
    return [
      name,
      row.tool.name,
      seconds(medianWall(row)!),
      walls.length > 1 ? `${Math.min(...walls).toFixed(2)}–${Math.max(...walls).toFixed(2)}` : '',
      seconds(median(runs.map((r) => r.cpuSeconds))),
      serverCpu.length > 0 ? seconds(median(serverCpu)) : '',
      mebibytes(Math.max(...runs.map((r) => r.maxRssKiB))),
      bursts.length > 0 ? String(median(bursts)) : '',
      ratio,
    ];
  };
  const table = rows.map(cells);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((line) => (line[i] ?? '').length)));
  const format = (line: string[]) =>
    line.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  // A failed cell prints its reason where the figures would be.
  const lines = rows.map((row, i) =>
    'failure' in row.outcome ? `${format(table[i]!)}  ${row.outcome.failure}` : format(table[i]!),
  );
  return [format(header), ...lines].join('\n');
}

const progress = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<number> {
  const { tools, groups, match, interleave, context } = parseOptions();
  ensureGnuTime();
  const cpu = CpuAccounting.create();
  if (!cpu) {
    process.stderr.write(
      'sync-bench: cgroup cpuacct not writable: CPU includes tunnel servers reaped by the tool\n',
    );
  }
  const unset = NODE_STARTUP_VARIABLES.filter((name) => process.env[name] !== undefined);
  if (unset.length > 0) process.stderr.write(`sync-bench: both tools run without ${unset.join(', ')}\n`);
  const scenarios = [...SCENARIOS, ...lowerBoundScenarios].filter(
    (s) => groups.has(s.group) && (match === undefined || s.label.includes(match)),
  );
  if (scenarios.length === 0) throw new Error('no scenario matches --scenarios and --match');
  const rows: Row[] = [];
  try {
    for (const scenario of scenarios) {
      // The lower bound is one copier, not a tool comparison: run once.
      const cellTools = scenario.group === 6 ? [TOOLS.raw] : tools;
      const cellContext = { ...context, ...(cpu && { cpu }) };
      rows.push(...(await runCell(scenario, cellTools, { interleave, context: cellContext, log: progress })));
    }
  } finally {
    cpu?.remove();
  }
  const scale = context.scale === 1 ? '' : `, scale ${context.scale}`;
  const order = interleave ? ', tools interleaved' : '';
  process.stdout.write(
    `\nsync benchmark (${context.runs} run(s) per cell${order}${scale})\n${formatTable(rows)}\n`,
  );
  const failed = rows.filter((r) => 'failure' in r.outcome).length;
  if (failed > 0) process.stdout.write(`\n${failed} cell(s) FAILED\n`);
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`sync-bench: ${error.message}\n`);
    process.exit(2);
  },
);
