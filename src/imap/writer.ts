// The session's SessionWriter over a transport: plain writes, waiting for `drain`, and streamed
// literal bodies written chunk by chunk under back-pressure, checked against their declared size.

import type { SessionWriter } from '../session/types.js';
import type { Transport } from '../transport/transport.js';

export class TransportWriter implements SessionWriter {
  #waiters: (() => void)[] = [];
  #closed = false;

  constructor(private readonly transport: Transport) {
    transport.onDrain(() => this.#wake());
  }

  /** The transport is gone: every drain wait settles (the session closes the commands). */
  closed(): void {
    this.#closed = true;
    this.#wake();
  }

  write(data: Buffer): boolean {
    return this.transport.write(data);
  }

  drain(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /**
   * Writes exactly `size` bytes from `body`. Throws when the body is longer or shorter than
   * promised: the literal is then broken on the wire and the session closes the connection.
   */
  async writeStream(body: AsyncIterable<Buffer>, size: number): Promise<void> {
    let written = 0;
    for await (const chunk of body) {
      if (this.#closed) throw new Error('the connection closed while writing a literal');
      written += chunk.length;
      if (written > size) throw new Error(`streamed literal is longer than its declared ${size} bytes`);
      if (!this.transport.write(chunk)) await this.drain();
    }
    if (written !== size) {
      throw new Error(`streamed literal ended after ${written} of its declared ${size} bytes`);
    }
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
