// Translates the ignore-mailbox PCRE into a JavaScript RegExp. Mailbox names are 7-bit
// (modified UTF-7), so Unicode semantics do not matter; what differs is syntax. Constructs
// JavaScript has no equivalent for are refused by name rather than silently changing meaning.

// Perl escapes that JavaScript spells differently or not at all, outside a character class,
// then inside one. \h and \v are Perl's horizontal and vertical white space (JavaScript's \v is
// the vertical tab only), restricted to ASCII since names are 7-bit.
const ESCAPES: Record<string, string> = {
  A: '^',
  z: '$',
  Z: '(?=\\n?$)',
  e: '\\x1B',
  h: '[\\t ]',
  H: '[^\\t ]',
  v: '[\\n\\v\\f\\r]',
  V: '[^\\n\\v\\f\\r]',
};
const CLASS_ESCAPES: Record<string, string> = { e: '\\x1B', h: '\\t ', v: '\\n\\v\\f\\r' };
const UNSUPPORTED_ESCAPES: Record<string, string> = {
  G: '\\G',
  K: '\\K',
  R: '\\R',
  X: '\\X',
  C: '\\C',
  N: '\\N',
  o: '\\o{...}',
  g: '\\g (use \\1 or \\k<name>)',
  p: '\\p{...}',
  P: '\\P{...}',
  // In the Perl tool \Q...\E is no quoting (that happens in string literals): the regex engine
  // reads a plain Q or E. Refusing it is kinder than copying that surprise.
  Q: '\\Q...\\E quoting',
  E: '\\Q...\\E quoting',
  l: '\\l',
  u: '\\u',
  L: '\\L',
  U: '\\U',
};
const POSIX_CLASSES: Record<string, string> = {
  alpha: 'A-Za-z',
  digit: '0-9',
  alnum: 'A-Za-z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: '\\t\\n\\v\\f\\r ',
  blank: '\\t ',
  punct: '!-\\/:-@\\[-`{-~',
  print: ' -~',
  graph: '!-~',
  cntrl: '\\x00-\\x1F\\x7F',
  xdigit: '0-9A-Fa-f',
  word: '\\w',
};

export class PcreError extends Error {
  override name = 'PcreError';
}

/** Returns the RegExp equivalent to `pcre`, or throws PcreError. */
export function translatePcre(pcre: string): RegExp {
  // A leading (?i) is the one inline modifier JavaScript can honour: as a flag.
  const caseless = pcre.startsWith('(?i)');
  let out = '';
  let i = caseless ? 4 : 0;
  let afterQuantifier = false;
  const fail = (what: string): never => {
    throw new PcreError(`${what} is not supported (at character ${i + 1})`);
  };
  while (i < pcre.length) {
    const c = pcre[i]!;
    // {n}, {n,}, {n,m}, and Perl 5.34's {,m}, which JavaScript would read as literal text.
    const bounded = /^\{(?:\d+(?:,\d*)?|,\d+)\}/.exec(pcre.slice(i));
    let text: string;
    let length: number;
    if (afterQuantifier && c === '+') fail('a possessive quantifier');
    if (c === '\\') [text, length] = translateEscape(pcre, i, false, fail);
    else if (c === '[') [text, length] = translateClass(pcre, i, fail);
    else if (c === '(' && pcre[i + 1] === '?')
      [text, length] = [translateGroupOpening(pcre.slice(i + 2), fail), 2];
    else [text, length] = bounded ? [bounded[0].replace('{,', '{0,'), bounded[0].length] : [c, 1];
    afterQuantifier = bounded !== null || (length === 1 && '*+?'.includes(c));
    out += text;
    i += length;
  }
  try {
    return new RegExp(out, caseless ? 'i' : '');
  } catch (e) {
    throw new PcreError((e as Error).message);
  }
}

/** One `\X` escape; `\x{HHHH}` becomes `\uHHHH` since we do not use the `u` flag. */
function translateEscape(
  src: string,
  i: number,
  inClass: boolean,
  fail: (what: string) => never,
): [string, number] {
  const c = src[i + 1];
  if (c === undefined) return fail('a trailing backslash');
  if (c === 'x' && src[i + 2] === '{') {
    const m = /^\\x\{([0-9A-Fa-f]{1,4})\}/.exec(src.slice(i));
    if (!m) return fail('a \\x{...} escape above U+FFFF or malformed');
    return [`\\u${m[1]!.padStart(4, '0')}`, m[0].length];
  }
  const table = inClass ? CLASS_ESCAPES : ESCAPES;
  if (table[c] !== undefined) return [table[c]!, 2];
  if (inClass && (c === 'H' || c === 'V')) return fail(`\\${c} inside a character class`);
  if (UNSUPPORTED_ESCAPES[c] !== undefined) return fail(`the escape ${UNSUPPORTED_ESCAPES[c]}`);
  return [src.slice(i, i + 2), 2];
}

/** Copies a bracket expression, translating POSIX `[:name:]` classes and Perl escapes. */
function translateClass(src: string, start: number, fail: (what: string) => never): [string, number] {
  let out = '[';
  let i = start + 1;
  if (src[i] === '^') out += src[i++];
  if (src[i] === ']') {
    out += '\\]';
    i++;
  }
  while (i < src.length && src[i] !== ']') {
    if (src[i] === '\\') {
      const [text, length] = translateEscape(src, i, true, fail);
      out += text;
      i += length;
    } else if (src.startsWith('[:', i)) {
      const m = /^\[:(\^?)([a-z]+):\]/.exec(src.slice(i));
      if (!m || POSIX_CLASSES[m[2]!] === undefined) return fail('this POSIX character class');
      if (m[1] === '^') return fail('a negated POSIX class');
      out += POSIX_CLASSES[m[2]!];
      i += m[0].length;
    } else if (src[i] === '[') {
      out += '\\[';
      i++;
    } else {
      out += src[i++];
    }
  }
  if (i >= src.length) return fail('an unterminated character class');
  return [out + ']', i + 1 - start];
}

/** Checks what follows `(?`: JavaScript knows `:`, `=`, `!`, `<=`, `<!` and `<name>` only. */
function translateGroupOpening(rest: string, fail: (what: string) => never): string {
  if (/^(?:[:=!]|<[=!]|<[A-Za-z_][A-Za-z0-9_]*>)/.test(rest)) return '(?';
  if (rest.startsWith('>')) return fail('an atomic group (?>...)');
  if (rest.startsWith('#')) return fail('a comment group (?#...)');
  if (rest.startsWith('|')) return fail('a branch reset group (?|...)');
  if (/^P?[<'=>]/.test(rest)) return fail('this named group syntax (use (?<name>...))');
  if (/^[-a-zA-Z^]*[:)]/.test(rest)) return fail('an inline modifier (?flags)');
  return fail('this (?...) construct');
}
