// Parses the command line into an Invocation, refusing wrong combinations with a one-line
// UsageError before anything is opened. Accepts what the Perl tool accepts, plus our debugging
// options: --trace for a run, and --statechart (with --statechart-format, --trace-in) instead of one.
import { resolve } from 'node:path';
import yargs from 'yargs';
import { type Env, resolveConfigPath } from '../config/paths.js';
import type { Command, Invocation, Target } from './invocation.js';

export class UsageError extends Error {
  override name = 'UsageError';
}

/** `--statechart`: write the charts instead of running; no configuration is read. */
export interface StatechartRequest {
  /** Undefined: the format's default (the HTML page's default file, stdout for text); `-`: stdout. */
  file?: string;
  /** As given (default html); writeStatechart refuses an unknown one. */
  format: string;
  /** `--trace-in`: the run trace to draw over the HTML page. */
  trace?: string;
}

export type ParsedArgs =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'statechart'; request: StatechartRequest }
  | { kind: 'run'; invocation: Invocation };

const TARGETS: readonly Target[] = ['local', 'remote', 'database'];
const COMMANDS = ['repair', 'delete', 'rename'] as const;
const FLAGS = ['quiet', 'q', 'debug', 'help', 'h', 'version', 'notify', ...COMMANDS];
/** The longest interval a Node timer can wait (2^31 - 1 ms). */
const WATCH_MAX = 2_147_483;
/** Default --watch interval: one minute, or fifteen when NOTIFY pushes the changes. */
const WATCH_DEFAULT = 60;
const NOTIFY_DEFAULT = 900;

export function parseArgs(argv: readonly string[], env: Env): ParsedArgs {
  const args = yargs(normalizeOptionalValues(argv))
    .help(false)
    .version(false)
    .parserConfiguration({
      'boolean-negation': false,
      'camel-case-expansion': false,
      'dot-notation': false,
      'parse-numbers': false,
      'parse-positional-numbers': false,
      'duplicate-arguments-array': true,
      'strip-aliased': true,
    })
    .options({
      config: { type: 'string', requiresArg: true },
      target: { type: 'string', array: true, nargs: 1, requiresArg: true },
      watch: { type: 'string' },
      notify: { type: 'boolean' },
      quiet: { type: 'boolean', alias: 'q' },
      debug: { type: 'count' },
      help: { type: 'boolean', alias: 'h' },
      version: { type: 'boolean' },
      repair: { type: 'boolean' },
      delete: { type: 'boolean' },
      rename: { type: 'boolean' },
      trace: { type: 'string', requiresArg: true },
      statechart: { type: 'string' },
      'statechart-format': { type: 'string', requiresArg: true },
      'trace-in': { type: 'string', requiresArg: true },
    })
    .strictOptions()
    .exitProcess(false)
    .fail((message, error) => {
      throw new UsageError(
        (error?.message ?? message)
          .replace(
            /^Unknown arguments?: ([^, ]+).*/,
            (_, name: string) => `unknown option: ${name.length === 1 ? '-' : '--'}${name}`,
          )
          .replace(/^Not enough arguments following: (.*)/, 'option --$1 needs a value'),
      );
    })
    .parseSync();

  if (args.help) return { kind: 'help' };
  if (args.version) return { kind: 'version' };
  // A repeated --config or --watch: the last one wins, as with the Perl tool.
  const last = (v: string | string[] | undefined) => (Array.isArray(v) ? v[v.length - 1] : v);
  const watch = last(args.watch);
  const config = last(args.config);
  if (config === '') throw new UsageError('option --config needs a value');
  const statechart = {
    file: last(args.statechart),
    format: last(args['statechart-format']),
    trace: last(args['trace-in']),
  };
  if (Object.values(statechart).some((v) => v !== undefined)) {
    const others = [...COMMANDS, 'watch', 'notify', 'target', 'trace'] as const;
    const other = others.find((name) => args[name] !== undefined && args[name] !== false);
    if (other !== undefined) throw new UsageError(`--statechart cannot be combined with --${other}`);
    if (args._.length > 0)
      throw new UsageError(`--statechart takes no mailbox (name its file with --statechart=FILE)`);
    if (statechart.trace === '') throw new UsageError('option --trace-in needs a value');
    const request: StatechartRequest = { format: statechart.format ?? 'html' };
    if (statechart.file) request.file = statechart.file;
    if (statechart.trace !== undefined) request.trace = statechart.trace;
    return { kind: 'statechart', request };
  }
  const trace = last(args.trace);
  if (trace === '') throw new UsageError('option --trace needs a value');
  if (watch && Number(watch) > WATCH_MAX)
    throw new UsageError(`--watch=${watch} is too long (at most ${WATCH_MAX} seconds)`);

  const commands = COMMANDS.filter((c) => args[c]);
  if (commands.length > 1) throw new UsageError(`--${commands[0]} and --${commands[1]} cannot be combined`);
  const command: Command = (commands[0] as Command | undefined) ?? 'sync';
  const mailboxes = args._.map((m) => checkMailbox(String(m)));
  if (command === 'delete' && mailboxes.length === 0)
    throw new UsageError('--delete needs at least one mailbox');
  if (command === 'rename' && mailboxes.length !== 2)
    throw new UsageError('--rename needs exactly two mailboxes: SOURCE DEST');
  if (command !== 'sync' && (watch !== undefined || args.notify))
    throw new UsageError(`--${command} cannot be combined with --watch or --notify`);
  if (args.target && command !== 'delete' && command !== 'rename')
    throw new UsageError('--target only applies to --delete and --rename');

  const invocation: Invocation = {
    command,
    mailboxes,
    targets: args.target ? parseTargets(args.target) : [...TARGETS],
    notify: args.notify ?? false,
    quiet: args.quiet ?? false,
    debug: args.debug ?? 0,
    configPath: resolveConfigPath(config, env),
  };
  if (watch !== undefined || args.notify) {
    const seconds = watch ? Number(watch) : 0;
    invocation.watch = seconds > 0 ? seconds : args.notify ? NOTIFY_DEFAULT : WATCH_DEFAULT;
  }
  if (trace !== undefined) invocation.trace = resolve(trace);
  return { kind: 'run', invocation };
}

/**
 * `--watch` takes an optional integer: `--watch=N`, or `--watch N` when N is a number (otherwise
 * the next word is a mailbox). Rewritten to `--watch=VALUE` so yargs never swallows a mailbox;
 * `--statechart` takes its file only as `--statechart=FILE`, alike.
 * Flags given a value (`--notify=yes`) are refused here, since yargs would read them as booleans.
 */
function normalizeOptionalValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const flag = /^--?([^=]+)=/.exec(arg);
    if (flag && FLAGS.includes(flag[1]!)) throw new UsageError(`option --${flag[1]} does not take a value`);
    if (arg === '--watch') {
      const next = argv[i + 1];
      const numeric = next !== undefined && /^[0-9]+$/.test(next);
      out.push(`--watch=${numeric ? next : ''}`);
      if (numeric) i++;
    } else if (arg === '--statechart') {
      out.push('--statechart=');
    } else if (arg.startsWith('--watch=') && !/^--watch=[0-9]+$/.test(arg)) {
      throw new UsageError(
        `invalid value for --watch: ${JSON.stringify(arg.slice(8))} (expected a number of seconds)`,
      );
    } else {
      out.push(arg);
    }
  }
  return out;
}

/** --target takes local, remote or database; repeated or comma-separated. */
function parseTargets(values: string[]): Target[] {
  const targets = values.flatMap((v) => v.split(','));
  for (const t of targets)
    if (!TARGETS.includes(t as Target))
      throw new UsageError(`invalid target ${JSON.stringify(t)} (expected local, remote or database)`);
  return TARGETS.filter((t) => targets.includes(t));
}

/** Mailbox names must already be 7-bit (modified UTF-7); INBOX is case-insensitive (RFC 3501 5.1). */
function checkMailbox(name: string): string {
  if (!/^[\x01-\x7F]+$/.test(name))
    throw new UsageError(
      `invalid mailbox name ${JSON.stringify(name)} (must be non-empty 7-bit, UTF-7 encoded)`,
    );
  return name.toUpperCase() === 'INBOX' ? 'INBOX' : name;
}
