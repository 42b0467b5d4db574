// Turns whatever an actor rejected with into the SyncError data the charts carry.
import type { SyncError, SyncErrorKind } from './contracts.js';

const KINDS: ReadonlySet<string> = new Set<SyncErrorKind>([
  'uidvalidity-changed',
  'server',
  'connection',
  'lane-unavailable',
  'protocol',
  'database',
  'mailbox-list',
  'mailbox-exists',
  'internal',
]);

/**
 * Keeps `kind`, `message` and `mailbox` of an error that carries a known kind (a plain object
 * or an Error subclass); anything else is a runtime bug and becomes `internal`.
 */
export function toSyncError(error: unknown, mailbox?: string): SyncError {
  if (typeof error === 'object' && error !== null) {
    const { kind, message, mailbox: own } = error as Partial<Record<keyof SyncError, unknown>>;
    if (typeof kind === 'string' && KINDS.has(kind) && typeof message === 'string') {
      const where = typeof own === 'string' ? own : mailbox;
      return { kind: kind as SyncErrorKind, message, ...(where === undefined ? {} : { mailbox: where }) };
    }
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { kind: 'internal', message, ...(mailbox === undefined ? {} : { mailbox }) };
}
