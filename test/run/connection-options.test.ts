// The configuration → connection options mapping: what each [local]/[remote] option becomes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { connectionOptions } from '../../src/run/connection-options.js';

const dir = mkdtempSync(join(tmpdir(), 'interimap-run-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function configOf(text: string) {
  const file = join(dir, 'config');
  writeFileSync(file, text, { mode: 0o600 });
  return loadConfig(file).config;
}

const PIN = 'a'.repeat(64);

test('imaps with a proxy and a pin; imap with STARTTLS; options passed through', () => {
  const config = configOf(
    [
      '[local]',
      'type = imap',
      'host = [::1]',
      'port = 1143',
      'auth = LOGIN',
      'username = me',
      'password = secret',
      '[remote]',
      'host = mail.example.org',
      'proxy = socks5h://u:p@proxy.example.org:1081',
      `SSL_fingerprint = sha256$${PIN}`,
      'SSL_protocol_min = TLSv1.2',
    ].join('\n'),
  );
  const local = connectionOptions(config.local, { debug: 0, watch: true });
  assert.deepEqual(local.transport, {
    type: 'imap',
    host: '::1',
    port: 1143,
    keepAlive: true,
    tls: { verify: true, fingerprints: [], servername: '' },
    startTls: true,
  });
  assert.equal(local.startTls, true);
  assert.deepEqual(local.auth, ['LOGIN']);
  assert.equal(local.username, 'me');
  assert.equal(local.compress, false);

  const remote = connectionOptions(config.remote, { debug: 3, watch: false });
  assert.equal(remote.transport.type, 'imaps');
  assert.equal(remote.transport.port, 993);
  assert.equal(remote.transport.keepAlive, false);
  assert.deepEqual(remote.transport.proxy, {
    protocol: 'socks5h',
    host: 'proxy.example.org',
    port: 1081,
    username: 'u',
    password: 'p',
  });
  assert.deepEqual(remote.transport.tls.fingerprints, [{ algorithm: 'sha256', digest: PIN }]);
  assert.equal(remote.transport.tls.minVersion, 'TLSv1.2');
  assert.equal(remote.transport.tls.servername, 'mail.example.org');
  assert.equal(remote.startTls, false);
  assert.equal(remote.compress, true);
  assert.equal(remote.debug, 2, '--debug given three times is level 2');
});

test('imap with STARTTLS = NO: a plaintext-only transport, its TLS settings unread', () => {
  const config = configOf('[local]\ntype = imap\nSTARTTLS = NO\n[remote]\n');
  const local = connectionOptions(config.local, { debug: 0, watch: false });
  assert.equal(local.startTls, false);
  assert.equal(local.transport.startTls, false);
});

test('tunnel: null-stderr holds unless --debug is given', () => {
  const config = configOf('[local]\ntype = tunnel\ncommand = imapd\nnull-stderr = YES\n[remote]\n');
  assert.equal(connectionOptions(config.local, { debug: 0, watch: true }).transport.nullStderr, true);
  assert.equal(connectionOptions(config.local, { debug: 1, watch: true }).transport.nullStderr, false);
  assert.equal(connectionOptions(config.local, { debug: 0, watch: true }).transport.keepAlive, undefined);
});
