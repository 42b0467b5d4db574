// The demo's configuration file, laid out as docs/getting-started.md sets one up: the local server
// through a pre-authenticated tunnel, the remote one over IMAPS with a password and a pinned key.
import type { Dovecot } from '../test/helpers/dovecot.js';

/** The remote's TLS endpoint, or undefined to reach it through a tunnel too (no root: no listener). */
export interface RemoteTls {
  host: string;
  port: number;
  spkiSha256: string;
}

export function configText(database: string, local: Dovecot, remote: Dovecot, tls?: RemoteTls): string {
  const lines = [
    `database = ${database}`,
    '',
    '[local]',
    '# On your own machine: command = /usr/lib/dovecot/imap',
    'type = tunnel',
    `command = ${local.tunnelCommand}`,
    'null-stderr = YES',
    '',
    '[remote]',
  ];
  if (tls) {
    lines.push(
      'type = imaps',
      `host = ${tls.host}`,
      `port = ${tls.port}`,
      `username = ${remote.user}`,
      `password = ${remote.password}`,
      "# The demo server's certificate comes from a throw-away CA: trust its pinned key instead.",
      'SSL_verify = NO',
      `SSL_fingerprint = sha256$${tls.spkiSha256}`,
    );
  } else {
    lines.push('# Not root: no network listener, so the remote is a tunnel too.');
    lines.push('type = tunnel', `command = ${remote.tunnelCommand}`, 'null-stderr = YES');
  }
  return `${lines.join('\n')}\n`;
}
