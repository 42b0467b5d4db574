// Self-test of the Dovecot harness: capabilities over the tunnel and TCP, delimiters, doveadm,
// TLS (imaps, STARTTLS advertisement, TLS 1.2 cap, SNI logging) and clean shutdown.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { describe, test } from 'node:test';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { startDovecot } from './dovecot.js';
import { rawImapOverStream, spawnRawTunnel } from './imap-client-raw.js';

const REQUIRED = [
  'QRESYNC',
  'CONDSTORE',
  'LIST-EXTENDED',
  'LIST-STATUS',
  'UIDPLUS',
  'LITERAL+',
  'MULTIAPPEND',
  'MOVE',
  'IDLE',
  'COMPRESS=DEFLATE',
  'NOTIFY',
];

function assertCapabilities(line: string): void {
  const caps = new Set(line.split(' '));
  for (const cap of REQUIRED) assert.ok(caps.has(cap), `missing ${cap} in: ${line}`);
}

/** Verifies the chain against the test CA; the name check is skipped so any SNI name can be sent. */
function openTls(port: number, caFile: string, servername = 'localhost'): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const options = {
      host: '127.0.0.1',
      port,
      servername,
      ca: [readFileSync(caFile)],
      checkServerIdentity: () => undefined,
    };
    const socket = tlsConnect(options, () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('dovecot harness', { timeout: 30_000 }, () => {
  test('tunnel: PREAUTH, capabilities, "/" delimiter, doveadm save and status', async () => {
    const dovecot = await startDovecot();
    try {
      const tunnel = spawnRawTunnel(dovecot.tunnelCommand);
      assert.match(await tunnel.imap.nextLine(), /^\* PREAUTH /);
      const caps = await tunnel.imap.command('CAPABILITY');
      assert.match(caps.tagged, /^OK /);
      assertCapabilities(caps.untagged[0]!);
      const list = await tunnel.imap.command('LIST "" ""');
      assert.match(list.untagged[0]!, /^\* LIST \(\\Noselect\) "\/" ""$/);
      await dovecot.doveadm(['save', '-m', 'INBOX'], { input: 'Subject: hi\r\n\r\nbody\r\n' });
      assert.match(await dovecot.doveadm(['mailbox', 'status', 'messages', 'INBOX']), /messages=1/);
      const status = await tunnel.imap.command('STATUS INBOX (MESSAGES)');
      assert.match(status.untagged[0]!, /MESSAGES 1/);
      await tunnel.imap.command('LOGOUT');
      assert.equal(await tunnel.close(), 0);
    } finally {
      await dovecot.stop();
    }
  });

  test('"." delimiter, no plugins, and a second user with its own store', async () => {
    const dovecot = await startDovecot({
      delimiter: '.',
      plugins: false,
      users: [
        { name: 'alice', password: 'a' },
        { name: 'bob', password: 'b' },
      ],
    });
    try {
      await dovecot.doveadm(['mailbox', 'create', 'only-bob'], { user: 'bob' });
      const tunnel = spawnRawTunnel(dovecot.tunnelCommandFor('alice'));
      const greeting = await tunnel.imap.nextLine();
      assert.match(greeting, /^\* PREAUTH .* Logged in as alice$/);
      assert.doesNotMatch(greeting, /COMPRESS=DEFLATE/); // NOTIFY: Dovecot 2.3 advertises it regardless
      const list = await tunnel.imap.command('LIST "" "*"');
      assert.deepEqual(list.untagged, ['* LIST (\\HasNoChildren) "." INBOX']);
      await tunnel.close();
      assert.throws(() => dovecot.tunnelCommandFor('carol'), /no such test user 'carol'/);
      await assert.rejects(
        startDovecot({ users: [{ name: 'a b', password: 'x' }] }),
        /user 'a b': name must be/,
      );
    } finally {
      await dovecot.stop();
    }
  });

  test('TCP with TLS: LOGIN capabilities, STARTTLS, imaps verified by the CA, SNI logged', async () => {
    const dovecot = await startDovecot({ tls: true });
    try {
      assert.ok(dovecot.imapPort && dovecot.imapsPort && dovecot.caFile);
      assert.match(dovecot.spkiSha256!, /^[0-9a-f]{64}$/);
      const socket = tcpConnect(dovecot.imapPort, '127.0.0.1');
      const plain = rawImapOverStream(socket);
      assert.match(await plain.nextLine(), /^\* OK \[CAPABILITY .*STARTTLS/);
      assert.match((await plain.command(`LOGIN ${dovecot.user} ${dovecot.password}`)).tagged, /^OK /);
      assertCapabilities((await plain.command('CAPABILITY')).untagged[0]!);
      socket.destroy();

      const secure = await openTls(dovecot.imapsPort, dovecot.caFile, 'sni.example');
      assert.equal(secure.getProtocol(), 'TLSv1.3');
      const imaps = rawImapOverStream(secure);
      assert.match(await imaps.nextLine(), /^\* OK /);
      await imaps.command('LOGOUT');
      secure.destroy();
      await dovecot.waitForLog(/sni=<sni\.example>/);
    } finally {
      await dovecot.stop();
    }
    assert.equal(existsSync(dovecot.dir), false);
  });

  test('tlsMaxProtocol caps the server at TLS 1.2; sslRequired disables LOGIN before TLS', async () => {
    const dovecot = await startDovecot({ tls: true, tlsMaxProtocol: 'TLSv1.2', sslRequired: true });
    try {
      const secure = await openTls(dovecot.imapsPort!, dovecot.caFile!);
      assert.equal(secure.getProtocol(), 'TLSv1.2');
      secure.destroy();
      const socket = tcpConnect(dovecot.imapPort!, dovecot.remoteHost);
      const plain = rawImapOverStream(socket);
      assert.match(await plain.nextLine(), /LOGINDISABLED/);
      socket.destroy();
    } finally {
      await dovecot.stop();
    }
  });

  test('a broken configuration fails startup with the reason Dovecot gives', async () => {
    await assert.rejects(startDovecot({ tcp: true, extraConf: 'no_such_setting = 1' }), /no_such_setting/);
  });
});
