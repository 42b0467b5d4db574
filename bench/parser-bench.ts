// Throughput of the response parser on two synthetic, deterministic streams fed in 64 KiB chunks:
// FETCH responses with BODY[] literals (median 4 KiB, some 1–10 MiB) and short flag-update lines,
// each parsed with buffered bodies and with a bodySink. Usage: node dist/bench/parser-bench.js [runs]

import { type LiteralSink, ResponseParser } from '../src/protocol/parser.js';

const CHUNK = 64 * 1024;
const MiB = 1024 * 1024;

/** Deterministic xorshift PRNG, so every run measures the same bytes. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

interface Stream {
  bytes: Buffer;
  responses: number;
  /** Bytes inside literals: what a body sink must receive. */
  literalBytes: number;
}

function bodyStream(): Stream {
  const random = prng(42);
  const filler = Buffer.alloc(10 * MiB);
  for (let i = 0; i < filler.length; i++) filler[i] = i % 78 === 76 ? 13 : i % 78 === 77 ? 10 : 97 + (i % 26);
  const parts: Buffer[] = [];
  let total = 0;
  let literalBytes = 0;
  let n = 0;
  while (total < 256 * MiB) {
    n++;
    // Log-normal sizes around 4 KiB, plus one large message in 250.
    const size =
      n % 250 === 0
        ? MiB + Math.floor(random() * 9 * MiB)
        : Math.max(200, Math.floor(4096 * Math.exp((random() + random() + random() - 1.5) * 1.5)));
    const head = Buffer.from(
      `* ${n} FETCH (UID ${n} MODSEQ (${1000 + n}) FLAGS (\\Seen) INTERNALDATE "17-Jul-2024 02:44:25 -0700" BODY[] {${size}}\r\n`,
    );
    const tail = Buffer.from(')\r\n');
    parts.push(head, filler.subarray(0, size), tail);
    total += head.length + size + tail.length;
    literalBytes += size;
  }
  return { bytes: Buffer.concat(parts), responses: n, literalBytes };
}

function flagStream(lines: number): Stream {
  const parts: string[] = [];
  for (let n = 1; n <= lines; n++)
    parts.push(`* ${n} FETCH (UID ${n} MODSEQ (${5_000_000 + n}) FLAGS (\\Seen foo))\r\n`);
  return { bytes: Buffer.from(parts.join('')), responses: lines, literalBytes: 0 };
}

function chunks(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += CHUNK) out.push(bytes.subarray(i, i + CHUNK));
  return out;
}

function measure(label: string, stream: Stream, sink: boolean, runs: number): void {
  const input = chunks(stream.bytes);
  const timings: number[] = [];
  for (let run = 0; run < runs; run++) {
    let responses = 0;
    let streamedBytes = 0;
    const counter: LiteralSink = {
      write: (c) => {
        streamedBytes += c.length;
      },
      end: () => {},
    };
    const parser = new ResponseParser(() => responses++, sink ? { bodySink: () => counter } : {});
    const started = process.hrtime.bigint();
    for (const chunk of input) parser.push(chunk);
    timings.push(Number(process.hrtime.bigint() - started) / 1e9);
    if (responses !== stream.responses)
      throw new Error(`${label}: ${responses} responses, expected ${stream.responses}`);
    if (streamedBytes !== (sink ? stream.literalBytes : 0)) {
      throw new Error(`${label}: the sink got ${streamedBytes} bytes, expected ${stream.literalBytes}`);
    }
  }
  timings.sort((a, b) => a - b);
  const median = timings[Math.floor(timings.length / 2)]!;
  const mibs = stream.bytes.length / MiB / median;
  const rps = stream.responses / median;
  console.log(
    `${label.padEnd(34)} ${(stream.bytes.length / MiB).toFixed(0).padStart(5)} MiB  ${mibs.toFixed(0).padStart(6)} MiB/s  ${Math.round(rps).toLocaleString('en-US').padStart(11)} responses/s`,
  );
}

const runs = Number(process.argv[2] ?? 5);
const bodies = bodyStream();
const flags = flagStream(2_000_000);
console.log(`parser benchmark: median of ${runs} runs, ${CHUNK / 1024} KiB chunks`);
measure('FETCH BODY[] literals, buffered', bodies, false, runs);
measure('FETCH BODY[] literals, bodySink', bodies, true, runs);
measure('FETCH UID/MODSEQ/FLAGS, buffered', flags, false, runs);
measure('FETCH UID/MODSEQ/FLAGS, bodySink', flags, true, runs);
