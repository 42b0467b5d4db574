// node:zlib is loaded when a connection starts COMPRESS, not with the transports: a run that never
// compresses (a no-op) does without it. Checked in a fresh Node, where nothing else loaded it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';

/** Runs `body` as an ES module in a fresh Node; returns what it prints. */
function fresh(body: string): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', body], {
    cwd: new URL('../../', import.meta.url),
    encoding: 'utf8',
  }).trim();
}

test('the transports load without node:zlib; starting COMPRESS loads it', () => {
  const out = fresh(`
    const loaded = () => process.moduleLoadList.includes('NativeModule zlib');
    await import('./src/transport/transport.js');
    const before = loaded();
    const { zlib } = await import('./src/transport/zlib.js');
    const inflater = zlib().createInflateRaw();
    inflater.close();
    console.log(JSON.stringify({ before, after: loaded() }));
  `);
  assert.deepEqual(JSON.parse(out), { before: false, after: true });
});
