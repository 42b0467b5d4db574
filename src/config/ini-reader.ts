// Line reader for the INI syntax of the configuration file, compatible with what the Perl tool
// accepts (Config::Tiny). We do not use the `ini` package: it treats `;` and `#` anywhere in a
// line as the start of a comment and strips quotes, which mangles values such as
// `ignore-mailbox = ^foo;bar` or a password containing `#` that the Perl tool keeps verbatim.
import { ConfigError } from './errors.js';

/** The key of the options written before the first `[section]` (no real section is named ''). */
export const DEFAULT_SECTION = '';

export interface IniEntry {
  value: string;
  line: number;
}

/** Section name → option name → entry; a repeated option keeps its last value. */
export type IniDocument = Map<string, Map<string, IniEntry>>;

const SPACE = '[\\t\\n\\v\\f\\r ]';
const COMMENT_LINE = new RegExp(`^${SPACE}*(?:#|;|$)`);
// Only ` ; ` (a semicolon with whitespace on both sides) starts an inline comment.
const INLINE_COMMENT = new RegExp(`${SPACE};${SPACE}.+$`);
const SECTION_LINE = new RegExp(`^${SPACE}*\\[${SPACE}*(.+?)${SPACE}*\\]${SPACE}*$`);
const OPTION_LINE = new RegExp(`^${SPACE}*([^=]+?)${SPACE}*=${SPACE}*(.*?)${SPACE}*$`);

export function parseIni(text: string, file: string): IniDocument {
  const doc: IniDocument = new Map([[DEFAULT_SECTION, new Map()]]);
  let current = doc.get(DEFAULT_SECTION)!;
  text.split(/\r\r?\n|\r|\n/).forEach((raw, index) => {
    if (COMMENT_LINE.test(raw)) return;
    const line = raw.replace(INLINE_COMMENT, '');
    const section = SECTION_LINE.exec(line);
    if (section) {
      const name = section[1]!;
      if (!doc.has(name)) doc.set(name, new Map());
      current = doc.get(name)!;
      return;
    }
    const option = OPTION_LINE.exec(line);
    if (!option) throw new ConfigError(`${file}: line ${index + 1}: syntax error: ${JSON.stringify(raw)}`);
    current.set(option[1]!, { value: option[2]!, line: index + 1 });
  });
  return doc;
}
