// Typed failures of the session layer: why a command did not complete with OK.
import type { CommandResult } from './types.js';

/**
 * Why a connection ended: the server said BYE, the transport failed, a timer fired, we logged out,
 * the server broke the protocol, authentication was refused, or the server lacks a capability we need.
 */
export type CloseReason = 'bye' | 'transport' | 'timeout' | 'logout' | 'protocol' | 'auth' | 'incapable';

/** The connection is gone (or going): every pending and later command fails with this. */
export class ConnectionClosed extends Error {
  override name = 'ConnectionClosed';
  constructor(
    readonly reason: CloseReason,
    readonly detail: string,
  ) {
    super(`connection closed (${reason}): ${detail}`);
  }
}

/** The server completed the command with NO or BAD; `result` holds the code, text and data. */
export class CommandFailed extends Error {
  override name = 'CommandFailed';
  constructor(
    readonly command: string,
    readonly result: CommandResult,
  ) {
    const name = result.code?.name === 'OTHER' ? result.code.atom : result.code?.name;
    const code = name ? ` [${name}]` : '';
    super(`${command} failed: ${result.status}${code} ${result.text}`);
  }
}

/** The command is not valid in the current protocol state (RFC 3501 §3, §6); it never reached the server. */
export class CommandNotAllowed extends Error {
  override name = 'CommandNotAllowed';
}
