// Mailbox names in modified UTF-7 (RFC 3501 §5.1.3): printable ASCII stands for itself ("&"
// as "&-"), anything else is UTF-16BE in base64 with "," for "/", between "&" and "-".

import { CommandSyntaxError, ProtocolError } from './errors.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,';
const DIGIT_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DIGIT_VALUE[ALPHABET.charCodeAt(i)] = i;

const AMPERSAND = 0x26;

function isPrintableAscii(c: number): boolean {
  return c >= 0x20 && c <= 0x7e;
}

function encodeRun(units: number[]): string {
  const bytes = Buffer.allocUnsafe(units.length * 2);
  for (let i = 0; i < units.length; i++) bytes.writeUInt16BE(units[i]!, i * 2);
  // Standard base64 minus its "=" padding, with "," in place of "/".
  return `&${bytes.toString('base64').replace(/=+$/, '').replaceAll('/', ',')}-`;
}

/**
 * Encodes a mailbox name (a JS string) to its wire form, e.g. `台北` → `&U,BTFw-`. Throws
 * CommandSyntaxError for an unpaired surrogate, which no mailbox name can hold.
 */
export function encodeMailboxName(name: string): string {
  let out = '';
  let run: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (isPrintableAscii(c)) {
      if (run.length > 0) {
        out += encodeRun(run);
        run = [];
      }
      out += c === AMPERSAND ? '&-' : name[i];
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = name.charCodeAt(i + 1);
      if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) {
        throw new CommandSyntaxError(
          `mailbox name ${JSON.stringify(name)}: unpaired surrogate U+${c.toString(16).toUpperCase()} at index ${i}`,
        );
      }
      run.push(c, next);
      i++;
      continue;
    }
    run.push(c);
  }
  if (run.length > 0) out += encodeRun(run);
  return out;
}

/**
 * Decodes a wire mailbox name strictly, so that every accepted name has exactly one wire form:
 * rejects characters outside printable ASCII, an unterminated "&", letters outside the modified
 * base64 alphabet, a truncated UTF-16 unit, non-zero padding bits, printable ASCII or an
 * unpaired surrogate inside base64, and two encoded runs side by side. Throws ProtocolError.
 */
export function decodeMailboxName(wire: string): string {
  let out = '';
  let plainStart = 0; // start of the pending printable ASCII stretch
  let lastRunEnd = -1; // offset just past the previous "&...-" run, to catch adjacent runs
  const fail = (what: string, at: number): never => {
    throw new ProtocolError(
      `bad modified UTF-7 mailbox name ${JSON.stringify(wire)}: ${what} at offset ${at}`,
      at,
    );
  };
  for (let i = 0; i < wire.length; i++) {
    const c = wire.charCodeAt(i);
    if (!isPrintableAscii(c)) fail(`character U+${c.toString(16).toUpperCase().padStart(4, '0')}`, i);
    if (c !== AMPERSAND) continue;
    out += wire.slice(plainStart, i);
    const end = wire.indexOf('-', i + 1);
    if (end === -1) fail("'&' without its closing '-'", i);
    if (end === i + 1) {
      out += '&';
    } else {
      if (lastRunEnd === i) fail('encoded run right after another (they must be merged into one)', i);
      out += decodeRun(wire, i + 1, end, fail);
      lastRunEnd = end + 1;
    }
    i = end;
    plainStart = end + 1;
  }
  return out + wire.slice(plainStart);
}

function decodeRun(
  wire: string,
  start: number,
  end: number,
  fail: (what: string, at: number) => never,
): string {
  const units: number[] = [];
  let bits = 0;
  let nbits = 0;
  for (let i = start; i < end; i++) {
    const c = wire.charCodeAt(i);
    const v = c < 128 ? DIGIT_VALUE[c]! : -1;
    if (v < 0) fail(`${JSON.stringify(wire[i])} is not a modified base64 letter`, i);
    bits = ((bits << 6) | v) & 0x3fffff; // at most 16 + 6 live bits
    nbits += 6;
    if (nbits >= 16) {
      nbits -= 16;
      units.push((bits >>> nbits) & 0xffff);
    }
  }
  // Whatever is left must be under one base64 letter of zero bits (§5.1.3 via RFC 2152).
  if (nbits >= 6) fail('truncated UTF-16 unit', end);
  if ((bits & ((1 << nbits) - 1)) !== 0) fail('non-zero padding bits', end - 1);
  for (let k = 0; k < units.length; k++) {
    const u = units[k]!;
    if (isPrintableAscii(u))
      fail(`printable ASCII ${JSON.stringify(String.fromCharCode(u))} encoded in base64`, start);
    if (u >= 0xd800 && u <= 0xdbff) {
      const next = units[k + 1];
      if (next === undefined || next < 0xdc00 || next > 0xdfff) fail('unpaired high surrogate', start);
      k++;
    } else if (u >= 0xdc00 && u <= 0xdfff) {
      fail('unpaired low surrogate', start);
    }
  }
  const utf16 = Buffer.allocUnsafe(units.length * 2);
  for (let k = 0; k < units.length; k++) utf16.writeUInt16LE(units[k]!, k * 2);
  return utf16.toString('utf16le');
}
