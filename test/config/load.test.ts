import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfig } from '../../src/config/load.js';
import { defaultDatabasePath, resolveConfigPath } from '../../src/config/paths.js';
import { TempDir, TUNNELS } from './temp-config.js';

const dir = new TempDir();
after(() => dir.remove());

/** Loads TEXT from a file named `config`, returning the error message with the path as FILE. */
function errorOf(text: string, mode = 0o600): string {
  const file = dir.write('config', text, mode);
  try {
    loadConfig(file);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `not a ConfigError: ${String(e)}`);
    return e.message.replaceAll(file, 'FILE');
  }
  return 'accepted';
}

describe('a complete configuration', () => {
  const file = dir.write(
    'full',
    `# comment
; another comment
database = work.db
list-mailbox = INBOX "foo bar" "a\\x00b" "t\\tq\\"\\\\"
list-select-opts = subscribed recursivematch
ignore-mailbox = ^virtual(?:\\x00|$)
logfile = /tmp/interimap.log
log-prefix = %n:
username = shared
SSL_verify = no

[local]
type = tunnel
command = doveadm exec imap
null-stderr = YES
list-reference = perso/

[ remote ]
type = imap
host = [::1]
port = 1143
proxy = socks5h://me:se:cret@proxy.example:9050
STARTTLS = No
auth = plain login
password = p#ss;word ; a comment
SSL_protocol_min = TLSv1.2
SSL_fingerprint = sha256$${'Ab'.repeat(32)} sha1$${'0'.repeat(40)}
SSL_ciphersuites =
`,
  );
  const { config, warnings } = loadConfig(file);

  test('global options are typed', () => {
    assert.equal(config.database, 'work.db');
    assert.deepEqual(config.listMailbox, ['INBOX', 'foo bar', 'a\0b', 't\tq"\\']);
    assert.deepEqual(config.listSelectOpts, ['SUBSCRIBED', 'RECURSIVEMATCH']);
    assert.ok(config.ignoreMailbox?.test('virtual\0x'));
    assert.ok(!config.ignoreMailbox?.test('virtually'));
    assert.equal(config.logfile, '/tmp/interimap.log');
    assert.equal(config.logPrefix({ name: 'local' }), 'local:');
  });

  test('a tunnel server', () => {
    assert.deepEqual(config.local, {
      name: 'local',
      hostSpec: 'localhost',
      listReference: 'perso/',
      auth: ['PLAIN', 'LOGIN'],
      username: 'shared',
      compress: false,
      tls: { verify: false, fingerprints: [], servername: 'localhost' },
      type: 'tunnel',
      command: 'doveadm exec imap',
      nullStderr: true,
    });
  });

  test('a network server, default-section options inherited, inline comment dropped', () => {
    assert.deepEqual(config.remote, {
      name: 'remote',
      hostSpec: '[::1]',
      listReference: '',
      auth: ['PLAIN', 'LOGIN'],
      username: 'shared',
      password: 'p#ss;word',
      compress: true,
      tls: {
        verify: false,
        fingerprints: [
          { algorithm: 'sha256', digest: 'ab'.repeat(32) },
          { algorithm: 'sha1', digest: '0'.repeat(40) },
        ],
        servername: '',
        cipherSuites: '',
        minVersion: 'TLSv1.2',
      },
      type: 'imap',
      host: '::1',
      port: 1143,
      proxy: { protocol: 'socks5h', host: 'proxy.example', port: 9050, username: 'me', password: 'se:cret' },
      starttls: false,
    });
    assert.deepEqual(warnings, []);
  });

  test('the default database is named after the remote host', () => {
    const env = { HOME: '/home/u', XDG_DATA_HOME: '/data' };
    assert.equal(defaultDatabasePath(config, env), '/data/interimap/work.db');
    assert.equal(defaultDatabasePath({ remote: config.remote }, {}).endsWith('/interimap/[::1].db'), true);
    assert.equal(
      defaultDatabasePath({ remote: config.remote }, { HOME: '/h' }),
      '/h/.local/share/interimap/[::1].db',
    );
    assert.equal(defaultDatabasePath({ database: '/abs.db', remote: config.remote }, env), '/abs.db');
    assert.equal(defaultDatabasePath({ remote: config.local }, env), '/data/interimap/localhost.db');
  });
});

test('defaults: imaps on localhost:993, compress only for remote, PLAIN LOGIN', () => {
  const { config } = loadConfig(dir.write('minimal', '[local]\n[remote]\nhost = mail.example\n'));
  assert.equal(config.local.type, 'imaps');
  assert.equal(config.local.type === 'imaps' && config.local.port, 993);
  assert.equal(config.remote.type === 'imaps' && config.remote.host, 'mail.example');
  assert.equal(config.remote.tls.servername, 'mail.example');
  assert.equal(config.local.compress, false);
  assert.equal(config.remote.compress, true);
  assert.deepEqual(config.local.auth, ['PLAIN', 'LOGIN']);
  assert.equal(config.local.tls.verify, true);
  assert.equal(config.listMailbox, undefined);
  assert.equal(config.logPrefix({ name: 'remote', mailbox: 'INBOX' }), 'remote(INBOX): ');
  const imap = loadConfig(dir.write('imap', '[local]\ntype = imap\n[remote]\n')).config.local;
  assert.equal(imap.type === 'imap' && imap.port, 143);
  assert.equal(imap.type === 'imap' && imap.starttls, true);
});

test('--config paths are relative to $XDG_CONFIG_HOME/interimap', () => {
  assert.equal(resolveConfigPath(undefined, { XDG_CONFIG_HOME: '/c' }), '/c/interimap/config');
  assert.equal(resolveConfigPath('work', { HOME: '/h' }), '/h/.config/interimap/work');
  assert.equal(resolveConfigPath('work', { HOME: '/h', XDG_CONFIG_HOME: '' }), '/h/.config/interimap/work');
  assert.equal(resolveConfigPath('/etc/x', { HOME: '/h' }), '/etc/x');
});

describe('bad input: one line naming the file, section and option', () => {
  const cases: [string, string, string][] = [
    [
      'unknown section',
      `${TUNNELS}[extra]\n`,
      'FILE: unknown section [extra] (expected [local] and [remote])',
    ],
    ['missing section', '[local]\n', 'FILE: missing section [remote]'],
    ['syntax error', `garbage\n${TUNNELS}`, 'FILE: line 1: syntax error: "garbage"'],
    ['unknown option', `colour = blue\n${TUNNELS}`, 'FILE: (default section) colour: unknown option'],
    ['unknown option in a section', `${TUNNELS}hots = x\n`, 'FILE: [remote] hots: unknown option'],
    [
      'option in the wrong section',
      '[local]\ndatabase = x.db\n[remote]\n',
      'FILE: [local] database: only allowed in the default section (before any [section])',
    ],
    [
      'invalid type',
      '[local]\ntype = pop3\n[remote]\n',
      'FILE: [local] type: invalid value "pop3": expected imap, imaps or tunnel',
    ],
    [
      'non-numeric port',
      '[local]\n[remote]\nport = abc\n',
      'FILE: [remote] port: invalid value "abc": expected a port number (1-65535)',
    ],
    [
      'port out of range',
      'port = 70000\n[local]\n[remote]\n',
      'FILE: (default section) port: invalid value "70000": expected a port number (1-65535)',
    ],
    [
      'malformed proxy',
      '[local]\nproxy = localhost:1080\n[remote]\n',
      'FILE: [local] proxy: invalid value "localhost:1080": expected socks5://[USER:PASSWORD@]HOST[:PORT]',
    ],
    [
      'unsupported proxy',
      '[local]\nproxy = http://p\n[remote]\n',
      'FILE: [local] proxy: unsupported proxy protocol "http": expected socks5 or socks5h',
    ],
    [
      'malformed fingerprint',
      '[local]\n[remote]\nSSL_fingerprint = sha256:ab\n',
      'FILE: [remote] SSL_fingerprint: invalid fingerprint "sha256:ab": expected [ALGO$]HEXDIGEST',
    ],
    [
      'fingerprint of the wrong length',
      '[local]\n[remote]\nSSL_fingerprint = abcd\n',
      'FILE: [remote] SSL_fingerprint: fingerprint "abcd" has 4 hex digits, sha256 needs 64',
    ],
    [
      'unknown digest',
      '[local]\n[remote]\nSSL_fingerprint = foo$abcd\n',
      'FILE: [remote] SSL_fingerprint: unknown digest algorithm "foo"',
    ],
    [
      'invalid ignore-mailbox',
      `ignore-mailbox = (foo\n${TUNNELS}`,
      'FILE: (default section) ignore-mailbox: Invalid regular expression: /(foo/: Unterminated group',
    ],
    [
      'untranslatable ignore-mailbox',
      `ignore-mailbox = a++\n${TUNNELS}`,
      'FILE: (default section) ignore-mailbox: a possessive quantifier is not supported (at character 3)',
    ],
    [
      'tunnel without command',
      '[local]\ntype = tunnel\n[remote]\n',
      'FILE: [local] command: missing: type = tunnel needs a command',
    ],
    [
      'bad boolean',
      '[local]\ncompress = true\n[remote]\n',
      'FILE: [local] compress: invalid value "true": expected YES or NO',
    ],
    [
      'relative logfile',
      `logfile = log.txt\n${TUNNELS}`,
      'FILE: (default section) logfile: "log.txt" is not an absolute path',
    ],
    [
      'bad log-prefix',
      `log-prefix = %?n?x\n${TUNNELS}`,
      'FILE: (default section) log-prefix: unterminated conditional `%?n?` (at character 1)',
    ],
    [
      'bad list-mailbox',
      `list-mailbox = "open\n${TUNNELS}`,
      'FILE: (default section) list-mailbox: cannot parse a pattern at "\\"open"',
    ],
    [
      'non-ASCII password',
      '[local]\npassword = é\n[remote]\n',
      'FILE: [local] password: invalid value "é": only 7-bit characters are allowed',
    ],
    ['empty host', '[local]\nhost =\n[remote]\n', 'FILE: [local] host: empty value'],
    [
      'bad IP literal',
      '[local]\nhost = [nope]\n[remote]\n',
      'FILE: [local] host: invalid IP literal "[nope]"',
    ],
    [
      'bad auth list',
      '[local]\nauth = PLAIN  LOGIN\n[remote]\n',
      'FILE: [local] auth: invalid value "PLAIN  LOGIN": expected mechanism names separated by single spaces',
    ],
    [
      'unknown TLS version',
      '[local]\nSSL_protocol_max = TLSv2\n[remote]\n',
      'FILE: [local] SSL_protocol_max: unknown protocol "TLSv2": expected SSLv3, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3',
    ],
    [
      'SSLv3 as maximum',
      '[local]\nSSL_protocol_max = SSLv3\n[remote]\n',
      'FILE: [local] SSL_protocol_max: SSLv3 is not supported (the oldest protocol available is TLSv1)',
    ],
    [
      'min above max',
      '[local]\nSSL_protocol_min = TLSv1.3\nSSL_protocol_max = TLSv1.2\n[remote]\n',
      'FILE: [local] SSL_protocol_max: TLSv1.2 is older than SSL_protocol_min = TLSv1.3',
    ],
    [
      'SSL_protocols with a hole',
      '[local]\nSSL_protocols = !TLSv1.2\n[remote]\n',
      'FILE: [local] SSL_protocols: "!TLSv1.2" is not a contiguous range of versions; use SSL_protocol_min/max',
    ],
  ];
  for (const [name, text, expected] of cases) test(name, () => assert.equal(errorOf(text), expected));

  test('missing file', () => {
    const file = `${dir.path}/absent`;
    assert.throws(() => loadConfig(file), { message: `${file}: no such configuration file` });
  });
  test('a directory', () => {
    assert.throws(() => loadConfig(dir.path), { message: `${dir.path}: not a regular file` });
  });
  test('an unreadable path', () => {
    const file = `${dir.write('plain', TUNNELS)}/config`;
    assert.throws(() => loadConfig(file), {
      message: `${file}: cannot read the configuration file (ENOTDIR)`,
    });
  });
});

describe('warnings', () => {
  test('a password in a file readable by others', () => {
    const file = dir.write('open', '[local]\npassword = x\n[remote]\n', 0o644);
    assert.deepEqual(loadConfig(file).warnings, [
      `${file}: holds a password but is readable by group or others (mode 0644); run chmod 600 on it`,
    ]);
  });
  test('no warning for mode 0600, nor for an open file without password', () => {
    assert.deepEqual(
      loadConfig(dir.write('closed', '[local]\npassword = x\n[remote]\n', 0o600)).warnings,
      [],
    );
    assert.deepEqual(loadConfig(dir.write('nopw', TUNNELS, 0o644)).warnings, []);
  });
  test('a proxy password counts too', () => {
    const file = dir.write('proxy', '[local]\nproxy = socks5://u:p@h\n[remote]\n', 0o640);
    assert.equal(loadConfig(file).warnings.length, 1);
  });
  test('SSL_protocols is deprecated and mapped onto a range', () => {
    const file = dir.write('legacy', '[local]\nSSL_protocols = !SSLv3 !TLSv1 !TLSv1.1\n[remote]\n');
    const { config, warnings } = loadConfig(file);
    assert.equal(config.local.tls.minVersion, 'TLSv1.2');
    assert.equal(config.local.tls.maxVersion, 'TLSv1.3');
    assert.deepEqual(warnings, [
      `${file}: [local] SSL_protocols: deprecated, read as SSL_protocol_min = TLSv1.2 and SSL_protocol_max = TLSv1.3; write these instead`,
    ]);
    const only = loadConfig(dir.write('legacy2', '[local]\nSSL_protocols = TLSv1.2\n[remote]\n')).config.local
      .tls;
    assert.deepEqual([only.minVersion, only.maxVersion], ['TLSv1.2', 'TLSv1.2']);
  });
});
