// The `proxy` option: SOCKS5 (socks5 resolves the target locally, socks5h lets the proxy resolve it;
// optional RFC 1929 user/password) and the URL form PROTOCOL://[USER:PASSWORD@]HOST[:PORT] (port 1080).

import { lookup } from 'node:dns/promises';
import type { Socket } from 'node:net';
import { TransportError } from './errors.js';
import { type Host, hostPort, parseHost } from './host.js';

/** Same shape as the config layer's ProxyConfig. */
export interface ProxySpec {
  protocol: 'socks5' | 'socks5h';
  /** Name or IP address, without the brackets of an IP literal. */
  host: string;
  port: number;
  username?: string;
  password?: string;
}

const DEFAULT_SOCKS_PORT = 1080;

/** Parses PROTOCOL://[USER[:PASSWORD]@]HOST[:PORT]; the password may contain ':' and '@'. */
export function parseProxyUrl(url: string): ProxySpec {
  const fail = (why: string): never => {
    throw new TransportError(`proxy '${url}': ${why}`);
  };
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/.exec(url) ?? fail('expected PROTOCOL://HOST[:PORT]');
  const protocol = scheme[1]!.toLowerCase();
  if (protocol !== 'socks5' && protocol !== 'socks5h') {
    fail(`unsupported protocol '${protocol}' (only socks5:// and socks5h://)`);
  }
  let rest = scheme[2]!.replace(/\/$/, '');
  const spec: Partial<ProxySpec> = { protocol: protocol as ProxySpec['protocol'] };
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = userinfo.indexOf(':');
    spec.username = colon < 0 ? userinfo : userinfo.slice(0, colon);
    if (colon >= 0) spec.password = userinfo.slice(colon + 1);
    if (spec.username === '') fail('empty user name before @');
  }
  const hostPortMatch =
    /^(\[[^\]]*\]|[^:[\]/]+)(?::(\d*))?$/.exec(rest) ?? fail('expected HOST[:PORT] after //');
  try {
    spec.host = parseHost(hostPortMatch[1]!).address;
  } catch (error) {
    fail((error as Error).message);
  }
  const port = hostPortMatch[2] === undefined ? DEFAULT_SOCKS_PORT : Number(hostPortMatch[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`invalid port '${hostPortMatch[2]}'`);
  spec.port = port;
  return spec as ProxySpec;
}

/** Opens a TCP connection to host:port through the proxy. */
export async function connectThroughProxy(proxy: ProxySpec, host: Host, port: number): Promise<Socket> {
  const target = hostPort(host, port);
  const via = `proxy ${proxy.protocol}://${hostPort(parseHost(proxy.host), proxy.port)}`;
  let destination = host.address;
  if (proxy.protocol === 'socks5' && !host.ipLiteral) {
    try {
      destination = (await lookup(host.address)).address;
    } catch (error) {
      throw new TransportError(`cannot resolve ${host.address} (for ${via}): ${(error as Error).message}`);
    }
  }
  try {
    // Loaded on first use: the socks package costs ~20 ms of start-up that runs without a proxy skip.
    const { SocksClient } = await import('socks');
    const { socket } = await SocksClient.createConnection({
      command: 'connect',
      destination: { host: destination, port },
      proxy: {
        host: proxy.host,
        port: proxy.port,
        type: 5,
        ...(proxy.username !== undefined && { userId: proxy.username, password: proxy.password ?? '' }),
      },
    });
    return socket;
  } catch (error) {
    throw new TransportError(`cannot connect to ${target} through ${via}: ${(error as Error).message}`);
  }
}
