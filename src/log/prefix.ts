// The log-prefix mini-language: `%n` component, `%m` mailbox, `%%`, conditionals
// `%?X?then&else?` (nestable) and `\&` `\?` `\\` escapes. Compiled once, rendered per message.

export interface PrefixContext {
  /** Component name: local, remote or database. */
  name?: string;
  mailbox?: string;
}

export type LogPrefix = (ctx: PrefixContext) => string;

export const DEFAULT_LOG_PREFIX = '%?n?%?m?%n(%m)&%n?: ?';

/** A malformed format; the message says what and at which character (1-based). */
export class LogPrefixError extends Error {
  override name = 'LogPrefixError';
}

type Specifier = 'n' | 'm';
type Node = string | { spec: Specifier } | { cond: Specifier; then: Node[]; else: Node[] };

const SPECIFIERS = new Set(['n', 'm']);

class Parser {
  private pos = 0;
  constructor(private readonly src: string) {}

  /** Parses until end of input (top level) or until an unescaped `&`/`?` (inside a branch). */
  parseSequence(inBranch: boolean): Node[] {
    const nodes: Node[] = [];
    let text = '';
    while (this.pos < this.src.length) {
      const c = this.src[this.pos]!;
      if (inBranch && (c === '&' || c === '?')) break;
      if (c === '\\') {
        const next = this.src[this.pos + 1];
        if (next === undefined || !'&?\\'.includes(next)) this.fail('`\\` must be followed by &, ? or \\');
        text += next;
        this.pos += 2;
      } else if (c === '%') {
        const node = this.parsePercent();
        if (typeof node === 'string') text += node;
        else {
          if (text !== '') nodes.push(text);
          text = '';
          nodes.push(node);
        }
      } else {
        text += c;
        this.pos++;
      }
    }
    if (text !== '') nodes.push(text);
    return nodes;
  }

  private parsePercent(): Node {
    const next = this.src[this.pos + 1];
    if (next === '%') {
      this.pos += 2;
      return '%';
    }
    if (next === '?') {
      const start = this.pos;
      const spec = this.specifier(this.pos + 2);
      if (this.src[this.pos + 3] !== '?') this.fail(`expected \`?\` after \`%?${spec}\``, this.pos + 3);
      this.pos += 4;
      const then = this.parseSequence(true);
      let otherwise: Node[] = [];
      if (this.src[this.pos] === '&') {
        this.pos++;
        otherwise = this.parseSequence(true);
      }
      if (this.src[this.pos] !== '?') this.fail(`unterminated conditional \`%?${spec}?\``, start);
      this.pos++;
      return { cond: spec, then, else: otherwise };
    }
    const spec = this.specifier(this.pos + 1);
    this.pos += 2;
    return { spec };
  }

  private specifier(at: number): Specifier {
    const c = this.src[at];
    if (c === undefined) this.fail('incomplete `%` sequence at the end', at);
    if (!SPECIFIERS.has(c)) this.fail(`unknown sequence \`%${c}\` (only %n, %m and %% exist)`, at);
    return c as Specifier;
  }

  private fail(what: string, at = this.pos): never {
    throw new LogPrefixError(`${what} (at character ${at + 1})`);
  }
}

function render(nodes: Node[], ctx: PrefixContext): string {
  let out = '';
  for (const node of nodes) {
    if (typeof node === 'string') out += node;
    else if ('spec' in node) out += value(node.spec, ctx);
    else out += render(value(node.cond, ctx) !== '' ? node.then : node.else, ctx);
  }
  return out;
}

function value(spec: Specifier, ctx: PrefixContext): string {
  return (spec === 'n' ? ctx.name : ctx.mailbox) ?? '';
}

/** Compiles a format; throws LogPrefixError when it is malformed. */
export function compileLogPrefix(format: string): LogPrefix {
  const nodes = new Parser(format).parseSequence(false);
  return (ctx) => render(nodes, ctx);
}
