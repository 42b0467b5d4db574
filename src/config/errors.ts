// The one error type of the configuration layer: a message that already names the file,
// the section and the option, ready to be printed as a single line.

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Where a value came from, for error messages: `FILE: [SECTION] OPTION` (`(default section)` before any header). */
export interface Origin {
  file: string;
  section: string;
  option: string;
}

export function describeOrigin(o: Origin): string {
  const section = o.section === '' ? '(default section)' : `[${o.section}]`;
  return `${o.file}: ${section} ${o.option}`;
}

/** Throws a ConfigError saying `FILE: [SECTION] OPTION: what`. */
export function invalid(o: Origin, what: string): never {
  throw new ConfigError(`${describeOrigin(o)}: ${what}`);
}
