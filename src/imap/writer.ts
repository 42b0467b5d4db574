// The session's SessionWriter over a transport: writes gathered until the end of the turn or 64 KiB
// (pipelined commands and small bodies leave in one writev, not one syscall each), waiting for
// `drain`, and streamed literal bodies written under back-pressure, checked against their size.

import type { SessionWriter } from '../session/types.js';
import type { Transport } from '../transport/transport.js';
import { ChunkSource } from './chunk-source.js';

/** Gathered bytes beyond this are written at once. */
const GATHER_LIMIT = 64 * 1024;

export class TransportWriter implements SessionWriter {
  #waiters: (() => void)[] = [];
  #closed = false;
  #gathered: Buffer[] = [];
  #gatheredBytes = 0;
  #flushQueued = false;
  /** The transport's last write returned false and no drain came since. */
  #full = false;

  constructor(private readonly transport: Transport) {
    transport.onDrain(() => {
      this.#full = false;
      this.#wake();
    });
  }

  /** The transport is gone: every drain wait settles (the session closes the commands). */
  closed(): void {
    this.#closed = true;
    this.#wake();
  }

  write(data: Buffer): boolean {
    this.#gathered.push(data);
    this.#gatheredBytes += data.length;
    if (this.#gatheredBytes >= GATHER_LIMIT) this.#flush();
    else if (!this.#flushQueued) {
      this.#flushQueued = true;
      // Ticks run once the promise jobs are done: after the session's write loop for this turn.
      process.nextTick(() => this.#flush());
    }
    return !this.#full;
  }

  drain(): Promise<void> {
    if (this.#closed || !this.#full) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /**
   * Writes exactly `size` bytes from `body`. Throws when the body is longer or shorter than
   * promised: the literal is then broken on the wire and the session closes the connection.
   */
  async writeStream(body: AsyncIterable<Buffer>, size: number): Promise<void> {
    const source = ChunkSource.of(body);
    let written = 0;
    try {
      for (;;) {
        // What has arrived is written without awaiting anything: a promise only for a wait.
        const chunk = source.read();
        if (chunk === undefined) break;
        if (chunk === null) {
          await source.readable();
          continue;
        }
        if (this.#closed) throw new Error('the connection closed while writing a literal');
        written += chunk.length;
        if (written > size) throw new Error(`streamed literal is longer than its declared ${size} bytes`);
        // Gathered like command text: a turn's small bodies leave in one system call.
        this.write(chunk);
        if (this.#full) await this.drain();
      }
    } catch (error) {
      source.cancel();
      throw error;
    }
    if (written !== size) {
      throw new Error(`streamed literal ended after ${written} of its declared ${size} bytes`);
    }
  }

  /** Hands what is gathered to the transport now, not at the end of the turn. */
  flush(): void {
    this.#flush();
  }

  #flush(): void {
    this.#flushQueued = false;
    if (this.#gatheredBytes === 0) return;
    const data = this.#gathered;
    this.#gathered = [];
    this.#gatheredBytes = 0;
    if (!this.transport.write(data)) this.#full = true;
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
