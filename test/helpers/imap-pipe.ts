// A small pipelined IMAP client over a PREAUTH tunnel, for loading, changing and snapshotting test
// stores: commands are written back to back (honouring drain), responses are routed to the oldest
// pending command, and literals stream into per-command sinks so large bodies are never held whole.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';

/** Receives one literal's bytes; `end` returns the text that stands for it in the response line. */
export interface LiteralSink {
  write(chunk: Buffer): void;
  end(): string;
}

export interface CommandOptions {
  /** Called with each complete untagged response (literals replaced by their sink's text). */
  onUntagged?: (response: string) => void;
  /** Sink for each literal of this command's responses (default: the literal as latin1 text). */
  literal?: (size: number) => LiteralSink;
}

interface Pending extends CommandOptions {
  tag: string;
  text: string;
  resolve(tagged: string): void;
  reject(error: Error): void;
}

const LITERAL_AT_END = /\{(\d+)\}$/;
const GREETING_TIMEOUT_MS = 10_000;

function collectingSink(): LiteralSink {
  const chunks: Buffer[] = [];
  return {
    write: (chunk) => chunks.push(chunk),
    end: () => Buffer.concat(chunks).toString('latin1'),
  };
}

/** Quotes a mailbox name (already modified UTF-7) as an IMAP quoted string. */
export function quoted(text: string): string {
  return `"${text.replace(/["\\]/g, '\\$&')}"`;
}

export class ImapPipe {
  private readonly pending: Pending[] = [];
  private tagCounter = 0;
  private writing: Promise<void> = Promise.resolve();
  private partial: Buffer[] = [];
  private response = '';
  private literalLeft = 0;
  private sink: LiteralSink | undefined;
  private failure: Error | undefined;
  private greeting: ((line: string) => void) | undefined;
  private readonly exited: Promise<number | null>;
  private stderr = '';

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on('data', (chunk: Buffer) => this.feed(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      if (this.stderr.length < 4096) this.stderr += chunk.toString();
    });
    child.stdin.on('error', (error) => this.fail(new Error(`imap pipe: write failed: ${error.message}`)));
    this.exited = new Promise((resolve) => {
      // 'close', not 'exit': the server's last output (LOGOUT's tagged OK) may still be unread at 'exit'.
      child.once('close', (code) => {
        this.fail(new Error(`imap pipe: server exited (${code}) ${this.stderr.trim()}`));
        resolve(code);
      });
    });
  }

  /** Spawns `command` through /bin/sh and waits (at most GREETING_TIMEOUT_MS) for its PREAUTH greeting. */
  static async open(command: string): Promise<ImapPipe> {
    const pipe = new ImapPipe(spawn('/bin/sh', ['-c', command], { stdio: 'pipe' }));
    let timer: NodeJS.Timeout | undefined;
    const line = await new Promise<string>((resolve, reject) => {
      pipe.greeting = resolve;
      pipe.exited.then(() => reject(pipe.failure));
      timer = setTimeout(() => resolve('(no greeting)'), GREETING_TIMEOUT_MS);
    });
    clearTimeout(timer);
    if (!line.startsWith('* PREAUTH')) {
      pipe.child.kill('SIGKILL');
      throw new Error(`imap pipe: expected a PREAUTH greeting from '${command}', got: ${line}`);
    }
    return pipe;
  }

  /** Sends `TAG parts...\r\n` without waiting for earlier commands; resolves with the tagged OK text,
   * rejects on NO/BAD. Buffers in `parts` are literal bodies, written as they are. */
  command(parts: string | (string | Buffer)[], options: CommandOptions = {}): Promise<string> {
    const tag = `b${++this.tagCounter}`;
    const list = typeof parts === 'string' ? [parts] : parts;
    const text = list.map((p) => (typeof p === 'string' ? p : `<${p.length} bytes>`)).join('');
    const done = new Promise<string>((resolve, reject) => {
      if (this.failure) reject(this.failure);
      else this.pending.push({ tag, text, resolve, reject, ...options });
    });
    this.writing = this.writing.then(() => this.write([`${tag} `, ...list, '\r\n']));
    return done;
  }

  /** Resolves once everything sent so far has been handed to the pipe (to bound memory). */
  flushed(): Promise<void> {
    return this.writing;
  }

  /** LOGOUT, close stdin, wait for the server to exit. */
  async close(): Promise<void> {
    if (!this.failure) await this.command('LOGOUT');
    this.child.stdin.end();
    await this.exited;
  }

  private async write(parts: (string | Buffer)[]): Promise<void> {
    for (const part of parts) {
      if (this.failure) return;
      const ok = this.child.stdin.write(typeof part === 'string' ? Buffer.from(part, 'latin1') : part);
      if (!ok) await new Promise<void>((resolve) => this.child.stdin.once('drain', resolve));
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const p of this.pending.splice(0)) p.reject(this.failure);
  }

  private feed(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.literalLeft > 0) {
        const take = Math.min(this.literalLeft, chunk.length - at);
        this.sink!.write(chunk.subarray(at, at + take));
        this.literalLeft -= take;
        at += take;
        if (this.literalLeft === 0) this.response += this.sink!.end();
        continue;
      }
      const newline = chunk.indexOf(0x0a, at);
      if (newline < 0) {
        this.partial.push(chunk.subarray(at));
        return;
      }
      this.partial.push(chunk.subarray(at, newline + 1));
      at = newline + 1;
      const line = Buffer.concat(this.partial)
        .toString('latin1')
        .replace(/\r?\n$/, '');
      this.partial = [];
      this.onLine(line);
    }
  }

  private onLine(line: string): void {
    const literal = LITERAL_AT_END.exec(line);
    if (literal) {
      this.response += line.slice(0, literal.index);
      this.literalLeft = Number(literal[1]);
      this.sink = (this.pending[0]?.literal ?? collectingSink)(this.literalLeft);
      if (this.literalLeft === 0) this.response += this.sink.end();
      return;
    }
    const response = this.response + line;
    this.response = '';
    if (this.greeting) {
      const greet = this.greeting;
      this.greeting = undefined;
      greet(response);
      return;
    }
    if (response.startsWith('* ')) {
      this.pending[0]?.onUntagged?.(response);
      return;
    }
    // Servers may complete pipelined commands out of order: match the tag.
    const index = this.pending.findIndex((p) => response.startsWith(`${p.tag} `));
    if (index < 0) return;
    const [done] = this.pending.splice(index, 1);
    const status = response.slice(done!.tag.length + 1);
    if (status.startsWith('OK')) done!.resolve(status);
    else done!.reject(new Error(`imap pipe: ${done!.text.slice(0, 200)} → ${status}`));
  }
}
