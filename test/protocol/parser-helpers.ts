// Test helpers for the response parser: feed bytes in given chunk sizes, collect responses,
// and compare parse results structurally (Buffers and bigints included).

import { type ParserOptions, ResponseParser } from '../../src/protocol/parser.js';
import type { Response } from '../../src/protocol/types.js';

/** Parses `bytes` fed in pieces cut at `cuts` (sorted offsets); returns every response. */
export function parseInPieces(bytes: Buffer, cuts: number[] = [], options?: ParserOptions): Response[] {
  const responses: Response[] = [];
  const parser = new ResponseParser((r) => responses.push(r), options);
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (cut < from) continue;
    parser.push(bytes.subarray(from, cut));
    from = cut;
  }
  if (!parser.idle) throw new Error('stream ended inside a response');
  return responses;
}

/** Parses `bytes` one byte at a time. */
export function parseByteByByte(bytes: Buffer): Response[] {
  return parseInPieces(
    bytes,
    Array.from({ length: bytes.length }, (_, i) => i),
  );
}

export const crlf = (text: string): Buffer => Buffer.from(text.replace(/\r?\n/g, '\r\n'));
