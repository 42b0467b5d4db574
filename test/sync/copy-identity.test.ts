import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { CopyIdentities, messageIdIn } from '../../src/sync/copy-identity.js';

const date = '01-Jan-2025 10:00:00 +0000';

/** Feeds `message` to a reader in chunks of `size` bytes. */
function identify(identities: CopyIdentities, message: string, size = message.length) {
  const bytes = Buffer.from(message, 'latin1');
  const reader = identities.start(bytes.length, date);
  for (let at = 0; at < bytes.length; at += size) reader.update(bytes.subarray(at, at + size));
  return reader.finish();
}

const sha256 = (text: string) => createHash('sha256').update(text, 'latin1').digest();

describe('copy identities', () => {
  test('messageIdIn: first field, folded value joined, case-insensitive name, none → null', () => {
    assert.equal(messageIdIn(Buffer.from('Subject: x\r\nMessage-ID: <a@b>\r\n')), '<a@b>');
    assert.equal(messageIdIn(Buffer.from('message-id:\r\n  <folded@b>\r\nX: y\r\n')), '<folded@b>');
    assert.equal(messageIdIn(Buffer.from('Resent-Message-ID: <r@b>\r\nSubject: x\r\n')), null);
    assert.equal(messageIdIn(Buffer.from('Message-ID: <1@b>\r\nMessage-ID: <2@b>\r\n')), '<1@b>');
  });

  test('a unique Message-ID is read from the header, whatever the chunking, and not hashed', () => {
    const message = 'From: a@b\r\nMessage-ID: <m1@x>\r\n\r\nbody\r\nMessage-ID: <in-body@x>\r\n';
    for (const size of [1, 2, 3, 7, message.length]) {
      assert.deepEqual(identify(new CopyIdentities(), message, size), { messageId: '<m1@x>', sha256: null });
    }
  });

  test('a Message-ID only in the body does not count; such a message is hashed whole', () => {
    const message = 'From: a@b\nSubject: bare LF\n\nMessage-ID: <in-body@x>\n';
    for (const size of [1, 5, message.length]) {
      assert.deepEqual(identify(new CopyIdentities(), message, size), {
        messageId: null,
        sha256: sha256(message),
      });
    }
  });

  test('the header ends at the first empty line, whatever the line ends around it', () => {
    for (const message of [
      'Message-ID: <a@x>\n\r\nMessage-ID: <body@x>\r\n\r\nmore\r\n',
      'Message-ID: <a@x>\r\n\r\nMessage-ID: <body@x>\n\nmore\n',
      'Message-ID: <a@x>\n\nMessage-ID: <body@x>\r\n\r\nmore\r\n',
    ]) {
      for (const size of [1, 3, message.length]) {
        assert.equal(
          identify(new CopyIdentities(), message, size).messageId,
          '<a@x>',
          JSON.stringify(message),
        );
      }
    }
    const late = 'X: y\r\nMessage-ID: <late@x>\r\n\r\n';
    assert.equal(identify(new CopyIdentities(), late, 5).messageId, '<late@x>');
  });

  test('the second copy with the same size, date and Message-ID is hashed, the first not', () => {
    const identities = new CopyIdentities();
    const a = 'Message-ID: <same@x>\r\n\r\nAAAA\r\n';
    const b = 'Message-ID: <same@x>\r\n\r\nBBBB\r\n';
    assert.deepEqual(identify(identities, a, 4), { messageId: '<same@x>', sha256: null });
    assert.deepEqual(identify(identities, b, 4), { messageId: '<same@x>', sha256: sha256(b) });
    // A different size is another triple.
    const c = 'Message-ID: <same@x>\r\n\r\nCCCCC\r\n';
    assert.deepEqual(identify(identities, c, 4), { messageId: '<same@x>', sha256: null });
  });

  test('a header without an end within 64 KiB is read as it is', () => {
    const long = `Message-ID: <long@x>\r\nX-Filler: ${'f'.repeat(70_000)}\r\n\r\nbody`;
    assert.deepEqual(identify(new CopyIdentities(), long, 4096), { messageId: '<long@x>', sha256: null });
  });
});
