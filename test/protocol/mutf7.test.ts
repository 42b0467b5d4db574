import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { CommandSyntaxError, ProtocolError } from '../../src/protocol/errors.js';
import { decodeMailboxName, encodeMailboxName } from '../../src/protocol/mutf7.js';

describe('modified UTF-7 mailbox names', () => {
  const examples: Array<[string, string]> = [
    // RFC 3501 §5.1.3
    ['~peter/mail/台北/日本語', '~peter/mail/&U,BTFw-/&ZeVnLIqe-'],
    ['&', '&-'],
    ['Hi Mom -☺-!', 'Hi Mom -&Jjo--!'],
    ['INBOX', 'INBOX'],
    ['', ''],
    ['a&b&&c', 'a&-b&-&-c'],
    ['Entwürfe', 'Entw&APw-rfe'],
    ['😀', '&2D3eAA-'], // U+1F600 as the surrogate pair D83D DE00
    ['tab\there', 'tab&AAk-here'], // control characters are not printable: encoded
    ['\u007f', '&AH8-'],
  ];
  for (const [name, wire] of examples) {
    test(`${JSON.stringify(name)} ⇄ ${JSON.stringify(wire)}`, () => {
      assert.equal(encodeMailboxName(name), wire);
      assert.equal(decodeMailboxName(wire), name);
    });
  }

  const invalid: Array<[string, RegExp]> = [
    ['&', /'&' without its closing '-' at offset 0/],
    ['a&U,BTFw', /without its closing/],
    ['&U=-', /"=" is not a modified base64 letter at offset 2/],
    ['&U/BTFw-', /"\/" is not a modified base64 letter/],
    ['&AGE-', /printable ASCII "a" encoded in base64/],
    ['&AA-', /truncated UTF-16 unit/],
    ['&AAAA-', /truncated UTF-16 unit/],
    ['&U,BTFx-', /non-zero padding bits/],
    ['&2D0-', /unpaired high surrogate/],
    ['&3gA-', /unpaired low surrogate/],
    ['&2D0-&3gA-', /unpaired high surrogate/],
    ['&2D3eAA-&2D3eAA-', /encoded run right after another .*at offset 8/],
    ['&U,BTFw-&ZeVnLIqe-', /encoded run right after another/],
    ['caf\u00e9', /character U\+00E9 at offset 3/],
    ['a\nb', /character U\+000A at offset 1/],
  ];
  for (const [wire, message] of invalid) {
    test(`rejects ${JSON.stringify(wire)}`, () => {
      assert.throws(
        () => decodeMailboxName(wire),
        (e: unknown) => e instanceof ProtocolError && message.test(e.message),
      );
    });
  }

  test('"&-" next to an encoded run is not two adjacent runs', () => {
    assert.equal(decodeMailboxName('&AOk-&-&AOk-'), 'é&é');
    assert.equal(encodeMailboxName('é&é'), '&AOk-&-&AOk-');
  });

  test('encoding rejects unpaired surrogates', () => {
    for (const bad of ['\ud83d', 'a\ude00b', '\ude00\ud83d']) {
      assert.throws(() => encodeMailboxName(bad), CommandSyntaxError);
    }
  });

  test('every BMP code point round-trips on its own and all together', () => {
    const all: string[] = [];
    for (let c = 0; c <= 0xffff; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      const s = String.fromCharCode(c);
      all.push(s);
      const wire = encodeMailboxName(s);
      if (decodeMailboxName(wire) !== s) assert.fail(`U+${c.toString(16)} did not round-trip via ${wire}`);
    }
    const text = all.join('');
    assert.equal(decodeMailboxName(encodeMailboxName(text)), text);
  });

  test('every astral code point round-trips', () => {
    const chars: string[] = [];
    for (let c = 0x10000; c <= 0x10ffff; c++) chars.push(String.fromCodePoint(c));
    const text = chars.join('');
    assert.equal(decodeMailboxName(encodeMailboxName(text)), text);
    // and a sample on its own, each between ASCII so every run is a fresh one
    for (let c = 0x10000; c <= 0x10ffff; c += 4099) {
      const s = `a${String.fromCodePoint(c)}b`;
      assert.equal(decodeMailboxName(encodeMailboxName(s)), s);
    }
  });

  test('random strings round-trip, and the wire form is printable ASCII', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (name) => {
        const wire = encodeMailboxName(name);
        assert.match(wire, /^[\x20-\x7e]*$/);
        assert.equal(decodeMailboxName(wire), name);
      }),
      { numRuns: 2000 },
    );
  });

  test('any accepted wire form is the canonical encoding of what it decodes to', () => {
    const wireChar = fc.constantFrom(...'&-&-ABab09+,/=AGE2D3eU,BTFw '.split(''));
    fc.assert(
      fc.property(fc.string({ unit: wireChar, maxLength: 16 }), (wire) => {
        let name: string;
        try {
          name = decodeMailboxName(wire);
        } catch (e) {
          assert.ok(e instanceof ProtocolError, String(e));
          return;
        }
        assert.equal(encodeMailboxName(name), wire);
      }),
      { numRuns: 5000 },
    );
  });
});
