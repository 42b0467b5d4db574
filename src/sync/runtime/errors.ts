// Turns the failures of the lower layers (session, connection, state database) into the SyncError
// data the charts carry, so every global failure reaches the user as one line naming its cause.
import type { SyncError, SyncErrorKind } from '../../../machines/contracts.js';
import { ImapConnectionError } from '../../imap/connection.js';
import { ProtocolError } from '../../protocol/errors.js';
import { CommandFailed, ConnectionClosed } from '../../session/errors.js';
import { StoreError } from '../../store/index.js';

/** A SyncError that is also an Error, so a rejected actor keeps its stack for --debug. */
export class RuntimeError extends Error implements SyncError {
  override name = 'RuntimeError';
  constructor(
    readonly kind: SyncErrorKind,
    message: string,
    readonly mailbox?: string,
  ) {
    super(message);
  }
}

const CLOSE_KINDS: Record<string, SyncErrorKind> = {
  bye: 'connection',
  transport: 'connection',
  timeout: 'connection',
  logout: 'connection',
  protocol: 'protocol',
  auth: 'server',
  incapable: 'server',
  state: 'internal',
};

/** `side` prefixes the message when the lower layer did not name the server itself. */
// Not classify() (mailbox-actors.ts): a refused login stays 'server' (not retried); a close keeps its reason.
export function runtimeError(error: unknown, side?: string): RuntimeError {
  if (error instanceof RuntimeError) return error;
  const named = (message: string) =>
    side === undefined || message.startsWith(`${side}:`) ? message : `${side}: ${message}`;
  if (error instanceof ImapConnectionError || error instanceof ConnectionClosed) {
    return new RuntimeError(CLOSE_KINDS[error.reason] ?? 'connection', named(closeMessage(error, side)));
  }
  if (error instanceof CommandFailed) return new RuntimeError('server', named(error.message));
  if (error instanceof ProtocolError) return new RuntimeError('protocol', named(error.message));
  if (error instanceof StoreError) return new RuntimeError('database', error.message);
  const message = error instanceof Error ? error.message : String(error);
  return new RuntimeError('internal', named(message));
}

function closeMessage(error: ImapConnectionError | ConnectionClosed, side: string | undefined): string {
  // The connection's own errors name their server already: named() puts that name first, once.
  const own = side !== undefined && error.message.startsWith(`${side}: `) ? side.length + 2 : 0;
  const detail = error instanceof ConnectionClosed ? error.detail : error.message.slice(own);
  return error.reason === 'auth' ? `authentication refused: ${detail}` : detail;
}
