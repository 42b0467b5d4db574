// The bench's pipelined tunnel client: greeting check, pipelined commands with NO surfacing as a clear
// error, and literals streamed into a command's sink.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startDovecot } from '../helpers/dovecot.js';
import { ImapPipe } from './imap-pipe.js';

describe('imap pipe', { timeout: 30_000 }, () => {
  test('refuses a server that does not greet with PREAUTH', async () => {
    await assert.rejects(
      ImapPipe.open('echo "* OK hello"; exec sleep 5'),
      /expected a PREAUTH greeting .*\* OK hello/,
    );
  });

  test('pipelined commands: NO rejects its own command only; literals reach the sink', async () => {
    const dovecot = await startDovecot();
    const pipe = await ImapPipe.open(dovecot.tunnelCommand);
    try {
      const body = Buffer.from('Subject: x\r\n\r\nhello\r\n');
      const appended = pipe.command(['APPEND INBOX () ', `{${body.length}+}\r\n`, body]);
      const missing = pipe.command('SELECT "no such box"');
      const selected = pipe.command('SELECT INBOX');
      const sizes: number[] = [];
      let seen = '';
      const fetched = pipe.command('FETCH 1 BODY.PEEK[]', {
        literal: (size) => {
          sizes.push(size);
          const chunks: Buffer[] = [];
          return { write: (c) => chunks.push(c), end: () => Buffer.concat(chunks).toString('hex') };
        },
        onUntagged: (line) => {
          if (line.includes('FETCH')) seen = line;
        },
      });
      await appended;
      await assert.rejects(missing, /SELECT "no such box" → NO /);
      await selected;
      await fetched;
      assert.deepEqual(sizes, [body.length]);
      assert.equal(seen, `* 1 FETCH (BODY[] ${body.toString('hex')})`);
    } finally {
      await pipe.close();
      await dovecot.stop();
    }
  });
});
