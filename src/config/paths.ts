// Where files live: the configuration file, the default database and the compile cache, per the
// XDG base directory spec ($XDG_CONFIG_HOME, $XDG_DATA_HOME, $XDG_CACHE_HOME, with ~ fallbacks).
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { Config } from './types.js';

export type Env = Record<string, string | undefined>;

/** `$VAR/interimap`, or `~/FALLBACK/interimap` when VAR is unset, empty or relative. */
function xdgDir(env: Env, variable: string, fallback: string): string {
  const base = env[variable];
  if (base && isAbsolute(base)) return join(base, 'interimap');
  return join(env.HOME || homedir(), fallback, 'interimap');
}

export function configDirectory(env: Env): string {
  return xdgDir(env, 'XDG_CONFIG_HOME', '.config');
}

export function dataDirectory(env: Env): string {
  return xdgDir(env, 'XDG_DATA_HOME', '.local/share');
}

/** Holds nothing that matters: src/cli/compile-cache.ts keeps V8's compiled code of the program there. */
export function cacheDirectory(env: Env): string {
  return xdgDir(env, 'XDG_CACHE_HOME', '.cache');
}

/** The --config value (default `config`); a relative path starts from the config directory. */
export function resolveConfigPath(option: string | undefined, env: Env): string {
  const file = option ?? 'config';
  return isAbsolute(file) ? file : join(configDirectory(env), file);
}

/**
 * The database file: the `database` option, or `HOST.db` named after the [remote] host
 * (`localhost.db` for a tunnel without a host); a relative path starts from the data directory,
 * which the caller creates (mode 0700) before opening the database.
 */
export function defaultDatabasePath(config: Pick<Config, 'database' | 'remote'>, env: Env): string {
  const file = config.database ?? `${config.remote.hostSpec}.db`;
  return isAbsolute(file) ? file : join(dataDirectory(env), file);
}
