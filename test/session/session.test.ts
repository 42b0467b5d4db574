import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { UntaggedResponse } from '../../src/protocol/types.js';
import { CommandFailed, CommandNotAllowed, ConnectionClosed } from '../../src/session/errors.js';
import {
  fakeArgs as b,
  greetingOk,
  newSession,
  plus,
  preauth,
  settle,
  tagged,
  untagged,
} from './fake-codec.js';

/** A session past PREAUTH with INBOX selected (tag a1 used). */
async function selectedSession(opts: Parameters<typeof newSession>[0] = {}) {
  const s = newSession(opts);
  s.session.receive(preauth());
  const selecting = s.session.command('SELECT', [b.string('INBOX')]);
  s.session.receive(tagged('a1'));
  await selecting;
  s.writer.written = [];
  return s;
}

const fetchOf = (seq: number, uid: number): UntaggedResponse =>
  untagged({ type: 'FETCH', seq, attributes: { uid, flags: ['\\Seen'] } });

describe('pipelining', () => {
  test('1,000 pipelined commands are all written before any completion and resolve in tag order with their own data', async () => {
    const { session, writer } = await selectedSession();
    const order: number[] = [];
    const results = Array.from({ length: 1000 }, (_, i) =>
      session.command('UID FETCH', [b.sequenceSet(String(i + 1)), b.atom('FLAGS')]).then((r) => {
        order.push(i);
        return r;
      }),
    );
    await settle();
    assert.equal(writer.written.length, 1000);
    assert.equal(writer.written[999], 'a1001 UID FETCH 1000 FLAGS\r\n');
    assert.equal(session.inFlight, 1000);
    // A sequential server answers each command before starting the next.
    for (let i = 0; i < 1000; i++) {
      session.receive(fetchOf(i + 1, i + 1));
      session.receive(tagged(`a${i + 2}`));
    }
    const done = await Promise.all(results);
    assert.deepEqual(
      order,
      Array.from({ length: 1000 }, (_, i) => i),
    );
    done.forEach((r, i) => {
      assert.equal(r.tag, `a${i + 2}`);
      assert.equal(r.untagged.length, 1);
      const only = r.untagged[0];
      assert.ok(only.type === 'FETCH' && only.attributes.uid === i + 1);
    });
    assert.equal(session.inFlight, 0);
  });

  test('an exclusive command waits for the pipeline to drain, and holds later commands until it completes', async () => {
    const { session, writer } = await selectedSession();
    const noop = session.command('NOOP');
    const select = session.command('SELECT', [b.string('Archive')]);
    const after = session.command('UID FETCH', [b.sequenceSet('1:5'), b.atom('FLAGS')]);
    await settle();
    assert.deepEqual(writer.written, ['a2 NOOP\r\n']);
    session.receive(tagged('a2'));
    await noop;
    await settle();
    assert.deepEqual(writer.written, ['a2 NOOP\r\n', 'a3 SELECT "Archive"\r\n']);
    session.receive(untagged({ type: 'EXISTS', number: 4 }));
    session.receive(tagged('a3'));
    const selected = await select;
    assert.deepEqual(selected.untagged, [untagged({ type: 'EXISTS', number: 4 })]);
    await settle();
    assert.equal(writer.written[2], 'a4 UID FETCH 1:5 FLAGS\r\n');
    session.receive(tagged('a4'));
    await after;
  });

  test('back-pressure: nothing more is written until the writer drains', async () => {
    const { session, writer } = await selectedSession();
    writer.blocked = true;
    const first = session.command('NOOP');
    const second = session.command('NOOP');
    await settle();
    assert.deepEqual(writer.written, ['a2 NOOP\r\n']);
    writer.release();
    await settle();
    assert.deepEqual(writer.written, ['a2 NOOP\r\n', 'a3 NOOP\r\n']);
    session.receive(tagged('a2'));
    session.receive(tagged('a3'));
    await Promise.all([first, second]);
  });

  test('NO and BAD reject with CommandFailed carrying code, text and gathered data', async () => {
    const { session } = await selectedSession();
    const store = session.command('UID STORE', [b.sequenceSet('7'), b.atom('+FLAGS'), b.atom('(\\Seen)')]);
    await settle();
    session.receive(fetchOf(3, 7));
    session.receive(tagged('a2', 'NO', 'nope', { name: 'OVERQUOTA' }));
    await assert.rejects(store, (e: unknown) => {
      assert.ok(e instanceof CommandFailed);
      assert.equal(e.result.status, 'NO');
      assert.equal(e.result.code?.name, 'OVERQUOTA');
      assert.equal(e.result.untagged.length, 1);
      assert.match(e.message, /UID STORE failed: NO \[OVERQUOTA\] nope/);
      return true;
    });
  });
});

describe('untagged routing', () => {
  test('a response only one in-flight command can produce goes to it alone; others go to listeners', async () => {
    const { session } = await selectedSession();
    const heard: UntaggedResponse[] = [];
    session.onUnsolicited((r) => heard.push(r));
    const fetch = session.command('UID FETCH', [b.sequenceSet('1:*'), b.atom('FLAGS')]);
    const noop = session.command('NOOP');
    await settle();
    const alert = untagged({ type: 'OK', code: { name: 'ALERT' }, text: 'maintenance at noon' });
    session.receive(fetchOf(1, 10));
    session.receive(untagged({ type: 'EXISTS', number: 2 }));
    session.receive(untagged({ type: 'RECENT', number: 1 }));
    session.receive(alert);
    session.receive(tagged('a2'));
    session.receive(tagged('a3'));
    assert.deepEqual((await fetch).untagged, [fetchOf(1, 10)]);
    assert.deepEqual((await noop).untagged, []);
    assert.deepEqual(
      heard.map((r) => r.type),
      ['EXISTS', 'RECENT', 'OK'],
    );
  });

  test('ambiguous responses go to the oldest claimant and to the listeners', async () => {
    const { session } = await selectedSession();
    const heard: UntaggedResponse[] = [];
    session.onUnsolicited((r) => heard.push(r));
    const one = session.command('STATUS', [b.string('A'), b.list([b.atom('MESSAGES')])]);
    const two = session.command('STATUS', [b.string('B'), b.list([b.atom('MESSAGES')])]);
    await settle();
    const statusA = untagged({ type: 'STATUS', mailbox: 'A', attributes: { messages: 1 } });
    session.receive(statusA);
    session.receive(tagged('a2'));
    const statusB = untagged({ type: 'STATUS', mailbox: 'B', attributes: { messages: 2 } });
    session.receive(statusB);
    session.receive(tagged('a3'));
    assert.deepEqual((await one).untagged, [statusA]);
    assert.deepEqual((await two).untagged, [statusB]); // alone in flight by then: not ambiguous
    assert.deepEqual(heard, [statusA]);
  });

  test('ESEARCH is routed by its tag; onUntagged streams instead of collecting', async () => {
    const { session } = await selectedSession();
    const streamed: UntaggedResponse[] = [];
    const first = session.command('UID SEARCH', [b.atom('ALL')]);
    const second = session.command('UID SEARCH', [b.atom('UNSEEN')], { onUntagged: (r) => streamed.push(r) });
    await settle();
    const forSecond = untagged({ type: 'ESEARCH', tag: 'a3', uid: true, count: 2 });
    const forFirst = untagged({ type: 'ESEARCH', tag: 'a2', uid: true, count: 9 });
    session.receive(forSecond);
    session.receive(forFirst);
    session.receive(tagged('a2'));
    session.receive(tagged('a3'));
    assert.deepEqual((await first).untagged, [forFirst]);
    assert.deepEqual((await second).untagged, []);
    assert.deepEqual(streamed, [forSecond]);
  });
});

describe('literals', () => {
  test('a sync literal waits for + while other responses are processed, and later commands wait behind it', async () => {
    const { session, writer } = await selectedSession();
    const heard: UntaggedResponse[] = [];
    session.onUnsolicited((r) => heard.push(r));
    const noop = session.command('NOOP');
    const append = session.command('APPEND', [b.string('Sent'), b.literal(Buffer.from('hello'), 5)]);
    const after = session.command('NOOP');
    await settle();
    assert.deepEqual(writer.written, ['a2 NOOP\r\n', 'a3 APPEND "Sent" {5}\r\n']);
    session.receive(untagged({ type: 'EXISTS', number: 8 }));
    session.receive(tagged('a2'));
    await noop;
    assert.equal(heard.length, 1);
    await settle();
    assert.equal(writer.written.length, 2, 'nothing written before +');
    session.receive(plus());
    await settle();
    assert.deepEqual(writer.written.slice(2), ['hello', '\r\n', 'a4 NOOP\r\n']);
    session.receive(tagged('a3', 'OK', 'appended', { name: 'APPENDUID', uidValidity: 1, uids: [[4, 4]] }));
    session.receive(tagged('a4'));
    assert.equal((await append).code?.name, 'APPENDUID');
    await after;
  });

  test('a tagged NO instead of + fails the command, skips its body and unblocks the queue', async () => {
    const { session, writer } = await selectedSession();
    const append = session.command('APPEND', [b.string('Sent'), b.literal(Buffer.from('hello'), 5)]);
    const after = session.command('NOOP');
    await settle();
    session.receive(tagged('a2', 'NO', 'too big'));
    await assert.rejects(append, CommandFailed);
    await settle();
    assert.deepEqual(writer.written, ['a2 APPEND "Sent" {5}\r\n', 'a3 NOOP\r\n']);
    session.receive(tagged('a3'));
    await after;
  });

  test('non-synchronising literals are written at once; streamed bodies go to writeStream untouched', async () => {
    const { session, writer } = await selectedSession({ literalPlus: true });
    async function* body() {
      yield Buffer.from('part1-');
      yield Buffer.from('part2');
    }
    const iterable = body();
    const append = session.command('APPEND', [b.string('Sent'), b.literal(iterable, 11)]);
    await settle();
    assert.equal(writer.streamed.length, 1);
    assert.equal(writer.streamed[0].body, iterable);
    assert.equal(writer.streamed[0].size, 11);
    assert.equal(writer.text, 'a2 APPEND "Sent" {11+}\r\npart1-part2\r\n');
    session.receive(tagged('a2'));
    await append;
  });
});

describe('protocol state', () => {
  test('commands invalid in the current state are rejected locally', async () => {
    const { session, writer } = newSession();
    session.receive(greetingOk());
    await assert.rejects(
      session.command('UID FETCH', [b.sequenceSet('1'), b.atom('FLAGS')]),
      (e: unknown) => {
        assert.ok(e instanceof CommandNotAllowed);
        assert.match(e.message, /UID FETCH is not valid in the not-authenticated state/);
        return true;
      },
    );
    const login = session.command('LOGIN', [b.string('u'), b.string('p')]);
    await settle();
    session.receive(tagged('a1'));
    await login;
    assert.equal(session.state, 'authenticated');
    await assert.rejects(session.command('LOGIN', [b.string('u'), b.string('p')]), CommandNotAllowed);
    await assert.rejects(session.command('EXPUNGE'), CommandNotAllowed);
    assert.deepEqual(writer.written, ['a1 LOGIN "u" "p"\r\n']);
  });

  test('commands wait for the greeting; a failed SELECT leaves the selected state', async () => {
    const { session, writer } = newSession();
    const capability = session.command('CAPABILITY');
    await settle();
    assert.deepEqual(writer.written, []);
    session.receive(preauth());
    await settle();
    assert.deepEqual(writer.written, ['a1 CAPABILITY\r\n']);
    session.receive(untagged({ type: 'CAPABILITY', capabilities: ['IMAP4REV1'] }));
    session.receive(tagged('a1'));
    assert.equal((await capability).untagged.length, 1);
    const select = session.command('SELECT', [b.string('INBOX')]);
    await settle();
    session.receive(tagged('a2'));
    await select;
    assert.equal(session.state, 'selected');
    const bad = session.command('SELECT', [b.string('Nope')]);
    await settle();
    session.receive(tagged('a3', 'NO', 'no such mailbox'));
    await assert.rejects(bad, CommandFailed);
    assert.equal(session.state, 'authenticated');
  });

  test('a STARTTLS-like afterOk hook runs before anything else is written', async () => {
    const { session, writer } = newSession();
    session.receive(greetingOk());
    let upgraded = false;
    let finishUpgrade!: () => void;
    const starttls = session.command('STARTTLS', [], {
      afterOk: () =>
        new Promise<void>((resolve) => {
          finishUpgrade = () => {
            upgraded = true;
            resolve();
          };
        }),
    });
    const capability = session.command('CAPABILITY');
    await settle();
    session.receive(tagged('a1'));
    await settle();
    assert.deepEqual(writer.written, ['a1 STARTTLS\r\n']);
    finishUpgrade();
    await starttls;
    assert.ok(upgraded);
    await settle();
    assert.deepEqual(writer.written, ['a1 STARTTLS\r\n', 'a2 CAPABILITY\r\n']);
    session.receive(tagged('a2'));
    await capability;
  });

  test('continuations reach the exclusive command handler; SASL replies are traced redacted', async () => {
    const lines: string[] = [];
    const { session, writer } = newSession({ trace: (dir, text) => lines.push(`${dir}: ${text}`) });
    session.receive(greetingOk());
    const auth = session.command('AUTHENTICATE', [b.atom('PLAIN')], {
      onContinuation: (_text, reply) => reply(Buffer.from('AHUAcA==')),
    });
    await settle();
    session.receive(plus(''));
    session.receive(tagged('a1'));
    await auth;
    assert.deepEqual(writer.written, ['a1 AUTHENTICATE PLAIN\r\n', 'AHUAcA==\r\n']);
    assert.deepEqual(lines, [
      'server: * OK ready',
      'client: a1 AUTHENTICATE <redacted>',
      'server: + ',
      'client: {8 bytes}',
      'server: a1 OK done',
    ]);
  });
});

describe('commands behind an authentication', () => {
  const login = (session: ReturnType<typeof newSession>['session']) =>
    session.command('LOGIN', [b.string('u'), b.string('p')]);
  const enable = (session: ReturnType<typeof newSession>['session'], afterAuthentication = true) =>
    session.command('ENABLE', [b.atom('QRESYNC')], { afterAuthentication });
  const started = () => {
    const s = newSession();
    s.session.receive(greetingOk());
    return s;
  };

  test('afterAuthentication: written right behind LOGIN, checked against the authenticated state', async () => {
    const { session, writer } = started();
    const loggingIn = login(session);
    const enabling = enable(session);
    await settle();
    assert.deepEqual(writer.written, ['a1 LOGIN "u" "p"\r\n', 'a2 ENABLE QRESYNC\r\n']);
    assert.equal(session.state, 'not-authenticated');
    session.receive(tagged('a1'));
    session.receive(untagged({ type: 'ENABLED', capabilities: ['QRESYNC'] }));
    session.receive(tagged('a2'));
    await loggingIn;
    assert.deepEqual((await enabling).untagged, [untagged({ type: 'ENABLED', capabilities: ['QRESYNC'] })]);
    assert.equal(session.state, 'authenticated');
  });

  test('unmarked, or behind AUTHENTICATE that expects a continuation, it waits for the completion', async () => {
    const unmarked = started();
    const loggingIn = login(unmarked.session);
    const enabling = enable(unmarked.session, false);
    await settle();
    assert.deepEqual(unmarked.writer.written, ['a1 LOGIN "u" "p"\r\n']);
    unmarked.session.receive(tagged('a1'));
    await loggingIn;
    await settle();
    assert.equal(unmarked.writer.written[1], 'a2 ENABLE QRESYNC\r\n');
    unmarked.session.receive(tagged('a2'));
    await enabling;

    const sasl = started();
    const authenticating = sasl.session.command('AUTHENTICATE', [b.atom('PLAIN')], {
      onContinuation: (_text, reply) => reply(Buffer.from('AHUAcA==')),
    });
    const behind = enable(sasl.session);
    await settle();
    sasl.session.receive(plus(''));
    await settle();
    assert.deepEqual(sasl.writer.written, ['a1 AUTHENTICATE PLAIN\r\n', 'AHUAcA==\r\n']);
    sasl.session.receive(tagged('a1'));
    await authenticating;
    await settle();
    assert.equal(sasl.writer.written[2], 'a2 ENABLE QRESYNC\r\n');
    sasl.session.receive(tagged('a2'));
    await behind;
  });

  test('only commands valid once authenticated follow, and an exclusive one only with nothing else in flight', async () => {
    const { session, writer } = started();
    const loggingIn = login(session);
    const starttls = session.command('STARTTLS', [], { afterAuthentication: true });
    const noop = session.command('NOOP', [], { afterAuthentication: true });
    const selecting = session.command('SELECT', [b.string('INBOX')], { afterAuthentication: true });
    await assert.rejects(starttls, /STARTTLS is not valid in the authenticated state/);
    await settle();
    // SELECT is exclusive: it waits for LOGIN and NOOP to complete.
    assert.deepEqual(writer.written, ['a1 LOGIN "u" "p"\r\n', 'a2 NOOP\r\n']);
    session.receive(tagged('a1'));
    session.receive(tagged('a2'));
    await Promise.all([loggingIn, noop]);
    await settle();
    assert.equal(writer.written[2], 'a3 SELECT "INBOX"\r\n');
    const after = session.command('NOOP');
    await settle();
    assert.equal(writer.written.length, 3, 'nothing follows an exclusive command in flight');
    session.receive(tagged('a3'));
    await selecting;
    await settle();
    assert.equal(writer.written[3], 'a4 NOOP\r\n');
    session.receive(tagged('a4'));
    await after;
  });

  test('ENABLE and the mailbox list both ride behind LOGIN (RFC 5161 §3.1: ENABLE pipelines freely)', async () => {
    const { session, writer } = started();
    const loggingIn = login(session);
    const enabling = enable(session);
    const listing = session.command('LIST', [b.string(''), b.string('*')], { afterAuthentication: true });
    await settle();
    assert.deepEqual(writer.written, ['a1 LOGIN "u" "p"\r\n', 'a2 ENABLE QRESYNC\r\n', 'a3 LIST "" "*"\r\n']);
    for (const tag of ['a1', 'a2', 'a3']) session.receive(tagged(tag));
    await Promise.all([loggingIn, enabling, listing]);
    assert.equal(session.state, 'authenticated');
  });

  test('a refused login: the follower on the wire fails with the answer, one not yet written locally', async () => {
    const { session, writer } = started();
    const loggingIn = login(session);
    const written = enable(session);
    const queued = enable(session, false);
    await settle();
    assert.equal(writer.written.length, 2);
    session.receive(tagged('a1', 'NO', 'invalid credentials'));
    session.receive(tagged('a2', 'BAD', 'not authenticated'));
    await assert.rejects(loggingIn, CommandFailed);
    await assert.rejects(written, (e: unknown) => e instanceof CommandFailed && e.result.status === 'BAD');
    await assert.rejects(queued, /ENABLE is not valid in the not-authenticated state/);
    assert.equal(session.state, 'not-authenticated');
  });

  test('a "+" once a command followed the authentication closes the session as a protocol error', async () => {
    const { session } = started();
    const authenticating = session.command('AUTHENTICATE', [b.atom('PLAIN'), b.atom('AHUAcA==')]);
    const enabling = enable(session);
    await settle();
    session.receive(plus('more?'));
    for (const pending of [authenticating, enabling]) {
      await assert.rejects(pending, (e: unknown) => e instanceof ConnectionClosed && e.reason === 'protocol');
    }
    assert.match((await session.closed).detail, /unexpected continuation request/);
  });
});

describe('onWritten', () => {
  test('is called once the command is handed to the writer, before its completion', async () => {
    const { session, writer } = await selectedSession();
    const calls: number[] = [];
    const noop = session.command('NOOP');
    const logout = session.command('LOGOUT', [], { onWritten: () => calls.push(writer.written.length) });
    await settle();
    assert.deepEqual(calls, [], 'LOGOUT (exclusive) is not written while the NOOP runs');
    session.receive(tagged('a2'));
    await noop;
    await settle();
    assert.deepEqual(calls, [2], 'called once LOGOUT is written behind the NOOP');
    session.receive(tagged('a3'));
    await logout;
    assert.deepEqual(calls, [2]);
  });
});

describe('commands behind a SELECT', () => {
  const fetchAfterSelect = (session: ReturnType<typeof newSession>['session']) =>
    session.command('UID FETCH', [b.sequenceSet('5:4294967295'), b.atom('FLAGS')], { afterSelect: true });

  test("afterSelect: written right behind SELECT; what comes before its completion is the SELECT's alone", async () => {
    const { session, writer } = newSession();
    session.receive(preauth());
    const unsolicited: UntaggedResponse[] = [];
    session.onUnsolicited((r) => unsolicited.push(r));
    const selecting = session.command('SELECT', [b.string('INBOX')]);
    const fetching = fetchAfterSelect(session);
    const queued = session.command('NOOP');
    await settle();
    assert.deepEqual(writer.written, ['a1 SELECT "INBOX"\r\n', 'a2 UID FETCH 5:4294967295 FLAGS\r\n']);
    session.receive(fetchOf(1, 3)); // the SELECT's (QRESYNC reports changes before its completion)
    session.receive(tagged('a1'));
    session.receive(fetchOf(2, 5));
    session.receive(tagged('a2'));
    assert.deepEqual((await selecting).untagged, [fetchOf(1, 3)]);
    assert.deepEqual((await fetching).untagged, [fetchOf(2, 5)]);
    assert.deepEqual(unsolicited, [], 'nothing was ambiguous');
    await settle();
    assert.equal(writer.written[2], 'a3 NOOP\r\n', 'an unmarked command waited for the SELECT');
    session.receive(tagged('a3'));
    await queued;
  });

  test('with no SELECT in flight ahead of it, it is refused and never written', async () => {
    const { session, writer } = await selectedSession();
    await assert.rejects(
      fetchAfterSelect(session),
      /UID FETCH was to follow a SELECT, and none is in flight/,
    );
    // Behind a LOGIN it is refused the same way, whatever its state would be.
    const other = newSession();
    other.session.receive(greetingOk());
    const loggingIn = other.session.command('LOGIN', [b.string('u'), b.string('p')]);
    const refused = fetchAfterSelect(other.session);
    await settle();
    assert.deepEqual(other.writer.written, ['a1 LOGIN "u" "p"\r\n']);
    other.session.receive(tagged('a1'));
    await loggingIn;
    await assert.rejects(refused, /none is in flight/);
    assert.deepEqual(writer.written, []);
    assert.equal(other.writer.written.length, 1);
  });

  test("a refused SELECT: the follower fails with the server's BAD and no mailbox is selected", async () => {
    const { session } = await selectedSession();
    const selecting = session.command('SELECT', [b.string('Nope')]);
    const fetching = fetchAfterSelect(session);
    await settle();
    session.receive(tagged('a2', 'NO', 'no such mailbox'));
    session.receive(tagged('a3', 'BAD', 'no mailbox selected'));
    await assert.rejects(selecting, CommandFailed);
    await assert.rejects(fetching, (e: unknown) => e instanceof CommandFailed && e.result.status === 'BAD');
    assert.equal(session.state, 'authenticated');
  });
});

describe('closing', () => {
  test('close fails in-flight, literal-waiting and queued commands, and every later command', async () => {
    const { session } = await selectedSession();
    const fetch = session.command('UID FETCH', [b.sequenceSet('1:*'), b.atom('FLAGS')]);
    const append = session.command('APPEND', [b.string('Sent'), b.literal(Buffer.from('x'), 1)]);
    const queued = session.command('NOOP');
    await settle();
    session.close('timeout', 'no response in 60 s');
    for (const p of [fetch, append, queued, session.command('NOOP')]) {
      await assert.rejects(p, (e: unknown) => e instanceof ConnectionClosed && e.reason === 'timeout');
    }
    assert.equal((await session.closed).detail, 'no response in 60 s');
  });

  test('BYE fails pending commands with reason bye', async () => {
    const { session } = await selectedSession();
    const idle = session.command('NOOP');
    await settle();
    session.receive(untagged({ type: 'BYE', text: 'shutting down' }));
    await assert.rejects(idle, (e: unknown) => e instanceof ConnectionClosed && e.reason === 'bye');
  });

  test('BYE during LOGOUT is expected; the transport close afterwards is reported as logout', async () => {
    const { session } = await selectedSession();
    const logout = session.command('LOGOUT');
    await settle();
    session.receive(untagged({ type: 'BYE', text: 'bye' }));
    session.receive(tagged('a2'));
    await logout;
    session.close('transport', 'socket closed');
    assert.equal((await session.closed).reason, 'logout');
  });

  test('a tagged response for an unknown tag closes the session as a protocol error', async () => {
    const { session } = await selectedSession();
    const noop = session.command('NOOP');
    await settle();
    session.receive(tagged('zz9'));
    await assert.rejects(noop, (e: unknown) => e instanceof ConnectionClosed && e.reason === 'protocol');
    assert.match((await session.closed).detail, /unknown tag zz9/);
  });
});
