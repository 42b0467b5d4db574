// The one error type of the transport layer: a failed connect, TLS check, proxy, tunnel or byte stream.
// Messages are one line without a connection name; the caller prefixes its own ('remote: ...').

export class TransportError extends Error {
  override name = 'TransportError';
}
