// The transport's contract: what openTransport() takes (TransportOptions), yields (Transport) and
// reports when the connection ends (TransportClosed). See transport.ts for the life cycle.
import type { TransportError } from './errors.js';
import type { ProxySpec } from './proxy.js';
import type { TlsOptions } from './tls.js';

export interface TransportOptions {
  type: 'imap' | 'imaps' | 'tunnel';
  /** Name or IP; '[...]' forces an IP literal. Default 'localhost'. */
  host?: string;
  /** Default 143 (imap) or 993 (imaps). */
  port?: number;
  /** SOCKS5 proxy for imap and imaps (see parseProxyUrl for the URL form). */
  proxy?: ProxySpec;
  /** type=tunnel: run through /bin/sh -c when it has shell metacharacters, else exec'd directly. */
  command?: string;
  /** type=tunnel: send the command's stderr to /dev/null instead of ours. */
  nullStderr?: boolean;
  /** SO_KEEPALIVE on the TCP socket (long-lived watch connections). */
  keepAlive?: boolean;
  /** Used by imaps from the first byte and by startTls(). */
  tls: TlsOptions;
  /**
   * type=imap: whether startTls() may be called (STARTTLS). false: the connection stays plaintext,
   * and the TLS settings are neither read nor loaded. Default true.
   */
  startTls?: boolean;
}

export interface TransportClosed {
  /** close() was called before the connection went away. */
  byUs: boolean;
  /** The connection failed: socket error, TLS alert, corrupt deflate stream... */
  error?: TransportError;
  /** type=tunnel: how the command ended. */
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  /** One line for logs, e.g. 'tunnel command exited with status 1'. */
  message: string;
}

export interface Transport {
  /**
   * Queues bytes (several buffers leave in one system call, uncopied); false once buffers are
   * full: wait for onDrain before writing more.
   */
  write(data: Buffer | readonly Buffer[]): boolean;
  /** Sets the receiver of incoming bytes (one receiver; reading starts with the first call). */
  onData(receiver: (chunk: Buffer) => void): void;
  onDrain(listener: () => void): void;
  /** Called once, when the connection is gone for whatever reason. */
  onClose(listener: (closed: TransportClosed) => void): void;
  /** Stops/restarts delivering data (and reading from the peer). */
  pause(): void;
  resume(): void;
  /**
   * Upgrades a type=imap connection to TLS in place, after the server's OK to STARTTLS. `remainder` is
   * what the caller received after that OK but did not consume: it must be empty, anything else is
   * plaintext injected before the handshake (the STARTTLS injection of CVE-2011-0411) and fails the upgrade.
   * Writes made while the handshake runs are held (write() returns false) and sent over TLS.
   */
  startTls(remainder?: Buffer): Promise<void>;
  /**
   * Switches both directions to raw deflate (RFC 4978) after the server's OK to COMPRESS; `remainder`
   * holds bytes already received after that OK, which are compressed data. Writes are Z_SYNC_FLUSHed at
   * the end of each burst (same tick) so the server always sees complete commands.
   */
  startCompression(remainder?: Buffer): void;
  /** Ends the connection gracefully (flushes, FIN or EOF on the tunnel's stdin); forces it after a delay. */
  close(): void;
  /**
   * close(), and once what was written has left, no longer keeps the process alive until the peer
   * is gone: at the end of a run, after LOGOUT, the server's goodbye is not worth waiting for.
   */
  release(): void;
  /** Raw bytes on the wire (or tunnel pipes): after TLS and compression. */
  readonly bytesRead: number;
  readonly bytesWritten: number;
  /** E.g. 'imaps://localhost:993 TLSv1.3 TLS_AES_256_GCM_SHA384 +DEFLATE'. */
  describe(): string;
}
