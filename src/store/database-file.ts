// Opening the database file: creating it private (0600 in a 0700 directory), then taking the
// exclusive lock that keeps every other interimap process, ours or the Perl one, away from it.
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError } from './errors.js';

/** How long to wait for a lock held by a short-lived reader (e.g. an sqlite3 shell); the same
 *  as the Perl tool. Another interimap holds its lock for its whole run: waiting longer is useless. */
const BUSY_TIMEOUT_MS = 250;

/** Creates an empty file with mode 0600 if none exists; an existing file is left as it is. */
function createPrivateFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}

/**
 * better-sqlite3's compiled addon, where its install puts it (build/Release). Given to it rather
 * than found by it: its finder (the bindings package) tries a dozen places from the caller's file,
 * which in the bundled program is ours, not better-sqlite3's. For another layout, the same finder
 * is run from better-sqlite3's own directory.
 */
function sqliteAddon(): string {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve('better-sqlite3/package.json'));
  const built = join(root, 'build', 'Release', 'better_sqlite3.node');
  if (existsSync(built)) return built;
  const bindings = require(require.resolve('bindings', { paths: [root] })) as (o: object) => string;
  return bindings({ bindings: 'better_sqlite3.node', module_root: root, path: true });
}

function sqliteCode(e: unknown): string | undefined {
  return e instanceof Database.SqliteError ? e.code : undefined;
}

/** SQLite's failures of the file itself rather than of a statement: the disk, the directory. */
const FILE_FAILURES = /^SQLITE_(CANTOPEN|IOERR|FULL|READONLY)/;

/**
 * A write that failed because the file could not be written (a full disk, a directory where the
 * log cannot be made) as a StoreError naming the database; any other error as it is.
 */
export function fileFailure(e: unknown, path: string): unknown {
  const code = sqliteCode(e);
  if (code === undefined || !FILE_FAILURES.test(code)) return e;
  return new StoreError('open', `cannot write database ${path}: ${(e as Error).message}`);
}

/**
 * Opens `path` read-write and locks it exclusively before anything else (in particular before
 * any network traffic), or throws a StoreError. The lock is SQLite's own: `locking_mode =
 * EXCLUSIVE` plus one write transaction leaves an exclusive POSIX lock on the file until close,
 * which is what the Perl interimap takes too, so each excludes the other.
 */
export function openLocked(path: string, create: boolean): Database.Database {
  try {
    if (create) createPrivateFile(path);
    else if (!existsSync(path)) throw new StoreError('missing', `database ${path} does not exist`);
  } catch (e) {
    if (e instanceof StoreError) throw e;
    throw new StoreError('open', `cannot create database ${path}: ${(e as Error).message}`);
  }
  let db: Database.Database;
  try {
    db = new Database(path, { fileMustExist: true, timeout: BUSY_TIMEOUT_MS, nativeBinding: sqliteAddon() });
  } catch (e) {
    throw new StoreError('open', `cannot open database ${path}: ${(e as Error).message}`);
  }
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE; COMMIT');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
  } catch (e) {
    db.close();
    switch (sqliteCode(e)) {
      case 'SQLITE_BUSY':
        throw new StoreError('locked', `database ${path} is locked by another interimap process`);
      case 'SQLITE_NOTADB':
        throw new StoreError('not-interimap', `database ${path} is not an SQLite database`);
      default:
        throw new StoreError('open', `cannot lock database ${path}: ${(e as Error).message}`);
    }
  }
  return db;
}

/**
 * Puts a database opened by openLocked into write-ahead-log mode, for a run about to write: a
 * commit is then one synced append to the log (FULL: durable once commit returns), where a rollback
 * journal in exclusive mode costs three syncs (journal, database, journal header reset): 81 fsyncs
 * instead of 275 on a small incremental, each a disk flush on a laptop. The switch itself rewrites
 * the header through a journal (four syncs), and leaving the mode at close as many again, so a run
 * that writes nothing (a no-op) never makes it and leaves the file as it found it. Under the
 * exclusive lock SQLite never makes the shared-memory index (a `-shm` file) either. After a crash,
 * whichever tool opens the file next replays the log.
 */
export function startWriteAheadLog(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
}

/** True when the file is in write-ahead-log mode (a run killed while writing left it so). */
export function inWriteAheadLog(db: Database.Database): boolean {
  return db.pragma('journal_mode', { simple: true }) === 'wal';
}

/** Back to rollback-journal mode, as the Perl tool expects the file. */
export function endWriteAheadLog(db: Database.Database): void {
  db.pragma('journal_mode = DELETE');
}
