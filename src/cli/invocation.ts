// What one run of interimap was asked to do, and the engine entry point it is handed to.
import type { Config } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { Progress } from '../progress/progress.js';

export type Command = 'sync' | 'repair' | 'delete' | 'rename';
export type Target = 'local' | 'remote' | 'database';

/** sync and repair synchronize mailboxes; delete and rename only change the mailbox list. */
export function synchronizes(command: Command): boolean {
  return command === 'sync' || command === 'repair';
}

export interface Invocation {
  command: Command;
  /** Mailbox names as given (7-bit, INBOX upper-cased); for rename: [SOURCE, DEST]. */
  mailboxes: string[];
  /** Targets of --delete/--rename (all three unless --target narrows them). */
  targets: Target[];
  /** Seconds between two synchronizations under --watch or --notify; absent: run once. */
  watch?: number;
  notify: boolean;
  quiet: boolean;
  /** How many times --debug was given. */
  debug: number;
  /** Absolute path of the configuration file. */
  configPath: string;
  /**
   * `--trace=FILE`, absolute: the engine opens createTraceRecorder(trace) (src/viz/trace.ts),
   * passes its `inspect` to every actor it creates and closes it at the end.
   */
  trace?: string;
}

/**
 * The sync engine; resolves to the process exit code. `progress` is live on a terminal (stderr
 * a TTY, no --quiet) and inert otherwise; the logger already writes through it.
 */
export type RunEngine = (
  inv: Invocation,
  config: Config,
  logger: Logger,
  progress: Progress,
) => Promise<number>;
