// ChunkSource, the promise-free way bodies go from a FETCH to an APPEND: any async iterable read
// through it, failures and early stops passed on, and the writer streaming a literal from one.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChunkSource } from '../../src/imap/chunk-source.js';
import { TransportWriter } from '../../src/imap/writer.js';
import type { Transport } from '../../src/transport/transport.js';

/** Reads a source to its end the way the writer does. */
async function drain(source: ChunkSource): Promise<string> {
  let text = '';
  for (;;) {
    const chunk = source.read();
    if (chunk === undefined) return text;
    if (chunk === null) await source.readable();
    else text += chunk.toString();
  }
}

/** A transport that records what is written and is never full. */
function recordingTransport(): { transport: Transport; written: () => string } {
  const parts: Buffer[] = [];
  const transport = {
    write(data: Buffer | readonly Buffer[]) {
      parts.push(...(Array.isArray(data) ? data : [data as Buffer]));
      return true;
    },
    onDrain() {},
  } as unknown as Transport;
  return { transport, written: () => Buffer.concat(parts).toString() };
}

/** Three chunks, one per turn; `finished` tells whether the generator ran its finally block. */
function slowBody(state: { finished: boolean }) {
  return (async function* () {
    try {
      for (const part of ['one ', 'two ', 'three']) {
        await new Promise((resolve) => setImmediate(resolve));
        yield Buffer.from(part);
      }
    } finally {
      state.finished = true;
    }
  })();
}

describe('ChunkSource.of an async iterable', () => {
  test('reads every chunk in order, then reports the end', async () => {
    const state = { finished: false };
    const source = ChunkSource.of(slowBody(state));
    assert.equal(source.read(), null, 'nothing has been pulled yet');
    assert.equal(await drain(source), 'one two three');
    assert.equal(source.read(), undefined);
    assert.equal(state.finished, true);
  });

  test("the iterator's failure is thrown by read()", async () => {
    const source = ChunkSource.of(
      (async function* () {
        yield Buffer.from('part');
        throw new Error('connection lost');
      })(),
    );
    await assert.rejects(drain(source), /connection lost/);
  });

  test('cancel() stops the iterator: its finally block runs, read() reports the end', async () => {
    const state = { finished: false };
    const source = ChunkSource.of(slowBody(state));
    await source.readable();
    assert.equal(source.read()?.toString(), 'one ');
    source.cancel();
    assert.equal(source.read(), undefined);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(state.finished, true);
  });

  test('is itself async-iterable; breaking out of the loop cancels it', async () => {
    const state = { finished: false };
    const source = ChunkSource.of(slowBody(state));
    const seen: string[] = [];
    for await (const chunk of source) {
      seen.push(chunk.toString());
      break;
    }
    assert.deepEqual(seen, ['one ']);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(state.finished, true);
  });
});

describe('TransportWriter.writeStream', () => {
  test('writes a literal from a source whose chunks arrive over several turns', async () => {
    const { transport, written } = recordingTransport();
    const writer = new TransportWriter(transport);
    await writer.writeStream(slowBody({ finished: false }), 13);
    writer.flush();
    assert.equal(written(), 'one two three');
  });

  test('a body longer than declared fails the literal and cancels its source', async () => {
    const state = { finished: false };
    const writer = new TransportWriter(recordingTransport().transport);
    await assert.rejects(writer.writeStream(slowBody(state), 5), /longer than its declared 5 bytes/);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(state.finished, true);
  });

  test('a body shorter than declared fails the literal', async () => {
    const writer = new TransportWriter(recordingTransport().transport);
    await assert.rejects(
      writer.writeStream(slowBody({ finished: false }), 20),
      /ended after 13 of its declared 20/,
    );
  });
});
