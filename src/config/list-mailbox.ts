// Parses the list-mailbox option: space-separated LIST patterns, bare or double-quoted with
// C escapes and `\xHH`; `\0` (or `\x00`) stands for the server's hierarchy delimiter.

// RFC 3501 list-char minus `"`: what an unquoted pattern may hold (wildcards included).
const BARE = /^[\x21\x23-\x27\x2A-\x5B\x5D-\x7A\x7C-\x7E]+/;
// A quoted pattern: printable ASCII except `"` and `\`, or one escape sequence.
const QUOTED = /^"((?:[\x20\x21\x23-\x5B\x5D-\x7E]|\\(?:["\\0abtnvfr]|x[0-9A-Fa-f]{2}))+)"/;
const ESCAPE = /\\(?:(["\\0abtnvfr])|x([0-9A-Fa-f]{2}))/g;
const C_ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '0': '\0',
  a: '\x07',
  b: '\b',
  t: '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
};

/** Returns the patterns, or a description of what is wrong. */
export function parseListMailbox(value: string): string[] | { error: string } {
  const patterns: string[] = [];
  let rest = value;
  for (;;) {
    const bare = BARE.exec(rest);
    const quoted = bare ? null : QUOTED.exec(rest);
    if (bare) patterns.push(bare[0]);
    else if (quoted)
      patterns.push(
        quoted[1]!.replace(ESCAPE, (_, c?: string, hex?: string) =>
          c !== undefined ? C_ESCAPES[c]! : String.fromCharCode(Number.parseInt(hex!, 16)),
        ),
      );
    else break;
    rest = rest.slice((bare ?? quoted)![0].length);
    const space = /^\s+/.exec(rest);
    if (!space) break;
    rest = rest.slice(space[0].length);
  }
  if (rest !== '' || patterns.length === 0)
    return { error: `cannot parse a pattern at ${JSON.stringify(rest)}` };
  return patterns;
}
