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
import type { Config, ServerConfig, ServerName } from './types.js';
import { NON_CONTROL, type OptionReader, Options, SEVEN_BIT, TEXT_CHARS } from './values.js';

/** Options of the default section only: they concern the whole synchronization. */
export const GLOBAL_OPTIONS = new Set([
  'database',
  'list-mailbox',
  'list-select-opts',
  'ignore-mailbox',
  'logfile',
  'log-prefix',
  'max-connections',
]);

/** Options of [local] and [remote]; when written in the default section they apply to both. */
export const SERVER_OPTIONS = new Set([
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
  const config: Config = {
    file,
    ...readGlobals(new Options(readerFor(DEFAULT_SECTION))),
    local: readServer('local', new Options(readerFor('local')), warnings),
    remote: readServer('remote', new Options(readerFor('remote')), warnings),
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

function readGlobals(options: Options): Omit<Config, 'file' | 'local' | 'remote'> {
  const origin = (option: string) => options.entry(option)!.origin;
  const selectOpts = options.text(
    'list-select-opts',
    LIST_SELECT_CHARS,
    'not a list of LIST selection options',
    true,
  );
  const globals: Omit<Config, 'file' | 'local' | 'remote'> = {
    listSelectOpts: (selectOpts ?? '')
      .toUpperCase()
      .split(' ')
      .filter((w) => w !== ''),
    logPrefix: compileLogPrefix(DEFAULT_LOG_PREFIX),
    // Measured (docs/performance.md): 4 lanes cut the initial sync over a 10 ms link by ~40%.
    maxConnections: 4,
  };
  const maxConnections = options.text('max-connections');
  if (maxConnections !== undefined) {
    if (!/^[1-9][0-9]{0,2}$/.test(maxConnections))
      invalid(
        origin('max-connections'),
        `invalid value ${JSON.stringify(maxConnections)}: expected 1 to 999`,
      );
    globals.maxConnections = Number(maxConnections);
  }
  const database = options.text('database');
  if (database !== undefined) globals.database = database;

  const logfile = options.text('logfile');
  if (logfile !== undefined && !logfile.startsWith('/'))
    invalid(origin('logfile'), `${JSON.stringify(logfile)} is not an absolute path`);
  if (logfile !== undefined) globals.logfile = logfile;

  const prefix = options.text('log-prefix', NON_CONTROL, undefined, true);
  if (prefix !== undefined)
    globals.logPrefix = compiled(origin('log-prefix'), () => compileLogPrefix(prefix), LogPrefixError);

  const list = options.text('list-mailbox', TEXT_CHARS, SEVEN_BIT);
  if (list !== undefined) {
    const patterns = parseListMailbox(list);
    if (!Array.isArray(patterns)) invalid(origin('list-mailbox'), patterns.error);
    globals.listMailbox = patterns;
  }

  const ignore = options.text('ignore-mailbox', TEXT_CHARS, SEVEN_BIT);
  if (ignore !== undefined)
    globals.ignoreMailbox = compiled(origin('ignore-mailbox'), () => translatePcre(ignore), PcreError);
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
