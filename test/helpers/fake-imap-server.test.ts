import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { type FakeImapServer, type Step, startFakeImapServer } from './fake-imap-server.js';

/** Everything a socket receives, with a way to wait for a pattern in it. */
function collect(socket: Socket): {
  text(): string;
  until(pattern: RegExp): Promise<string>;
  closed: Promise<void>;
} {
  let received = '';
  let wake: (() => void) | null = null;
  socket.on('data', (d: Buffer) => {
    received += d.toString('latin1');
    wake?.();
  });
  socket.on('error', () => {});
  const closed = once(socket, 'close').then(() => {});
  return {
    text: () => received,
    async until(pattern) {
      while (!pattern.test(received)) {
        await Promise.race([new Promise<void>((r) => (wake = r)), closed]);
        if (socket.destroyed && !pattern.test(received))
          throw new Error(`closed before ${pattern}: ${received}`);
      }
      return received;
    },
    closed,
  };
}

async function dial(server: FakeImapServer): Promise<Socket> {
  const socket = connect(server.port, '127.0.0.1');
  await once(socket, 'connect');
  return socket;
}

const greeting: Step = { send: '* OK fake ready\r\n' };

describe('fake IMAP server', { timeout: 30_000 }, () => {
  let dir: string;
  let tls: { key: Buffer; cert: Buffer };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'fake-imap-'));
    execFileSync(
      'openssl',
      [
        ...[
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-days',
          '1',
        ],
        ...['-subj', '/CN=localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      ],
      { stdio: 'ignore' },
    );
    tls = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('plays its script, answers with the tag, and records every byte received', async () => {
    const server = await startFakeImapServer({
      script: [
        greeting,
        { expect: /^\S+ CAPABILITY$/, reply: (tag) => `* CAPABILITY IMAP4rev1\r\n${tag} OK done\r\n` },
        { expect: (line) => line.startsWith('b2 LOGIN'), reply: 'b2 OK welcome\r\n' },
      ],
    });
    try {
      const socket = await dial(server);
      const client = collect(socket);
      await client.until(/fake ready\r\n/);
      socket.write('a1 CAPABILITY\r\n');
      await client.until(/a1 OK done\r\n/);
      socket.write('b2 LOGIN joe secret\r\n');
      await server.finished;
      await client.until(/b2 OK welcome\r\n/);
      assert.equal(
        client.text(),
        '* OK fake ready\r\n* CAPABILITY IMAP4rev1\r\na1 OK done\r\nb2 OK welcome\r\n',
      );
      assert.equal(server.received().toString(), 'a1 CAPABILITY\r\nb2 LOGIN joe secret\r\n');
      socket.destroy();
    } finally {
      await server.close();
    }
  });

  test('a line that does not match fails the script, naming the step, and drops the client', async () => {
    const server = await startFakeImapServer({ script: [greeting, { expect: /LOGIN/, reply: 'x\r\n' }] });
    try {
      const socket = await dial(server);
      const client = collect(socket);
      socket.write('a1 NOOP\r\n');
      await assert.rejects(server.finished, /step 2 \(expect\): line "a1 NOOP" does not match \/LOGIN\//);
      await client.closed;
      assert.equal(client.text(), '* OK fake ready\r\n');
    } finally {
      await server.close();
    }
  });

  test('can close in the middle of a literal', async () => {
    const server = await startFakeImapServer({
      script: [greeting, { expect: /FETCH/ }, { send: '* 1 FETCH (BODY[] {100}\r\nabc' }, { close: 'end' }],
    });
    try {
      const socket = await dial(server);
      const client = collect(socket);
      socket.write('a1 UID FETCH 1 BODY[]\r\n');
      const [ended] = await Promise.all([once(socket, 'end'), server.finished]);
      assert.deepEqual(ended, []);
      assert.equal(client.text(), '* OK fake ready\r\n* 1 FETCH (BODY[] {100}\r\nabc');
      socket.destroy();
    } finally {
      await server.close();
    }
  });

  test('can reset the connection, and fails a step whose client has gone', async () => {
    const reset = await startFakeImapServer({ script: [{ expect: /^a1 NOOP$/ }, { close: 'reset' }] });
    const waiting = await startFakeImapServer({ script: [greeting, { expect: /LOGIN/ }] });
    try {
      const socket = await dial(reset);
      socket.write('a1 NOOP\r\n');
      const [error] = (await once(socket, 'error')) as [NodeJS.ErrnoException];
      assert.equal(error.code, 'ECONNRESET');
      const leaving = await dial(waiting);
      leaving.end();
      await assert.rejects(waiting.finished, /step 2 \(expect\): the client closed the connection/);
    } finally {
      await Promise.all([reset.close(), waiting.close()]);
    }
  });

  test('pauses between steps and times out a silent client', async () => {
    const server = await startFakeImapServer({
      script: [{ send: '* one\r\n' }, { pause: 20 }, { send: '* two\r\n' }, { expect: /never/ }],
      stepTimeoutMs: 50,
    });
    try {
      const socket = await dial(server);
      const client = collect(socket);
      await assert.rejects(server.finished, /step 4 \(expect\): nothing after 50 ms/);
      await client.closed;
      assert.equal(client.text(), '* one\r\n* two\r\n');
    } finally {
      await server.close();
    }
  });

  test('expectClose passes when the client leaves and fails when it talks instead', async () => {
    const quiet = await startFakeImapServer({ script: [greeting, { expectClose: true }] });
    const talkative = await startFakeImapServer({ script: [greeting, { expectClose: true }] });
    try {
      (await dial(quiet)).end();
      await quiet.finished;
      (await dial(talkative)).write('a1 LOGIN joe secret\r\n');
      await assert.rejects(talkative.finished, /sent "a1 LOGIN joe secret" instead of closing/);
    } finally {
      await Promise.all([quiet.close(), talkative.close()]);
    }
  });

  test('every connection plays the script', async () => {
    const server = await startFakeImapServer({ script: [greeting, { close: 'end' }] });
    try {
      for (let i = 0; i < 2; i++) {
        const client = collect(await dial(server));
        await client.closed;
        assert.equal(client.text(), '* OK fake ready\r\n');
      }
    } finally {
      await server.close();
    }
  });

  test('STARTTLS: injected plaintext arrives before the handshake; then the session goes on encrypted', async () => {
    const server = await startFakeImapServer({
      tls,
      script: [
        greeting,
        { expect: /^a1 STARTTLS$/, reply: 'a1 OK begin TLS\r\n' },
        { startTls: true, inject: '* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] injected\r\n' },
        { expect: /^a2 LOGIN/, reply: (tag) => `${tag} OK logged in\r\n` },
      ],
    });
    try {
      const socket = await dial(server);
      const plain = collect(socket);
      socket.write('a1 STARTTLS\r\n');
      assert.match(
        await plain.until(/injected\r\n/),
        /a1 OK begin TLS\r\n\* OK \[CAPABILITY IMAP4rev1 AUTH=PLAIN\] injected\r\n$/,
      );
      socket.removeAllListeners('data');
      const secure = tlsConnect({ socket, rejectUnauthorized: false });
      await once(secure, 'secureConnect');
      const client = collect(secure);
      secure.write('a2 LOGIN joe secret\r\n');
      await client.until(/a2 OK logged in\r\n/);
      await server.finished;
      assert.equal(server.received().toString(), 'a1 STARTTLS\r\na2 LOGIN joe secret\r\n');
      secure.destroy();
    } finally {
      await server.close();
    }
  });

  test('STARTTLS: a handshake sent before the OK is not lost', async () => {
    const server = await startFakeImapServer({
      tls,
      script: [{ expect: /^a1 STARTTLS$/ }, { startTls: true }, { expect: /^a2 NOOP$/, reply: 'a2 OK\r\n' }],
    });
    try {
      const socket = await dial(server);
      socket.write('a1 STARTTLS\r\n');
      const secure = tlsConnect({ socket, rejectUnauthorized: false });
      await once(secure, 'secureConnect');
      const client = collect(secure);
      secure.write('a2 NOOP\r\n');
      await client.until(/a2 OK\r\n/);
      await server.finished;
      secure.destroy();
    } finally {
      await server.close();
    }
  });

  test('implicit TLS', async () => {
    const server = await startFakeImapServer({
      tls: { ...tls, implicit: true },
      script: [greeting, { expect: /^a1 LOGOUT$/, reply: '* BYE\r\na1 OK\r\n' }, { close: 'end' }],
    });
    try {
      const secure = tlsConnect({ host: '127.0.0.1', port: server.port, rejectUnauthorized: false });
      const client = collect(secure);
      await client.until(/fake ready\r\n/);
      secure.write('a1 LOGOUT\r\n');
      await client.closed;
      await server.finished;
      assert.equal(client.text(), '* OK fake ready\r\n* BYE\r\na1 OK\r\n');
      assert.equal(server.received().toString(), 'a1 LOGOUT\r\n');
    } finally {
      await server.close();
    }
  });
});
