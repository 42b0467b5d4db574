// `interimap` end to end on two Dovecot servers with different hierarchy delimiters: the initial
// sync of a corpus with non-ASCII hierarchical names, a no-op rerun that selects nothing, changes
// on both sides, and one mailbox failing (UIDVALIDITY changed) without stopping the others; all of
// it with one connection per server and with four (mailboxes synchronized in parallel).
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { SECOND_LANE_MAILBOXES } from '../../src/sync/lanes.js';
import { loadCorpus, makeCorpus } from '../helpers/corpus.js';
import { snapshotServer } from '../helpers/mail-compare.js';
import { assertInSync, capabilitiesWithout, Pair, saveMessage, startedPair, traffic } from './harness.js';

for (const maxConnections of [1, 4]) {
  describe(`sync: corpus with hierarchical non-ASCII names, "/" locally and "." remotely, max-connections = ${maxConnections}`, {
    timeout: 120_000,
  }, () => {
    let pair: Pair;

    before(async () => {
      pair = await startedPair({ local: { delimiter: '/' }, remote: { delimiter: '.' }, maxConnections });
      // 12 mailboxes: INBOX … 'Work/Clients/Acme & Co', 'Work/Réunions', 'Projets'.
      const corpus = makeCorpus({ seed: 7, mailboxes: 12, messages: 120, medianSize: 900, largeFraction: 0 });
      await loadCorpus(pair.local, corpus);
      await pair.remote.doveadm(['mailbox', 'create', '-s', 'Remote.Only']);
      await saveMessage(pair.remote, 'Remote.Only', 'remote-1');
      await saveMessage(pair.remote, 'INBOX', 'remote-2');
    });
    after(() => pair.stop());

    test('initial sync: both servers end up identical', async () => {
      const run = await pair.run();
      assert.equal(run.code, 0, run.stderr);
      await assertInSync(pair);
      assert.match(run.stderr, /13 mailbox\(es\) synced; messages copied 2 to local, 120 to remote/);
    });

    test('no-op rerun: no mailbox is selected, one connection per server, the database untouched', async () => {
      const database = readFileSync(pair.database);
      const modified = statSync(pair.database).mtimeMs;
      const run = await pair.run(['--debug']);
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(readFileSync(pair.database), database);
      assert.equal(statSync(pair.database).mtimeMs, modified);
      for (const side of ['local', 'remote'] as const) {
        const commands = traffic(run.stderr, side).filter((l) => l.startsWith('C: '));
        assert.ok(!commands.some((c) => /^C: \S+ (SELECT|EXAMINE)/.test(c)), commands.join('\n'));
        assert.equal(commands.filter((c) => / ENABLE QRESYNC$/.test(c)).length, 1, commands.join('\n'));
      }
      assert.match(run.stderr, /0 mailbox\(es\) synced/);
    });

    test('changes on both sides are propagated', async () => {
      await saveMessage(pair.local, 'Work/Réunions', 'local-new');
      await pair.remote.doveadm(['flags', 'add', '\\Flagged', 'mailbox', 'INBOX', 'ALL']);
      await pair.local.doveadm(['expunge', 'mailbox', 'Sent', 'ALL']);
      const run = await pair.run();
      assert.equal(run.code, 0, run.stderr);
      await assertInSync(pair);
    });

    test('--repair with a MAILBOX argument runs a full synchronization of that mailbox', async () => {
      await saveMessage(pair.remote, 'Work.Clients', 'before-repair');
      const run = await pair.run(['--repair', 'Work/Clients']);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /^1 mailbox\(es\) synced; messages copied 1 to local, 0 to remote/m);
      await assertInSync(pair);
    });

    test('a mailbox whose UIDVALIDITY changed fails alone: the others still sync, exit 1', async () => {
      await pair.remote.doveadm(['mailbox', 'update', '--uid-validity', '12345', 'Drafts']);
      await saveMessage(pair.local, 'Trash', 'after-uidvalidity');
      const run = await pair.run();
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /ERROR: mailbox Drafts: .*UIDVALIDITY/i);
      const [local, remote] = await Promise.all([snapshotServer(pair.local), snapshotServer(pair.remote)]);
      assert.deepEqual(
        remote
          .get('Trash')
          ?.map((m) => m.sha256)
          .sort(),
        local
          .get('Trash')
          ?.map((m) => m.sha256)
          .sort(),
      );
    });
  });
}

describe('sync: max-connections = 3 and a server without LIST-STATUS', { timeout: 120_000 }, () => {
  let pair: Pair;

  before(async () => {
    // NOTIFY but no LIST-STATUS: each listed mailbox gets a STATUS of its own.
    pair = await Pair.start({ remote: { extraConf: capabilitiesWithout('LIST-STATUS') } });
    pair.writeConfig({ global: ['max-connections = 3'] });
    await loadCorpus(
      pair.local,
      makeCorpus({ seed: 11, mailboxes: 8, messages: 80, medianSize: 700, largeFraction: 0 }),
    );
  });
  after(() => pair.stop());

  test('mailboxes are synchronized three at a time, each on its own pair of connections', async () => {
    const run = await pair.run(['--debug']);
    assert.equal(run.code, 0, run.stderr);
    await assertInSync(pair);
    const logins = traffic(run.stderr, 'local').filter((l) => / ENABLE QRESYNC$/.test(l));
    assert.equal(logins.length, 3);
  });

  test('no-op rerun without LIST-STATUS still selects nothing', async () => {
    const run = await pair.run(['--debug']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /0 mailbox\(es\) synced/);
    assert.doesNotMatch(run.stderr, /C: \S+ SELECT/);
    assert.ok(
      traffic(run.stderr, 'remote').some((l) =>
        /^C: \S+ STATUS "?Sent"? \(UIDVALIDITY UIDNEXT HIGHESTMODSEQ\)/.test(l),
      ),
    );
  });
});

describe("sync: lanes by the cycle's work (max-connections left at its default)", {
  timeout: 120_000,
}, () => {
  let pair: Pair;
  const corpus = makeCorpus({ seed: 13, mailboxes: 6, messages: 60, medianSize: 700, largeFraction: 0 });

  before(async () => {
    pair = await Pair.start();
    pair.writeConfig();
    await loadCorpus(pair.local, corpus);
  });
  after(() => pair.stop());

  const logins = (stderr: string) =>
    traffic(stderr, 'local').filter((l) => / ENABLE QRESYNC$/.test(l)).length;

  test('an initial sync (work unknown) uses several lanes; a small change over a fast link, one', async () => {
    const initial = await pair.run(['--debug']);
    assert.equal(initial.code, 0, initial.stderr);
    assert.ok(logins(initial.stderr) > 1, `${logins(initial.stderr)} connection(s) to the local server`);
    await saveMessage(pair.local, 'INBOX', 'small-1');
    await saveMessage(pair.local, 'Sent', 'small-2');
    const small = await pair.run(['--debug']);
    assert.equal(small.code, 0, small.stderr);
    assert.match(small.stderr, /2 mailbox\(es\) synced; messages copied 0 to local, 2 to remote/);
    assert.equal(logins(small.stderr), 1);
    await assertInSync(pair);
  });

  test('a small change to several mailboxes over a fast link: two lanes', async () => {
    const names = corpus.mailboxes.slice(0, SECOND_LANE_MAILBOXES).map((m) => m.name);
    for (const [k, name] of names.entries()) await saveMessage(pair.local, name, `several-${k}`);
    const several = await pair.run(['--debug']);
    assert.equal(several.code, 0, several.stderr);
    assert.match(
      several.stderr,
      new RegExp(
        `${names.length} mailbox\\(es\\) synced; messages copied 0 to local, ${names.length} to remote`,
      ),
    );
    assert.equal(logins(several.stderr), 2);
    await assertInSync(pair);
  });
});
