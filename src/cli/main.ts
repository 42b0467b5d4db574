#!/usr/bin/env node
// Entry point of the `interimap` command: parse the command line, load the configuration,
// set up logging, then hand over to the sync engine. Exit codes: 0 success, 1 error.
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/errors.js';
import { loadConfig } from '../config/load.js';
import { Logger } from '../log/logger.js';
import { parseArgs, UsageError } from './args.js';
import { HELP } from './help.js';
import type { RunEngine } from './invocation.js';

/** Placeholder until the integrator wires the engine in. */
const runEngine: RunEngine = async () => {
  process.stderr.write('interimap: the sync engine is not built yet\n');
  return 1;
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

async function main(argv: string[]): Promise<number> {
  const parsed = parseArgs(argv, process.env);
  if (parsed.kind === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (parsed.kind === 'version') {
    process.stdout.write(`interimap ${version()}\n`);
    return 0;
  }
  const inv = parsed.invocation;
  const { config, warnings } = loadConfig(inv.configPath);
  let logger: Logger;
  try {
    logger = new Logger({
      quiet: inv.quiet,
      debug: inv.debug,
      prefix: config.logPrefix,
      logfile: config.logfile,
    });
  } catch (e) {
    throw new ConfigError(
      `${config.logfile}: cannot open the log file (${(e as NodeJS.ErrnoException).code})`,
    );
  }
  try {
    for (const w of warnings) logger.warn(undefined, w);
    return await runEngine(inv, config, logger);
  } finally {
    logger.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (!(e instanceof UsageError || e instanceof ConfigError)) throw e;
    process.stderr.write(`interimap: ${e.message}\n`);
    process.exitCode = 1;
  },
);
