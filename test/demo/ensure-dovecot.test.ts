// The demo's Dovecot check: quiet when the binaries are there, and without root a message naming
// what is missing and the packages to install (nothing is run).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ensureDovecot } from '../../demo/ensure-dovecot.js';

test('present binaries: nothing to do', () => {
  const said: string[] = [];
  assert.equal(
    ensureDovecot((line) => said.push(line), { binaries: [process.execPath] }),
    undefined,
  );
  assert.deepEqual(said, []);
});

test('missing binaries without root: says what is missing and what to install', () => {
  const said: string[] = [];
  const message = ensureDovecot((line) => said.push(line), {
    binaries: [process.execPath, '/nonexistent/dovecot/imap'],
    root: false,
  });
  assert.equal(
    message,
    'Dovecot is not installed (missing: /nonexistent/dovecot/imap). ' +
      'Install it, e.g. with: sudo apt-get install -y dovecot-imapd dovecot-core',
  );
  assert.deepEqual(said, []);
});
