// The sync benchmark's scenarios: initial sync (compressed remote and compress=NO), no-op rerun,
// incremental changes, the same over a delayed TCP link, and one huge message. Every measured run is
// followed by the identical-mail check; a failed tool or a difference throws a BenchFailure.

import { type Corpus, corpusMessageCount, makeCorpus } from '../test/helpers/corpus.js';
import {
  assertIdentical,
  corpusSnapshot,
  formatDifferences,
  type Snapshot,
  snapshotServer,
} from '../test/helpers/mail-compare.js';
import { applyChanges, planChanges } from './changes.js';
import { type PairOptions, type RunOptions, type RunResult, ServerPair } from './pair.js';
import type { CpuAccounting, Tool } from './runner.js';

export interface BenchContext {
  /** 1 = 20 mailboxes / 10,000 messages / ~185 MiB; 0.1 = a tenth of the messages. */
  scale: number;
  runs: number;
  cpu?: CpuAccounting;
  /** --db-dir: where the tools' state databases go (PairOptions.dbDir). */
  dbDir?: string;
}

export interface Scenario {
  /** The number selected with --scenarios. */
  group: number;
  label: string;
  /** Measured runs of `tool`, each verified; throws BenchFailure when the tool fails or servers differ. */
  run(tool: Tool, context: BenchContext): Promise<RunResult[]>;
}

export class BenchFailure extends Error {}

const DELAY_MS = 10;
const CHANGE_FRACTION = 0.01;

/** Corpora and their expected snapshots are built once per process. */
function cached<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  const value = map.get(key) ?? make();
  map.set(key, value);
  return value;
}

const corpora = new Map<string, Corpus>();
const expectedSnapshots = new Map<Corpus, Snapshot>();

function mainCorpus(scale: number): Corpus {
  return cached(corpora, `main:${scale}`, () =>
    makeCorpus({ seed: 1, messages: Math.round(10_000 * scale) }),
  );
}

function hugeCorpus(scale: number): Corpus {
  return cached(corpora, `huge:${scale}`, () =>
    makeCorpus({
      seed: 2,
      mailboxes: 1,
      messages: Math.round(1000 * scale),
      largeFraction: 0,
      hugeMessages: [Math.round(200 * scale) << 20],
    }),
  );
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '') ?? '(no stderr)';
}

async function withPair<T>(
  corpus: Corpus,
  options: PairOptions,
  body: (pair: ServerPair) => Promise<T>,
): Promise<T> {
  const pair = await ServerPair.create(corpus, options);
  try {
    return await body(pair);
  } finally {
    await pair.stop();
  }
}

/** A run, then the check that both servers hold identical mail. */
async function verifiedRun(
  pair: ServerPair,
  tool: Tool,
  options: RunOptions = {},
  what = '',
): Promise<RunResult> {
  const result = await pair.run(tool, options);
  if (result.exitCode !== 0) {
    throw new BenchFailure(`${what}failed (exit ${result.exitCode}: ${firstLine(result.stderr)})`);
  }
  const differences = await pair.differences();
  if (differences.length > 0) {
    const report = formatDifferences(differences, ['local', 'remote']);
    throw new BenchFailure(`${what}SERVERS DIFFER after the run: ${report}`);
  }
  return result;
}

/** An untimed initial sync preparing a synced pair (direct, uncompressed: quickest). */
async function setupRun(pair: ServerPair, tool: Tool): Promise<void> {
  await verifiedRun(pair, tool, { compress: false, direct: true }, 'setup sync ');
}

/** The full side must still hold exactly the corpus (a tool emptying both sides would pass the pair check). */
async function assertStillCorpus(pair: ServerPair, corpus: Corpus, side: 'local' | 'remote'): Promise<void> {
  const expected = cached(expectedSnapshots, corpus, () => corpusSnapshot(corpus));
  try {
    assertIdentical(expected, await snapshotServer(pair[side]), ['corpus', side]);
  } catch (error) {
    throw new BenchFailure(`${side.toUpperCase()} CHANGED by the initial sync: ${(error as Error).message}`);
  }
}

async function messageCount(pair: ServerPair): Promise<number> {
  const snapshot = await snapshotServer(pair.remote);
  return [...snapshot.values()].reduce((n, messages) => n + messages.length, 0);
}

async function repeat<T>(times: number, body: () => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < times; i++) results.push(await body());
  return results;
}

/** How a scenario reaches its servers and configures the measured runs. */
interface Setting {
  run: RunOptions;
  /** One-way delay of the proxy in front of the remote (reached over TCP); none: tunnel. */
  delayMs?: number;
  /** Initial syncs: the side holding the corpus (default 'remote'). */
  full?: 'local' | 'remote';
}

function pairOptions(context: BenchContext, setting: Setting): PairOptions {
  return {
    ...(context.cpu && { cpu: context.cpu }),
    ...(context.dbDir !== undefined && { dbDir: context.dbDir }),
    ...(setting.delayMs !== undefined && { remoteDelayMs: setting.delayMs }),
    ...(setting.full && { full: setting.full }),
  };
}

function initialSync(
  group: number,
  label: string,
  corpusOf: (scale: number) => Corpus,
  setting: Setting,
): Scenario {
  return {
    group,
    label,
    run: (tool, context) => {
      const corpus = corpusOf(context.scale);
      return repeat(context.runs, () =>
        withPair(corpus, pairOptions(context, setting), async (pair) => {
          const result = await verifiedRun(pair, tool, setting.run);
          await assertStillCorpus(pair, corpus, setting.full ?? 'remote');
          return result;
        }),
      );
    },
  };
}

function noOp(group: number, label: string, setting: Setting): Scenario {
  return {
    group,
    label,
    run: (tool, context) =>
      withPair(mainCorpus(context.scale), pairOptions(context, setting), async (pair) => {
        await setupRun(pair, tool);
        return repeat(context.runs, () => verifiedRun(pair, tool, setting.run));
      }),
  };
}

function incremental(group: number, label: string, setting: Setting): Scenario {
  return {
    group,
    label,
    run: (tool, context) => {
      const corpus = mainCorpus(context.scale);
      const plan = planChanges(corpus, CHANGE_FRACTION);
      return repeat(context.runs, () =>
        withPair(corpus, pairOptions(context, setting), async (pair) => {
          await setupRun(pair, tool);
          await Promise.all([applyChanges(pair.local, plan.local), applyChanges(pair.remote, plan.remote)]);
          const result = await verifiedRun(pair, tool, setting.run);
          // Each side expunges as many messages as it gains: the total stays the corpus size.
          const count = await messageCount(pair);
          if (count !== corpusMessageCount(corpus)) {
            throw new BenchFailure(
              `expected ${corpusMessageCount(corpus)} messages per side, found ${count}`,
            );
          }
          return result;
        }),
      );
    },
  };
}

const DEFAULTS: Setting = { run: {} };
const UNCOMPRESSED: Setting = { run: { compress: false } };
// compress=NO over the delayed link too: round trips, not deflate CPU, are what it measures.
const DELAYED: Setting = { run: { compress: false }, delayMs: DELAY_MS };
// The tools' defaults over the delayed link: the remote's COMPRESS and what it costs in round trips.
const DELAYED_DEFAULTS: Setting = { run: {}, delayMs: DELAY_MS };

const INITIAL_DEFAULT = initialSync(1, 'initial (remote compressed)', mainCorpus, DEFAULTS);
const INITIAL_UNCOMPRESSED = initialSync(1, 'initial, compress=NO', mainCorpus, UNCOMPRESSED);
const DOWNLOAD_DELAYED = initialSync(
  4,
  `initial download, +${DELAY_MS}ms TCP, compress=NO`,
  mainCorpus,
  DELAYED,
);
const UPLOAD_DELAYED = initialSync(4, `initial upload, +${DELAY_MS}ms TCP, compress=NO`, mainCorpus, {
  ...DELAYED,
  full: 'local',
});
const HUGE = initialSync(5, '200 MiB message + 1,000 small', hugeCorpus, DEFAULTS);

/** The initial syncs, which bench/lower-bound.ts also runs with the raw copier. */
export const INITIAL_SYNCS: Scenario[] = [
  INITIAL_DEFAULT,
  INITIAL_UNCOMPRESSED,
  DOWNLOAD_DELAYED,
  UPLOAD_DELAYED,
  HUGE,
];

export const SCENARIOS: Scenario[] = [
  INITIAL_DEFAULT,
  INITIAL_UNCOMPRESSED,
  noOp(2, 'no-op rerun', DEFAULTS),
  incremental(3, 'incremental 1%+1%+1%', DEFAULTS),
  DOWNLOAD_DELAYED,
  UPLOAD_DELAYED,
  noOp(4, `no-op, +${DELAY_MS}ms TCP, compress=NO`, DELAYED),
  noOp(4, `no-op, +${DELAY_MS}ms TCP, remote compressed`, DELAYED_DEFAULTS),
  incremental(4, `incremental, +${DELAY_MS}ms TCP, compress=NO`, DELAYED),
  HUGE,
];
