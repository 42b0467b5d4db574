// The CLI's Logger seen through the narrower logging seams of the sync runtime and the IMAP layer.
import type { ImapLogger } from '../imap/connection.js';
import type { Component, Logger } from '../log/logger.js';
import type { SyncLogger } from '../sync/runtime/context.js';

function component(name: string | null): Component | undefined {
  return name === 'local' || name === 'remote' || name === 'database' ? name : undefined;
}

export function syncLogger(logger: Logger): SyncLogger {
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (name: string | null, mailbox: string | null, message: string) =>
      logger[level](component(name), message, mailbox ?? undefined);
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export function imapLogger(logger: Logger): ImapLogger {
  return {
    debug: (name, message) => logger.debug(component(name), message),
    info: (name, message) => logger.info(component(name), message),
    warn: (name, message) => logger.warn(component(name), message),
  };
}

/** An error line; one naming its server ("remote: …") is logged as that component's. */
export function logError(logger: Logger, line: string): void {
  logNamed(logger, 'error', line);
}

/** A warning line, logged as logError logs an error. */
export function logWarning(logger: Logger, line: string): void {
  logNamed(logger, 'warn', line);
}

function logNamed(logger: Logger, level: 'error' | 'warn', line: string): void {
  const side = /^(local|remote): /.exec(line);
  if (side === null) logger[level](undefined, line);
  else logger[level](side[1] as 'local' | 'remote', line.slice(side[0].length));
}
