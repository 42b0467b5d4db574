// The orchestrator against two real Dovecot servers, the mailbox actors replaced by a stand-in
// (stand-in.ts): mailbox-list reconciliation, subscriptions, delimiters, non-ASCII names, the
// listing options, MAILBOX arguments, and the no-op run that selects nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { StateStore } from '../../src/store/index.js';
import { mailboxList, Pair, saveMessage, traffic } from './harness.js';
import { runInProcess } from './stand-in.js';

const TIMEOUT = { timeout: 60_000 };

/** Client commands after authentication (ENABLE and COMPRESS are part of connecting). */
function commandsAfterLogin(log: string, side: 'local' | 'remote'): string[] {
  return traffic(log, side)
    .filter((l) => l.startsWith('C: '))
    .map((l) => l.replace(/^C: \S+ /, ''))
    .filter((c) => !/^(ENABLE|COMPRESS)/.test(c));
}

describe('orchestrator: mailbox lists of two servers with different delimiters', TIMEOUT, () => {
  let pair: Pair;
  let config: string;

  before(async () => {
    pair = await Pair.start({ local: { delimiter: '/' }, remote: { delimiter: '.' } });
    await pair.local.doveadm(['mailbox', 'create', '-s', 'work/clients', 'Été']);
    await pair.local.doveadm(['mailbox', 'create', 'Sent']);
    await pair.remote.doveadm(['mailbox', 'create', '-s', 'lists.dovecot']);
    await pair.remote.doveadm(['mailbox', 'create', 'Sent']);
    await saveMessage(pair.remote, 'Sent', 'one');
    config = pair.writeConfig();
  });
  after(() => pair.stop());

  test('first run: each side gets the other side’s mailboxes, subscribed where they were', async () => {
    const run = await runInProcess(config);
    assert.equal(run.code, 0, run.log);
    const expected = ['INBOX', 'Sent', 'lists', 'lists/dovecot', 'work', 'work/clients', 'Été'];
    assert.deepEqual(await mailboxList(pair.local), expected.sort());
    assert.deepEqual(await mailboxList(pair.remote), expected.map((m) => m.replace('/', '.')).sort());
    assert.deepEqual(await mailboxList(pair.local, true), ['lists/dovecot', 'work/clients', 'Été']);
    assert.deepEqual(await mailboxList(pair.remote, true), ['lists.dovecot', 'work.clients', 'Été']);
    // Parents that only exist as \NonExistent/\Noselect levels are not mailboxes to synchronize.
    assert.deepEqual(
      [...run.synced].sort(),
      ['INBOX', 'Sent', 'lists\0dovecot', 'work\0clients', '&AMk-t&AOk-'].sort(),
    );
    assert.match(run.log, /remote\(work\.clients\): Created mailbox work\.clients/);
    assert.match(run.log, /local\(lists\/dovecot\): Created mailbox lists\/dovecot/);
  });

  test('no-op rerun: one round trip per server after login, no mailbox selected', async () => {
    const run = await runInProcess(config, ['--debug']);
    assert.equal(run.code, 0, run.log);
    assert.deepEqual(run.synced, []);
    for (const side of ['local', 'remote'] as const) {
      const commands = commandsAfterLogin(run.log, side);
      assert.deepEqual(
        commands.map((c) => c.split(' ')[0]),
        ['LIST', 'LIST', 'LOGOUT'],
        `${side}: ${commands.join(' | ')}`,
      );
      // Both LISTs were written before the server answered the first one.
      const lines = traffic(run.log, side);
      const second = lines.findIndex((l) => / LIST "" \("\*"\) RETURN/.test(l));
      const firstAnswer = lines.findIndex((l) => l.startsWith('S: ') && / OK List completed/.test(l));
      assert.ok(second >= 0 && second < firstAnswer, lines.join('\n'));
    }
  });

  test('a new message on one side: only that mailbox is synchronized', async () => {
    await saveMessage(pair.remote, 'lists.dovecot', 'two');
    const run = await runInProcess(config);
    assert.equal(run.code, 0, run.log);
    assert.deepEqual(run.synced, ['lists\0dovecot']);
  });

  test('a subscription change on one side follows on the other and in the database', async () => {
    await pair.local.doveadm(['mailbox', 'unsubscribe', 'work/clients']);
    await pair.remote.doveadm(['mailbox', 'subscribe', 'Sent']);
    const run = await runInProcess(config);
    assert.equal(run.code, 0, run.log);
    assert.deepEqual(await mailboxList(pair.remote, true), ['Sent', 'lists.dovecot', 'Été']);
    assert.deepEqual(await mailboxList(pair.local, true), ['Sent', 'lists/dovecot', 'Été']);
    const store = StateStore.open(pair.database, { create: false });
    try {
      const subscribed = store
        .listMailboxes()
        .filter((m) => m.subscribed)
        .map((m) => m.name.toString().replace('\0', '/'))
        .sort();
      assert.deepEqual(subscribed, ['&AMk-t&AOk-', 'Sent', 'lists/dovecot']);
    } finally {
      store.close();
    }
  });
});

describe('orchestrator: listing options', TIMEOUT, () => {
  let pair: Pair;

  before(async () => {
    pair = await Pair.start({ local: { delimiter: '/' }, remote: { delimiter: '.' } });
    await pair.local.doveadm(['mailbox', 'create', '-s', 'work/a', 'work/private', 'other']);
    await pair.remote.doveadm(['mailbox', 'create', 'work.b']);
    await pair.remote.doveadm(['mailbox', 'create', '-s', 'work.c']);
  });
  after(() => pair.stop());

  test('list-mailbox with \\0, list-select-opts and ignore-mailbox narrow the list', async () => {
    const config = pair.writeConfig({
      global: [
        'list-mailbox = "work\\0%"',
        'list-select-opts = SUBSCRIBED',
        'ignore-mailbox = ^work\\x00private$',
      ],
    });
    const run = await runInProcess(config, ['--debug']);
    assert.equal(run.code, 0, run.log);
    assert.match(run.log, /remote: C: \S+ LIST \(SUBSCRIBED\) "" \("work\.%"\) RETURN/);
    assert.match(run.log, /local: C: \S+ LIST \(SUBSCRIBED\) "" \("work\/%"\) RETURN/);
    assert.deepEqual([...run.synced].sort(), ['work\0a', 'work\0c']);
    assert.deepEqual(await mailboxList(pair.remote), ['INBOX', 'work', 'work.a', 'work.b', 'work.c']);
    assert.deepEqual(await mailboxList(pair.local), [
      'INBOX',
      'other',
      'work',
      'work/a',
      'work/c',
      'work/private',
    ]);
  });

  test('MAILBOX arguments bypass list-mailbox, list-select-opts and ignore-mailbox', async () => {
    const run = await runInProcess(
      pair.writeConfig({ global: ['list-mailbox = INBOX', 'ignore-mailbox = ^other$'] }),
      ['other', 'work/private'],
    );
    assert.equal(run.code, 0, run.log);
    assert.deepEqual([...run.synced].sort(), ['other', 'work\0private']);
    assert.ok((await mailboxList(pair.remote)).includes('work.private'));
    assert.ok((await mailboxList(pair.remote)).includes('other'));
  });

  test('list-reference maps the remote hierarchy under a local sub-hierarchy', async () => {
    await pair.local.doveadm(['mailbox', 'create', 'mirror']);
    const config = pair.writeConfig({
      global: ['database = ' + `${pair.dir}/ref.db`],
      local: ['list-reference = mirror/'],
    });
    const run = await runInProcess(config);
    assert.equal(run.code, 0, run.log);
    const local = await mailboxList(pair.local);
    for (const name of ['mirror/work/b', 'mirror/work/c', 'mirror/work/private', 'mirror/other'])
      assert.ok(local.includes(name), local.join(', '));
  });
});
