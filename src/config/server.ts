// Builds the ServerConfig of [local] or [remote]: its own options over the server options of
// the default section, then type-dependent defaults (port, compress) and cross-checks.
import { ipVersion, unbracketed } from '../transport/host.js';
import { parseProxyUrl } from '../transport/proxy.js';
import { invalid, type Origin } from './errors.js';
import { readTls } from './tls.js';
import type { ServerConfig, ServerName } from './types.js';
import { ASCII, type Options, parsedAt, portNumber, SEVEN_BIT, TEXT_CHARS } from './values.js';

const ATOM_LIST =
  /^[\x21\x23\x24\x26\x27\x2B-\x5B\x5E-\x7A\x7C-\x7E]+(?: [\x21\x23\x24\x26\x27\x2B-\x5B\x5E-\x7A\x7C-\x7E]+)*$/;

export function readServer(name: ServerName, options: Options, warnings: string[]): ServerConfig {
  const read = options.entry;
  const text = options.text.bind(options);
  const flag = options.flag.bind(options);
  const typeEntry = read('type');
  const type = typeEntry?.value ?? 'imaps';
  if (typeEntry && type !== 'imap' && type !== 'imaps' && type !== 'tunnel')
    invalid(typeEntry.origin, `invalid value ${JSON.stringify(type)}: expected imap, imaps or tunnel`);

  const hostSpec = text('host') ?? 'localhost';
  const host = hostName(read('host')?.origin, hostSpec);
  const username = text('username', ASCII, SEVEN_BIT);
  const password = text('password', ASCII, SEVEN_BIT);
  const common = {
    name,
    hostSpec,
    listReference: text('list-reference', TEXT_CHARS, SEVEN_BIT, true) ?? '',
    auth: (text('auth', ATOM_LIST, 'expected mechanism names separated by single spaces') ?? 'PLAIN LOGIN')
      .toUpperCase()
      .split(' '),
    ...(username !== undefined && { username }),
    ...(password !== undefined && { password }),
    compress: flag('compress', name === 'remote'),
    tls: readTls(options, ipVersion(host) ? '' : host, warnings),
  };
  // Options that only matter for another type are still checked: a typo is an error anywhere.
  const port = read('port');
  const portValue = port && portNumber(port.origin, port.value);
  const proxy = read('proxy');
  const proxyValue = proxy && parsedAt(proxy.origin, parseProxyUrl, proxy.value);
  const command = text('command');
  const starttls = flag('STARTTLS', true);
  const nullStderr = flag('null-stderr', false);
  if (type === 'tunnel') {
    if (command === undefined)
      invalid({ ...typeEntry!.origin, option: 'command' }, 'missing: type = tunnel needs a command');
    return { ...common, type, command, nullStderr };
  }
  return {
    ...common,
    type: type as 'imap' | 'imaps',
    host,
    port: portValue ?? (type === 'imaps' ? 993 : 143),
    ...(proxyValue && { proxy: proxyValue }),
    starttls,
  };
}

/** `[…]` forces an IP literal, which is returned without its brackets. */
function hostName(origin: Origin | undefined, spec: string): string {
  return origin ? parsedAt(origin, unbracketed, spec) : spec;
}
