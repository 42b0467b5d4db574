// Reads and validates the configuration file into a Config: which option is allowed in which
// section, the options of the default section, and the warnings worth printing (deprecations,
// a password readable by others). Throws ConfigError with a one-line message.
import { readFileSync, statSync } from 'node:fs';
import { compileLogPrefix, DEFAULT_LOG_PREFIX, LogPrefixError } from '../log/prefix.js';
import { ConfigError, invalid, type Origin } from './errors.js';
import { DEFAULT_SECTION, type IniDocument, parseIni } from './ini-reader.js';
import { parseListMailbox } from './list-mailbox.js';
import { PcreError, translatePcre } from './pcre.js';
import { readServer } from './server.js';
import type { OptionReader } from './tls.js';
import type { Config, ServerConfig, ServerName } from './types.js';
import { checked, NON_CONTROL, TEXT_CHARS } from './values.js';

/** Options of the default section only: they concern the whole synchronization. */
const GLOBAL_OPTIONS = new Set([
  'database',
  'list-mailbox',
  'list-select-opts',
  'ignore-mailbox',
  'logfile',
  'log-prefix',
]);

/** Options of [local] and [remote]; when written in the default section they apply to both. */
const SERVER_OPTIONS = new Set([
  'list-reference',
  'type',
  'host',
  'port',
  'proxy',
  'command',
  'STARTTLS',
  'auth',
  'username',
  'password',
  'compress',
  'null-stderr',
  'SSL_protocols',
  'SSL_protocol_min',
  'SSL_protocol_max',
  'SSL_cipherlist',
  'SSL_ciphersuites',
  'SSL_fingerprint',
  'SSL_verify',
  'SSL_CAfile',
  'SSL_CApath',
  'SSL_hostname',
]);

const SERVERS: readonly ServerName[] = ['local', 'remote'];
const LIST_SELECT_CHARS = /^[\x20\x21\x23\x24\x26\x27\x2B-\x5B\x5E-\x7A\x7C-\x7E]*$/;

export interface LoadedConfig {
  config: Config;
  /** One-line warnings for the caller to log (deprecated options, file permissions). */
  warnings: string[];
}

export function loadConfig(file: string): LoadedConfig {
  const doc = parseIni(readConfigFile(file), file);
  checkSections(doc, file);
  const warnings: string[] = [];
  const readerFor =
    (section: string): OptionReader =>
    (option) => {
      const entry = doc.get(section)?.get(option) ?? doc.get(DEFAULT_SECTION)!.get(option);
      if (!entry) return undefined;
      const owner = doc.get(section)?.has(option) ? section : DEFAULT_SECTION;
      return { value: entry.value, origin: { file, section: owner, option } };
    };
  const global = readerFor(DEFAULT_SECTION);
  const config: Config = {
    file,
    ...readGlobals(global),
    local: readServer('local', readerFor('local'), warnings),
    remote: readServer('remote', readerFor('remote'), warnings),
  };
  const passwordWarning = exposedPasswordWarning(file, [config.local, config.remote]);
  if (passwordWarning) warnings.push(passwordWarning);
  return { config, warnings };
}

function readConfigFile(file: string): string {
  try {
    if (!statSync(file).isFile()) throw new ConfigError(`${file}: not a regular file`);
    return readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new ConfigError(`${file}: no such configuration file`);
    throw new ConfigError(`${file}: cannot read the configuration file (${err.code ?? err.message})`);
  }
}

/** [local] and [remote] are required; any other section and any unknown option are errors. */
function checkSections(doc: IniDocument, file: string): void {
  for (const [section, options] of doc) {
    if (section !== DEFAULT_SECTION && !SERVERS.includes(section as ServerName))
      throw new ConfigError(`${file}: unknown section [${section}] (expected [local] and [remote])`);
    for (const option of options.keys()) {
      const origin: Origin = { file, section, option };
      if (GLOBAL_OPTIONS.has(option)) {
        if (section !== DEFAULT_SECTION)
          invalid(origin, 'only allowed in the default section (before any [section])');
      } else if (!SERVER_OPTIONS.has(option)) invalid(origin, 'unknown option');
    }
  }
  for (const name of SERVERS) if (!doc.has(name)) throw new ConfigError(`${file}: missing section [${name}]`);
}

function readGlobals(read: OptionReader): Omit<Config, 'file' | 'local' | 'remote'> {
  const text = (option: string, chars: RegExp, allowEmpty: boolean, what: string) => {
    const e = read(option);
    return e && { value: checked(e.origin, e.value, chars, allowEmpty, what), origin: e.origin };
  };
  const noControl = 'control characters are not allowed';
  const sevenBit = 'only 7-bit characters are allowed';
  const globals: Omit<Config, 'file' | 'local' | 'remote'> = {
    listSelectOpts: (
      text('list-select-opts', LIST_SELECT_CHARS, true, 'not a list of LIST selection options')?.value ?? ''
    )
      .toUpperCase()
      .split(' ')
      .filter((w) => w !== ''),
    logPrefix: compileLogPrefix(DEFAULT_LOG_PREFIX),
  };
  const database = text('database', NON_CONTROL, false, noControl);
  if (database) globals.database = database.value;

  const logfile = text('logfile', NON_CONTROL, false, noControl);
  if (logfile && !logfile.value.startsWith('/'))
    invalid(logfile.origin, `${JSON.stringify(logfile.value)} is not an absolute path`);
  if (logfile) globals.logfile = logfile.value;

  const prefix = text('log-prefix', NON_CONTROL, true, noControl);
  if (prefix)
    globals.logPrefix = compiled(prefix.origin, () => compileLogPrefix(prefix.value), LogPrefixError);

  const list = text('list-mailbox', TEXT_CHARS, false, sevenBit);
  if (list) {
    const patterns = parseListMailbox(list.value);
    if (!Array.isArray(patterns)) invalid(list.origin, patterns.error);
    globals.listMailbox = patterns;
  }

  const ignore = text('ignore-mailbox', TEXT_CHARS, false, sevenBit);
  if (ignore) globals.ignoreMailbox = compiled(ignore.origin, () => translatePcre(ignore.value), PcreError);
  return globals;
}

/** Runs a compiler, turning its own error type into a ConfigError naming the option. */
function compiled<T>(origin: Origin, compile: () => T, errorType: new (...args: never[]) => Error): T {
  try {
    return compile();
  } catch (e) {
    if (e instanceof errorType) invalid(origin, e.message);
    throw e;
  }
}

/** A warning when the file holds a password and its mode lets group or others read it. */
function exposedPasswordWarning(file: string, servers: ServerConfig[]): string | undefined {
  const hasPassword = servers.some(
    (s) => s.password !== undefined || (s.type !== 'tunnel' && s.proxy?.password),
  );
  const mode = statSync(file).mode & 0o777;
  if (!hasPassword || (mode & 0o044) === 0) return undefined;
  return `${file}: holds a password but is readable by group or others (mode ${mode.toString(8).padStart(4, '0')}); run chmod 600 on it`;
}
