// The `proxy` option: SOCKS5 (socks5 resolves the target locally, socks5h lets the proxy resolve it;
// optional RFC 1929 user/password) and the URL form PROTOCOL://[USER:PASSWORD@]HOST[:PORT] (port 1080).

import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { TransportError } from './errors.js';
import { type Host, hostPort, parseHost, parsePort, unbracketed } from './host.js';

/** For what only a proxy needs. require(), not import(): the shipped program runs through vm.Script
 * (src/cli/compile-cache.ts), where import() has no loader. */
const load = createRequire(import.meta.url);

export interface ProxySpec {
  /** socks5 resolves the IMAP host locally, socks5h lets the proxy resolve it. */
  protocol: 'socks5' | 'socks5h';
  /** Name or IP address, without the brackets of an IP literal. */
  host: string;
  port: number;
  username?: string;
  password?: string;
}

/**
 * Parses socks5://[USER:PASSWORD@]HOST[:PORT] or socks5h://…; PORT defaults to 1080. The user name ends
 * at the first ':', the userinfo at the last '@', so a password may hold both.
 */
export function parseProxyUrl(url: string): ProxySpec {
  const m = /^([A-Za-z0-9]+):\/\/(?:(.*)@)?([^:@[\]/]+|\[[^\]]+\])(?::([^:]*))?$/.exec(url);
  if (!m)
    throw new TransportError(
      `invalid value ${JSON.stringify(url)}: expected socks5://[USER:PASSWORD@]HOST[:PORT]`,
    );
  const [, protocol, userinfo, rawHost, rawPort] = m;
  if (protocol !== 'socks5' && protocol !== 'socks5h')
    throw new TransportError(
      `unsupported proxy protocol ${JSON.stringify(protocol)}: expected socks5 or socks5h`,
    );
  const proxy: ProxySpec = {
    protocol,
    host: unbracketed(rawHost!),
    port: rawPort === undefined ? 1080 : parsePort(rawPort),
  };
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    proxy.username = colon < 0 ? userinfo : userinfo.slice(0, colon);
    proxy.password = colon < 0 ? '' : userinfo.slice(colon + 1);
  }
  return proxy;
}

/** Opens a TCP connection to host:port through the proxy. */
export async function connectThroughProxy(proxy: ProxySpec, host: Host, port: number): Promise<Socket> {
  const target = hostPort(host, port);
  const via = `proxy ${proxy.protocol}://${hostPort(parseHost(proxy.host), proxy.port)}`;
  let destination = host.address;
  if (proxy.protocol === 'socks5' && !host.ipLiteral) {
    try {
      // node:dns is loaded only here, for a SOCKS5 proxy that needs the address.
      const { lookup } = load('node:dns/promises') as typeof import('node:dns/promises');
      destination = (await lookup(host.address)).address;
    } catch (error) {
      throw new TransportError(`cannot resolve ${host.address} (for ${via}): ${(error as Error).message}`);
    }
  }
  try {
    // Loaded on first use: the socks package costs ~20 ms of start-up that runs without a proxy skip.
    const { SocksClient } = load('socks') as typeof import('socks');
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
