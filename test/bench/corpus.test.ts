// Corpus generator: determinism, CRLF-only bytes, sizes, flags, and its modified UTF-7 names.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { corpusMessageCount, makeCorpus, renderMessage, serverMailboxName } from '../helpers/corpus.js';

function corpusDigest(seed: number): string {
  const hash = createHash('sha256');
  for (const mailbox of makeCorpus({ seed, messages: 300 }).mailboxes) {
    hash.update(mailbox.name);
    for (const m of mailbox.messages)
      hash.update(`${m.flags.join(' ')}|${m.internalDate.toISOString()}|`).update(renderMessage(m));
  }
  return hash.digest('hex');
}

describe('corpus', () => {
  test('same seed gives the same bytes, another seed other bytes', () => {
    assert.equal(corpusDigest(7), corpusDigest(7));
    assert.notEqual(corpusDigest(7), corpusDigest(8));
  });

  test('messages use CRLF line endings only and carry unique Message-IDs', () => {
    const corpus = makeCorpus({ seed: 3, messages: 400, largeFraction: 0.01 });
    const ids = new Set<string>();
    for (const mailbox of corpus.mailboxes) {
      for (const m of mailbox.messages) {
        const raw = renderMessage(m);
        for (let i = raw.indexOf(0x0a); i >= 0; i = raw.indexOf(0x0a, i + 1)) assert.equal(raw[i - 1], 0x0d);
        for (let i = raw.indexOf(0x0d); i >= 0; i = raw.indexOf(0x0d, i + 1)) assert.equal(raw[i + 1], 0x0a);
        assert.match(raw.toString('latin1'), /^Message-ID: <[^>]+>\r$/m);
        ids.add(m.messageId);
      }
    }
    assert.equal(ids.size, corpusMessageCount(corpus));
    assert.equal(corpusMessageCount(corpus), 400);
  });

  test('sizes: median about 4 KiB, a few large ones, and the requested huge one', () => {
    const corpus = makeCorpus({ seed: 5, messages: 2000, hugeMessages: [5 << 20] });
    const sizes = corpus.mailboxes
      .flatMap((m) => m.messages.map((x) => renderMessage(x).length))
      .sort((a, b) => a - b);
    const median = sizes[sizes.length >> 1]!;
    assert.ok(median > 3000 && median < 6000, `median ${median}`);
    assert.ok(sizes.filter((s) => s > 1 << 20).length >= 2);
    assert.ok(Math.abs(sizes.at(-1)! - (5 << 20)) < (5 << 20) / 100, `huge message of ${sizes.at(-1)} bytes`);
  });

  test('mailboxes are hierarchical, non-ASCII names come with their modified UTF-7 form', () => {
    const corpus = makeCorpus({ messages: 10 });
    assert.equal(corpus.mailboxes.length, 20);
    const byName = new Map(corpus.mailboxes.map((m) => [m.name, m.mutf7]));
    assert.equal(byName.get('Work/Réunions'), 'Work/R&AOk-unions');
    assert.equal(byName.get('Work/Clients/Acme & Co'), 'Work/Clients/Acme &- Co');
    assert.equal(byName.get('日本語/メモ'), '&ZeVnLIqe-/&MOEw4g-');
    assert.equal(serverMailboxName('Work/R&AOk-unions', '.'), 'Work.R&AOk-unions');
    assert.throws(
      () => serverMailboxName('Lists/node.js', '.'),
      /'Lists\/node.js' contains the server delimiter '.'/,
    );
    const flags = new Set(corpus.mailboxes.flatMap((m) => m.messages.flatMap((x) => x.flags)));
    assert.ok(flags.has('\\Seen'));
  });
});
