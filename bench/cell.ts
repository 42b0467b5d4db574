// One cell of the benchmark table: a scenario's runs for each tool, in turn or interleaved.
import type { RunResult } from './pair.js';
import type { Tool } from './runner.js';
import { type BenchContext, BenchFailure, type Scenario } from './scenarios.js';

export interface CellRow {
  scenario: Scenario;
  tool: Tool;
  outcome: { runs: RunResult[] } | { failure: string };
}

export interface CellOptions {
  /** One run of each tool after the other, rather than all of a tool's runs before the next tool's. */
  interleave: boolean;
  context: BenchContext;
  /** Progress and failures, a line at a time. */
  log: (line: string) => void;
}

/**
 * A scenario's `context.runs` runs for each tool. Interleaved, a machine whose speed drifts over
 * minutes weighs on every tool alike. A tool's failed run ends its cell; the other tools go on.
 */
export async function runCell(scenario: Scenario, tools: Tool[], options: CellOptions): Promise<CellRow[]> {
  const { interleave, context, log } = options;
  const cells = tools.map((tool) => ({
    tool,
    runs: [] as RunResult[],
    failure: undefined as string | undefined,
  }));
  const rounds = interleave ? context.runs : 1;
  const runsPerCall = interleave ? 1 : context.runs;
  for (let round = 0; round < rounds; round++) {
    for (const cell of cells) {
      if (cell.failure !== undefined) continue;
      const which = interleave ? ` (run ${round + 1} of ${rounds})` : '';
      log(`… ${scenario.group}. ${scenario.label}: ${cell.tool.name}${which}`);
      try {
        cell.runs.push(...(await scenario.run(cell.tool, { ...context, runs: runsPerCall })));
      } catch (error) {
        if (!(error instanceof BenchFailure)) throw error;
        log(`!!! ${scenario.group}. ${scenario.label}: ${cell.tool.name} ${error.message}`);
        cell.failure = `${cell.tool.name}: ${error.message.split('\n')[0]!.replace(/:$/, '')}`;
      }
    }
  }
  return cells.map(({ tool, runs, failure }) => ({
    scenario,
    tool,
    outcome: failure === undefined ? { runs } : { failure },
  }));
}
