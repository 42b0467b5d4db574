// A benchmark cell: each tool's runs, in turn or interleaved, and a failed tool's cell ended alone.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runCell } from '../../bench/cell.js';
import type { RunResult } from '../../bench/pair.js';
import { TOOLS } from '../../bench/runner.js';
import { BenchFailure, type Scenario } from '../../bench/scenarios.js';

/** A scenario recording which tool ran when; `failing` fails on that tool's `failAt`-th call. */
function recordingScenario(failing?: { tool: string; failAt: number }) {
  const calls: string[] = [];
  const scenario: Scenario = {
    group: 9,
    label: 'recorded',
    run: async (tool, context) => {
      calls.push(`${tool.name}×${context.runs}`);
      const nth = calls.filter((c) => c.startsWith(tool.name)).length;
      if (failing?.tool === tool.name && nth === failing.failAt)
        throw new BenchFailure('SERVERS DIFFER\nmore');
      return Array.from(
        { length: context.runs },
        (_, i): RunResult => ({
          wallSeconds: nth + i / 10,
          cpuSeconds: 0,
          maxRssKiB: 0,
          exitCode: 0,
          stderr: '',
        }),
      );
    },
  };
  return { scenario, calls };
}

const tools = [TOOLS.perl, TOOLS.ours];
const context = { scale: 1, runs: 3 };

describe('bench cell', () => {
  test('in turn: all of one tool’s runs in one call, then the next tool’s', async () => {
    const { scenario, calls } = recordingScenario();
    const rows = await runCell(scenario, tools, { interleave: false, context, log: () => {} });
    assert.deepEqual(calls, ['perl×3', 'ours×3']);
    assert.deepEqual(
      rows.map((r) => [r.tool.name, 'runs' in r.outcome ? r.outcome.runs.length : 0]),
      [
        ['perl', 3],
        ['ours', 3],
      ],
    );
  });

  test('interleaved: one run of each tool after the other, every run kept', async () => {
    const { scenario, calls } = recordingScenario();
    const lines: string[] = [];
    const rows = await runCell(scenario, tools, { interleave: true, context, log: (l) => lines.push(l) });
    assert.deepEqual(calls, ['perl×1', 'ours×1', 'perl×1', 'ours×1', 'perl×1', 'ours×1']);
    const ours = rows.find((r) => r.tool.name === 'ours')!.outcome;
    assert.ok('runs' in ours);
    assert.deepEqual(
      ours.runs.map((r) => r.wallSeconds),
      [1, 2, 3],
    );
    assert.equal(lines[1], '… 9. recorded: ours (run 1 of 3)');
  });

  test('a failed run ends that tool’s cell with the first line of its failure; the other tool goes on', async () => {
    const { scenario, calls } = recordingScenario({ tool: 'perl', failAt: 2 });
    const rows = await runCell(scenario, tools, { interleave: true, context, log: () => {} });
    assert.deepEqual(calls, ['perl×1', 'ours×1', 'perl×1', 'ours×1', 'ours×1']);
    assert.deepEqual(rows[0]!.outcome, { failure: 'perl: SERVERS DIFFER' });
    const ours = rows[1]!.outcome;
    assert.ok('runs' in ours && ours.runs.length === 3);
  });

  test('an error that is not a benchmark failure stops the benchmark', async () => {
    const scenario: Scenario = {
      group: 9,
      label: 'broken',
      run: async () => {
        throw new Error('no Dovecot');
      },
    };
    await assert.rejects(
      runCell(scenario, tools, { interleave: true, context, log: () => {} }),
      /no Dovecot/,
    );
  });
});
