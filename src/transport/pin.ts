// SSL_fingerprint pins: parsing and checking `[ALGO$]HEX` words. Apart from the TLS client (tls.ts)
// so that reading a configuration does not load node:tls.
import { createRequire } from 'node:module';
import { TransportError } from './errors.js';

/** node:crypto, loaded when a pin is first checked: most configurations have none (~4 ms). */
const crypto = (): typeof import('node:crypto') => createRequire(import.meta.url)('node:crypto');

/** An accepted digest of the server certificate's SubjectPublicKeyInfo (DER). */
export interface Pin {
  /** node:crypto digest name, lower case (default sha256). */
  algorithm: string;
  /** Lower-case hex. */
  digest: string;
}

/** Parses one `[ALGO$]HEX` word of SSL_fingerprint (sha256 by default); case does not matter. */
export function parseFingerprint(word: string): Pin {
  const m = /^(?:([A-Za-z0-9]+)\$)?([0-9A-Fa-f]+)$/.exec(word);
  if (!m) throw new TransportError(`invalid fingerprint ${JSON.stringify(word)}: expected [ALGO$]HEXDIGEST`);
  const pin = { algorithm: (m[1] ?? 'sha256').toLowerCase(), digest: m[2]!.toLowerCase() };
  return checkedPin(pin, word, m[1]);
}

/** A pin the handshake can use: known algorithm, hex digest of the right length. */
export function checkedPin(
  pin: Pin,
  text = `${pin.algorithm}$${pin.digest}`,
  algorithmText = pin.algorithm,
): Pin {
  if (!crypto().getHashes().includes(pin.algorithm))
    throw new TransportError(`unknown digest algorithm ${JSON.stringify(algorithmText)}`);
  if (!/^[0-9a-f]+$/.test(pin.digest))
    throw new TransportError(`invalid fingerprint ${JSON.stringify(text)}: expected [ALGO$]HEXDIGEST`);
  const expected = crypto().createHash(pin.algorithm).digest().length * 2;
  if (pin.digest.length !== expected)
    throw new TransportError(
      `fingerprint ${JSON.stringify(text)} has ${pin.digest.length} hex digits, ${pin.algorithm} needs ${expected}`,
    );
  return pin;
}
