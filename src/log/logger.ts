// The Logger every layer writes through: levels, -q/--debug filtering, the log-prefix, and the
// destination (stderr, or the logfile with a timestamp; warnings and errors always reach stderr).
import { closeSync, openSync, writeSync } from 'node:fs';
import { compileLogPrefix, DEFAULT_LOG_PREFIX, type LogPrefix } from './prefix.js';

export type Component = 'local' | 'remote' | 'database';
export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface LoggerOptions {
  quiet?: boolean;
  /** --debug count: 0 = off, 1 = debug, 2+ = debug without credential redaction (callers check). */
  debug?: number;
  prefix?: LogPrefix;
  /** Absolute path: opened for appending, created with mode 0600. */
  logfile?: string;
  /** Where stderr output goes (tests capture it). */
  stderr?: (line: string) => void;
}

const LEVEL_TAG: Record<Level, string> = { debug: '', info: '', warn: 'WARNING: ', error: 'ERROR: ' };

export class Logger {
  readonly debugLevel: number;
  private readonly quiet: boolean;
  private readonly prefix: LogPrefix;
  private readonly stderr: (line: string) => void;
  private fd: number | undefined;

  constructor(options: LoggerOptions = {}) {
    this.quiet = options.quiet ?? false;
    this.debugLevel = options.debug ?? 0;
    this.prefix = options.prefix ?? compileLogPrefix(DEFAULT_LOG_PREFIX);
    this.stderr = options.stderr ?? ((line) => process.stderr.write(line));
    if (options.logfile !== undefined) {
      // The mode only applies on creation: an existing log file keeps the mode its owner gave it.
      this.fd = openSync(options.logfile, 'a', 0o600);
    }
  }

  error(component: Component | undefined, message: string, mailbox?: string): void {
    this.write('error', component, message, mailbox);
  }
  warn(component: Component | undefined, message: string, mailbox?: string): void {
    this.write('warn', component, message, mailbox);
  }
  info(component: Component | undefined, message: string, mailbox?: string): void {
    if (!this.quiet) this.write('info', component, message, mailbox);
  }
  /** IMAP traffic and internals; `logger.debug('remote', 'C: 1 NOOP')`. */
  debug(component: Component | undefined, message: string, mailbox?: string): void {
    if (this.debugLevel > 0) this.write('debug', component, message, mailbox);
  }

  get debugEnabled(): boolean {
    return this.debugLevel > 0;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private write(level: Level, component: Component | undefined, message: string, mailbox?: string): void {
    const line = this.prefix({ name: component, mailbox }) + LEVEL_TAG[level] + message + '\n';
    if (this.fd !== undefined) writeSync(this.fd, `${timestamp(new Date())} ${line}`);
    if (this.fd === undefined || level === 'warn' || level === 'error') this.stderr(line);
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Local time as syslog writes it, with milliseconds: `Nov  7 21:03:04.123`. */
export function timestamp(d: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const day = String(d.getDate()).padStart(2, ' ');
  const ms = String(d.getMilliseconds()).padStart(3, '0');
  return `${MONTHS[d.getMonth()]} ${day} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${ms}`;
}
