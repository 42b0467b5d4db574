// The transport: the only code that touches sockets and processes. openTransport() yields a byte
// duplex over TCP (imap), TLS (imaps), a SOCKS5 proxy, or a tunnel command's stdin/stdout, which can
// later be switched to TLS (STARTTLS) and to raw deflate (COMPRESS=DEFLATE). It knows nothing of IMAP.
//
// Usage: register onData/onClose (reading starts with the first onData), write() bytes and honour its
// false return with onDrain; after the server's OK to STARTTLS call startTls(parserRemainder), after its
// OK to COMPRESS call startCompression(parserRemainder). onClose fires exactly once.

import { type Socket, connect as tcpConnect } from 'node:net';
import { TransportError } from './errors.js';
import { type Host, hostPort, parseHost } from './host.js';
import { connectThroughProxy } from './proxy.js';
import { StreamTransport } from './stream-transport.js';
import type { TlsClient, TlsOptions } from './tls.js';
import { spawnTunnel } from './tunnel.js';
import type { Transport, TransportOptions } from './types.js';

export { TransportError } from './errors.js';
export { type Pin, parseFingerprint } from './pin.js';
export { type ProxySpec, parseProxyUrl } from './proxy.js';
export type { TlsOptions } from './tls.js';
export { splitTunnelCommand, type TunnelCommand } from './tunnel.js';
export type { Transport, TransportClosed, TransportOptions } from './types.js';

const DEFAULT_PORTS = { imap: 143, imaps: 993 };

function tcpSocket(host: Host, port: number, label: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: host.address, port });
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(socket);
    });
    const onError = (error: Error) =>
      reject(new TransportError(`cannot connect to ${label}: ${error.message}`));
    socket.once('error', onError);
  });
}

/** Whether a transport of these options may ever run TLS. */
function usesTls(options: TransportOptions): boolean {
  return options.type === 'imaps' || (options.type === 'imap' && options.startTls !== false);
}

/**
 * How long a checked TLS setup is reused by the next connections to the same server: a run's lanes
 * open within seconds, and a --watch run reconnecting later reads the trust anchors again.
 */
const TLS_REUSE_MS = 60_000;

/** TLS setups by server and settings, with when each was made (see tlsClientFor). */
const tlsClients = new Map<string, { made: number; client: Promise<TlsClient> }>();

/**
 * The checked settings and secure context for connections to `host`: made once and shared by the
 * connections opened within TLS_REUSE_MS, which read no CA file again. A process's first context
 * loads the default trust anchors (~17 ms of CPU), later ones a fraction of a ms.
 */
function tlsClientFor(host: Host, options: TlsOptions): Promise<TlsClient> {
  const key = JSON.stringify([host.address, options]);
  const now = Date.now();
  const known = tlsClients.get(key);
  if (known !== undefined && now - known.made < TLS_REUSE_MS) return known.client;
  // node:tls is loaded only here (and by loadTransportModules): a tunnel never needs it.
  const client = import('./tls.js').then(({ prepareTls }) => prepareTls(host, options));
  const entry = { made: now, client };
  tlsClients.set(key, entry);
  client.catch(() => {
    if (tlsClients.get(key) === entry) tlsClients.delete(key);
  });
  return client;
}

/** Transports started by startTransportEarly that no connection has taken yet. */
const early: Array<{ key: string; transport: Promise<Transport> }> = [];

/** What makes two options open the same transport. */
function earlyKey(o: TransportOptions): string {
  return JSON.stringify([
    o.type,
    o.command,
    o.nullStderr === true,
    o.host,
    o.port,
    o.proxy,
    o.keepAlive === true,
    o.tls,
    usesTls(o),
  ]);
}

/**
 * Opens a transport before the connection that will use it exists, so that the server starts (a
 * tunnel) or the TCP and TLS handshakes run (a socket) while the rest of the program loads. The
 * next openTransport with the same options takes it over, with what the server sent meanwhile
 * unread; two early starts with the same options are two transports. Returns a function that
 * closes it if nobody took it.
 */
export function startTransportEarly(options: TransportOptions): () => void {
  const entry = { key: earlyKey(options), transport: connectTransport(options) };
  // A failure to open is reported by the openTransport that takes it over, if any.
  entry.transport.catch(() => {});
  early.push(entry);
  return () => {
    const i = early.indexOf(entry);
    if (i < 0) return;
    early.splice(i, 1);
    entry.transport.then(
      (transport) => transport.close(),
      () => {},
    );
  };
}

/**
 * Loads the modules opening such a transport needs beyond this one: node:tls for a socket that may
 * run TLS (a tunnel or a plaintext-only socket never needs it). For a caller that must know they are
 * loaded (src/run/heap-sizing.ts).
 */
export async function loadTransportModules(options: TransportOptions): Promise<void> {
  if (usesTls(options)) await import('./tls.js');
}

/** Opens the transport `options` describe, or takes over the one startTransportEarly opened. */
export function openTransport(options: TransportOptions): Promise<Transport> {
  const key = earlyKey(options);
  const i = early.findIndex((e) => e.key === key);
  return i >= 0 ? early.splice(i, 1)[0]!.transport : connectTransport(options);
}

async function connectTransport(options: TransportOptions): Promise<Transport> {
  if (options.type === 'tunnel') {
    if (options.command === undefined) throw new TransportError('type=tunnel needs a command');
    const child = await spawnTunnel(options.command, options.nullStderr === true);
    return new StreamTransport({ kind: 'tunnel', child, label: `tunnel '${options.command}'` });
  }
  const host = parseHost(options.host ?? 'localhost');
  const port = options.port ?? DEFAULT_PORTS[options.type];
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TransportError(`invalid port '${port}'`);
  const target = hostPort(host, port);
  const label = `${options.type}://${target}`;
  // Settings errors (unreadable CA file, bad pin or cipher) come before any network activity.
  const tls = usesTls(options) ? await tlsClientFor(host, options.tls) : undefined;
  const socket = options.proxy
    ? await connectThroughProxy(options.proxy, host, port)
    : await tcpSocket(host, port, target);
  socket.setNoDelay(true); // pipelined commands must not wait for delayed ACKs (Nagle)
  if (options.keepAlive) socket.setKeepAlive(true);
  const transport = new StreamTransport({ kind: 'socket', socket, label, tls });
  if (options.type === 'imaps') await transport.startTls();
  return transport;
}
