// The validated configuration handed to the engine: every option of the file, typed, defaults
// applied. Built by load.ts; nothing here touches the file system or the network.
import type { LogPrefix } from '../log/prefix.js';
import type { Pin } from '../transport/pin.js';
import type { ProxySpec } from '../transport/proxy.js';

export type ServerName = 'local' | 'remote';
export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

export interface TlsConfig {
  /** Verify the chain and match the host name (SSL_verify, default YES). */
  verify: boolean;
  caFile?: string;
  caPath?: string;
  /** Accepted SPKI fingerprints; empty means no pinning. */
  fingerprints: Pin[];
  /** SNI name: SSL_hostname, else the host when it is a name; '' disables SNI. */
  servername: string;
  minVersion?: TlsVersion;
  maxVersion?: TlsVersion;
  /** OpenSSL cipher list for TLS ≤ 1.2 (SSL_cipherlist). */
  cipherList?: string;
  /** OpenSSL TLS 1.3 cipher suites (SSL_ciphersuites); may be ''. */
  cipherSuites?: string;
}

interface ServerCommon {
  name: ServerName;
  /** The host option as written (brackets kept): the default database is named after it. */
  hostSpec: string;
  /** LIST reference name (list-reference), '' by default. */
  listReference: string;
  /** Preferred SASL mechanisms, upper case, in order (auth). */
  auth: string[];
  username?: string;
  password?: string;
  compress: boolean;
  tls: TlsConfig;
}

export interface NetworkServerConfig extends ServerCommon {
  type: 'imap' | 'imaps';
  /** Host name or IP address, without the brackets of an IP literal. */
  host: string;
  port: number;
  proxy?: ProxySpec;
  /** Upgrade with STARTTLS (type=imap only; default YES). */
  starttls: boolean;
}

export interface TunnelServerConfig extends ServerCommon {
  type: 'tunnel';
  /** Run with `/bin/sh -c` when it holds shell metacharacters, else split into words. */
  command: string;
  /** Send the command's stderr to /dev/null (ignored under --debug). */
  nullStderr: boolean;
}

export type ServerConfig = NetworkServerConfig | TunnelServerConfig;

export interface Config {
  /** Absolute path of the file this was read from. */
  file: string;
  /** The database option as written, if any (see defaultDatabasePath). */
  database?: string;
  /** LIST patterns (list-mailbox); each char is one byte, '\0' stands for the hierarchy delimiter. */
  listMailbox?: string[];
  /** LIST-EXTENDED selection options, upper case (list-select-opts). */
  listSelectOpts: string[];
  /** Mailboxes to skip, matched against names with the delimiter replaced by '\0'. */
  ignoreMailbox?: RegExp;
  /** Absolute path of the log file, if any. */
  logfile?: string;
  logPrefix: LogPrefix;
  /** Connections per server, one mailbox synchronized on each pair (max-connections, default 4). */
  maxConnections: number;
  local: ServerConfig;
  remote: ServerConfig;
}
