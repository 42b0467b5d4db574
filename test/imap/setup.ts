// Shared set-up for the connection runtime tests: ConnectionOptions for a test Dovecot reached
// through its tunnel, plain TCP (STARTTLS) or imaps, and a logger that records every line.

import {
  type ConnectionOptions,
  type ImapConnection,
  type ImapLogger,
  openConnection,
} from '../../src/imap/connection.js';
import type { Dovecot } from '../helpers/dovecot.js';

export type Via = 'tunnel' | 'starttls' | 'imaps';

export function optionsFor(
  dovecot: Dovecot,
  via: Via,
  over: Partial<ConnectionOptions> = {},
): ConnectionOptions {
  const credentials = { username: dovecot.user, password: dovecot.password };
  const tls = { verify: true, caFile: dovecot.caFile };
  const base: ConnectionOptions =
    via === 'tunnel'
      ? { name: 'remote', transport: { type: 'tunnel', command: dovecot.tunnelCommand, tls } }
      : via === 'starttls'
        ? {
            name: 'remote',
            transport: { type: 'imap', host: dovecot.host, port: dovecot.imapPort, tls },
            ...credentials,
          }
        : {
            name: 'remote',
            transport: { type: 'imaps', host: dovecot.host, port: dovecot.imapsPort, tls },
            ...credentials,
          };
  return { timeouts: { greeting: 10_000, command: 30_000 }, ...base, ...over };
}

export interface RecordingLogger extends ImapLogger {
  lines: string[];
}

export function recordingLogger(): RecordingLogger {
  const lines: string[] = [];
  const record = (level: string) => (component: string, message: string) => {
    lines.push(`${level} ${component}: ${message}`);
  };
  return { lines, debug: record('debug'), info: record('info'), warn: record('warn') };
}

/** A CRLF-only message of about `size` bytes (Dovecot drops bare CRs). */
export function message(subject: string, size = 0): Buffer {
  const head = `From: a@example.org\r\nTo: b@example.org\r\nSubject: ${subject}\r\n\r\n`;
  const line = 'abcdefghijklmnopqrstuvwxyz0123456789 the quick brown fox jumps over the lazy dog.\r\n';
  const lines = Math.max(1, Math.ceil((size - head.length) / line.length));
  return Buffer.from(head + line.repeat(lines));
}

const opened = new Set<ImapConnection>();

/** openConnection, remembered so that `closeAll` can drop it even when a test failed midway. */
export async function openTracked(options: ConnectionOptions, logger?: ImapLogger): Promise<ImapConnection> {
  const connection = await openConnection(options, logger);
  opened.add(connection);
  return connection;
}

/** Drops every connection still open (a no-op for those that logged out). */
export async function closeAll(): Promise<void> {
  await Promise.all([...opened].map((c) => c.close()));
  opened.clear();
}
