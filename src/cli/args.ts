// Parses the command line into an Invocation, refusing wrong combinations with a one-line
// UsageError before anything is opened. Accepts what the Perl tool accepts, plus our debugging
// options: --trace for a run, and --statechart (with --statechart-format, --trace-in) instead of one.
import { resolve } from 'node:path';
import { type Env, resolveConfigPath } from '../config/paths.js';
import type { Command, Invocation, Target } from './invocation.js';
import { type OptionKind, type OptionTable, scanOptions, UsageError } from './options.js';

export { UsageError };

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
const OPTIONS: OptionTable = {
  long: new Map<string, OptionKind>([
    ['config', 'value'],
    ['target', 'value'],
    ['watch', 'number?'],
    ['notify', 'flag'],
    ['quiet', 'flag'],
    ['debug', 'flag'],
    ['help', 'flag'],
    ['version', 'flag'],
    ...COMMANDS.map((c): [string, OptionKind] => [c, 'flag']),
    ['trace', 'value'],
    ['statechart', 'attached?'],
    ['statechart-format', 'value'],
    ['trace-in', 'value'],
  ]),
  short: new Map([
    ['q', 'quiet'],
    ['h', 'help'],
  ]),
};
/** The longest interval a Node timer can wait (2^31 - 1 ms). */
const WATCH_MAX = 2_147_483;
/** Default --watch interval: one minute, or fifteen when NOTIFY pushes the changes. */
const WATCH_DEFAULT = 60;
const NOTIFY_DEFAULT = 900;

export function parseArgs(argv: readonly string[], env: Env): ParsedArgs {
  const { flags, values, operands } = scanOptions(argv, OPTIONS);
  if (flags.has('help')) return { kind: 'help' };
  if (flags.has('version')) return { kind: 'version' };
  // A repeated --config or --watch: the last one wins, as with the Perl tool.
  const last = (name: string) => values.get(name)?.at(-1);
  const watch = last('watch');
  const notify = flags.has('notify');
  const statechart = { file: last('statechart'), format: last('statechart-format'), trace: last('trace-in') };
  if (Object.values(statechart).some((v) => v !== undefined)) {
    const others = [...COMMANDS, 'watch', 'notify', 'target', 'trace'];
    const other = others.find((name) => flags.has(name) || values.has(name));
    if (other !== undefined) throw new UsageError(`--statechart cannot be combined with --${other}`);
    if (operands.length > 0)
      throw new UsageError(`--statechart takes no mailbox (name its file with --statechart=FILE)`);
    const request: StatechartRequest = { format: statechart.format ?? 'html' };
    if (statechart.file) request.file = statechart.file;
    if (statechart.trace !== undefined) request.trace = statechart.trace;
    return { kind: 'statechart', request };
  }
  if (watch && Number(watch) > WATCH_MAX)
    throw new UsageError(`--watch=${watch} is too long (at most ${WATCH_MAX} seconds)`);

  const commands = COMMANDS.filter((c) => flags.has(c));
  if (commands.length > 1) throw new UsageError(`--${commands[0]} and --${commands[1]} cannot be combined`);
  const command: Command = (commands[0] as Command | undefined) ?? 'sync';
  const mailboxes = operands.map(checkMailbox);
  if (command === 'delete' && mailboxes.length === 0)
    throw new UsageError('--delete needs at least one mailbox');
  if (command === 'rename' && mailboxes.length !== 2)
    throw new UsageError('--rename needs exactly two mailboxes: SOURCE DEST');
  if (command !== 'sync' && (watch !== undefined || notify))
    throw new UsageError(`--${command} cannot be combined with --watch or --notify`);
  const target = values.get('target');
  if (target && command !== 'delete' && command !== 'rename')
    throw new UsageError('--target only applies to --delete and --rename');

  const invocation: Invocation = {
    command,
    mailboxes,
    targets: target ? parseTargets(target) : [...TARGETS],
    notify,
    quiet: flags.has('quiet'),
    debug: flags.get('debug') ?? 0,
    configPath: resolveConfigPath(last('config'), env),
  };
  if (watch !== undefined || notify) {
    const seconds = watch ? Number(watch) : 0;
    invocation.watch = seconds > 0 ? seconds : notify ? NOTIFY_DEFAULT : WATCH_DEFAULT;
  }
  const trace = last('trace');
  if (trace !== undefined) invocation.trace = resolve(trace);
  return { kind: 'run', invocation };
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
