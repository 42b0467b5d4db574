// Scenario 6, the raw FETCH→APPEND lower bound: the initial syncs of scenarios 1, 4 and 5 run by
// bench/raw-copy.ts (one pipelined UID FETCH per mailbox streamed into APPENDs, no state) instead
// of a sync tool, on the same fresh servers, timed and verified like the tools' runs.
import { TOOLS } from './runner.js';
import { INITIAL_SYNCS, type Scenario } from './scenarios.js';

export const lowerBoundScenarios: Scenario[] = INITIAL_SYNCS.map((scenario) => ({
  group: 6,
  label: `raw lower bound: ${scenario.label}`,
  run: (_tool, context) => scenario.run(TOOLS.raw, context),
}));
