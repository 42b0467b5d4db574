// Typed errors of the protocol layer, carried as data up to the CLI.

/** The server sent bytes that are not valid IMAP, or that break one of our limits. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
  constructor(
    message: string,
    /** Offset of the offending bytes in the stream, when known. */
    readonly offset?: number,
  ) {
    super(message);
  }
}

/** A command argument that cannot be sent as asked (e.g. an atom with a space). */
export class CommandSyntaxError extends Error {
  override name = 'CommandSyntaxError';
}
