// HOOK for scenario 6, the raw FETCH→APPEND lower bound (written by the integrator): a Scenario
// (group 6) that copies the remote corpus to the empty local with the bare session layer — one
// pipelined UID FETCH streamed into MULTIAPPEND, no state — timed like the tools' runs. Until then: none.
import type { Scenario } from './scenarios.js';

export const lowerBoundScenario: Scenario | undefined = undefined;
