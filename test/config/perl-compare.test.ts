// Runs the Perl InterIMAP 0.5.7 and our loader on the same configuration files and checks that
// we accept what it accepts and reject what it rejects, except for the deliberate differences
// listed in docs/config-differences.md (there the test checks that the difference still holds).
//
// The Perl tool cannot be told to stop after reading its configuration, so it runs for real
// against servers that fail straight away: the [remote] tunnel is /bin/false and a network
// [local] points at a local listener that closes every connection. Its verdict is read from its
// message: the config-level errors below (some only detected when it connects) mean "rejected";
// any other failure (EOF, TLS handshake) means the configuration got through.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfig } from '../../src/config/load.js';
import { TempDir, TUNNELS } from './temp-config.js';

const PERL_REJECTS =
  /^(?:Invalid option |No such section |No such config file|Invalid value for list-mailbox)|Unknown protocol version|Invalid proxy URI|Invalid IP literal|Missing tunnel command|Unsupported proxy protocol|Servname not supported/m;

const dir = new TempDir();
const configDir = join(dir.path, 'config', 'interimap');
let server: Server;
let port = 0;

before(async () => {
  mkdirSync(configDir, { recursive: true });
  mkdirSync(join(dir.path, 'data'));
  server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
after(async () => {
  await new Promise((resolve) => server.close(resolve));
  dir.remove();
});

type Verdict = 'accepted' | 'rejected';

/** Asynchronous: the listener in this process must keep accepting while Perl runs. */
function perlVerdict(text: string): Promise<{ verdict: Verdict; stderr: string }> {
  dir.write('config/interimap/case', text);
  const env = {
    HOME: dir.path,
    XDG_CONFIG_HOME: join(dir.path, 'config'),
    XDG_DATA_HOME: join(dir.path, 'data'),
    PATH: '/usr/bin:/bin',
  };
  return new Promise((resolve) => {
    execFile('/usr/bin/interimap', ['--config=case'], { env, timeout: 30_000 }, (error, _stdout, stderr) => {
      assert.ok(error, 'the Perl tool cannot succeed without servers');
      resolve({ verdict: PERL_REJECTS.test(stderr) ? 'rejected' : 'accepted', stderr });
    });
  });
}

function ourVerdict(text: string): Verdict {
  try {
    loadConfig(dir.write('ours', text));
    return 'accepted';
  } catch (e) {
    if (e instanceof ConfigError) return 'rejected';
    throw e;
  }
}

/** [local] on the closing listener, then the given lines in [local]. */
const net = (lines: string) =>
  `[local]\nhost = 127.0.0.1\nport = ${port}\n${lines}\n[remote]\ntype = tunnel\ncommand = /bin/false\n`;
const tunnel = (local: string) =>
  `[local]\ntype = tunnel\ncommand = /bin/false\n${local}\n[remote]\ntype = tunnel\ncommand = /bin/false\n`;

interface Case {
  name: string;
  text: () => string;
  /** Both tools give this verdict, unless `difference` says why we reject what Perl accepts. */
  verdict: Verdict;
  difference?: string;
}

const cases: Case[] = [
  { name: 'two tunnels', text: () => TUNNELS, verdict: 'accepted' },
  {
    name: 'TLS options',
    text: () =>
      net(
        'SSL_verify = no\nSSL_protocol_min = TLSv1.2\nSSL_cipherlist = HIGH\nSSL_ciphersuites =\nSSL_hostname =',
      ),
    verdict: 'accepted',
  },
  {
    name: 'list and ignore options, `;` and `#` kept in values',
    text: () =>
      `list-mailbox = INBOX "a\\x00b" "s p"\nlist-select-opts = subscribed\nignore-mailbox = ^foo;bar\n${tunnel('password = p#w;x')}`,
    verdict: 'accepted',
  },
  {
    name: 'server options in the default section',
    text: () => `SSL_verify = NO\nusername = u\n${TUNNELS}`,
    verdict: 'accepted',
  },
  { name: 'lower-case yes', text: () => tunnel('compress = yes\nnull-stderr = no'), verdict: 'accepted' },
  { name: 'a log-prefix', text: () => `log-prefix = [%n] %?m?%m: ?\n${TUNNELS}`, verdict: 'accepted' },
  {
    name: 'the last duplicate wins',
    text: () =>
      '[local]\ntype = imap\ntype = tunnel\ncommand = /bin/false\n[remote]\ntype = tunnel\ncommand = /bin/false\n',
    verdict: 'accepted',
  },
  {
    name: 'inline comment and spaced header',
    text: () =>
      '[ local ]\ntype = tunnel ; a comment\ncommand = /bin/false\n[remote]\ntype = tunnel\ncommand = /bin/false\n',
    verdict: 'accepted',
  },
  {
    name: 'SSL_protocols as a range',
    text: () => net('SSL_protocols = TLSv1.2 TLSv1.3'),
    verdict: 'accepted',
  },
  { name: 'socks5h proxy', text: () => net(`proxy = socks5h://u:p@127.0.0.1:${port}`), verdict: 'accepted' },
  { name: 'IP literal', text: () => net('host = [127.0.0.1]'), verdict: 'accepted' },
  {
    name: 'SHA-256 fingerprint',
    text: () => net(`SSL_fingerprint = sha256$${'ab'.repeat(32)}`),
    verdict: 'accepted',
  },

  { name: 'unknown option', text: () => `colour = blue\n${TUNNELS}`, verdict: 'rejected' },
  {
    name: 'missing [remote]',
    text: () => '[local]\ntype = tunnel\ncommand = /bin/false\n',
    verdict: 'rejected',
  },
  { name: 'syntax error', text: () => `garbage\n${TUNNELS}`, verdict: 'rejected' },
  { name: 'invalid type', text: () => tunnel('type = pop3'), verdict: 'rejected' },
  { name: 'invalid boolean', text: () => tunnel('STARTTLS = maybe'), verdict: 'rejected' },
  { name: '1 is not a boolean', text: () => tunnel('compress = 1'), verdict: 'rejected' },
  { name: 'relative logfile', text: () => `logfile = log.txt\n${TUNNELS}`, verdict: 'rejected' },
  {
    name: 'unterminated list-mailbox quote',
    text: () => `list-mailbox = "open\n${TUNNELS}`,
    verdict: 'rejected',
  },
  {
    name: 'list-select-opts with parentheses',
    text: () => `list-select-opts = (SUBSCRIBED)\n${TUNNELS}`,
    verdict: 'rejected',
  },
  { name: 'non-ASCII password', text: () => tunnel('password = é'), verdict: 'rejected' },
  { name: 'auth with a double space', text: () => tunnel('auth = PLAIN  LOGIN'), verdict: 'rejected' },
  {
    name: 'tunnel without command',
    text: () => '[local]\ntype = tunnel\n[remote]\ntype = tunnel\ncommand = /bin/false\n',
    verdict: 'rejected',
  },
  { name: 'proxy without scheme', text: () => net('proxy = localhost:1080'), verdict: 'rejected' },
  { name: 'http proxy', text: () => net(`proxy = http://127.0.0.1:${port}`), verdict: 'rejected' },
  { name: 'bad IP literal', text: () => net('host = [nope]'), verdict: 'rejected' },
  { name: 'unknown TLS version', text: () => net('SSL_protocol_min = bogus'), verdict: 'rejected' },
  { name: 'unknown SSL_protocols word', text: () => net('SSL_protocols = TLSv2'), verdict: 'rejected' },
  { name: 'malformed fingerprint', text: () => net('SSL_fingerprint = xyz'), verdict: 'rejected' },
  { name: 'empty host', text: () => net('host ='), verdict: 'rejected' },
  { name: 'non-numeric port', text: () => net('port = abc'), verdict: 'rejected' },

  {
    name: 'unknown section',
    text: () => `${TUNNELS}[extra]\nfoo = bar\n`,
    verdict: 'rejected',
    difference: 'unknown sections',
  },
  {
    name: 'database in [local]',
    text: () => tunnel('database = x.db'),
    verdict: 'rejected',
    difference: 'global options in a server section',
  },
  {
    name: 'service name as port',
    text: () => net('port = imaps'),
    verdict: 'rejected',
    difference: 'service names as port',
  },
  {
    name: 'invalid ignore-mailbox',
    text: () => `ignore-mailbox = (foo\n${TUNNELS}`,
    verdict: 'rejected',
    difference: 'ignore-mailbox checked when loading',
  },
  {
    name: 'unterminated log-prefix conditional',
    text: () => `log-prefix = %?n?x\n${TUNNELS}`,
    verdict: 'rejected',
    difference: 'malformed log-prefix',
  },
  {
    name: 'unknown digest',
    text: () => net('SSL_fingerprint = foo$abcd'),
    verdict: 'rejected',
    difference: 'fingerprints checked when loading',
  },
  {
    name: 'SSL_protocols with a hole',
    text: () => net('SSL_protocols = !TLSv1.2'),
    verdict: 'rejected',
    difference: 'SSL_protocols as a range',
  },
  {
    name: 'SSLv3 as maximum',
    text: () => net('SSL_protocol_max = SSLv3'),
    verdict: 'rejected',
    difference: 'no SSLv3',
  },
];

describe('configuration files: our verdict matches the Perl tool', () => {
  for (const c of cases) {
    test(c.name, async () => {
      const text = c.text();
      assert.equal(ourVerdict(text), c.verdict);
      const perl = await perlVerdict(text);
      const expected: Verdict = c.difference ? 'accepted' : c.verdict;
      assert.equal(perl.verdict, expected, `Perl said: ${perl.stderr}`);
    });
  }
});
