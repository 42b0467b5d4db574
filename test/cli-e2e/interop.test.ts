// Interoperability with the Perl InterIMAP 0.5.7 (/usr/bin/interimap): the same configuration file
// and state database, each tool continuing where the other stopped, with changes on both servers
// in between; after every run both servers hold identical mail, without a duplicate.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadCorpus, makeCorpus } from '../helpers/corpus.js';
import { assertInSync, MAIN, type Pair, PERL_INTERIMAP, saveMessage, startedPair } from './harness.js';

const TOOLS = { ours: MAIN, perl: PERL_INTERIMAP };

/** A few changes on both servers: new mail in two mailboxes, flags, an expunge. */
async function changeBoth(pair: Pair, round: string): Promise<void> {
  await saveMessage(pair.local, 'INBOX', `local-${round}`);
  await saveMessage(pair.remote, 'Sent', `remote-${round}`);
  await pair.remote.doveadm(['flags', 'add', `\\Answered $Label${round}`, 'mailbox', 'INBOX', '1:3']);
  await pair.local.doveadm(['expunge', 'mailbox', 'Drafts', '1']);
}

for (const [first, second] of [
  ['perl', 'ours'],
  ['ours', 'perl'],
] as const) {
  describe(`interoperability: ${first} syncs first, ${second} continues`, { timeout: 120_000 }, () => {
    let pair: Pair;

    before(async () => {
      pair = await startedPair();
      const corpus = makeCorpus({ seed: 3, mailboxes: 4, messages: 40, medianSize: 800, largeFraction: 0 });
      await loadCorpus(pair.local, corpus);
      await saveMessage(pair.remote, 'INBOX', 'remote-0');
    });
    after(() => pair.stop());

    test(`${first}: initial sync`, async () => {
      const run = await pair.run([], TOOLS[first]);
      assert.equal(run.code, 0, run.stderr);
      await assertInSync(pair);
    });

    test(`${second}: continues after changes on both sides`, async () => {
      await changeBoth(pair, '1');
      const run = await pair.run([], TOOLS[second]);
      assert.equal(run.code, 0, run.stderr);
      await assertInSync(pair);
    });

    test(`${first} again: continues after ${second}`, async () => {
      await changeBoth(pair, '2');
      const run = await pair.run([], TOOLS[first]);
      assert.equal(run.code, 0, run.stderr);
      await assertInSync(pair);
    });
  });
}
