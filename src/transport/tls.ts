// TLS client side: builds a secure context from the SSL_* settings (trust anchors, SNI, protocol range,
// ciphers) and runs the handshake, refusing the peer before any application byte is read when its SPKI
// pin, chain or host name does not check out. Pinning and chain verification are independent.

import { createHash, X509Certificate } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import {
  checkServerIdentity,
  connect,
  createSecureContext,
  DEFAULT_CIPHERS,
  type SecureContext,
  type TLSSocket,
} from 'node:tls';
import { TransportError } from './errors.js';
import type { Host } from './host.js';
import { checkedPin, type Pin } from './pin.js';

export interface TlsOptions {
  /** Verify the chain against the trust anchors AND the host name (SAN, else CN) against `host`. */
  verify: boolean;
  /** PEM file of trusted certificates. With caPath, replaces node's default root store. */
  caFile?: string;
  /** Hash-format directory (HASH.N files, see openssl-rehash) of trusted certificates. */
  caPath?: string;
  /** Accepted digests of the server certificate's SubjectPublicKeyInfo (parseFingerprint reads text). */
  fingerprints?: Pin[];
  /** SNI name; default `host` unless it is an IP literal; '' disables SNI. */
  servername?: string | null;
  /** 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3' */
  minVersion?: string;
  maxVersion?: string;
  /** OpenSSL cipher list for TLS 1.2 and below. */
  cipherList?: string;
  /** TLS 1.3 cipher suites, colon-separated (TLS_...). */
  cipherSuites?: string;
}

const PROTOCOLS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
type Protocol = (typeof PROTOCOLS)[number];

export function spkiDigest(cert: X509Certificate, algorithm: string): string {
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  return createHash(algorithm).update(spki).digest('hex');
}

function protocol(name: 'minVersion' | 'maxVersion', value: string | undefined): Protocol | undefined {
  if (value === undefined || (PROTOCOLS as readonly string[]).includes(value)) return value as Protocol;
  throw new TransportError(`TLS ${name} '${value}': expected one of ${PROTOCOLS.join(', ')}`);
}

/**
 * node:tls takes one `ciphers` string and routes TLS_* names to TLS 1.3; a list without any TLS_* name
 * would disable TLS 1.3. Keep the two settings independent by filling the missing half with node's default.
 */
function ciphers(cipherList: string | undefined, cipherSuites: string | undefined): string | undefined {
  if (cipherList === undefined && cipherSuites === undefined) return undefined;
  const names = (text: string) => text.split(':').filter((n) => n !== '');
  const isSuite = (n: string) => n.startsWith('TLS_');
  const defaults = names(DEFAULT_CIPHERS);
  const suites = cipherSuites === undefined ? defaults.filter(isSuite) : names(cipherSuites);
  const list = cipherList === undefined ? defaults.filter((n) => !isSuite(n)) : names(cipherList);
  const badSuite = suites.find((n) => !isSuite(n));
  if (badSuite) throw new TransportError(`TLS cipher suites: '${badSuite}' is not a TLS 1.3 suite (TLS_...)`);
  const badCipher = list.find(isSuite);
  if (badCipher) throw new TransportError(`TLS cipher list: '${badCipher}' is a TLS 1.3 suite, not a cipher`);
  return [...suites, ...list].join(':');
}

const readCa = (file: string, what: string) =>
  readFile(file).catch((error: Error) => {
    throw new TransportError(`cannot read ${what} '${file}': ${error.message}`);
  });

/** Trust anchors from caFile and caPath, or undefined for node's default store. */
async function trustAnchors(options: TlsOptions): Promise<Buffer[] | undefined> {
  if (options.caFile === undefined && options.caPath === undefined) return undefined;
  const anchors: Buffer[] = [];
  if (options.caFile !== undefined) anchors.push(await readCa(options.caFile, 'CA file'));
  if (options.caPath !== undefined) {
    const dir = options.caPath;
    const entries = await readdir(dir).catch((error: Error) => {
      throw new TransportError(`cannot read CA directory '${dir}': ${error.message}`);
    });
    const hashed = entries.filter((name) => /^[0-9a-f]{8}\.\d+$/i.test(name)).sort();
    anchors.push(...(await Promise.all(hashed.map((name) => readCa(join(dir, name), 'CA certificate')))));
  }
  return anchors;
}

/** The SNI name to send, or undefined for none. */
function serverName(host: Host, servername: string | null | undefined): string | undefined {
  if (servername === '') return undefined;
  return servername ?? (host.ipLiteral ? undefined : host.address);
}

// Readable reasons for the chain errors a user is likely to meet; others are shown by their code.
const CHAIN_ERRORS: Record<string, string> = {
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unable to get local issuer certificate (unknown CA)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unable to verify the first certificate (unknown CA)',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in certificate chain',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  CERT_HAS_EXPIRED: 'certificate has expired',
  CERT_NOT_YET_VALID: 'certificate is not yet valid',
};

/** Why the peer is refused, or undefined when it is accepted. Pin first: it is the stronger statement. */
function refusal(socket: TLSSocket, { host, verify, pins }: TlsClient): string | undefined {
  // One call only: in node 20, getPeerX509Certificate() empties later getPeerCertificate() results.
  const peer = socket.getPeerCertificate();
  if (peer.raw === undefined) return 'server sent no certificate';
  const cert = new X509Certificate(peer.raw);
  if (pins.length > 0 && !pins.some((pin) => spkiDigest(cert, pin.algorithm) === pin.digest)) {
    const algorithm = pins[0]!.algorithm;
    return `server certificate SPKI fingerprint mismatch (got ${algorithm}$${spkiDigest(cert, algorithm)})`;
  }
  if (!verify) return undefined;
  const failed = `TLS certificate verification failed for ${host.address}`;
  if (!socket.authorized) {
    const code = String(socket.authorizationError);
    return `${failed}: ${CHAIN_ERRORS[code] ?? code}`;
  }
  const mismatch = checkServerIdentity(host.address, peer);
  return mismatch ? `${failed}: ${mismatch.message}` : undefined;
}

/** Everything a handshake needs, checked and loaded before any connection is made. */
export interface TlsClient {
  host: Host;
  verify: boolean;
  pins: Pin[];
  servername: string | undefined;
  context: SecureContext;
}

/** Validates the options and builds the secure context (trust anchors, protocols, ciphers). */
export async function prepareTls(host: Host, options: TlsOptions): Promise<TlsClient> {
  const pins = (options.fingerprints ?? []).map((pin) => checkedPin(pin));
  const minVersion = protocol('minVersion', options.minVersion);
  const maxVersion = protocol('maxVersion', options.maxVersion);
  if (minVersion && maxVersion && PROTOCOLS.indexOf(minVersion) > PROTOCOLS.indexOf(maxVersion)) {
    throw new TransportError(`TLS minVersion ${minVersion} is above maxVersion ${maxVersion}`);
  }
  // Unverified (pins, if any, are checked on the certificate itself): no trust anchor is needed,
  // and an empty list spares loading the default store, ~17 ms of CPU in a process's first context.
  const ca = options.verify ? await trustAnchors(options) : [];
  const cipherString = ciphers(options.cipherList, options.cipherSuites);
  let context: SecureContext;
  try {
    context = createSecureContext({
      ...(ca && { ca }),
      ...(minVersion && { minVersion }),
      ...(maxVersion && { maxVersion }),
      ...(cipherString && { ciphers: cipherString }),
    });
  } catch (error) {
    // OpenSSL rejects unknown cipher names here.
    throw new TransportError(`cannot set up TLS for ${host.address}: ${(error as Error).message}`);
  }
  return { host, verify: options.verify, pins, servername: serverName(host, options.servername), context };
}

/**
 * Runs a client handshake over a connected socket and resolves with the TLS socket, paused, before any
 * application data is read; rejects (and destroys the socket) on a handshake error or a refused peer.
 */
export function secureSocket(socket: Socket, client: TlsClient): Promise<TLSSocket> {
  const { host } = client;
  return new Promise((resolve, reject) => {
    const tlsSocket = connect({
      socket,
      secureContext: client.context,
      ...(client.servername !== undefined && { servername: client.servername }),
      // Chain and name are judged in refusal(), so that pinning works with verify off and errors read well.
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    });
    const fail = (message: string) => {
      tlsSocket.on('error', () => {}); // whatever follows the refusal is moot
      tlsSocket.destroy();
      socket.destroy();
      reject(new TransportError(message));
    };
    const onError = (error: Error) => fail(`TLS handshake with ${host.address} failed: ${error.message}`);
    const onClose = () => fail(`connection to ${host.address} closed during the TLS handshake`);
    tlsSocket.once('error', onError);
    tlsSocket.once('close', onClose);
    tlsSocket.once('secureConnect', () => {
      tlsSocket.off('error', onError);
      tlsSocket.off('close', onClose);
      const why = refusal(tlsSocket, client);
      if (why === undefined) resolve(tlsSocket);
      else fail(why);
    });
  });
}
