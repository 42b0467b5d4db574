// `interimap` as a process against two Dovecot servers: --delete and --rename with each --target,
// the documented abort when a known mailbox disappeared, the database lock, --watch without a
// database, and --notify against a server without NOTIFY.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { StateStore } from '../../src/store/index.js';
import { capabilitiesWithout, mailboxList, Pair } from './harness.js';

const TIMEOUT = { timeout: 60_000 };

/** Database mailbox names, '/' for the \0 separator, sorted. */
function databaseNames(pair: Pair): string[] {
  const store = StateStore.open(pair.database, { create: false });
  try {
    return store
      .listMailboxes()
      .map((m) => m.name.toString().replaceAll('\0', '/'))
      .sort();
  } finally {
    store.close();
  }
}

function addToDatabase(pair: Pair, names: string[]): void {
  const store = StateStore.open(pair.database, { create: true });
  try {
    for (const name of names) store.addMailbox(Buffer.from(name.replaceAll('/', '\0')), true);
  } finally {
    store.close();
  }
}

describe('--delete and --rename', TIMEOUT, () => {
  let pair: Pair;

  before(async () => {
    pair = await Pair.start({ local: { delimiter: '/' }, remote: { delimiter: '.' } });
    pair.writeConfig();
  });
  after(() => pair.stop());
  beforeEach(async () => {
    for (const server of [pair.local, pair.remote]) {
      for (const name of (await mailboxList(server)).reverse()) {
        if (name !== 'INBOX') await server.doveadm(['mailbox', 'delete', name]);
      }
    }
    const store = StateStore.open(pair.database, { create: true });
    for (const row of store.listMailboxes()) store.deleteMailbox(row.idx);
    store.close();
  });

  test('--delete on every target: both servers and the database, only the named mailboxes', async () => {
    await pair.local.doveadm(['mailbox', 'create', 'a', 'a/b', 'c']);
    await pair.remote.doveadm(['mailbox', 'create', 'a', 'a.b', 'c']);
    addToDatabase(pair, ['a', 'a/b', 'c']);
    const run = await pair.run(['--delete', 'a/b', 'c']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(await mailboxList(pair.local), ['INBOX', 'a']);
    assert.deepEqual(await mailboxList(pair.remote), ['INBOX', 'a']);
    assert.deepEqual(databaseNames(pair), ['a']);
    assert.match(run.stderr, /remote\(a\.b\): Deleted mailbox a\.b/);
    assert.match(run.stderr, /database: Removed mailbox a\/b/);
  });

  for (const target of ['local', 'remote', 'database'] as const) {
    test(`--delete --target=${target} acts on that target only`, async () => {
      await pair.local.doveadm(['mailbox', 'create', 'x']);
      await pair.remote.doveadm(['mailbox', 'create', 'x']);
      addToDatabase(pair, ['x']);
      const run = await pair.run([`--target=${target}`, '--delete', 'x']);
      assert.equal(run.code, 0, run.stderr);
      assert.equal((await mailboxList(pair.local)).includes('x'), target !== 'local');
      assert.equal((await mailboxList(pair.remote)).includes('x'), target !== 'remote');
      assert.equal(databaseNames(pair).includes('x'), target !== 'database');
    });
  }

  test('--delete INBOX is refused before anything is deleted', async () => {
    const run = await pair.run(['--delete', 'INBOX']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /INBOX cannot be deleted/);
  });

  test('--rename moves the mailbox and its children on both servers and in the database', async () => {
    await pair.local.doveadm(['mailbox', 'create', 'old', 'old/kid']);
    await pair.remote.doveadm(['mailbox', 'create', 'old', 'old.kid']);
    addToDatabase(pair, ['old', 'old/kid', 'older']);
    const run = await pair.run(['--rename', 'old', 'new']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(await mailboxList(pair.local), ['INBOX', 'new', 'new/kid']);
    assert.deepEqual(await mailboxList(pair.remote), ['INBOX', 'new', 'new.kid']);
    assert.deepEqual(databaseNames(pair), ['new', 'new/kid', 'older']);
  });

  test('--rename --target=local --target=database leaves the remote server alone', async () => {
    await pair.local.doveadm(['mailbox', 'create', 'p']);
    await pair.remote.doveadm(['mailbox', 'create', 'q']);
    addToDatabase(pair, ['p']);
    const run = await pair.run(['--target=local', '--target=database', '--rename', 'p', 'q']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(await mailboxList(pair.local), ['INBOX', 'q']);
    assert.deepEqual(await mailboxList(pair.remote), ['INBOX', 'q']);
    assert.deepEqual(databaseNames(pair), ['q']);
  });

  test('--rename aborts when DEST exists on a target, naming it', async () => {
    await pair.local.doveadm(['mailbox', 'create', 'src']);
    await pair.remote.doveadm(['mailbox', 'create', 'src', 'dst']);
    const run = await pair.run(['--rename', 'src', 'dst']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /mailbox dst exists on remote/);
    assert.deepEqual(await mailboxList(pair.local), ['INBOX', 'src']);
  });
});

describe('global failures', TIMEOUT, () => {
  let pair: Pair;

  before(async () => {
    pair = await Pair.start({ local: { extraConf: capabilitiesWithout('NOTIFY') } });
    pair.writeConfig();
  });
  after(() => pair.stop());

  test('a known mailbox gone from one server aborts the run, telling about --delete and --rename', async () => {
    await pair.local.doveadm(['mailbox', 'create', 'kept', 'gone']);
    await pair.remote.doveadm(['mailbox', 'create', 'kept']);
    addToDatabase(pair, ['gone']);
    const run = await pair.run();
    assert.equal(run.code, 1);
    assert.match(run.stderr, /gone is known but no longer exists on the remote server/);
    assert.match(run.stderr, /--delete gone/);
    assert.match(run.stderr, /--rename gone/);
    // Aborted before acting: nothing was created.
    assert.ok(!(await mailboxList(pair.remote)).includes('gone'));
  });

  test('a second instance on the same database fails at once with one line', async () => {
    const holder = StateStore.open(pair.database, { create: true });
    try {
      const run = await pair.run(['--debug']);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /database .* is locked by another interimap process/);
      // No network traffic before the lock.
      assert.doesNotMatch(run.stderr, /C: /);
    } finally {
      holder.close();
    }
  });

  test('--watch does not create a missing database', async () => {
    pair.writeConfig({ global: [`database = ${pair.dir}/absent.db`] });
    const run = await pair.run(['--watch']);
    pair.writeConfig();
    assert.equal(run.code, 1);
    assert.match(run.stderr, /absent\.db does not exist/);
  });

  test('--notify against a server without NOTIFY is a clear error naming it', async () => {
    const run = await pair.run(['--notify']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^local: ERROR: --notify needs a server with the NOTIFY extension/m);
  });
});
