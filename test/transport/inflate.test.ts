// openInflation: one COMPRESS stream inflated as its chunks arrive, split anywhere, with pause and
// resume, both on the calling thread (the native handle) and through zlib's stream (its fallback).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { constants, createDeflateRaw, deflateRawSync } from 'node:zlib';
import { type Inflation, openInflation } from '../../src/transport/inflate.js';
import { until } from '../helpers/until.js';

const PIECE = 64 * 1024;

/** Mail-like server responses, deflated as one raw stream. */
function serverStream(): { plain: Buffer; deflated: Buffer } {
  const writes: Buffer[] = [];
  for (let w = 0; w < 40; w++) {
    const lines = Array.from(
      { length: 50 + w * 40 },
      (_, i) => `* ${w * 1000 + i} FETCH (UID ${i} FLAGS (\\Seen))\r\n`,
    );
    writes.push(Buffer.from(lines.join('')));
  }
  // Ending on a sync flush, not on a final block: a COMPRESS stream never ends.
  const plain = Buffer.concat(writes);
  const deflated = deflateRawSync(plain, { finishFlush: constants.Z_SYNC_FLUSH, level: 6 });
  return { plain, deflated };
}

/** `data` cut into chunks of pseudo-random sizes (1 byte to 9 KiB), as socket reads come. */
function chunks(data: Buffer): Buffer[] {
  const result: Buffer[] = [];
  let seed = 7;
  for (let at = 0; at < data.length; ) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const size = 1 + (seed % 9216);
    result.push(data.subarray(at, at + size));
    at += size;
  }
  return result;
}

/** `mib` MiB of zeros as one raw deflate stream ending on a sync flush, made without holding them. */
async function zerosDeflated(mib: number): Promise<Buffer> {
  const deflater = createDeflateRaw();
  const out: Buffer[] = [];
  deflater.on('data', (chunk: Buffer) => out.push(chunk));
  const zeros = Buffer.alloc(1 << 20);
  for (let i = 0; i < mib; i++) deflater.write(zeros);
  await new Promise<void>((done) => deflater.flush(constants.Z_SYNC_FLUSH, () => done()));
  deflater.destroy();
  return Buffer.concat(out);
}

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const turn = () => new Promise((resolve) => setImmediate(resolve));

for (const via of ['handle', 'stream'] as const) {
  describe(`inflation (${via})`, () => {
    test('inflates a stream cut anywhere into exactly its text, in pieces of at most 64 KiB', async () => {
      const { plain, deflated } = serverStream();
      const pieces: Buffer[] = [];
      const inflation = openInflation(PIECE, (p) => pieces.push(Buffer.from(p)), assert.fail, via);
      for (const chunk of chunks(deflated)) inflation.write(chunk);
      await new Promise<void>((done) => inflation.end(done));
      assert.ok(pieces.every((p) => p.length > 0 && p.length <= PIECE));
      assert.equal(sha(Buffer.concat(pieces)), sha(plain));
    });

    test('delivers nothing while paused, everything after resume, then reports the end', async () => {
      const { plain, deflated } = serverStream();
      const pieces: Buffer[] = [];
      let inflation!: Inflation;
      // The receiver pauses on the first piece, as a full body queue does.
      inflation = openInflation(
        PIECE,
        (p) => {
          pieces.push(Buffer.from(p));
          if (pieces.length === 1) inflation.pause();
        },
        assert.fail,
        via,
      );
      for (const chunk of chunks(deflated)) inflation.write(chunk);
      let ended = false;
      inflation.end(() => {
        ended = true;
      });
      await until(() => pieces.length > 0);
      for (let i = 0; i < 20; i++) await turn();
      assert.deepEqual([pieces.length, ended], [1, false], 'paused after its first piece');
      inflation.resume();
      await until(() => ended);
      assert.equal(ended, true);
      assert.equal(sha(Buffer.concat(pieces)), sha(plain));
    });

    test('a small chunk that inflates to 64 MiB is not inflated ahead of a paused receiver', async () => {
      const bomb = await zerosDeflated(64);
      assert.ok(bomb.length < 128 * 1024, 'the whole bomb is one or two socket reads');
      let delivered = 0;
      let inflation!: Inflation;
      inflation = openInflation(
        PIECE,
        (p) => {
          delivered += p.length;
          if (delivered === p.length) inflation.pause();
        },
        assert.fail,
        via,
      );
      const before = process.memoryUsage().arrayBuffers;
      inflation.write(bomb);
      await until(() => delivered > 0);
      for (let i = 0; i < 20; i++) await turn();
      const held = process.memoryUsage().arrayBuffers - before;
      assert.ok(held < 8 << 20, `${held} bytes held while paused`);
      let ended = false;
      inflation.resume();
      inflation.end(() => {
        ended = true;
      });
      await until(() => ended);
      assert.equal(delivered, 64 << 20);
    });

    test('corrupt input is reported once, as an error', async () => {
      const errors: Error[] = [];
      const inflation = openInflation(
        PIECE,
        () => {},
        (e) => errors.push(e),
        via,
      );
      inflation.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x11]));
      await until(() => errors.length > 0);
      inflation.write(Buffer.from('more after the failure'));
      for (let i = 0; i < 20; i++) await turn();
      assert.equal(errors.length, 1);
      assert.match(errors[0]!.message, /invalid|incorrect|unknown/i);
      inflation.destroy();
    });
  });
}
