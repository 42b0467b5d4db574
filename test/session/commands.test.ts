import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { UntaggedResponse } from '../../src/protocol/types.js';
import { SessionCommands } from '../../src/session/commands.js';
import { CommandFailed } from '../../src/session/errors.js';
import { fakeArgs, greetingOk, newSession, plus, preauth, settle, tagged, untagged } from './fake-codec.js';

function client(greeting = preauth(), literalPlus = false) {
  const { session, writer } = newSession({ literalPlus });
  session.receive(greeting);
  return { session, writer, imap: new SessionCommands(session, fakeArgs) };
}

async function selected() {
  const c = client();
  const selecting = c.imap.session.command('SELECT', [fakeArgs.string('INBOX')]);
  c.session.receive(tagged('a1'));
  await selecting;
  c.writer.written = [];
  return c;
}

describe('typed helpers', () => {
  test('AUTHENTICATE PLAIN with SASL-IR sends the credentials inline and returns volunteered capabilities', async () => {
    const { session, writer, imap } = client(greetingOk());
    const auth = imap.authenticatePlain('user', 'pass', true);
    await settle();
    assert.deepEqual(writer.written, [
      `a1 AUTHENTICATE PLAIN ${Buffer.from('\0user\0pass').toString('base64')}\r\n`,
    ]);
    session.receive(
      tagged('a1', 'OK', 'welcome', { name: 'CAPABILITY', capabilities: ['IMAP4REV1', 'QRESYNC'] }),
    );
    assert.deepEqual(await auth, ['IMAP4REV1', 'QRESYNC']);
    assert.equal(session.state, 'authenticated');
  });

  test('AUTHENTICATE PLAIN without SASL-IR answers the continuation; a second + is cancelled', async () => {
    const { session, writer, imap } = client(greetingOk());
    const auth = imap.authenticatePlain('user', 'pass', false);
    await settle();
    session.receive(plus(''));
    session.receive(plus('more?'));
    session.receive(tagged('a1', 'BAD', 'cancelled'));
    await assert.rejects(auth, CommandFailed);
    assert.deepEqual(writer.written, [
      'a1 AUTHENTICATE PLAIN\r\n',
      `${Buffer.from('\0user\0pass').toString('base64')}\r\n`,
      '*\r\n',
    ]);
  });

  test('authenticate with enable: ENABLE follows at once and enable() takes its answer; refused, sends it again', async () => {
    for (const refused of [false, true]) {
      const { session, writer, imap } = client(greetingOk());
      const auth = imap.authenticate({
        mechanism: 'LOGIN',
        saslIr: false,
        username: 'user',
        password: 'pass',
        enable: ['QRESYNC'],
      });
      await settle();
      assert.deepEqual(writer.written, ['a1 LOGIN "user" "pass"\r\n', 'a2 ENABLE QRESYNC\r\n']);
      session.receive(tagged('a1'));
      if (!refused) session.receive(untagged({ type: 'ENABLED', capabilities: ['QRESYNC'] }));
      session.receive(refused ? tagged('a2', 'BAD', 'not yet') : tagged('a2'));
      assert.equal(await auth, undefined);
      const enabled = imap.enable(['QRESYNC']);
      if (refused) {
        await settle();
        assert.equal(writer.written[2], 'a3 ENABLE QRESYNC\r\n');
        session.receive(untagged({ type: 'ENABLED', capabilities: ['QRESYNC'] }));
        session.receive(tagged('a3'));
      }
      assert.deepEqual(await enabled, ['QRESYNC']);
      assert.equal(writer.written.length, refused ? 3 : 2);
    }
  });

  test('SELECT with QRESYNC sends its parameters and gathers UIDVALIDITY, HIGHESTMODSEQ, VANISHED and FETCH', async () => {
    const { session, writer, imap } = client();
    const select = imap.select('INBOX', {
      qresync: {
        uidValidity: 7,
        modseq: 9007199254740993n,
        knownUids: '1:100',
        seqMatch: {
          seqs: '1,50',
          uids: [
            [1, 1],
            [90, 90],
          ],
        },
      },
    });
    await settle();
    assert.equal(writer.text, 'a1 SELECT "INBOX" (QRESYNC (7 9007199254740993 1:100 (1,50 1,90)))\r\n');
    const feed: UntaggedResponse[] = [
      untagged({ type: 'FLAGS', flags: ['\\Seen', '\\Deleted'] }),
      untagged({ type: 'EXISTS', number: 42 }),
      untagged({ type: 'OK', code: { name: 'UIDVALIDITY', value: 7 }, text: '' }),
      untagged({ type: 'OK', code: { name: 'UIDNEXT', value: 101 }, text: '' }),
      untagged({ type: 'OK', code: { name: 'HIGHESTMODSEQ', value: 9007199254741000n }, text: '' }),
      untagged({ type: 'VANISHED', earlier: true, uids: [[3, 5]] }),
      untagged({
        type: 'FETCH',
        seq: 2,
        attributes: { uid: 8, flags: ['\\Seen'], modseq: 9007199254740999n },
      }),
    ];
    for (const r of feed) session.receive(r);
    session.receive(tagged('a1', 'OK', 'selected', { name: 'READ-WRITE' }));
    const result = await select;
    assert.equal(result.uidValidity, 7);
    assert.equal(result.uidNext, 101);
    assert.equal(result.exists, 42);
    assert.equal(result.highestModseq, 9007199254741000n);
    assert.equal(result.readOnly, false);
    assert.deepEqual(result.vanished, [[3, 5]]);
    assert.deepEqual(result.fetched, [
      { seq: 2, attributes: { uid: 8, flags: ['\\Seen'], modseq: 9007199254740999n } },
    ]);
    assert.deepEqual(result.flags, ['\\Seen', '\\Deleted']);
  });

  test('SELECT over a selected mailbox: what comes before OK [CLOSED] is the closed mailbox’s', async () => {
    const { session, imap } = await selected();
    const select = imap.select('Archive');
    await settle();
    const feed: UntaggedResponse[] = [
      // INBOX news flushed while closing it: none of it is Archive's.
      untagged({ type: 'VANISHED', earlier: false, uids: [[4, 4]] }),
      untagged({ type: 'FETCH', seq: 1, attributes: { uid: 2, flags: ['\\Flagged'], modseq: 30n } }),
      untagged({ type: 'EXISTS', number: 9 }),
      untagged({ type: 'OK', code: { name: 'CLOSED' }, text: 'previous mailbox closed' }),
      untagged({ type: 'FLAGS', flags: ['\\Seen'] }),
      untagged({ type: 'EXISTS', number: 3 }),
      untagged({ type: 'OK', code: { name: 'UIDVALIDITY', value: 11 }, text: '' }),
      untagged({ type: 'VANISHED', earlier: true, uids: [[7, 8]] }),
    ];
    for (const r of feed) session.receive(r);
    session.receive(tagged('a2', 'OK', 'selected', { name: 'READ-WRITE' }));
    const result = await select;
    assert.deepEqual(result.vanished, [[7, 8]]);
    assert.deepEqual(result.fetched, []);
    assert.equal(result.exists, 3);
    assert.equal(result.uidValidity, 11);
  });

  test('SELECT without UIDVALIDITY is a clear protocol error', async () => {
    const { session, imap } = client();
    const select = imap.select('INBOX');
    await settle();
    session.receive(tagged('a1'));
    await assert.rejects(select, /SELECT INBOX: the server sent no UIDVALIDITY/);
  });

  test('UID FETCH CHANGEDSINCE VANISHED and UID STORE UNCHANGEDSINCE with [MODIFIED]', async () => {
    const { session, writer, imap } = await selected();
    const fetch = imap.uidFetch('1:4294967295', ['UID', 'FLAGS', 'MODSEQ'], {
      changedSince: 5n,
      vanished: true,
    });
    const store = imap.uidStore([[1, 3]], '+FLAGS', ['\\Seen'], { unchangedSince: 12n, silent: true });
    await settle();
    assert.deepEqual(writer.written, [
      'a2 UID FETCH 1:4294967295 (UID FLAGS MODSEQ) (CHANGEDSINCE 5 VANISHED)\r\n',
      'a3 UID STORE 1:3 (UNCHANGEDSINCE 12) +FLAGS.SILENT (\\Seen)\r\n',
    ]);
    session.receive(untagged({ type: 'VANISHED', earlier: true, uids: [[9, 9]] }));
    session.receive(untagged({ type: 'FETCH', seq: 1, attributes: { uid: 1, modseq: 6n } }));
    session.receive(tagged('a2'));
    session.receive(tagged('a3', 'OK', 'conditional store', { name: 'MODIFIED', set: [[2, 2]] }));
    const fetched = await fetch;
    assert.deepEqual(fetched.vanished, [[9, 9]]);
    assert.equal(fetched.fetched[0].attributes.uid, 1);
    assert.deepEqual((await store).modified, [[2, 2]]);
  });

  test('MULTIAPPEND sends every message as a literal and returns APPENDUID', async () => {
    const { session, writer, imap } = client(preauth(), true);
    const append = imap.append('Sent', [
      { flags: ['\\Seen'], internalDate: '01-Jan-2024 10:00:00 +0000', body: Buffer.from('one'), size: 3 },
      { body: Buffer.from('two!'), size: 4 },
    ]);
    await settle();
    assert.equal(
      writer.text,
      'a1 APPEND "Sent" (\\Seen) "01-Jan-2024 10:00:00 +0000" {3+}\r\none {4+}\r\ntwo!\r\n',
    );
    session.receive(tagged('a1', 'OK', 'appended', { name: 'APPENDUID', uidValidity: 3, uids: [[10, 11]] }));
    assert.deepEqual(await append, { uidValidity: 3, uids: [[10, 11]] });
  });

  test('IDLE: updates reach listeners; done() sends DONE only after +', async () => {
    const { session, writer, imap } = await selected();
    const heard: UntaggedResponse[] = [];
    session.onUnsolicited((r) => heard.push(r));
    const idle = imap.idle();
    await settle();
    const finished = idle.done(); // asked before the server's +
    assert.deepEqual(writer.written, ['a2 IDLE\r\n']);
    session.receive(plus('idling'));
    await idle.started;
    session.receive(untagged({ type: 'EXISTS', number: 43 }));
    assert.deepEqual(writer.written, ['a2 IDLE\r\n', 'DONE\r\n']);
    session.receive(tagged('a2'));
    await finished;
    assert.deepEqual(heard, [untagged({ type: 'EXISTS', number: 43 })]);
  });

  test('LIST-EXTENDED with LIST-STATUS merges STATUS into entries; ENABLE and STATUS shape their data', async () => {
    const { session, writer, imap } = client();
    const list = imap.list('', ['*'], {
      returnOptions: ['SUBSCRIBED'],
      status: ['UIDVALIDITY', 'HIGHESTMODSEQ'],
    });
    await settle();
    assert.equal(writer.text, 'a1 LIST "" ("*") RETURN (SUBSCRIBED STATUS (UIDVALIDITY HIGHESTMODSEQ))\r\n');
    session.receive(
      untagged({ type: 'LIST', attributes: ['\\Subscribed'], delimiter: '/', mailbox: 'INBOX' }),
    );
    session.receive(
      untagged({ type: 'STATUS', mailbox: 'INBOX', attributes: { uidValidity: 1, highestModseq: 4n } }),
    );
    session.receive(untagged({ type: 'LIST', attributes: [], delimiter: '/', mailbox: 'Archive' }));
    session.receive(tagged('a1'));
    assert.deepEqual(await list, [
      {
        attributes: ['\\Subscribed'],
        delimiter: '/',
        mailbox: 'INBOX',
        status: { uidValidity: 1, highestModseq: 4n },
      },
      { attributes: [], delimiter: '/', mailbox: 'Archive' },
    ]);
    const enable = imap.enable(['QRESYNC']);
    await settle();
    session.receive(untagged({ type: 'ENABLED', capabilities: ['QRESYNC'] }));
    session.receive(tagged('a2'));
    assert.deepEqual(await enable, ['QRESYNC']);
    const status = imap.status('Archive', ['MESSAGES']);
    await settle();
    session.receive(untagged({ type: 'STATUS', mailbox: 'Archive', attributes: { messages: 3 } }));
    session.receive(tagged('a3'));
    assert.deepEqual(await status, { messages: 3 });
  });
});
