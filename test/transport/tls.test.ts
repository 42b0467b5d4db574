// imaps against real Dovecot servers: chain and host name verification, SPKI pinning (independent of
// verification), CA file/dir, SNI as logged by the server, protocol range and cipher settings.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { spkiDigest } from '../../src/transport/tls.js';
import {
  openTransport,
  parseFingerprint,
  type TlsOptions,
  type Transport,
  type TransportOptions,
} from '../../src/transport/transport.js';
import { type Dovecot, startDovecot } from '../helpers/dovecot.js';
import { RawImap } from '../helpers/imap-client-raw.js';
import { createTestCa, sharedTestCa, type TestCa } from '../helpers/tls-ca.js';

const opened: Transport[] = [];
after(() => {
  for (const transport of opened) transport.close();
});

/** Opens imaps to `server` and reads the greeting; closes the transport afterwards. */
async function greet(
  server: Dovecot,
  tls: TlsOptions,
  extra: Partial<TransportOptions> = {},
): Promise<string> {
  const transport = await openTransport({
    type: 'imaps',
    host: 'localhost',
    port: server.imapsPort!,
    tls,
    ...extra,
  });
  opened.push(transport);
  const imap = new RawImap((data) => transport.write(data));
  transport.onData((chunk) => imap.feed(chunk));
  const greeting = await imap.nextLine();
  const description = transport.describe();
  transport.close();
  return `${description} | ${greeting}`;
}

describe('imaps', { timeout: 60_000 }, () => {
  let server: Dovecot;
  let otherName: Dovecot;
  let tls12: Dovecot;
  let strangerCa: TestCa;
  let sha512: string;
  before(async () => {
    strangerCa = await createTestCa('some other CA');
    server = await startDovecot({ tls: true });
    const { issue } = await sharedTestCa();
    [otherName, tls12] = await Promise.all([
      startDovecot({ certificate: await issue({ dnsNames: ['other.example'] }) }),
      startDovecot({ tls: true, tlsMaxProtocol: 'TLSv1.2' }),
    ]);
    sha512 = spkiDigest(new X509Certificate(readFileSync(server.certFile!)), 'sha512');
  });
  after(() => Promise.all([server?.stop(), otherName?.stop(), tls12?.stop()]));

  test('a valid chain and host name are accepted (host name, IP, bracketed IP)', async () => {
    const tls = { verify: true, caFile: server.caFile! };
    assert.match(await greet(server, tls), /^imaps:\/\/localhost:\d+ TLSv1\.3 TLS_\w+ \| \* OK /);
    assert.match(await greet(server, tls, { host: '127.0.0.1' }), /\| \* OK /);
    assert.match(await greet(server, tls, { host: '[127.0.0.1]' }), /\| \* OK /);
  });

  test('a CA directory in hash format is used for trust', async () => {
    const { caPath } = await sharedTestCa();
    assert.match(await greet(server, { verify: true, caPath }), /\| \* OK /);
  });

  test('a certificate for another name is refused', async () => {
    await assert.rejects(
      greet(otherName, { verify: true, caFile: otherName.caFile! }),
      /^TransportError: TLS certificate verification failed for localhost: Hostname\/IP does not match certificate's altnames: Host: localhost\. is not in the cert's altnames: DNS:other\.example$/,
    );
  });

  test('an unknown CA is refused, with a given CA file and with the default store', async () => {
    const unknown =
      /^TransportError: TLS certificate verification failed for localhost: unable to verify the first certificate \(unknown CA\)$/;
    await assert.rejects(greet(server, { verify: true, caFile: strangerCa.caFile }), unknown);
    await assert.rejects(greet(server, { verify: true }), unknown);
  });

  test('verify=false accepts an unknown CA and a wrong name', async () => {
    assert.match(await greet(otherName, { verify: false, caFile: strangerCa.caFile }), /\| \* OK /);
  });

  test('a matching SPKI pin is accepted without verification; algorithm prefix and case allowed', async () => {
    const hex = server.spkiSha256!;
    const accepted = async (text: string) =>
      assert.match(
        await greet(server, { verify: false, fingerprints: [parseFingerprint(text)] }),
        /\| \* OK /,
      );
    await accepted(hex);
    await accepted(`SHA256$${hex.toUpperCase()}`);
    await accepted(`sha512$${sha512}`);
  });

  test('a list of pins with one match is accepted, also together with verification', async () => {
    const texts = ['00'.repeat(32), `sha1$${'ab'.repeat(20)}`, server.spkiSha256!];
    const fingerprints = texts.map(parseFingerprint);
    assert.match(await greet(server, { verify: true, caFile: server.caFile!, fingerprints }), /\| \* OK /);
  });

  test('a pin mismatch is refused during the handshake even with a valid chain', async () => {
    const fingerprints = [{ algorithm: 'sha256', digest: '00'.repeat(32) }];
    await assert.rejects(
      greet(server, { verify: true, caFile: server.caFile!, fingerprints }),
      new RegExp(
        `^TransportError: server certificate SPKI fingerprint mismatch \\(got sha256\\$${server.spkiSha256}\\)$`,
      ),
    );
  });

  test('fingerprint text: algorithm prefix, case; bad ones are named', () => {
    assert.deepEqual(parseFingerprint('SHA1$ABcd'.padEnd(45, '0')), {
      algorithm: 'sha1',
      digest: 'abcd'.padEnd(40, '0'),
    });
    const cases: [string, string][] = [
      ['md99$00', 'unknown digest algorithm "md99"'],
      ['abcd', 'fingerprint "abcd" has 4 hex digits, sha256 needs 64'],
      ['xy'.repeat(32), `invalid fingerprint "${'xy'.repeat(32)}": expected [ALGO$]HEXDIGEST`],
      ['sha256:ab', 'invalid fingerprint "sha256:ab": expected [ALGO$]HEXDIGEST'],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => parseFingerprint(text), { name: 'TransportError', message }, text);
    }
  });

  test('bad pins and unreadable CA files are refused before connecting', async () => {
    const closedPort = { port: 1 }; // nothing listens there: settings must fail first
    const badPin = { algorithm: 'md99', digest: '00' };
    await assert.rejects(
      greet(server, { verify: false, fingerprints: [badPin] }, closedPort),
      /^TransportError: unknown digest algorithm "md99"$/,
    );
    const shortPin = { algorithm: 'sha256', digest: 'abcd' };
    await assert.rejects(
      greet(server, { verify: false, fingerprints: [shortPin] }, closedPort),
      /^TransportError: fingerprint "sha256\$abcd" has 4 hex digits, sha256 needs 64$/,
    );
    await assert.rejects(
      greet(server, { verify: true, caFile: '/nonexistent/ca.pem' }, closedPort),
      /cannot read CA file '\/nonexistent\/ca\.pem': ENOENT/,
    );
    await assert.rejects(
      greet(server, { verify: true, caPath: '/nonexistent' }, closedPort),
      /cannot read CA directory '\/nonexistent': ENOENT/,
    );
  });

  test('connections to one server with the same settings share one checked setup', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'interimap-tls-shared-'));
    try {
      const caFile = join(dir, 'ca.pem');
      copyFileSync(server.caFile!, caFile);
      assert.match(await greet(server, { verify: true, caFile }), /\| \* OK /);
      rmSync(caFile);
      // The second connection does not read the CA file again; other settings make another setup.
      assert.match(await greet(server, { verify: true, caFile }), /\| \* OK /);
      await assert.rejects(
        greet(server, { verify: true, caFile, servername: 'localhost' }),
        /cannot read CA file/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('minVersion TLSv1.3 against a TLS 1.2 server is refused; maxVersion caps the client', async () => {
    await assert.rejects(
      greet(tls12, { verify: true, caFile: tls12.caFile!, minVersion: 'TLSv1.3' }),
      /^TransportError: TLS handshake with localhost failed: /,
    );
    assert.match(await greet(tls12, { verify: true, caFile: tls12.caFile! }), / TLSv1\.2 /);
    assert.match(
      await greet(server, { verify: true, caFile: server.caFile!, maxVersion: 'TLSv1.2' }),
      / TLSv1\.2 /,
    );
    await assert.rejects(
      greet(server, { verify: false, minVersion: 'SSLv3' }),
      /TLS minVersion 'SSLv3': expected one of/,
    );
    await assert.rejects(
      greet(server, { verify: false, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.2' }),
      /TLS minVersion TLSv1.3 is above maxVersion TLSv1.2/,
    );
  });

  test('cipher suites (TLS 1.3) and cipher list (TLS 1.2) are applied independently', async () => {
    const caFile = server.caFile!;
    const suite = await greet(server, { verify: true, caFile, cipherSuites: 'TLS_AES_128_GCM_SHA256' });
    assert.match(suite, / TLSv1\.3 TLS_AES_128_GCM_SHA256 /);
    // A TLS 1.2 cipher list alone must not switch TLS 1.3 off.
    assert.match(
      await greet(server, { verify: true, caFile, cipherList: 'ECDHE-ECDSA-AES128-GCM-SHA256' }),
      / TLSv1\.3 /,
    );
    const list = await greet(tls12, { verify: true, caFile, cipherList: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
    assert.match(list, / TLSv1\.2 ECDHE-ECDSA-AES128-GCM-SHA256 /);
    await assert.rejects(
      greet(server, { verify: false, cipherList: 'NO-SUCH-CIPHER' }),
      /cannot set up TLS for localhost: .*cipher/i,
    );
    await assert.rejects(
      greet(server, { verify: false, cipherSuites: 'AES128' }),
      /'AES128' is not a TLS 1\.3 suite/,
    );
  });
});

describe('SNI', { timeout: 30_000 }, () => {
  let server: Dovecot;
  before(async () => {
    server = await startDovecot({ tls: true });
  });
  after(() => server.stop());

  /** Connects, then returns the server's login log line for that TLS connection (the harness's readiness
   * probe logs a plain one). */
  let connections = 0;
  async function loggedLine(tls: TlsOptions, host = 'localhost'): Promise<string> {
    await greet(server, tls, { host });
    connections++;
    for (;;) {
      const lines = (await server.readLog())
        .split('\n')
        .filter((l) => /imap-login: Info: Disconnected.* TLS/.test(l));
      if (lines.length >= connections) return lines[connections - 1]!;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  test('the host name is sent by default; servername overrides it; IP literals and "" send none', async () => {
    const anyCert = { verify: false };
    assert.match(await loggedLine(anyCert), /sni=<localhost>/);
    assert.match(await loggedLine({ ...anyCert, servername: 'imap.example' }), /sni=<imap\.example>/);
    assert.doesNotMatch(await loggedLine(anyCert, '127.0.0.1'), /sni=/);
    assert.doesNotMatch(await loggedLine(anyCert, '[127.0.0.1]'), /sni=/);
    assert.doesNotMatch(await loggedLine({ ...anyCert, servername: '' }), /sni=/);
  });

  test('the host name is verified against the host, not the SNI name', async () => {
    const line = await loggedLine({ verify: true, caFile: server.caFile!, servername: 'imap.example' });
    assert.match(line, /sni=<imap\.example>/);
  });
});
