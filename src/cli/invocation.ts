// What one run of interimap was asked to do, and the engine entry point it is handed to.
import type { Config } from '../config/types.js';
import type { Logger } from '../log/logger.js';

export type Command = 'sync' | 'repair' | 'delete' | 'rename';
export type Target = 'local' | 'remote' | 'database';

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
}

/** The sync engine; resolves to the process exit code. */
export type RunEngine = (inv: Invocation, config: Config, logger: Logger) => Promise<number>;
