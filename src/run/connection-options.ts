// Maps a [local]/[remote] section of the configuration onto the IMAP connection runtime's options.
import type { Invocation } from '../cli/invocation.js';
import type { ServerConfig } from '../config/types.js';
import type { ConnectionOptions, DebugLevel } from '../imap/connection.js';
import type { TransportOptions } from '../transport/transport.js';

export interface RunFlags {
  /** --debug count. */
  debug: number;
  /** --watch: SO_KEEPALIVE on network sockets (manual, --watch). */
  watch: boolean;
}

/** The command line's part of every connection's options. */
export function runFlagsOf(inv: Pick<Invocation, 'debug' | 'watch'>): RunFlags {
  return { debug: inv.debug, watch: inv.watch !== undefined };
}

export function connectionOptions(server: ServerConfig, flags: RunFlags): ConnectionOptions {
  const { tls } = server;
  const transport: TransportOptions = {
    type: server.type,
    tls: {
      verify: tls.verify,
      fingerprints: tls.fingerprints,
      servername: tls.servername,
      ...(tls.caFile !== undefined && { caFile: tls.caFile }),
      ...(tls.caPath !== undefined && { caPath: tls.caPath }),
      ...(tls.minVersion !== undefined && { minVersion: tls.minVersion }),
      ...(tls.maxVersion !== undefined && { maxVersion: tls.maxVersion }),
      ...(tls.cipherList !== undefined && { cipherList: tls.cipherList }),
      ...(tls.cipherSuites !== undefined && { cipherSuites: tls.cipherSuites }),
    },
  };
  if (server.type === 'tunnel') {
    transport.command = server.command;
    // --debug shows the tunnel's own complaints (manual, null-stderr).
    transport.nullStderr = server.nullStderr && flags.debug === 0;
  } else {
    transport.host = server.host;
    transport.port = server.port;
    transport.keepAlive = flags.watch;
    if (server.type === 'imap') transport.startTls = server.starttls;
    if (server.proxy !== undefined) transport.proxy = server.proxy;
  }
  return {
    name: server.name,
    transport,
    startTls: server.type === 'imap' && server.starttls,
    auth: server.auth,
    ...(server.username !== undefined && { username: server.username }),
    ...(server.password !== undefined && { password: server.password }),
    compress: server.compress,
    debug: Math.min(flags.debug, 2) as DebugLevel,
  };
}
