// The Node modules the transports load only when needed, checked in a fresh Node where nothing else
// loaded them: node:zlib when a connection starts COMPRESS (a no-op never does), node:tls for a
// server that may run TLS (a tunnel or a plaintext-only server never needs it).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';

/** Runs `body` as an ES module in a fresh Node, with `loaded(name)`; returns what it prints, parsed. */
function fresh(body: string): unknown {
  const out = execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const loaded = (name) => process.moduleLoadList.includes('NativeModule ' + name);\n${body}`,
    ],
    { cwd: new URL('../../', import.meta.url), encoding: 'utf8' },
  );
  return JSON.parse(out);
}

test('the transports load without node:zlib; starting COMPRESS loads it', () => {
  const out = fresh(`
    await import('./src/transport/transport.js');
    const before = loaded('zlib');
    const { zlib } = await import('./src/transport/zlib.js');
    zlib().createInflateRaw().close();
    console.log(JSON.stringify({ before, after: loaded('zlib') }));
  `);
  assert.deepEqual(out, { before: false, after: true });
});

test('loadTransportModules: node:tls for a server that may run TLS, nothing for a tunnel or plaintext', () => {
  const out = fresh(`
    const { loadTransportModules } = await import('./src/transport/transport.js');
    const tls = { verify: true };
    await loadTransportModules({ type: 'tunnel', command: 'true', tls });
    const tunnel = loaded('tls');
    await loadTransportModules({ type: 'imap', tls, startTls: false });
    const plaintext = loaded('tls');
    await loadTransportModules({ type: 'imap', tls });
    console.log(JSON.stringify({ tunnel, plaintext, starttls: loaded('tls') }));
  `);
  assert.deepEqual(out, { tunnel: false, plaintext: false, starttls: true });
});
