import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import Database from 'better-sqlite3';
import { type AppendIntent, StateStore, StoreError } from '../../src/store/index.js';
import { makeLegacyDatabase } from './legacy-db.js';
import { tempDir } from './temp-dir.js';

const STORE_MODULE = new URL('../../src/store/index.js', import.meta.url).href;
const MAX_MODSEQ = (1n << 63n) - 1n;
const name = (s: string) => Buffer.from(s.replaceAll('/', '\0'), 'utf8');

function openNew(t: TestContext): StateStore {
  const store = StateStore.open(join(tempDir(t), 'state.db'), { create: true });
  t.after(() => store.close());
  return store;
}

function storeError(code: StoreError['code'], message: RegExp) {
  return (e: unknown) => e instanceof StoreError && e.code === code && message.test(e.message);
}

/** Tries to open `path` in a separate node process; returns what it printed. */
function openInOtherProcess(path: string): string {
  const script = `import { StateStore } from ${JSON.stringify(STORE_MODULE)};
    try { StateStore.open(${JSON.stringify(path)}, { create: false }).close(); console.log('opened'); }
    catch (e) { console.log(e.code + ': ' + e.message); }`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 20000,
  });
  return r.stdout.trim();
}

describe('opening', () => {
  test('creates the file 0600 and a missing parent directory 0700', (t) => {
    const path = join(tempDir(t), 'a', 'b', 'state.db');
    const store = StateStore.open(path, { create: true });
    assert.equal(store.created, true);
    store.close();
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(path, '..')).mode & 0o777, 0o700);
    assert.equal(statSync(join(path, '..', '..')).mode & 0o777, 0o700);
  });

  test('leaves the mode of an existing database alone', (t) => {
    const path = join(tempDir(t), 'state.db');
    StateStore.open(path, { create: true }).close();
    chmodSync(path, 0o644);
    const store = StateStore.open(path, { create: true });
    store.addMailbox(name('INBOX'), true);
    store.close();
    assert.equal(statSync(path).mode & 0o777, 0o644);
  });

  test('create=false on a missing file is a clear error, and creates nothing', (t) => {
    const dir = tempDir(t);
    const path = join(dir, 'sub', 'state.db');
    assert.throws(
      () => StateStore.open(path, { create: false }),
      storeError('missing', /^database .*state\.db does not exist$/),
    );
    assert.throws(() => statSync(join(dir, 'sub')), /ENOENT/);
  });

  test('a second store, in another process, fails at once while the first holds the lock', (t) => {
    const store = openNew(t);
    assert.equal(
      openInOtherProcess(store.path),
      `locked: database ${store.path} is locked by another interimap process`,
    );
    store.close();
    assert.equal(openInOtherProcess(store.path), 'opened');
  });

  test('writes through a log while open; closed, the file is in rollback mode and no log is left', (t) => {
    const path = join(tempDir(t), 'state.db');
    const store = StateStore.open(path, { create: true });
    store.addMailbox(name('INBOX'), true);
    assert.equal(statSync(`${path}-wal`).mode & 0o777, 0o600);
    assert.throws(() => statSync(`${path}-shm`), /ENOENT/, 'no shared-memory index in exclusive mode');
    store.close();
    for (const suffix of ['-wal', '-shm', '-journal']) assert.throws(() => statSync(path + suffix), /ENOENT/);
    // The header's read and write versions: 1 is a rollback journal, 2 a write-ahead log.
    const header = readFileSync(path).subarray(18, 20);
    assert.deepEqual([...header], [1, 1]);
  });

  test('a log left by a killed run is replayed by the next open, and ended at its close though it writes nothing', (t) => {
    const path = join(tempDir(t), 'state.db');
    const script = `import { StateStore } from ${JSON.stringify(STORE_MODULE)};
      const store = StateStore.open(${JSON.stringify(path)}, { create: true });
      store.addMailbox(Buffer.from('INBOX'), true);
      process.exit(0);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 20000 });
    assert.equal(r.status, 0, String(r.stderr));
    assert.ok(statSync(`${path}-wal`).size > 0, 'the killed run left its log');
    const store = StateStore.open(path, { create: false });
    assert.notEqual(store.findMailbox(Buffer.from('INBOX')), undefined);
    store.close();
    assert.throws(() => statSync(`${path}-wal`), /ENOENT/);
    assert.deepEqual([...readFileSync(path).subarray(18, 20)], [1, 1], 'back in rollback mode');
  });

  test('a log that cannot be made is a clear error at the first write, which writes nothing', (t) => {
    const path = join(tempDir(t), 'state.db');
    const store = StateStore.open(path, { create: true });
    t.after(() => store.close());
    mkdirSync(`${path}-wal`); // where SQLite would make the log
    assert.throws(
      () => store.addMailbox(name('INBOX'), true),
      storeError('open', /^cannot write database .*state\.db: unable to open database file$/),
    );
    rmdirSync(`${path}-wal`);
    assert.equal(store.findMailbox(name('INBOX')), undefined);
    store.addMailbox(name('INBOX'), true);
    assert.notEqual(store.findMailbox(name('INBOX')), undefined);
  });

  test('a run that only reads leaves the file as it found it: same bytes, same time, no log', (t) => {
    const path = join(tempDir(t), 'state.db');
    const first = StateStore.open(path, { create: true });
    const idx = first.addMailbox(name('INBOX'), true);
    first.initMailboxState(
      idx,
      { uidValidity: 1, uidNext: 3, highestModseq: 5n },
      { uidValidity: 2, uidNext: 3, highestModseq: 7n },
    );
    first.addMappings(idx, [
      [1, 1],
      [2, 2],
    ]);
    first.close();
    const bytes = readFileSync(path);
    const mtime = statSync(path).mtimeMs;

    const store = StateStore.open(path, { create: false });
    store.assertOpen();
    assert.equal(store.listMailboxes().length, 1);
    assert.equal(store.getMappings(idx).byLocal.get(2), 2);
    assert.equal(store.getState(idx)?.remote.highestModseq, 7n);
    assert.throws(() => statSync(`${path}-wal`), /ENOENT/, 'reading starts no log');
    store.close();
    assert.deepEqual(readFileSync(path), bytes);
    assert.equal(statSync(path).mtimeMs, mtime);
    for (const suffix of ['-wal', '-journal']) assert.throws(() => statSync(path + suffix), /ENOENT/);
    assert.throws(() => store.assertOpen(), storeError('open', /state\.db is closed$/));
  });

  test('a second store in the same process is refused too', (t) => {
    const store = openNew(t);
    assert.throws(() => StateStore.open(store.path, { create: false }), storeError('locked', /is locked/));
  });

  test('a file that is not SQLite is rejected with a clear error', (t) => {
    const path = join(tempDir(t), 'notes.db');
    writeFileSync(path, 'these are not the tables you are looking for\n'.repeat(20));
    assert.throws(
      () => StateStore.open(path, { create: false }),
      storeError('not-interimap', /^database .*notes\.db is not an SQLite database$/),
    );
  });

  test('an SQLite file of another program is rejected and left unchanged', (t) => {
    const path = join(tempDir(t), 'other.db');
    const other = new Database(path);
    other.exec('CREATE TABLE contacts (name TEXT)');
    other.close();
    assert.throws(
      () => StateStore.open(path, { create: true }),
      storeError(
        'not-interimap',
        /^database .*other\.db is not an interimap database \(table mailboxes is missing\)$/,
      ),
    );
    const check = new Database(path, { readonly: true });
    t.after(() => check.close());
    assert.deepEqual(check.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all(), [
      'contacts',
    ]);
  });

  test('a newer schema version is refused', (t) => {
    const path = join(tempDir(t), 'state.db');
    StateStore.open(path, { create: true }).close();
    const raw = new Database(path);
    raw.pragma('user_version = 2');
    raw.close();
    assert.throws(
      () => StateStore.open(path, { create: false }),
      storeError('too-new', /schema version 2, newer than the supported 1$/),
    );
  });
});

describe('mailboxes', () => {
  test('are added, found by their NUL-separated name, and (un)subscribed', (t) => {
    const store = openNew(t);
    const inbox = store.addMailbox(name('INBOX'), true);
    const child = store.addMailbox(name('a/b'), false);
    assert.deepEqual(store.findMailbox(name('a/b')), {
      idx: child,
      name: Buffer.from('a\0b'),
      subscribed: false,
    });
    assert.equal(store.findMailbox(name('a')), undefined);
    store.setSubscribed(child, true);
    assert.deepEqual(
      store.listMailboxes().map((m) => [m.idx, m.name.toString('latin1'), m.subscribed]),
      [
        [inbox, 'INBOX', true],
        [child, 'a\0b', true],
      ],
    );
    assert.throws(
      () => store.addMailbox(name('INBOX'), false),
      storeError('exists', /"INBOX" already exists/),
    );
    assert.throws(() => store.addMailbox(Buffer.alloc(0), false), RangeError);
  });

  test('rename carries the descendants but not names that merely share a prefix', (t) => {
    const store = openNew(t);
    for (const n of ['a', 'a/b', 'a/b/c', 'ab', 'x/a/b']) store.addMailbox(name(n), false);
    assert.equal(store.renameMailbox(name('a'), name('z/y')), 3);
    assert.deepEqual(
      store.listMailboxes().map((m) => m.name.toString('latin1').replaceAll('\0', '/')),
      ['z/y', 'z/y/b', 'z/y/b/c', 'ab', 'x/a/b'],
    );
  });

  test('rename of a name absent from the database still renames its children', (t) => {
    const store = openNew(t);
    store.addMailbox(name('p/q'), false);
    assert.equal(store.renameMailbox(name('p'), name('r')), 1);
    assert.ok(store.findMailbox(name('r/q')));
  });

  test('rename onto an existing name fails and changes nothing', (t) => {
    const store = openNew(t);
    for (const n of ['a', 'a/b', 'c', 'c/b']) store.addMailbox(name(n), false);
    assert.equal(store.renameMailbox(name('a'), name('d')), 2);
    assert.throws(
      () => store.renameMailbox(name('d'), name('c')),
      storeError('exists', /"c" already exists/),
    );
    assert.deepEqual(
      store.listMailboxes().map((m) => m.name.toString('latin1').replaceAll('\0', '/')),
      ['d', 'd/b', 'c', 'c/b'],
    );
  });

  test('delete removes state, mapping and journal rows of that mailbox only', (t) => {
    const store = openNew(t);
    const [a, b] = [store.addMailbox(name('a'), false), store.addMailbox(name('b'), false)];
    for (const idx of [a, b]) {
      store.initMailboxState(idx, side(7), side(8));
      store.addMappings(idx, [
        [1, 2],
        [3, 4],
      ]);
      store.recordAppendIntents(idx, 'remote', [intent(5)]);
    }
    assert.equal(store.deleteMailbox(a), true);
    assert.equal(store.deleteMailbox(a), false);
    assert.equal(store.getState(a), undefined);
    assert.equal(store.getMappings(a).byLocal.size, 0);
    assert.deepEqual(store.pendingAppendIntents(a), []);
    assert.equal(store.getMappings(b).byLocal.size, 2);
    assert.equal(store.pendingAppendIntents(b).length, 1);
    assert.deepEqual(store.getState(b)?.local, side(7));
  });
});

function side(uidValidity: number, uidNext = 0, highestModseq = 0n) {
  return { uidValidity, uidNext, highestModseq };
}

function intent(sourceUid: number, extra: Partial<AppendIntent> = {}): AppendIntent {
  return {
    sourceUid,
    targetUidNext: 10,
    size: 1234,
    internalDate: '17-Jul-1996 02:44:25 -0700',
    messageId: `<${sourceUid}@example.org>`,
    sha256: Buffer.alloc(32, sourceUid),
    ...extra,
  };
}

describe('state and checkpoints', () => {
  test('a 2^63-1 HIGHESTMODSEQ round-trips as a bigint, exactly, through a reopen', (t) => {
    const path = join(tempDir(t), 'state.db');
    let store = StateStore.open(path, { create: true });
    const idx = store.addMailbox(name('INBOX'), true);
    store.initMailboxState(idx, side(1, 0, 0n), side(4294967295, 0, 0n));
    store.checkpointModseq(idx, MAX_MODSEQ, MAX_MODSEQ - 1n);
    store.checkpointUidNext(idx, 4294967295, 17);
    store.close();
    store = StateStore.open(path, { create: false });
    assert.deepEqual(store.getState(idx), {
      local: side(1, 4294967295, MAX_MODSEQ),
      remote: side(4294967295, 17, MAX_MODSEQ - 1n),
    });
    assert.equal(typeof store.getState(idx)?.local.highestModseq, 'bigint');
    store.close();
    const raw = new Database(path, { readonly: true });
    raw.defaultSafeIntegers(true);
    assert.equal(raw.prepare('SELECT HIGHESTMODSEQ FROM local').pluck().get(), MAX_MODSEQ);
    raw.close();
  });

  test('a negative cell, which the Perl tool writes for a MODSEQ of 2^63 or more, reads unsigned', (t) => {
    const path = join(tempDir(t), 'state.db');
    let store = StateStore.open(path, { create: true });
    const idx = store.addMailbox(name('INBOX'), true);
    store.initMailboxState(idx, side(1), side(2));
    store.close();
    const raw = new Database(path);
    raw.exec('UPDATE remote SET HIGHESTMODSEQ = -1');
    raw.close();
    store = StateStore.open(path, { create: false });
    t.after(() => store.close());
    assert.equal(store.getState(idx)?.remote.highestModseq, (1n << 64n) - 1n);
  });

  test('out-of-range values are refused before anything is written', (t) => {
    const store = openNew(t);
    const idx = store.addMailbox(name('INBOX'), true);
    store.initMailboxState(idx, side(1), side(2));
    assert.throws(() => store.checkpointModseq(idx, 1n << 63n, 1n), /MODSEQ/);
    assert.throws(() => store.checkpointModseq(idx, 5n, -1n), /MODSEQ/);
    assert.throws(() => store.checkpointModseq(idx, 5 as unknown as bigint, 1n), /as a bigint/);
    assert.throws(() => store.checkpointUidNext(idx, 1.5, 1), /UIDNEXT/);
    assert.throws(() => store.addMappings(idx, [[0, 1]]), /UID/);
    assert.deepEqual(store.getState(idx), { local: side(1), remote: side(2) });
  });

  test('a checkpoint for a mailbox without state is an error, not a silent no-op', (t) => {
    const store = openNew(t);
    const idx = store.addMailbox(name('INBOX'), true);
    assert.equal(store.getState(idx), undefined);
    assert.throws(
      () => store.checkpointModseq(idx, 1n, 1n),
      storeError('integrity', /no local state of mailbox/),
    );
  });

  test('a failing statement inside transaction() rolls back the whole checkpoint', (t) => {
    const store = openNew(t);
    const idx = store.addMailbox(name('INBOX'), true);
    store.initMailboxState(idx, side(1), side(2));
    assert.throws(() =>
      store.transaction(() => {
        store.addMappings(idx, [[1, 1]]);
        store.checkpointUidNext(idx, 2, 2);
        store.addMappings(idx, [[2, 1]]); // rUID 1 is taken: UNIQUE (idx, rUID)
      }),
    );
    assert.equal(store.getMappings(idx).byLocal.size, 0);
    assert.equal(store.getState(idx)?.local.uidNext, 0);
  });
});

describe('mapping', () => {
  test('is read both ways and removed by either side', (t) => {
    const store = openNew(t);
    const idx = store.addMailbox(name('INBOX'), true);
    store.initMailboxState(idx, side(1), side(2));
    store.addMappings(idx, [
      [1, 10],
      [2, 30],
      [3, 20],
      [4, 40],
    ]);
    const m = store.getMappings(idx);
    assert.deepEqual(
      [...m.byLocal],
      [
        [1, 10],
        [2, 30],
        [3, 20],
        [4, 40],
      ],
    );
    assert.equal(m.byRemote.get(20), 3);
    // What planning the trackers' changes reads: the pairs of the given UIDs that are mapped.
    assert.deepEqual(store.mappingsOf(idx, 'local', [4, 99, 2]), [
      [4, 40],
      [2, 30],
    ]);
    assert.deepEqual(store.mappingsOf(idx, 'remote', [20, 21]), [[3, 20]]);
    // What SELECT's QRESYNC sample and the interrupted-run check read, without the whole mapping.
    assert.equal(store.mappingCount(idx), 4);
    assert.deepEqual([...store.highestMapped(idx, 'local')].flat(), [4, 3, 2, 1]);
    assert.deepEqual([...store.highestMapped(idx, 'remote')].flat(), [40, 30, 20, 10]);
    assert.equal(store.mappingCount(idx), 4);
    assert.deepEqual(store.mappedUidsFrom(idx, 'remote', 25).sort(), [30, 40]);
    assert.equal(store.removeMappingsByLocal(idx, [1, 99]), 1);
    assert.equal(store.removeMappingsByRemote(idx, [20, 40]), 2);
    assert.deepEqual([...store.getMappings(idx).byLocal], [[2, 30]]);
  });

  test('highestMapped reads page after page, highest first, as far as asked', (t) => {
    const store = openNew(t);
    const idx = store.addMailbox(name('INBOX'), true);
    store.initMailboxState(idx, side(1), side(2));
    // 1,500 pairs: more than the first pages together; remote UIDs descend as local ones rise.
    const pairs = Array.from({ length: 1500 }, (_, k) => [2 * k + 1, 10_000 - k] as [number, number]);
    store.addMappings(idx, pairs);
    const local = [...store.highestMapped(idx, 'local')];
    assert.deepEqual(
      local.map((page) => page.length),
      [64, 1024, 412],
    );
    assert.deepEqual(local.flat(), pairs.map(([l]) => l).reverse());
    const remote = store.highestMapped(idx, 'remote');
    assert.deepEqual(remote.next().value?.slice(0, 2), [10_000, 9_999]);
    // Left after the first page: nothing stays busy, the next read works.
    assert.equal([...store.highestMapped(idx, 'remote')].flat().at(-1), 10_000 - 1499);
  });

  test('timing: addMappings of 10,000 pairs and getMappings of 100,000', (t) => {
    const store = openNew(t);
    const idx = store.addMailbox(name('INBOX'), true);
    store.initMailboxState(idx, side(1), side(2));
    const batch = (from: number) =>
      Array.from({ length: 10000 }, (_, i) => [from + i, 2 * (from + i)] as const);
    let started = performance.now();
    store.addMappings(idx, batch(1));
    const addMs = performance.now() - started;
    for (let k = 1; k < 10; k++) store.addMappings(idx, batch(1 + k * 10000));
    started = performance.now();
    const m = store.getMappings(idx);
    const getMs = performance.now() - started;
    assert.equal(m.byLocal.size, 100000);
    assert.equal(m.byRemote.get(200000), 100000);
    t.diagnostic(`addMappings(10,000): ${addMs.toFixed(1)} ms; getMappings(100,000): ${getMs.toFixed(1)} ms`);
  });
});

describe('append journal', () => {
  test('intents survive a reopen and completing them maps and clears in one step', (t) => {
    const path = join(tempDir(t), 'state.db');
    let store = StateStore.open(path, { create: true });
    const idx = store.addMailbox(name('INBOX'), true);
    store.initMailboxState(idx, side(1), side(2));
    store.recordAppendIntents(idx, 'remote', [intent(5), intent(6, { messageId: null, sha256: null })]);
    store.recordAppendIntents(idx, 'local', [intent(9, { targetUidNext: 3 })]);
    store.close();
    store = StateStore.open(path, { create: false });
    t.after(() => store.close());
    const pending = store.pendingAppendIntents(idx);
    assert.deepEqual(pending, [
      { target: 'local', ...intent(9, { targetUidNext: 3 }) },
      { target: 'remote', ...intent(5) },
      { target: 'remote', ...intent(6, { messageId: null, sha256: null }) },
    ]);
    store.completeAppends(idx, 'remote', [[5, 100]], [6]);
    store.completeAppends(idx, 'local', [[9, 50]]);
    assert.deepEqual(store.pendingAppendIntents(idx), []);
    assert.deepEqual(
      [...store.getMappings(idx).byLocal],
      [
        [5, 100],
        [50, 9],
      ],
    );
  });

  test('a repeated intent keeps the lowest target UIDNEXT', (t) => {
    const store = openNew(t);
    const idx = store.addMailbox(name('INBOX'), true);
    store.recordAppendIntents(idx, 'remote', [intent(5, { targetUidNext: 10 })]);
    store.recordAppendIntents(idx, 'remote', [intent(5, { targetUidNext: 12, size: 99 })]);
    assert.deepEqual(store.pendingAppendIntents(idx), [
      { target: 'remote', ...intent(5, { targetUidNext: 10, size: 99 }) },
    ]);
  });

  test('a failed completion (mapping conflict) keeps every intent', (t) => {
    const store = openNew(t);
    const idx = store.addMailbox(name('INBOX'), true);
    store.addMappings(idx, [[1, 100]]);
    store.recordAppendIntents(idx, 'remote', [intent(5), intent(6)]);
    assert.throws(() =>
      store.completeAppends(idx, 'remote', [
        [5, 101],
        [6, 100],
      ]),
    );
    assert.equal(store.pendingAppendIntents(idx).length, 2);
    store.clearAppendIntents(idx);
    assert.deepEqual(store.pendingAppendIntents(idx), []);
  });

  test('a bad digest is refused', (t) => {
    const store = openNew(t);
    const idx = store.addMailbox(name('INBOX'), true);
    assert.throws(
      () => store.recordAppendIntents(idx, 'local', [intent(1, { sha256: Buffer.alloc(20) })]),
      /32 bytes/,
    );
  });
});

describe('version-0 databases (Perl interimap < 0.5)', () => {
  test('open with an upgrade pending, then upgrade with the delimiter', (t) => {
    const path = join(tempDir(t), 'old.db');
    makeLegacyDatabase(path, ['INBOX', 'a/b', 'a/b/c']);
    const store = StateStore.open(path, { create: false });
    t.after(() => store.close());
    assert.equal(store.upgradePending, true);
    assert.throws(() => store.listMailboxes(), storeError('upgrade-pending', /schema upgraded first/));
    assert.throws(() => store.upgradeSchema('/', '.'), storeError('delimiter-mismatch', /differ/));
    store.upgradeSchema('/', '/');
    assert.equal(store.upgradePending, false);
    assert.deepEqual(
      store.listMailboxes().map((m) => m.name.toString('latin1')),
      ['INBOX', 'a\0b', 'a\0b\0c'],
    );
    assert.deepEqual(store.getState(2), { local: side(11, 5, 1n << 40n), remote: side(12, 6, 7n) });
    assert.equal(store.getMappings(2).byLocal.get(4), 4);
  });
});
