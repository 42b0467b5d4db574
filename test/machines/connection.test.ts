import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { waitFor } from 'xstate';
import { chooseMechanism, missingCapability } from '../../machines/connection.js';
import { ConnectionClosed } from '../../src/session/errors.js';
import { tagged, untagged } from '../session/fake-codec.js';
import { FULL_CAPS, type Harness, input, okGreeting, preauthGreeting, startConnection } from './harness.js';

const PLAIN_B64 = Buffer.from('\0user\0pass').toString('base64');

const ready = (h: Harness) => waitFor(h.actor, (s) => s.matches({ authenticated: 'ready' }));
const closed = async (h: Harness) => (await waitFor(h.actor, (s) => s.status === 'done')).output!;
const noCommands = (h: Harness) => assert.deepEqual(h.server.lines, []);
/** Asks for COMPRESS and waits until the chart has run it, or ignored the request. */
const compressed = (h: Harness) => {
  h.actor.send({ type: 'connection.compress' });
  return waitFor(h.actor, (s) => !s.matches({ authenticated: 'compressing' }));
};

describe('connection chart: greeting and authentication', () => {
  test('PREAUTH with capabilities in the greeting goes straight to ENABLE QRESYNC', async () => {
    const h = startConnection({
      input: input({ credentials: undefined }),
      greeting: preauthGreeting(FULL_CAPS),
    });
    await ready(h);
    assert.deepEqual(h.server.lines, ['a1 ENABLE QRESYNC']);
    assert.deepEqual(h.states, ['connecting', 'greeting', 'authenticated.enabling', 'authenticated.ready']);
    assert.deepEqual(h.emitted, [{ type: 'connection.ready', capabilities: FULL_CAPS }]);
  });

  test('STARTTLS, capabilities asked again, AUTHENTICATE PLAIN with SASL-IR', async () => {
    const h = startConnection({
      input: input({ startTls: true }),
      greeting: okGreeting(['IMAP4REV1', 'STARTTLS', 'LOGINDISABLED']),
      handlers: {
        STARTTLS: (tag) => [tagged(tag)],
        CAPABILITY: (tag) => [
          untagged({ type: 'CAPABILITY', capabilities: ['IMAP4REV1', 'AUTH=PLAIN', 'SASL-IR'] }),
          tagged(tag),
        ],
        AUTHENTICATE: (tag) => [tagged(tag, 'OK', 'in', { name: 'CAPABILITY', capabilities: FULL_CAPS })],
      },
    });
    await ready(h);
    assert.deepEqual(h.server.lines, [
      'a1 STARTTLS',
      'a2 CAPABILITY',
      `a3 AUTHENTICATE PLAIN ${PLAIN_B64}`,
      'a4 ENABLE QRESYNC',
    ]);
    assert.deepEqual(h.events, ['transport opened', 'tls started']);
    assert.equal(h.actor.getSnapshot().context.tlsActive, true);
  });

  test('AUTHENTICATE PLAIN without SASL-IR answers the continuation, then asks CAPABILITY', async () => {
    const h = startConnection({
      input: input(),
      greeting: okGreeting(['IMAP4REV1', 'AUTH=PLAIN']),
      handlers: {
        AUTHENTICATE: (tag) => ({
          responses: [{ kind: 'continuation', text: '' }],
          next: (line) => [line === PLAIN_B64 ? tagged(tag) : tagged(tag, 'NO', 'bad credentials')],
        }),
      },
    });
    await ready(h);
    assert.deepEqual(h.server.lines, [
      'a1 AUTHENTICATE PLAIN',
      PLAIN_B64,
      'a2 CAPABILITY',
      'a3 ENABLE QRESYNC',
    ]);
  });

  test('LOGIN when preferred; LOGINDISABLED makes it skip to the next mechanism', async () => {
    const login = startConnection({
      input: input({ auth: ['LOGIN'] }),
      greeting: okGreeting(['IMAP4REV1', 'AUTH=PLAIN']),
      handlers: { LOGIN: (tag) => [tagged(tag)] },
    });
    await ready(login);
    assert.deepEqual(login.server.lines.slice(0, 1), ['a1 LOGIN "user" "pass"']);
    const plain = startConnection({
      input: input({ auth: ['LOGIN', 'PLAIN'] }),
      greeting: okGreeting(['IMAP4REV1', 'AUTH=PLAIN', 'SASL-IR', 'LOGINDISABLED']),
      handlers: { AUTHENTICATE: (tag) => [tagged(tag)] },
    });
    await ready(plain);
    assert.equal(plain.server.lines[0], `a1 AUTHENTICATE PLAIN ${PLAIN_B64}`);
  });

  test('ENABLE advertised before auth: ENABLE QRESYNC follows LOGIN or SASL-IR PLAIN at once, sent once', async () => {
    for (const [auth, first] of [
      ['PLAIN', `a1 AUTHENTICATE PLAIN ${PLAIN_B64}`],
      ['LOGIN', 'a1 LOGIN "user" "pass"'],
    ] as const) {
      const stateAtEnable: string[] = [];
      const okWithCaps = (tag: string) => [
        tagged(tag, 'OK', 'in', { name: 'CAPABILITY', capabilities: FULL_CAPS }),
      ];
      const h = startConnection({
        input: input({ auth: [auth] }),
        greeting: okGreeting(['IMAP4REV1', 'AUTH=PLAIN', 'SASL-IR', 'ENABLE']),
        handlers: {
          AUTHENTICATE: okWithCaps,
          LOGIN: okWithCaps,
          ENABLE: (tag) => {
            stateAtEnable.push(h.session.state);
            return [untagged({ type: 'ENABLED', capabilities: ['QRESYNC'] }), tagged(tag)];
          },
        },
      });
      await ready(h);
      assert.deepEqual(h.server.lines, [first, 'a2 ENABLE QRESYNC']);
      // Written before the server answered the credentials.
      assert.deepEqual(stateAtEnable, ['not-authenticated']);
      assert.deepEqual(h.states, [
        'connecting',
        'greeting',
        'notAuthenticated.authenticating',
        'authenticated.enabling',
        'authenticated.ready',
      ]);
    }
  });

  test('the ENABLE sent with the credentials: refused, it is sent again; a refused login closes as before', async () => {
    const refusedEnable = startConnection({
      input: input(),
      greeting: okGreeting(['IMAP4REV1', 'AUTH=PLAIN', 'SASL-IR', 'ENABLE']),
      handlers: {
        AUTHENTICATE: (tag) => [tagged(tag, 'OK', 'in', { name: 'CAPABILITY', capabilities: FULL_CAPS })],
        ENABLE: (tag) =>
          tag === 'a2'
            ? [tagged(tag, 'BAD', 'not now')]
            : [untagged({ type: 'ENABLED', capabilities: ['QRESYNC'] }), tagged(tag)],
      },
    });
    await ready(refusedEnable);
    assert.deepEqual(refusedEnable.server.lines.slice(1), ['a2 ENABLE QRESYNC', 'a3 ENABLE QRESYNC']);

    const refusedLogin = startConnection({
      input: input(),
      greeting: okGreeting(['IMAP4REV1', 'AUTH=PLAIN', 'SASL-IR', 'ENABLE']),
      handlers: {
        AUTHENTICATE: (tag) => [tagged(tag, 'NO', 'invalid credentials')],
        ENABLE: (tag) => [tagged(tag, 'BAD', 'not authenticated')],
      },
    });
    const out = await closed(refusedLogin);
    assert.deepEqual(out, {
      reason: 'auth',
      detail: 'remote: authentication failed: AUTHENTICATE failed: NO invalid credentials',
    });
    assert.deepEqual(refusedLogin.server.lines.slice(1), ['a2 ENABLE QRESYNC']);
  });

  test('COMPRESS waits to be asked for, then for what is in flight before it', async () => {
    const inFlightAtCompress: number[] = [];
    const h = startConnection({
      input: input({ compress: true }),
      greeting: okGreeting(['IMAP4REV1', 'AUTH=PLAIN', 'SASL-IR', 'ENABLE']),
      handlers: {
        AUTHENTICATE: (tag) => [
          tagged(tag, 'OK', 'in', { name: 'CAPABILITY', capabilities: [...FULL_CAPS, 'COMPRESS=DEFLATE'] }),
        ],
        COMPRESS: (tag) => {
          inFlightAtCompress.push(h.session.inFlight);
          return [tagged(tag)];
        },
      },
    });
    await ready(h);
    // Ready uncompressed: a run that only lists never pays for COMPRESS.
    assert.deepEqual(h.server.lines.slice(1), ['a2 ENABLE QRESYNC']);
    assert.deepEqual(h.events, ['transport opened']);
    const noop = h.imap.noop();
    await compressed(h);
    await noop;
    // RFC 4978 §3: the stream is compressed right after COMPRESS's OK; no earlier answer may straddle it.
    assert.deepEqual(inFlightAtCompress, [1]);
    assert.deepEqual(h.server.lines.slice(2), ['a3 NOOP', 'a4 COMPRESS DEFLATE']);
    assert.deepEqual(h.events, ['transport opened', 'deflate started']);
    assert.ok(h.actor.getSnapshot().matches({ authenticated: 'ready' }));
  });

  test('LOGINDISABLED without a usable SASL mechanism closes before sending credentials', async () => {
    const h = startConnection({ input: input(), greeting: okGreeting(['IMAP4REV1', 'LOGINDISABLED']) });
    const out = await closed(h);
    assert.equal(out.reason, 'auth');
    assert.equal(
      out.detail,
      'remote: no usable authentication mechanism (wanted PLAIN LOGIN; server offers LOGINDISABLED)',
    );
    noCommands(h);
  });

  test('STARTTLS required but not advertised: closed before any credentials', async () => {
    const h = startConnection({
      input: input({ startTls: true }),
      greeting: okGreeting(['IMAP4REV1', 'AUTH=PLAIN']),
    });
    const out = await closed(h);
    assert.equal(out.reason, 'protocol');
    assert.match(out.detail, /^remote: STARTTLS is required but the server does not advertise it$/);
    noCommands(h);
  });

  test('PREAUTH on a connection that requires STARTTLS is refused', async () => {
    const h = startConnection({ input: input({ startTls: true }), greeting: preauthGreeting(FULL_CAPS) });
    const out = await closed(h);
    assert.equal(out.reason, 'protocol');
    assert.match(out.detail, /PREAUTH/);
    noCommands(h);
  });

  test('refused authentication closes with an auth failure naming the server', async () => {
    const h = startConnection({
      input: input(),
      greeting: okGreeting(['IMAP4REV1', 'AUTH=PLAIN', 'SASL-IR']),
      handlers: { AUTHENTICATE: (tag) => [tagged(tag, 'NO', 'invalid credentials')] },
    });
    const out = await closed(h);
    assert.equal(out.reason, 'auth');
    assert.equal(out.detail, 'remote: authentication failed: AUTHENTICATE failed: NO invalid credentials');
  });

  test('a server without QRESYNC is refused with a message naming it', async () => {
    const h = startConnection({
      input: input({ credentials: undefined }),
      greeting: preauthGreeting(['IMAP4REV1', 'LIST-EXTENDED', 'UIDPLUS', 'NOTIFY']),
    });
    const out = await closed(h);
    assert.equal(out.reason, 'incapable');
    assert.equal(out.detail, 'remote: the server lacks the required capability QRESYNC');
    noCommands(h);
  });

  test('COMPRESS=DEFLATE is negotiated once when asked for and advertised', async () => {
    const h = startConnection({
      input: input({ compress: true, credentials: undefined }),
      greeting: preauthGreeting([...FULL_CAPS, 'COMPRESS=DEFLATE']),
      handlers: { COMPRESS: (tag) => [tagged(tag)] },
    });
    await ready(h);
    await compressed(h);
    await compressed(h);
    h.actor.send({ type: 'connection.select', request: { mailbox: 'INBOX' } });
    await waitFor(h.actor, (s) => s.matches('selected'));
    assert.deepEqual(h.server.lines, ['a1 ENABLE QRESYNC', 'a2 COMPRESS DEFLATE', 'a3 SELECT "INBOX"']);
    assert.deepEqual(h.events, ['transport opened', 'deflate started']);
  });

  test('COMPRESS is not sent when not asked for in the input, or not advertised', async () => {
    for (const [compress, caps] of [
      [false, [...FULL_CAPS, 'COMPRESS=DEFLATE']],
      [true, FULL_CAPS],
    ] as const) {
      const h = startConnection({
        input: input({ compress, credentials: undefined }),
        greeting: preauthGreeting([...caps]),
      });
      await ready(h);
      await compressed(h);
      h.actor.send({ type: 'connection.select', request: { mailbox: 'INBOX' } });
      await waitFor(h.actor, (s) => s.matches('selected'));
      assert.deepEqual(h.server.lines, ['a1 ENABLE QRESYNC', 'a2 SELECT "INBOX"']);
      assert.deepEqual(h.events, ['transport opened']);
    }
  });

  test('a refused COMPRESS leaves the connection ready, uncompressed, and is not asked again', async () => {
    const h = startConnection({
      input: input({ compress: true, credentials: undefined }),
      greeting: preauthGreeting([...FULL_CAPS, 'COMPRESS=DEFLATE']),
      handlers: { COMPRESS: (tag) => [tagged(tag, 'NO', 'not now')] },
    });
    await ready(h);
    await compressed(h);
    await compressed(h);
    assert.ok(h.actor.getSnapshot().matches({ authenticated: 'ready' }));
    assert.deepEqual(h.server.lines, ['a1 ENABLE QRESYNC', 'a2 COMPRESS DEFLATE']);
    assert.deepEqual(h.events, ['transport opened']);
    const refused = h.emitted.filter((e) => e.type === 'connection.compressRefused');
    assert.equal(refused.length, 1);
    assert.match(refused[0]!.type === 'connection.compressRefused' ? refused[0]!.detail : '', /not now/);
  });

  test('COMPRESS cut off by the connection closing closes the chart', async () => {
    const h = startConnection({
      input: input({ compress: true, credentials: undefined }),
      greeting: preauthGreeting([...FULL_CAPS, 'COMPRESS=DEFLATE']),
      handlers: { COMPRESS: () => [untagged({ type: 'BYE', text: 'going away' })] },
    });
    await ready(h);
    h.actor.send({ type: 'connection.compress' });
    const out = await closed(h);
    assert.equal(out.reason, 'bye');
  });
});

describe('connection chart: selected, idle, closing', () => {
  async function selected() {
    const h = startConnection({
      input: input({ credentials: undefined }),
      greeting: preauthGreeting(FULL_CAPS),
    });
    await ready(h);
    h.actor.send({ type: 'connection.select', request: { mailbox: 'INBOX' } });
    await waitFor(h.actor, (s) => s.matches('selected'));
    return h;
  }

  test('SELECT emits its result; IDLE ends when the server reports a change', async () => {
    const h = await selected();
    const picked = h.emitted.find((e) => e.type === 'connection.selected');
    assert.ok(
      picked?.type === 'connection.selected' && picked.result.uidValidity === 1 && picked.mailbox === 'INBOX',
    );
    h.server.handlers.IDLE = () => ({
      responses: [{ kind: 'continuation', text: 'idling' }],
      next: () => [tagged('a3')],
    });
    h.actor.send({ type: 'connection.idle' });
    await waitFor(h.actor, (s) => s.matches('idle'));
    await waitFor(h.actor, () => h.server.lines.includes('a3 IDLE'));
    h.server.push([untagged({ type: 'EXISTS', number: 4 })]);
    await waitFor(
      h.actor,
      (s) => s.matches('selected') && h.emitted.some((e) => e.type === 'connection.changed'),
    );
    await waitFor(h.actor, () => h.session.inFlight === 0);
    assert.deepEqual(h.server.lines.slice(-2), ['a3 IDLE', 'DONE']);
  });

  test('BYE while selected: closed with reason bye, pending commands fail with it', async () => {
    const h = await selected();
    const pending = h.imap.uidFetch('1:4294967295', ['FLAGS']); // the server never answers UID FETCH
    await waitFor(h.actor, () => h.server.lines.length === 3);
    h.server.push([untagged({ type: 'BYE', text: 'server shutting down' })]);
    const out = await closed(h);
    assert.deepEqual(out, { reason: 'bye', detail: 'remote: server shutting down' });
    await assert.rejects(pending, (e: unknown) => e instanceof ConnectionClosed && e.reason === 'bye');
    await assert.rejects(h.imap.noop(), ConnectionClosed);
  });

  test('a transport error fails pending commands through the failPendingCommands action', async () => {
    const h = await selected();
    const pending = h.imap.uidFetch('1:*', ['FLAGS']);
    h.actor.send({ type: 'transport.error', detail: 'ECONNRESET' });
    assert.deepEqual(await closed(h), { reason: 'transport', detail: 'remote: ECONNRESET' });
    await assert.rejects(pending, (e: unknown) => e instanceof ConnectionClosed && e.reason === 'transport');
  });

  test('a command timeout closes the connection with reason timeout', async () => {
    const h = startConnection({
      input: input(),
      greeting: okGreeting(),
      handlers: { CAPABILITY: () => [] }, // never answered
      commandTimeout: 20,
    });
    const out = await closed(h);
    assert.equal(out.reason, 'timeout');
    assert.deepEqual(h.server.lines, ['a1 CAPABILITY']);
    assert.equal((await h.session.closed).reason, 'timeout');
  });

  test('LOGOUT ends in closed with reason logout', async () => {
    const h = await selected();
    h.actor.send({ type: 'connection.logout' });
    assert.equal((await closed(h)).reason, 'logout');
    assert.equal(h.server.lines.at(-1), 'a3 LOGOUT');
  });
});

describe('connection rules', () => {
  test('missingCapability names the first missing requirement', () => {
    assert.equal(missingCapability(FULL_CAPS), undefined);
    assert.equal(missingCapability(['QRESYNC', 'LIST-EXTENDED']), 'UIDPLUS');
    assert.equal(missingCapability(['QRESYNC', 'LIST-EXTENDED', 'UIDPLUS']), 'LIST-STATUS or NOTIFY');
  });

  test('chooseMechanism follows the preference list and the server offer', () => {
    assert.equal(chooseMechanism(['PLAIN', 'LOGIN'], ['AUTH=PLAIN']), 'PLAIN');
    assert.equal(chooseMechanism(['PLAIN', 'LOGIN'], []), 'LOGIN');
    assert.equal(chooseMechanism(['CRAM-MD5', 'plain'], ['AUTH=PLAIN', 'AUTH=CRAM-MD5']), 'PLAIN');
    assert.equal(chooseMechanism(['LOGIN'], ['LOGINDISABLED']), undefined);
  });
});
