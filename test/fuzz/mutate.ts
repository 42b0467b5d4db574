// Byte-level fuzzing of the response parser: a corpus of valid server bytes, mutations (flip,
// insert, delete, duplicate, truncate, corrupt literal sizes), and one fuzz case that classifies
// the outcome. Anything but responses or a ProtocolError is a bug. Shared by the short and long fuzz.

import { readFileSync } from 'node:fs';
import { ProtocolError } from '../../src/protocol/errors.js';
import { ResponseParser } from '../../src/protocol/parser.js';

/** Deterministic PRNG (mulberry32) so a failing case is reproducible from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function loadCorpus(): Buffer[] {
  const extra = [
    '* 12 FETCH (FLAGS (\\Seen) INTERNALDATE "17-Jul-1996 02:44:25 -0700" RFC822.SIZE 4286 ENVELOPE ("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev1 WG mtg summary and minutes" (("Terry Gray" NIL "gray" "cac.washington.edu")) NIL NIL NIL NIL NIL NIL "<B27397-0100000@cac.washington.edu>") BODY ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92))\r\n',
    '* 1 FETCH (UID 4 MODSEQ (9223372036854775807) BODY[] {5}\r\nhello BINARY[1]<0> ~{2}\r\n\0\n)\r\n',
    '* LIST () "/" {5}\r\na]b"c ("CHILDINFO" ("SUBSCRIBED") "OLDNAME" ("x"))\r\n',
    '* ESEARCH (TAG "a") UID ALL 1:3,5 MODSEQ 1236\r\n* VANISHED (EARLIER) 41,43:116\r\n',
    'A004 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n+ go ahead\r\n',
    '* NAMESPACE (("" "/")) NIL (("#shared." "." "X" ("A")))\r\n* ID ("name" "x" "v" NIL)\r\n',
  ];
  return [
    readFileSync('test/fixtures/dovecot/session1.raw'),
    readFileSync('test/fixtures/dovecot/session2.raw'),
    ...extra.map((text) => Buffer.from(text, 'latin1')),
  ];
}

const int = (random: () => number, below: number): number => Math.floor(random() * below);

/** A window of up to 4 KiB of a corpus item, starting at a line start. */
function pickInput(random: () => number, corpus: Buffer[]): Buffer {
  const item = corpus[int(random, corpus.length)]!;
  let start = int(random, item.length);
  start = start === 0 ? 0 : item.indexOf(10, start) + 1;
  return Buffer.from(item.subarray(start, start + 1 + int(random, 4096)));
}

const LITERAL_SIZES = ['0', '1', '4000000000', '99999999999999999999', '65536', '-1', ''];

export function mutate(random: () => number, input: Buffer): Buffer {
  let bytes = input;
  const count = 1 + int(random, 4);
  for (let i = 0; i < count; i++) {
    const at = int(random, bytes.length + 1);
    switch (int(random, 6)) {
      case 0: // flip one bit
        if (bytes.length > 0) {
          bytes = Buffer.from(bytes);
          bytes[at % bytes.length]! ^= 1 << int(random, 8);
        }
        break;
      case 1: // insert a byte, often a syntactically significant one
        bytes = Buffer.concat([
          bytes.subarray(0, at),
          Buffer.from([random() < 0.5 ? int(random, 256) : '(){}[]"\\ \r\n~*+0'.charCodeAt(int(random, 16))]),
          bytes.subarray(at),
        ]);
        break;
      case 2: // delete a range
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + int(random, 8))]);
        break;
      case 3: // duplicate a range
        bytes = Buffer.concat([bytes.subarray(0, at + int(random, 64)), bytes.subarray(at)]);
        break;
      case 4: // truncate
        bytes = bytes.subarray(0, at);
        break;
      default: {
        // corrupt a literal size
        const text = bytes.toString('latin1');
        const headers = [...text.matchAll(/\{(\d+)\}/g)];
        if (headers.length === 0) break;
        const h = headers[int(random, headers.length)]!;
        const size =
          random() < 0.5
            ? LITERAL_SIZES[int(random, LITERAL_SIZES.length)]!
            : String(Number(h[1]) + int(random, 9) - 4);
        bytes = Buffer.from(
          text.slice(0, h.index! + 1) + size + text.slice(h.index! + 1 + h[1]!.length),
          'latin1',
        );
      }
    }
  }
  return bytes;
}

export type Outcome = 'parsed' | 'incomplete' | 'protocol-error';

export interface FuzzCase {
  input: Buffer;
  outcome: Outcome;
  responses: number;
}

/** Small limits so that fuzzed literal sizes and nesting hit them quickly. */
const FUZZ_LIMITS = { maxLineLength: 64 * 1024, maxLiteralSize: 1024 * 1024, maxDepth: 16 };

/** Runs one mutated input through the parser in random chunks, streaming some bodies. */
export function runCase(random: () => number, corpus: Buffer[]): FuzzCase {
  const input = mutate(random, pickInput(random, corpus));
  let responses = 0;
  const useSink = random() < 0.5;
  const parser = new ResponseParser(() => responses++, {
    ...FUZZ_LIMITS,
    bodySink: useSink ? () => ({ write: () => {}, end: () => {} }) : undefined,
  });
  try {
    for (let at = 0; at < input.length; ) {
      const size = 1 + int(random, random() < 0.3 ? 8 : 2048);
      parser.push(input.subarray(at, at + size));
      at += size;
    }
  } catch (error) {
    if (error instanceof ProtocolError) return { input, outcome: 'protocol-error', responses };
    throw new Error(`parser threw ${String(error)} on ${JSON.stringify(input.toString('latin1'))}`, {
      cause: error,
    });
  }
  return { input, outcome: parser.idle ? 'parsed' : 'incomplete', responses };
}
