// A deliberately tiny line-based IMAP client for tests of the harness and the transport: send a
// command, collect lines until its tagged response. No literal parsing (the real session does that).
import { spawn } from 'node:child_process';
import type { Duplex } from 'node:stream';

export interface TaggedResult {
  untagged: string[];
  /** The tagged line without its tag, e.g. 'OK Capability completed.' */
  tagged: string;
}

export class RawImap {
  private pending = '';
  private readonly lines: string[] = [];
  private waiter: ((line: string | null) => void) | undefined;
  private ended = false;
  private tagCounter = 0;

  constructor(private readonly write: (data: Buffer) => void) {}

  /** Feed received bytes; call with `null` at end of stream. */
  feed(chunk: Buffer | null): void {
    if (chunk === null) this.ended = true;
    else this.pending += chunk.toString('latin1');
    let end = this.pending.indexOf('\r\n');
    while (end >= 0) {
      this.lines.push(this.pending.slice(0, end));
      this.pending = this.pending.slice(end + 2);
      end = this.pending.indexOf('\r\n');
    }
    this.wake();
  }

  private wake(): void {
    if (!this.waiter || (this.lines.length === 0 && !this.ended)) return;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter(this.lines.shift() ?? null);
  }

  /** The next CRLF-terminated line; rejects at end of stream. */
  nextLine(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.waiter = (line) => (line === null ? reject(new Error('raw imap: stream ended')) : resolve(line));
      this.wake();
    });
  }

  send(text: string): void {
    this.write(Buffer.from(text, 'latin1'));
  }

  /** Sends `TAG TEXT\r\n` and gathers the lines up to the tagged response. */
  async command(text: string): Promise<TaggedResult> {
    const tag = `t${++this.tagCounter}`;
    this.send(`${tag} ${text}\r\n`);
    const untagged: string[] = [];
    for (;;) {
      const line = await this.nextLine();
      if (line.startsWith(`${tag} `)) return { untagged, tagged: line.slice(tag.length + 1) };
      untagged.push(line);
    }
  }
}

/** A RawImap reading and writing a socket-like stream. */
export function rawImapOverStream(stream: Duplex): RawImap {
  const imap = new RawImap((data) => stream.write(data));
  stream.on('data', (chunk: Buffer) => imap.feed(chunk));
  stream.on('end', () => imap.feed(null));
  stream.on('close', () => imap.feed(null));
  return imap;
}

/** Spawns a tunnel command (through /bin/sh) and talks to it; `close` ends stdin and waits for exit.
 * Its stderr (where a standalone Dovecot imap logs) is discarded. */
export function spawnRawTunnel(command: string): { imap: RawImap; close(): Promise<number | null> } {
  const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'ignore'] });
  const imap = new RawImap((data) => child.stdin.write(data));
  child.stdout.on('data', (chunk: Buffer) => imap.feed(chunk));
  child.stdout.on('end', () => imap.feed(null));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    imap,
    close() {
      child.stdin.end();
      return exited;
    },
  };
}
