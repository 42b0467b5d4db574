// Faults a real server cannot produce, against the scripted fake server (and a fake tunnel):
// STARTTLS missing or injected, SASL without SASL-IR, missing capabilities, a close in the middle
// of a literal, BYE during a command, a tunnel command that exits, a refused COMPRESS, and the ENABLE written with the
// credentials meeting a refused login, a refused ENABLE or capabilities without QRESYNC; and
// leave() facing a server that never answers LOGOUT.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { type ConnectionOptions, ImapConnectionError } from '../../src/imap/connection.js';
import { type FakeImapServer, type Step, startFakeImapServer } from '../helpers/fake-imap-server.js';
import { sharedTestCa } from '../helpers/tls-ca.js';
import { until } from '../helpers/until.js';
import { closeAll, openTracked, recordingLogger } from './setup.js';

const CAPS = 'IMAP4rev1 LITERAL+ QRESYNC CONDSTORE LIST-EXTENDED LIST-STATUS UIDPLUS';
const PASSWORD = 'hunter2-password';

const servers: FakeImapServer[] = [];
async function fake(script: Step[], tls?: { key: Buffer; cert: Buffer }): Promise<FakeImapServer> {
  const server = await startFakeImapServer({ script, tls, stepTimeoutMs: 5_000 });
  servers.push(server);
  return server;
}

function options(server: FakeImapServer, over: Partial<ConnectionOptions> = {}): ConnectionOptions {
  return {
    name: 'remote',
    transport: { type: 'imap', host: '127.0.0.1', port: server.port, tls: { verify: false } },
    startTls: false,
    username: 'user',
    password: PASSWORD,
    timeouts: { greeting: 5_000, command: 5_000 },
    ...over,
  };
}

/** Steps that take a PREAUTH connection with every capability to ready. */
const preauthToReady: Step[] = [
  { send: `* PREAUTH [CAPABILITY ${CAPS}] welcome\r\n` },
  { expect: /^\S+ ENABLE QRESYNC$/, reply: (tag) => `* ENABLED QRESYNC\r\n${tag} OK enabled\r\n` },
];

const selectInbox: Step = {
  expect: /^\S+ SELECT INBOX$/,
  reply: (tag) =>
    `* FLAGS (\\Seen)\r\n* 1 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [HIGHESTMODSEQ 3] ok\r\n${tag} OK [READ-WRITE] selected\r\n`,
};

/** A greeting that makes the client write ENABLE QRESYNC behind AUTHENTICATE PLAIN (SASL-IR). */
const pipelinedGreeting: Step = { send: '* OK [CAPABILITY IMAP4rev1 SASL-IR ENABLE AUTH=PLAIN] hi\r\n' };
/** The credentials, not answered: the next step reads the ENABLE the client sent without waiting. */
const authenticateUnanswered: Step = { expect: /^a1 AUTHENTICATE PLAIN \S+$/ };

function isClosedWith(reason: string, pattern: RegExp) {
  return (error: Error & { reason?: string }) => {
    assert.equal(error.reason, reason, error.message);
    assert.match(error.message, pattern);
    return true;
  };
}

describe('connection faults (fake server)', { timeout: 30_000 }, () => {
  after(async () => {
    await closeAll();
    await Promise.all(servers.map((s) => s.close()));
  });

  test('STARTTLS required but not advertised: no credentials are ever written', async () => {
    const server = await fake([
      { send: '* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hi\r\n' },
      { expectClose: true },
    ]);
    await assert.rejects(openTracked(options(server, { startTls: true })), (error: ImapConnectionError) => {
      assert.ok(error instanceof ImapConnectionError);
      assert.equal(error.message, 'remote: STARTTLS is required but the server does not advertise it');
      return true;
    });
    await server.finished;
    assert.equal(server.received().length, 0);
  });

  test('plaintext injected after the STARTTLS OK is refused: the connection fails before auth', async () => {
    const ca = await sharedTestCa();
    const cert = await ca.issue({ ips: ['127.0.0.1'] });
    const tls = { key: readFileSync(cert.keyFile), cert: readFileSync(cert.certFile) };
    const server = await fake(
      [
        { send: '* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] hi\r\n' },
        // The tagged OK and the injected response arrive together, as a MITM would send them.
        {
          expect: /^a1 STARTTLS$/,
          reply: (tag) =>
            `${tag} OK begin TLS\r\n* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\na2 OK [CAPABILITY ${CAPS}] in\r\n`,
        },
        { startTls: true },
        { expectClose: true },
      ],
      tls,
    );
    const opts = options(server, { startTls: true });
    opts.transport.tls = { verify: true, caFile: ca.caFile };
    await assert.rejects(
      openTracked(opts),
      isClosedWith('transport', /^remote: .*\d+ bytes of plaintext arrived after the STARTTLS reply/),
    );
    const received = server.received().toString('latin1');
    assert.doesNotMatch(received, /AUTHENTICATE|LOGIN|hunter2/);
  });

  test('AUTHENTICATE PLAIN without SASL-IR answers the continuation', async () => {
    const response = Buffer.from(`\0user\0${PASSWORD}`).toString('base64');
    const server = await fake([
      { send: '* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hi\r\n' },
      { expect: /^a1 AUTHENTICATE PLAIN$/, reply: '+ \r\n' },
      { expect: (line) => line === response, reply: `a1 OK [CAPABILITY ${CAPS}] logged in\r\n` },
      ...preauthToReady.slice(1),
      { expect: /^\S+ LOGOUT$/, reply: (tag) => `* BYE bye\r\n${tag} OK done\r\n` },
    ]);
    const connection = await openTracked(options(server));
    assert.equal(connection.state, 'authenticated.ready');
    assert.equal((await connection.logout()).reason, 'logout');
    await server.finished;
  });

  test('ENABLE written with the credentials: a refused login fails with the login error alone, at once', async () => {
    const server = await fake([
      pipelinedGreeting,
      authenticateUnanswered,
      // ENABLE is left unanswered: the client must not wait for it.
      { expect: /^a2 ENABLE QRESYNC$/, reply: 'a1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n' },
      { expectClose: true },
    ]);
    await assert.rejects(openTracked(options(server)), (error: ImapConnectionError) => {
      assert.equal(error.reason, 'auth');
      assert.equal(
        error.message,
        'remote: authentication failed: AUTHENTICATE failed: NO [AUTHENTICATIONFAILED] Authentication failed.',
      );
      return true;
    });
    await server.finished;
  });

  test('ENABLE written with the credentials and refused: sent again once QRESYNC is seen advertised', async () => {
    const server = await fake([
      pipelinedGreeting,
      authenticateUnanswered,
      {
        expect: /^a2 ENABLE QRESYNC$/,
        reply: `a1 OK [CAPABILITY ${CAPS}] in\r\na2 BAD Error in IMAP command ENABLE: not yet\r\n`,
      },
      { expect: /^a3 ENABLE QRESYNC$/, reply: '* ENABLED QRESYNC\r\na3 OK enabled\r\n' },
      selectInbox,
    ]);
    const connection = await openTracked(options(server));
    assert.equal(connection.state, 'authenticated.ready');
    assert.equal((await connection.select('INBOX')).uidValidity, 7);
    await server.finished;
  });

  test('ENABLE written with the credentials: capabilities after login without QRESYNC still fail', async () => {
    const server = await fake([
      pipelinedGreeting,
      authenticateUnanswered,
      {
        expect: /^a2 ENABLE QRESYNC$/,
        // The ENABLED does not count: the capabilities after authentication decide.
        reply: `a1 OK [CAPABILITY ${CAPS.replace(' QRESYNC', '')}] in\r\n* ENABLED QRESYNC\r\na2 OK\r\n`,
      },
      { expectClose: true },
    ]);
    await assert.rejects(
      openTracked(options(server)),
      isClosedWith('incapable', /^remote: the server lacks the required capability QRESYNC$/),
    );
    await server.finished;
  });

  test('without SASL-IR the ENABLE waits for the end of the SASL exchange', async () => {
    const response = Buffer.from(`\0user\0${PASSWORD}`).toString('base64');
    const server = await fake([
      { send: '* OK [CAPABILITY IMAP4rev1 ENABLE AUTH=PLAIN] hi\r\n' },
      { expect: /^a1 AUTHENTICATE PLAIN$/, reply: '+ \r\n' },
      { expect: (line) => line === response, reply: `a1 OK [CAPABILITY ${CAPS}] logged in\r\n` },
      { expect: /^a2 ENABLE QRESYNC$/, reply: '* ENABLED QRESYNC\r\na2 OK enabled\r\n' },
    ]);
    const connection = await openTracked(options(server));
    assert.equal(connection.state, 'authenticated.ready');
    await server.finished;
  });

  test('capabilities are asked when neither the greeting nor the LOGIN reply carries them', async () => {
    const server = await fake([
      { send: '* OK hi\r\n' },
      { expect: /^a1 CAPABILITY$/, reply: '* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\na1 OK done\r\n' },
      { expect: /^a2 LOGIN user hunter2-password$/, reply: 'a2 OK logged in\r\n' },
      { expect: /^a3 CAPABILITY$/, reply: `* CAPABILITY ${CAPS}\r\na3 OK done\r\n` },
      ...preauthToReady.slice(1),
    ]);
    const connection = await openTracked(options(server, { auth: ['LOGIN'] }));
    assert.deepEqual(connection.capabilities, CAPS.toUpperCase().split(' '));
    await server.finished;
  });

  test('LITERAL-: {N+} up to 4096 bytes; {N} beyond waits for "+" and is not sent after a NO', async () => {
    const caps = CAPS.replace('LITERAL+', 'LITERAL-');
    const big = 'x'.repeat(4998);
    const server = await fake([
      { send: `* PREAUTH [CAPABILITY ${caps}] welcome\r\n` },
      preauthToReady[1]!,
      { expect: /^a2 APPEND INBOX \{5\+\}$/ },
      { expect: /^hello$/, reply: 'a2 OK done\r\n' },
      { expect: /^a3 APPEND INBOX \{5000\}$/, reply: '+ go ahead\r\n' },
      { expect: (line) => line === big },
      { expect: /^$/, reply: 'a3 OK done\r\n' },
      // Refused instead of "+": the next line must be the next command, not the body.
      { expect: /^a4 APPEND INBOX \{5000\}$/, reply: 'a4 NO [TOOBIG] too big\r\n' },
      { expect: /^a5 NOOP$/, reply: 'a5 OK done\r\n' },
    ]);
    const connection = await openTracked(options(server));
    const small = Buffer.from('hello');
    const large = Buffer.from(`${big}\r\n`);
    const append = (body: Buffer) => connection.commands.append('INBOX', [{ body, size: body.length }]);
    await Promise.all([append(small), append(large)]);
    const [refused, noop] = await Promise.allSettled([append(large), connection.commands.noop()]);
    assert.equal(refused.status, 'rejected');
    assert.match(String((refused as PromiseRejectedResult).reason), /APPEND failed: NO \[TOOBIG\]/);
    assert.equal(noop.status, 'fulfilled');
    await server.finished;
  });

  test('a refused COMPRESS is a warning: the connection goes on uncompressed and SELECTs', async () => {
    const server = await fake([
      { send: `* PREAUTH [CAPABILITY ${CAPS} COMPRESS=DEFLATE] welcome\r\n` },
      preauthToReady[1]!,
      { expect: /^\S+ COMPRESS DEFLATE$/, reply: (tag) => `${tag} NO [COMPRESSIONACTIVE] not now\r\n` },
      selectInbox,
    ]);
    const logger = recordingLogger();
    const conn = await openTracked(options(server, { compress: true }), logger);
    await conn.compress();
    assert.equal(conn.compress(), undefined, 'not asked again');
    assert.equal((await conn.select('INBOX')).uidValidity, 7);
    assert.deepEqual(
      logger.lines.filter((line) => line.startsWith('warn')),
      [
        'warn remote: COMPRESS refused, going on uncompressed: COMPRESS failed: NO [COMPRESSIONACTIVE] not now',
      ],
    );
  });

  test('a server without UIDPLUS is refused, naming the capability', async () => {
    const server = await fake([
      { send: '* PREAUTH [CAPABILITY IMAP4rev1 QRESYNC LIST-EXTENDED LIST-STATUS] hi\r\n' },
      { expectClose: true },
    ]);
    await assert.rejects(
      openTracked(options(server)),
      isClosedWith('incapable', /^remote: the server lacks the required capability UIDPLUS$/),
    );
  });

  test('the server closes in the middle of a body literal: the body and pending commands fail', async () => {
    const server = await fake([
      ...preauthToReady,
      selectInbox,
      {
        expect: /^\S+ UID FETCH 1 \(UID BODY\.PEEK\[\]\)$/,
        reply: `* 1 FETCH (UID 1 BODY[] {5000}\r\n${'x'.repeat(1000)}`,
      },
      { expect: /^\S+ NOOP$/ },
      { close: 'end' },
    ]);
    const connection = await openTracked(options(server));
    await connection.select('INBOX');
    const body = await connection.fetchBody(1);
    assert.equal(body.size, 5000);
    const noop = connection.commands.noop();
    let received = 0;
    await assert.rejects(
      (async () => {
        for await (const chunk of body.chunks) received += chunk.length;
      })(),
      isClosedWith('transport', /connection closed by the server/),
    );
    assert.equal(received, 1000);
    await assert.rejects(noop, isClosedWith('transport', /remote: connection closed by the server$/));
    assert.equal((await connection.closed).reason, 'transport');
    assert.equal(connection.state, 'closed');
  });

  test('nothing listening: one line naming the server and the address', async () => {
    const server = await fake([]);
    const port = server.port;
    await server.close();
    const opts = options(server);
    opts.transport.port = port;
    await assert.rejects(
      openTracked(opts),
      isClosedWith('transport', /^remote: cannot connect: .*127\.0\.0\.1/),
    );
  });

  test('a BYE greeting ends the connection with the server text', async () => {
    const server = await fake([{ send: '* BYE too many connections from your IP\r\n' }, { close: 'end' }]);
    await assert.rejects(
      openTracked(options(server)),
      isClosedWith('bye', /^remote: too many connections from your IP$/),
    );
  });

  test('BYE during a command fails it with the server text', async () => {
    const server = await fake([
      ...preauthToReady,
      { expect: /^\S+ NOOP$/, reply: '* BYE server shutting down\r\n' },
      { close: 'end' },
    ]);
    const connection = await openTracked(options(server));
    await assert.rejects(connection.commands.noop(), isClosedWith('bye', /server shutting down/));
    assert.deepEqual(await connection.closed, { reason: 'bye', detail: 'remote: server shutting down' });
  });

  test('leave(): LOGOUT is written, the reply is not waited for, and the process can exit', async () => {
    // The server does not answer LOGOUT; it closes the connection seconds later. What happens
    // before that close did not wait for it.
    const script: Step[] = [
      ...preauthToReady,
      { expect: /^\S+ LOGOUT$/ },
      { pause: 5_000 },
      { close: 'end' },
    ];
    const serverClosed = (server: FakeImapServer) => {
      const state = { closed: false };
      server.finished.then(
        () => (state.closed = true),
        () => (state.closed = true),
      );
      return state;
    };
    const inProcess = await fake(script);
    const inProcessClosed = serverClosed(inProcess);
    const connection = await openTracked(options(inProcess));
    await connection.leave();
    assert.equal((await connection.closed).reason, 'logout');
    await until(() => inProcess.received().toString().endsWith('\r\na2 LOGOUT\r\n'));
    assert.equal(inProcessClosed.closed, false, 'the server had not closed yet');

    // In a process of its own, a connection left this way does not keep it alive.
    const other = await fake(script);
    const otherClosed = serverClosed(other);
    const program = [
      "import { openConnection } from './dist/src/imap/connection.js';",
      `const c = await openConnection(${JSON.stringify(options(other))});`,
      'await c.leave();',
      "process.stdout.write('left');",
    ].join('\n');
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--input-type=module', '-e', program], { timeout: 20_000 }, (error, out) =>
        error ? reject(error) : resolve(out),
      ),
    );
    assert.equal(stdout, 'left');
    assert.equal(otherClosed.closed, false, 'the process ended before the server closed');
    await until(() => other.received().toString().endsWith('\r\na2 LOGOUT\r\n'));
  });

  test('the tunnel command exits: pending commands fail, nothing hangs', async () => {
    const script = [
      `printf '* PREAUTH [CAPABILITY ${CAPS}] hi\\r\\n'`,
      'read -r tag rest',
      `printf '* ENABLED QRESYNC\\r\\n%s OK enabled\\r\\n' "$tag"`,
      'read -r line',
      'exit 3',
    ].join('; ');
    const connection = await openTracked({
      name: 'local',
      transport: { type: 'tunnel', command: script, tls: { verify: false } },
      timeouts: { greeting: 5_000, command: 5_000 },
    });
    await assert.rejects(
      connection.commands.noop(),
      isClosedWith('transport', /local: tunnel command exited with status 3$/),
    );
    assert.equal((await connection.closed).reason, 'transport');
  });
});
