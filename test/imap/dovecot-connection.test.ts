// The connection runtime against a real Dovecot: each transport, STARTTLS and authentication,
// the chart's state, COMPRESS on the wire, SELECT, LOGOUT, and refused credentials.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openConnection } from '../../src/imap/connection.js';
import { type Dovecot, startDovecot } from '../helpers/dovecot.js';
import { optionsFor, recordingLogger } from './setup.js';

describe('connection runtime against Dovecot', { timeout: 60_000 }, () => {
  let dovecot: Dovecot;
  before(async () => {
    dovecot = await startDovecot({ tls: true });
  });
  after(() => dovecot?.stop());

  for (const via of ['tunnel', 'starttls', 'imaps'] as const) {
    test(`${via}: ready with QRESYNC enabled, SELECT, LOGOUT`, async () => {
      const logger = recordingLogger();
      const conn = await openConnection(optionsFor(dovecot, via, { debug: 1 }), logger);
      assert.equal(conn.state, 'authenticated.ready');
      assert.ok(conn.capabilities.includes('QRESYNC'));
      const selected = await conn.select('INBOX');
      assert.equal(conn.state, 'selected');
      assert.equal(conn.mailbox, 'INBOX');
      assert.ok(selected.uidValidity > 0);
      const closed = await conn.logout();
      assert.equal(closed.reason, 'logout');
      assert.equal(conn.state, 'closed');
      const traffic = logger.lines.join('\n');
      assert.match(traffic, /C: a\d+ ENABLE QRESYNC/);
      assert.match(traffic, /C: a\d+ LOGOUT/);
      if (via === 'starttls') {
        assert.match(traffic, /C: a\d+ STARTTLS[\s\S]*C: a\d+ CAPABILITY[\s\S]*AUTHENTICATE/);
      }
    });
  }

  test('refused credentials: one line naming the server, nothing left running', async () => {
    await assert.rejects(
      openConnection(optionsFor(dovecot, 'imaps', { password: 'wrong' })),
      (error: Error) => {
        assert.match(error.message, /^remote: authentication failed: .*AUTHENTICATE failed: NO/);
        assert.doesNotMatch(error.message, /\n/);
        return true;
      },
    );
  });
});
