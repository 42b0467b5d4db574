// The `host` option: a name to resolve, or an IP literal (bare, or in [brackets] to force that reading).

import { isIP } from 'node:net';
import { TransportError } from './errors.js';

export interface Host {
  /** What to connect to and check the certificate against: a name, or an IP without brackets. */
  address: string;
  /** True for IP literals: no name resolution, no SNI by default, IP SAN check. */
  ipLiteral: boolean;
}

/**
 * net.isIP, but a text that cannot be an IP address (no ':', not only digits and dots) is answered
 * without it: Node compiles its IPv6 regular expression on first use, milliseconds of start-up.
 */
export function ipVersion(text: string): number {
  return text.includes(':') || /^[0-9.]+$/.test(text) ? isIP(text) : 0;
}

export function parseHost(host: string): Host {
  if (host.startsWith('[')) return { address: unbracketed(host), ipLiteral: true };
  if (host === '' || /[\s/]/.test(host))
    throw new TransportError(`host '${host}': not a host name or IP address`);
  return { address: host, ipLiteral: ipVersion(host) !== 0 };
}

/** `[…]` forces an IP literal, returned without its brackets; anything else is returned as is. */
export function unbracketed(spec: string): string {
  if (!spec.startsWith('[')) return spec;
  const inner = spec.endsWith(']') ? spec.slice(1, -1) : '';
  if (ipVersion(inner) === 0) throw new TransportError(`invalid IP literal ${JSON.stringify(spec)}`);
  return inner;
}

/** A TCP port number written in decimal, 1-65535. */
export function parsePort(text: string): number {
  const n = /^[0-9]{1,5}$/.test(text) ? Number(text) : 0;
  if (n < 1 || n > 65535)
    throw new TransportError(`invalid value ${JSON.stringify(text)}: expected a port number (1-65535)`);
  return n;
}

/** host:port, bracketing IPv6 addresses. */
export function hostPort(host: Host, port: number): string {
  return ipVersion(host.address) === 6 ? `[${host.address}]:${port}` : `${host.address}:${port}`;
}
