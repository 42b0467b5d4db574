// Test certificate authorities made with openssl: a CA (one shared per process, or fresh ones for
// "unknown CA" tests) that issues P-256 server certificates, plus the SPKI digest used for pinning.
import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeScratchDir } from './scratch.js';

const run = promisify(execFile);

export interface CertSpec {
  /** Subject CN (default: the first DNS name, else 'test server'). */
  commonName?: string;
  /** subjectAltName DNS entries (default: ['localhost'] unless ips are given). */
  dnsNames?: string[];
  /** subjectAltName IP entries (default: ['127.0.0.1'] unless dnsNames are given). */
  ips?: string[];
}

export interface ServerCert {
  certFile: string;
  keyFile: string;
  /** Lower-case hex SHA-256 of the certificate's DER SubjectPublicKeyInfo. */
  spkiSha256: string;
}

export interface TestCa {
  dir: string;
  /** The CA certificate (PEM), for `caFile`. */
  caFile: string;
  /** A hash-format directory (`HASH.0`) holding the CA certificate, for `caPath`. */
  caPath: string;
  issue(spec?: CertSpec): Promise<ServerCert>;
}

const keyArgs = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '30'];

/** Hex SHA-256 digest of the DER SubjectPublicKeyInfo of a PEM certificate. */
export function spkiSha256(pem: string | Buffer): string {
  const spki = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('hex');
}

/** A fresh CA in its own scratch directory (removed at process exit). */
export async function createTestCa(name = 'interimap test CA'): Promise<TestCa> {
  const dir = makeScratchDir('interimap-ca');
  const caFile = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca.key');
  await run('openssl', [
    'req',
    '-x509',
    ...keyArgs,
    '-keyout',
    caKey,
    '-out',
    caFile,
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);

  const caPath = makeScratchDir('interimap-capath');
  const { stdout: hash } = await run('openssl', ['x509', '-in', caFile, '-noout', '-subject_hash']);
  await copyFile(caFile, join(caPath, `${hash.trim()}.0`));

  let serial = 0;
  const issue = async (spec: CertSpec = {}): Promise<ServerCert> => {
    const both = spec.dnsNames === undefined && spec.ips === undefined;
    const dnsNames = spec.dnsNames ?? (both ? ['localhost'] : []);
    const ips = spec.ips ?? (both ? ['127.0.0.1'] : []);
    const san = [...dnsNames.map((n) => `DNS:${n}`), ...ips.map((ip) => `IP:${ip}`)].join(',');
    const base = join(dir, `server-${++serial}`);
    const certFile = `${base}.pem`;
    const keyFile = `${base}.key`;
    const cn = spec.commonName ?? dnsNames[0] ?? 'test server';
    const sanArgs = san === '' ? [] : ['-addext', `subjectAltName=${san}`];
    await run('openssl', [
      'req',
      '-x509',
      '-CA',
      caFile,
      '-CAkey',
      caKey,
      ...keyArgs,
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-subj',
      `/CN=${cn}`,
      '-addext',
      'basicConstraints=CA:FALSE',
      ...sanArgs,
    ]);
    return { certFile, keyFile, spkiSha256: spkiSha256(await readFile(certFile)) };
  };
  return { dir, caFile, caPath, issue };
}

let shared: Promise<TestCa> | undefined;

/** The process-wide test CA, created on first use (saves an openssl run per server). */
export function sharedTestCa(): Promise<TestCa> {
  shared ??= createTestCa();
  return shared;
}
