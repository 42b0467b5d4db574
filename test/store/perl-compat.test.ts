import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { StateStore, StoreError } from '../../src/store/index.js';
import { makeLegacyDatabase } from './legacy-db.js';
import { PerlRig } from './perl-rig.js';
import { tempDir } from './temp-dir.js';

const OWN_TABLE = 'interimap_ts_append_journal';
const nul = (s: string) => Buffer.from(s.replaceAll('/', '\0'));

/** Everything SQLite tells about the tables of the Perl schema: DDL (whitespace aside), columns,
 *  foreign keys, indexes and their columns, and the user_version. */
function describeSchema(path: string): unknown {
  const db = new Database(path, { readonly: true });
  try {
    const tables = db
      .prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name != ? ORDER BY name`)
      .all(OWN_TABLE) as Array<{ name: string; sql: string }>;
    return {
      userVersion: db.pragma('user_version', { simple: true }),
      tables: tables.map(({ name, sql }) => ({
        name,
        sql: sql.replace(/\s+/g, ''),
        columns: db.pragma(`table_info(${name})`),
        foreignKeys: db.pragma(`foreign_key_list(${name})`),
        indexes: (db.pragma(`index_list(${name})`) as Array<{ name: string }>).map((index) => ({
          ...index,
          columns: db.pragma(`index_info(${index.name})`),
        })),
      })),
    };
  } finally {
    db.close();
  }
}

function mailboxRows(path: string): unknown {
  const db = new Database(path, { readonly: true });
  try {
    return db
      .prepare('SELECT idx, hex(mailbox), typeof(mailbox), subscribed FROM mailboxes ORDER BY idx')
      .raw()
      .all();
  } finally {
    db.close();
  }
}

describe('compatibility with the Perl interimap 0.5.7', { timeout: 180_000 }, () => {
  test('a database the Perl tool created is continued by ours, then again by the Perl tool', (t) => {
    const rig = new PerlRig(t);
    rig.imap('local', ['CREATE foo/bar']);
    rig.append('local', 'INBOX', 'one');
    rig.append('local', 'foo/bar', 'two');
    const first = rig.runPerl();
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stderr, /Creating new schema/);

    // The schema is the one we create, to the byte (whitespace aside).
    const ours = join(tempDir(t), 'ours.db');
    StateStore.open(ours, { create: true }).close();
    assert.deepEqual(describeSchema(ours), describeSchema(rig.dbPath));

    // Our store reads what Perl wrote.
    let store = StateStore.open(rig.dbPath, { create: false });
    assert.equal(store.created, false);
    assert.deepEqual(
      store
        .listMailboxes()
        .map((m) => m.name.toString('latin1'))
        .sort(),
      ['INBOX', 'foo\0bar'],
    );
    const inbox = store.findMailbox(nul('INBOX'))!.idx;
    const before = { local: rig.status('local', 'INBOX'), remote: rig.status('remote', 'INBOX') };
    assert.deepEqual(store.getState(inbox), {
      local: { uidValidity: before.local.uidValidity, uidNext: 2, highestModseq: before.local.highestModseq },
      remote: {
        uidValidity: before.remote.uidValidity,
        uidNext: 2,
        highestModseq: before.remote.highestModseq,
      },
    });
    assert.equal(typeof store.getState(inbox)?.remote.highestModseq, 'bigint');
    assert.deepEqual([...store.getMappings(inbox).byLocal], [[1, 1]]);

    // Our store continues: a message both sides got (as our engine would have appended it),
    // its mapping and checkpoints, and a journal row of our own left behind.
    rig.append('local', 'INBOX', 'three');
    rig.append('remote', 'INBOX', 'three');
    const after = { local: rig.status('local', 'INBOX'), remote: rig.status('remote', 'INBOX') };
    store.transaction(() => {
      store.addMappings(inbox, [[2, 2]]);
      store.checkpointUidNext(inbox, after.local.uidNext, after.remote.uidNext);
      store.checkpointModseq(inbox, after.local.highestModseq, after.remote.highestModseq);
    });
    const fooBar = store.findMailbox(nul('foo/bar'))!.idx;
    store.recordAppendIntents(fooBar, 'remote', [
      {
        sourceUid: 9,
        targetUidNext: 2,
        size: 10,
        internalDate: '01-Jan-2020 00:00:00 +0000',
        messageId: null,
        sha256: null,
      },
    ]);
    store.close();

    // Perl continues from our state: nothing to copy, nothing duplicated, then a new message.
    const second = rig.runPerl();
    assert.equal(second.status, 0, second.stderr);
    assert.doesNotMatch(second.stderr, /Added|WARNING/);
    assert.equal(rig.status('local', 'INBOX').messages, 2);
    assert.equal(rig.status('remote', 'INBOX').messages, 2);
    rig.append('remote', 'INBOX', 'four');
    const third = rig.runPerl();
    assert.equal(third.status, 0, third.stderr);
    assert.match(third.stderr, /local\(INBOX\): Added 1 UID\(s\) 3 <- 3/);

    // Perl's --delete of a mailbox with our journal rows cascades into our table.
    const deletion = rig.runPerl('--target=database', '--delete', 'foo/bar');
    assert.equal(deletion.status, 0, deletion.stderr);
    store = StateStore.open(rig.dbPath, { create: false });
    t.after(() => store.close());
    assert.equal(store.findMailbox(nul('foo/bar')), undefined);
    assert.deepEqual(store.pendingAppendIntents(fooBar), []);
    assert.deepEqual(
      [...store.getMappings(inbox).byLocal],
      [
        [1, 1],
        [2, 2],
        [3, 3],
      ],
    );
  });

  test('the Perl tool and ours exclude each other', async (t) => {
    const rig = new PerlRig(t);
    StateStore.open(rig.dbPath, { create: true }).close();

    const store = StateStore.open(rig.dbPath, { create: false });
    const refused = rig.runPerl();
    store.close();
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /database is locked/);

    const perl = await rig.startPerlWatching(t);
    assert.throws(
      () => StateStore.open(rig.dbPath, { create: false }),
      (e: unknown) =>
        e instanceof StoreError &&
        e.code === 'locked' &&
        e.message === `database ${rig.dbPath} is locked by another interimap process`,
    );
    const exited = new Promise((resolve) => perl.once('exit', resolve));
    perl.kill('SIGTERM');
    await exited;
    StateStore.open(rig.dbPath, { create: false }).close();
  });

  test('a database ours left with its write-ahead log (killed) is continued by the Perl tool', (t) => {
    const rig = new PerlRig(t);
    const store = new URL('../../src/store/index.js', import.meta.url).href;
    const script = `import { StateStore } from ${JSON.stringify(store)};
      const store = StateStore.open(${JSON.stringify(rig.dbPath)}, { create: true });
      store.addMailbox(Buffer.from('Killed'), true);
      process.exit(0);`;
    const killed = spawnSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 20000 });
    assert.equal(killed.status, 0, String(killed.stderr));
    assert.ok(statSync(`${rig.dbPath}-wal`).size > 0, 'the killed run left its log');
    const perl = rig.runPerl();
    assert.equal(perl.status, 0, perl.stderr);
    assert.deepEqual(
      (mailboxRows(rig.dbPath) as unknown[][]).find((row) => row[1] === '4B696C6C6564'),
      [1, '4B696C6C6564', 'blob', 1],
    );
    StateStore.open(rig.dbPath, { create: false }).close();
  });

  test('a version-0 database is upgraded by ours exactly as by the Perl tool', (t) => {
    const rig = new PerlRig(t);
    const legacy = join(tempDir(t), 'legacy.db');
    makeLegacyDatabase(legacy, ['INBOX', 'a/b', 'a/b/c']);
    copyFileSync(legacy, rig.dbPath);
    const perl = rig.runPerl();
    assert.equal(perl.status, 0, perl.stderr);
    assert.match(perl.stderr, /Upgrading database version from 0/);

    const store = StateStore.open(legacy, { create: false });
    store.upgradeSchema('/', '/');
    store.close();
    assert.deepEqual(describeSchema(legacy), describeSchema(rig.dbPath));
    // Perl synced INBOX after its upgrade; that left the mailboxes table as it was.
    assert.deepEqual(mailboxRows(legacy), mailboxRows(rig.dbPath));
  });
});
