// Splits a command line into options and operands, the way Getopt::Long reads the Perl tool's
// (no abbreviations, `-qq` bundling, `--opt=value` or `--opt value`, `--` ends the options), but
// permuting: options may follow operands. Hand-written: yargs cost ~20 ms of every start-up.

export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * `flag`: no value, counted; `value`: a mandatory non-empty value, attached or the next word unless
 * that is an option (Getopt::Long would take `--trace --repair` as a file named `--repair`);
 * `number?`: an optional integer, attached or the next word if all digits; `attached?`: an
 * optional value, only attached (`--opt=value`).
 */
export type OptionKind = 'flag' | 'value' | 'number?' | 'attached?';

export interface OptionTable {
  /** Long names (also accepted after `--` for the one-letter ones) and their kinds. */
  long: ReadonlyMap<string, OptionKind>;
  /** One-letter flags (bundled as `-qh`) and the long name they stand for. */
  short: ReadonlyMap<string, string>;
}

export interface ScannedOptions {
  /** How many times each flag was given, by long name. */
  flags: Map<string, number>;
  /** Every value given to each option, in order; an optional value not given is ''. */
  values: Map<string, string[]>;
  operands: string[];
}

export function scanOptions(argv: readonly string[], table: OptionTable): ScannedOptions {
  const scanned: ScannedOptions = { flags: new Map(), values: new Map(), operands: [] };
  const flag = (name: string) => scanned.flags.set(name, (scanned.flags.get(name) ?? 0) + 1);
  const value = (name: string, v: string) => {
    const list = scanned.values.get(name);
    if (list === undefined) scanned.values.set(name, [v]);
    else list.push(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      scanned.operands.push(...argv.slice(i + 1));
      break;
    }
    if (arg.length < 2 || arg[0] !== '-') {
      scanned.operands.push(arg);
      continue;
    }
    if (arg[1] !== '-') {
      for (let c = 1; c < arg.length; c++) {
        const name = table.short.get(arg[c]!);
        if (name === undefined) throw new UsageError(`unknown option: -${arg[c]}`);
        if (arg[c + 1] === '=') throw new UsageError(`option -${arg[c]} does not take a value`);
        flag(name);
      }
      continue;
    }
    const eq = arg.indexOf('=');
    const given = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const attached = eq < 0 ? undefined : arg.slice(eq + 1);
    const name = table.short.get(given) ?? given;
    switch (table.long.get(name)) {
      case undefined:
        throw new UsageError(`unknown option: --${given}`);
      case 'flag':
        if (attached !== undefined) throw new UsageError(`option --${given} does not take a value`);
        flag(name);
        break;
      case 'value': {
        const next = argv[i + 1];
        const v = attached ?? (next === '-' || !next?.startsWith('-') ? argv[++i] : undefined);
        if (!v) throw new UsageError(`option --${given} needs a value`);
        value(name, v);
        break;
      }
      case 'number?':
        if (attached !== undefined && !/^[0-9]+$/.test(attached))
          throw new UsageError(
            `invalid value for --${given}: ${JSON.stringify(attached)} (expected a number of seconds)`,
          );
        if (attached === undefined && /^[0-9]+$/.test(argv[i + 1] ?? '')) value(name, argv[++i]!);
        else value(name, attached ?? '');
        break;
      case 'attached?':
        value(name, attached ?? '');
        break;
    }
  }
  return scanned;
}
