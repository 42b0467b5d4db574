// SHA-256 for the copies' identities (copy-identity.ts) and for matching adopted copies
// (runtime/resync.ts). node:crypto is loaded on the first hash, not with the sync engine: loading
// it took 2-8 ms between a run's listing and its first SELECT, and most runs hash nothing.
import type { Hash } from 'node:crypto';
import { createRequire } from 'node:module';

let crypto: typeof import('node:crypto') | undefined;

export function sha256(): Hash {
  crypto ??= createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  return crypto.createHash('sha256');
}
