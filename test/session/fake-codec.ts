// Test doubles for the session's seams: a tiny argument model with its serializer (the real one
// lives in src/protocol, written elsewhere), a recording writer, and Response builders.
import type { CommandChunk, ResponseCode, Status, UntaggedResponse } from '../../src/protocol/types.js';
import { Session } from '../../src/session/session.js';
import type { ArgBuilder, CommandSerializer, SessionWriter, TraceFn } from '../../src/session/types.js';

export type FakeArg =
  | { atom: string }
  | { string: string }
  | { list: FakeArg[] }
  | { literal: Buffer | AsyncIterable<Buffer>; size: number };

export const fakeArgs: ArgBuilder<FakeArg> = {
  atom: (value) => ({ atom: value }),
  string: (value) => ({ string: value.toString() }),
  number: (value) => ({ atom: String(value) }),
  sequenceSet: (set) => ({
    atom: typeof set === 'string' ? set : set.map(([a, b]) => (a === b ? a : `${a}:${b}`)).join(','),
  }),
  list: (items) => ({ list: items }),
  literal: (body, size) => ({ literal: body, size }),
};

/** Renders `tag NAME args CRLF`; each literal becomes a `{N}` (or `{N+}`) header and a literal chunk. */
export function fakeSerializer(literalPlus = false): CommandSerializer<FakeArg> {
  const render = (args: readonly FakeArg[], chunks: CommandChunk[], line: string[]): void => {
    args.forEach((arg, i) => {
      if (i > 0) line.push(' ');
      if ('atom' in arg) line.push(arg.atom);
      else if ('string' in arg) line.push(JSON.stringify(arg.string));
      else if ('list' in arg) {
        line.push('(');
        render(arg.list, chunks, line);
        line.push(')');
      } else {
        line.push(`{${arg.size}${literalPlus ? '+' : ''}}\r\n`);
        chunks.push({ kind: 'data', data: Buffer.from(line.join('')) });
        line.length = 0;
        chunks.push({ kind: 'literal', size: arg.size, sync: !literalPlus, body: arg.literal });
      }
    });
  };
  return {
    serialize(tag, name, args) {
      const chunks: CommandChunk[] = [];
      const line = [`${tag} ${name}${args.length > 0 ? ' ' : ''}`];
      render(args, chunks, line);
      line.push('\r\n');
      chunks.push({ kind: 'data', data: Buffer.from(line.join('')) });
      return chunks;
    },
    redact: (tag, name) => `${tag} ${name} <redacted>`,
  };
}

/** Records every write as text; `blocked` makes write() report a full buffer until `release()`. */
export class RecordingWriter implements SessionWriter {
  written: string[] = [];
  streamed: Array<{ body: AsyncIterable<Buffer>; size: number }> = [];
  blocked = false;
  #drains: Array<() => void> = [];

  write(data: Buffer): boolean {
    this.written.push(data.toString('latin1'));
    return !this.blocked;
  }
  drain(): Promise<void> {
    return new Promise((resolve) => this.#drains.push(resolve));
  }
  async writeStream(body: AsyncIterable<Buffer>, size: number): Promise<void> {
    this.streamed.push({ body, size });
    for await (const part of body) this.written.push(part.toString('latin1'));
  }
  release(): void {
    this.blocked = false;
    for (const resolve of this.#drains.splice(0)) resolve();
  }
  get text(): string {
    return this.written.join('');
  }
}

export function newSession(opts: { literalPlus?: boolean; trace?: TraceFn } = {}) {
  const writer = new RecordingWriter();
  const session = new Session<FakeArg>({
    writer,
    serializer: fakeSerializer(opts.literalPlus),
    trace: opts.trace,
  });
  return { writer, session };
}

/** Lets queued promise callbacks and the session's write loop run. */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export const tagged = (tag: string, status: Status = 'OK', text = 'done', code?: ResponseCode) =>
  ({ kind: 'tagged', tag, status, text, code }) as const;
export const plus = (text = 'go ahead') => ({ kind: 'continuation', text }) as const;
export const greetingOk = (code?: ResponseCode): UntaggedResponse => ({
  kind: 'untagged',
  type: 'OK',
  text: 'ready',
  code,
});
export const preauth = (): UntaggedResponse => ({ kind: 'untagged', type: 'PREAUTH', text: 'logged in' });
export const untagged = (r: Record<string, unknown>) => ({ kind: 'untagged', ...r }) as UntaggedResponse;
