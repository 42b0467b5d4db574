// The dovecot.conf (and OpenSSL config) text of one throw-away instance: paths, users, store,
// namespace, plugins, TLS and listeners. No I/O here; dovecot.ts writes and runs it.
import type { DovecotOptions } from './dovecot.js';
import type { ServerCert } from './tls-ca.js';

export function configText(o: {
  dir: string;
  account: { uid: number; gid: number };
  options: DovecotOptions;
  ports?: { imap: number; imaps: number };
  cert?: ServerCert;
}): string {
  const { dir, account, options } = o;
  const lines = [
    `base_dir = ${dir}/run`,
    `state_dir = ${dir}/state`,
    `log_path = ${dir}/dovecot.log`,
    'protocols = imap',
    `mail_location = sdbox:${dir}/mail/%u:INDEX=${dir}/index/%u`,
    `mail_uid = ${account.uid}`,
    `mail_gid = ${account.gid}`,
    'first_valid_uid = 1',
    `mail_fsync = ${options.fsync ? 'optimized' : 'never'}`,
    // `ssl = required` alone still advertises AUTH=PLAIN before TLS; this adds LOGINDISABLED.
    `disable_plaintext_auth = ${options.loginDisabledPlaintext || options.sslRequired ? 'yes' : 'no'}`,
    // Login lines record the SNI name and TLS protocol, so tests can check them server-side.
    'login_log_format_elements = user=<%u> sni=<%{local_name}> %k',
    'passdb {',
    '  driver = passwd-file',
    `  args = scheme=PLAIN ${dir}/passwd`,
    '}',
    'userdb {',
    '  driver = static',
    `  args = uid=${account.uid} gid=${account.gid} home=${dir}/home/%u`,
    '}',
    'namespace inbox {',
    '  inbox = yes',
    `  separator = ${options.delimiter ?? '/'}`,
    '}',
  ];
  if (options.plugins ?? true) {
    lines.push(
      'mail_plugins = $mail_plugins zlib notify',
      'protocol imap {',
      '  mail_plugins = $mail_plugins imap_zlib',
      '}',
    );
  }
  if (o.cert) {
    lines.push(
      `ssl = ${options.sslRequired ? 'required' : 'yes'}`,
      `ssl_cert = <${o.cert.certFile}`,
      `ssl_key = <${o.cert.keyFile}`,
    );
    // Dovecot 2.3 has no ssl_max_protocol: cap OpenSSL itself through a config file in its environment.
    if (options.tlsMaxProtocol) {
      lines.push(`import_environment = $import_environment OPENSSL_CONF=${dir}/openssl.cnf`);
    }
  } else {
    lines.push('ssl = no');
  }
  if (o.ports) {
    lines.push(
      'listen = 127.0.0.1, 127.0.0.2',
      'service imap-login {',
      `  inet_listener imap {\n    port = ${o.ports.imap}\n  }`,
      `  inet_listener imaps {\n    port = ${o.ports.imaps}\n    ssl = yes\n  }`,
      '}',
    );
  }
  if (options.extraConf) lines.push(options.extraConf);
  return `${lines.join('\n')}\n`;
}

/** System-wide OpenSSL settings for the master and its children (loaded via OPENSSL_CONF). */
export function opensslConfText(maxProtocol: string): string {
  return `openssl_conf = init\n[init]\nssl_conf = ssl\n[ssl]\nsystem_default = sys\n[sys]\nMaxProtocol = ${maxProtocol}\n`;
}
