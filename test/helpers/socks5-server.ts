// A minimal SOCKS5 proxy on 127.0.0.1 (RFC 1928, CONNECT only, optional RFC 1929 username and
// password) that records what each client asked for — address type and host — and then relays
// bytes to the target, so tests can tell local resolution (socks5) from proxy resolution (socks5h).
import { connect, createServer, type Socket } from 'node:net';

export interface Socks5Request {
  addressType: 'ipv4' | 'ipv6' | 'domain';
  /** Dotted IPv4, compressed IPv6 (`::1`) or the domain name as sent. */
  host: string;
  port: number;
  /** The RFC 1929 user name the client authenticated with, when auth is on. */
  username?: string;
}

export interface Socks5ServerOptions {
  /** When set, clients must authenticate with these (RFC 1929) and no-auth is refused. */
  auth?: { username: string; password: string };
}

export interface Socks5Server {
  port: number;
  /** One entry per CONNECT request received, in order, whether or not the target answered. */
  requests: Socks5Request[];
  /** User names of refused logins (bad user name or password). */
  refusedLogins: string[];
  close(): Promise<void>;
}

// RFC 1928 §6 reply codes.
const REPLY = {
  succeeded: 0,
  failure: 1,
  hostUnreachable: 4,
  refused: 5,
  commandUnsupported: 7,
  typeUnsupported: 8,
};

/** Reads exact byte counts from a socket, keeping whatever arrives beyond them. */
class ByteReader {
  private buffer: Buffer = Buffer.alloc(0);
  private ended = false;
  private wake: (() => void) | null = null;

  constructor(private readonly socket: Socket) {
    socket.on('data', this.onData);
    socket.on('close', this.onEnd).on('end', this.onEnd);
  }

  async read(n: number): Promise<Buffer> {
    while (this.buffer.length < n) {
      if (this.ended) throw new Error('socks5 server: client left mid-handshake');
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return out;
  }

  /** Stops reading and returns the bytes received past the handshake. */
  release(): Buffer {
    this.socket.off('data', this.onData).off('close', this.onEnd).off('end', this.onEnd).pause();
    return this.buffer;
  }

  private readonly onData = (data: Buffer): void => {
    this.buffer = Buffer.concat([this.buffer, data]);
    this.notify();
  };
  private readonly onEnd = (): void => {
    this.ended = true;
    this.notify();
  };
  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

function reply(code: number): Buffer {
  // VER REP RSV ATYP=IPv4 BND.ADDR=0.0.0.0 BND.PORT=0: clients ignore the bound address for CONNECT.
  return Buffer.from([5, code, 0, 1, 0, 0, 0, 0, 0, 0]);
}

async function authenticate(
  client: Socket,
  reader: ByteReader,
  options: Socks5ServerOptions,
  refused: string[],
): Promise<string | undefined> {
  const [version, count] = await reader.read(2);
  if (version !== 5) throw new Error(`socks5 server: version ${version}`);
  const methods = await reader.read(count!);
  const wanted = options.auth === undefined ? 0x00 : 0x02;
  if (!methods.includes(wanted)) {
    client.end(Buffer.from([5, 0xff])); // no acceptable method
    return undefined;
  }
  client.write(Buffer.from([5, wanted]));
  if (options.auth === undefined) return '';
  // RFC 1929: VER=1 ULEN UNAME PLEN PASSWD
  const [, userLength] = await reader.read(2);
  const username = (await reader.read(userLength!)).toString('utf8');
  const [passwordLength] = await reader.read(1);
  const password = (await reader.read(passwordLength!)).toString('utf8');
  if (username !== options.auth.username || password !== options.auth.password) {
    refused.push(username);
    client.end(Buffer.from([1, 1]));
    return undefined;
  }
  client.write(Buffer.from([1, 0]));
  return username;
}

async function readTarget(
  reader: ByteReader,
): Promise<Omit<Socks5Request, 'username'> & { command: number }> {
  const [, command, , type] = await reader.read(4);
  let request: Omit<Socks5Request, 'username' | 'port'>;
  if (type === 1) {
    request = { addressType: 'ipv4', host: [...(await reader.read(4))].join('.') };
  } else if (type === 4) {
    const bytes = await reader.read(16);
    const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2).toString(16));
    // The URL parser prints IPv6 addresses in their canonical compressed form.
    request = { addressType: 'ipv6', host: new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1) };
  } else if (type === 3) {
    const [length] = await reader.read(1);
    request = { addressType: 'domain', host: (await reader.read(length!)).toString('latin1') };
  } else {
    throw Object.assign(new Error(`socks5 server: address type ${type}`), { reply: REPLY.typeUnsupported });
  }
  return { ...request, port: (await reader.read(2)).readUInt16BE(0), command: command! };
}

function connectTarget(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const target = connect({ host, port });
    target.once('connect', () => {
      target.off('error', reject);
      resolve(target);
    });
    target.once('error', reject);
  });
}

async function serve(client: Socket, options: Socks5ServerOptions, server: Socks5Server): Promise<void> {
  const reader = new ByteReader(client);
  const username = await authenticate(client, reader, options, server.refusedLogins);
  if (username === undefined) return;
  let target: Socket;
  try {
    const { command, ...request } = await readTarget(reader);
    server.requests.push(options.auth === undefined ? request : { ...request, username });
    if (command !== 1) {
      client.end(reply(REPLY.commandUnsupported));
      return;
    }
    target = await connectTarget(request.host, request.port);
  } catch (e) {
    const code = (e as { reply?: number; code?: string }).reply;
    const errno = (e as { code?: string }).code;
    client.end(
      reply(
        code ??
          (errno === 'ECONNREFUSED'
            ? REPLY.refused
            : errno === 'ENOTFOUND'
              ? REPLY.hostUnreachable
              : REPLY.failure),
      ),
    );
    return;
  }
  client.write(reply(REPLY.succeeded));
  const early = reader.release();
  if (early.length > 0) target.write(early);
  target.on('error', () => client.destroy());
  client.on('close', () => target.destroy());
  target.on('close', () => client.destroy());
  client.pipe(target);
  target.pipe(client);
}

/** Starts the proxy on a free port of 127.0.0.1. */
export async function startSocks5Server(options: Socks5ServerOptions = {}): Promise<Socks5Server> {
  const sockets = new Set<Socket>();
  const tcp = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    serve(client, options, server).catch(() => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(0, '127.0.0.1', resolve);
  });
  const address = tcp.address();
  if (address === null || typeof address === 'string') throw new Error('socks5 server: no TCP address');
  const server: Socks5Server = {
    port: address.port,
    requests: [],
    refusedLogins: [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        tcp.close(() => resolve());
      }),
  };
  return server;
}
