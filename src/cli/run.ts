// One run of the command, minus the process: parse the command line, load the configuration,
// set up logging and live progress, hand over to the engine (or write the state charts for
// --statechart); errors become one line on stderr and exit code 1.
import { existsSync, readFileSync } from 'node:fs';
import { ConfigError } from '../config/errors.js';
import { loadConfig } from '../config/load.js';
import type { Env } from '../config/paths.js';
import type { Config } from '../config/types.js';
import { batchedStream } from '../log/batched-stream.js';
import { Logger } from '../log/logger.js';
import { createProgress } from '../progress/progress.js';
import type { StatechartFormat } from '../viz/statechart.js';
import { parseArgs, type StatechartRequest, UsageError } from './args.js';
import { HELP } from './help.js';
import type { RunEngine } from './invocation.js';

/** From our package.json, the nearest one above this module: tsc puts it in dist/src/cli/, the bundle
 * in dist/cli/. */
function version(): string {
  for (let dir = new URL('./', import.meta.url); dir.pathname !== '/'; dir = new URL('../', dir)) {
    const file = new URL('package.json', dir);
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  throw new Error('interimap: no package.json above the program');
}

/** Resolves to the exit code; only unexpected exceptions (bugs) reject. */
export async function runCli(argv: readonly string[], env: Env, engine: RunEngine): Promise<number> {
  try {
    const parsed = parseArgs(argv, env);
    if (parsed.kind === 'help') {
      process.stdout.write(HELP);
      return 0;
    }
    if (parsed.kind === 'version') {
      process.stdout.write(`interimap ${version()}\n`);
      return 0;
    }
    if (parsed.kind === 'statechart') return await exportStatechart(parsed.request);
    const inv = parsed.invocation;
    const { config, warnings } = loadConfig(inv.configPath);
    const stderr = batchedStream(process.stderr);
    const progress = createProgress({ stream: stderr, enabled: process.stderr.isTTY === true && !inv.quiet });
    let logger: Logger | undefined;
    try {
      logger = openLogger(inv.quiet, inv.debug, config, progress.log);
      for (const w of warnings) logger.warn(undefined, w);
      return await engine(inv, config, logger, progress);
    } finally {
      progress.close();
      logger?.close();
      stderr.end();
    }
  } catch (e) {
    if (!(e instanceof UsageError || e instanceof ConfigError)) throw e;
    process.stderr.write(`interimap: ${e.message}\n`);
    return 1;
  }
}

/** `--statechart`: needs no configuration. Graphviz (WebAssembly) is loaded only for it. */
async function exportStatechart(request: StatechartRequest): Promise<number> {
  const { StatechartError, writeStatechart } = await import('../viz/statechart.js');
  try {
    // An unknown format is refused by writeStatechart with the list of known ones.
    await writeStatechart({ ...request, format: request.format as StatechartFormat });
    return 0;
  } catch (e) {
    if (!(e instanceof StatechartError)) throw e;
    process.stderr.write(`interimap: ${e.message}\n`);
    return 1;
  }
}

/** Log lines reach stderr through `stderr` (the progress line's hook), so they never garble it. */
function openLogger(quiet: boolean, debug: number, config: Config, stderr: (line: string) => void): Logger {
  try {
    return new Logger({ quiet, debug, prefix: config.logPrefix, logfile: config.logfile, stderr });
  } catch (e) {
    throw new ConfigError(
      `${config.logfile}: cannot open the log file (${(e as NodeJS.ErrnoException).code})`,
    );
  }
}
