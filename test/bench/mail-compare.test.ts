// Loader and snapshot round trip against a real Dovecot, and compareServers on crafted differences.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadCorpus, makeCorpus } from '../helpers/corpus.js';
import { startDovecot } from '../helpers/dovecot.js';
import {
  assertIdentical,
  compareServers,
  corpusSnapshot,
  formatDifferences,
  parseInternalDate,
  type Snapshot,
  snapshotServer,
} from '../helpers/mail-compare.js';

const message = (sha: string, flags: string[] = []) => ({
  sha256: sha.repeat(64),
  flags,
  internalDate: 1000,
});

describe('mail-compare', { timeout: 60_000 }, () => {
  test('a loaded corpus snapshots back to exactly the corpus (both delimiters)', async () => {
    const corpus = makeCorpus({ seed: 11, messages: 300, largeFraction: 0.01 });
    for (const delimiter of ['/', '.'] as const) {
      const dovecot = await startDovecot({ delimiter });
      try {
        // '.' cannot carry 'Lists/node.js': use the first 18 mailboxes there.
        const used = delimiter === '/' ? corpus : { ...corpus, mailboxes: corpus.mailboxes.slice(0, 18) };
        await loadCorpus(dovecot, used);
        const snapshot = await snapshotServer(dovecot);
        assert.equal([...snapshot.values()].flat().length, [...corpusSnapshot(used).values()].flat().length);
        assertIdentical(corpusSnapshot(used), snapshot, ['corpus', 'server']);
      } finally {
        await dovecot.stop();
      }
    }
  });

  test('detects a missing message, a duplicate, a flag difference and a missing mailbox', () => {
    const a: Snapshot = new Map([
      ['INBOX', [message('a'), message('b', ['\\Seen']), message('c')]],
      ['Work', [message('d')]],
    ]);
    const b: Snapshot = new Map([['INBOX', [message('a'), message('a'), message('b', ['\\Flagged'])]]]);
    const differences = compareServers(a, b);
    assert.deepEqual(
      differences.map((d) => d.kind),
      ['missing-mailbox', 'extra', 'flags', 'missing'],
    );
    assert.deepEqual(differences[1], { kind: 'extra', mailbox: 'INBOX', sha256: 'a'.repeat(64), count: 1 });
    assert.match(
      formatDifferences(differences, ['local', 'remote']),
      /^4 difference\(s\) between local and remote/,
    );
    assert.throws(() => assertIdentical(a, b), /flags \(\\Seen\) on a, \(\\Flagged\) on b/);
    assert.deepEqual(compareServers(a, a), []);
  });

  test('INTERNALDATE zones are normalized', () => {
    assert.equal(
      parseInternalDate('01-Jan-2020 01:00:00 +0100'),
      parseInternalDate(' 1-Jan-2020 00:00:00 +0000'),
    );
    assert.throws(() => parseInternalDate('yesterday'), /bad INTERNALDATE "yesterday"/);
  });
});
