// The database schema: the four tables of InterIMAP 0.5.7 (user_version 1), our own append journal,
// recognising what a file holds, creating the schema, and the version 0 → 1 upgrade.
import type Database from 'better-sqlite3';
import { StoreError } from './errors.js';

/** The PRAGMA user_version this schema is. */
export const SCHEMA_VERSION = 1;

/* Column lists written so that `PRAGMA table_info`, `foreign_key_list`, `index_list` and the
 * CHECK constraints match a database created by the Perl interimap 0.5.7, which it then accepts.
 * Invariants (the Perl tool's): UIDVALIDITY never changes; everything below UIDNEXT and up to
 * HIGHESTMODSEQ has been propagated; an idx is in both `local` and `remote` or in neither; a
 * mapping's idx is in both. A mapping row at or above UIDNEXT marks an interrupted sync. */
const MAILBOXES_COLUMNS = `
  idx        INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  mailbox    BLOB COLLATE BINARY NOT NULL CHECK (mailbox != '') UNIQUE,
  subscribed BOOLEAN NOT NULL`;

/** HIGHESTMODSEQ is declared unsigned but SQLite stores a signed 64-bit integer: 63 bits usable. */
const SIDE_COLUMNS = `
  idx           INTEGER         NOT NULL PRIMARY KEY REFERENCES mailboxes(idx),
  UIDVALIDITY   UNSIGNED INT    NOT NULL CHECK (UIDVALIDITY > 0),
  UIDNEXT       UNSIGNED INT    NOT NULL,
  HIGHESTMODSEQ UNSIGNED BIGINT NOT NULL`;

const MAPPING_COLUMNS = `
  idx  INTEGER      NOT NULL REFERENCES mailboxes(idx),
  lUID UNSIGNED INT NOT NULL CHECK (lUID > 0),
  rUID UNSIGNED INT NOT NULL CHECK (rUID > 0),
  PRIMARY KEY (idx, lUID),
  UNIQUE      (idx, rUID)`;

/** The tables of the Perl schema, parents first. */
const PERL_TABLES: ReadonlyArray<readonly [name: string, columns: string]> = [
  ['mailboxes', MAILBOXES_COLUMNS],
  ['local', SIDE_COLUMNS],
  ['remote', SIDE_COLUMNS],
  ['mapping', MAPPING_COLUMNS],
];

/** Our own table; the Perl tool never reads it. ON DELETE CASCADE keeps the Perl tool's
 *  `DELETE FROM mailboxes` (run with foreign keys on) working when journal rows are left. */
export const JOURNAL_TABLE = 'interimap_ts_append_journal';
const JOURNAL_DDL = `CREATE TABLE IF NOT EXISTS ${JOURNAL_TABLE} (
  idx           INTEGER NOT NULL REFERENCES mailboxes(idx) ON DELETE CASCADE,
  target        TEXT    NOT NULL CHECK (target IN ('local', 'remote')),
  sourceUID     INTEGER NOT NULL CHECK (sourceUID > 0),
  targetUIDNEXT INTEGER NOT NULL CHECK (targetUIDNEXT >= 0),
  size          INTEGER NOT NULL CHECK (size >= 0),
  internalDate  TEXT    NOT NULL,
  messageId     TEXT,
  sha256        BLOB    CHECK (sha256 IS NULL OR length(sha256) = 32),
  PRIMARY KEY (idx, target, sourceUID)
) WITHOUT ROWID`;

/** The columns each Perl table must have for a file to be taken as an interimap database. */
const EXPECTED_COLUMNS: Record<string, string> = {
  mailboxes: 'idx,mailbox,subscribed',
  local: 'idx,UIDVALIDITY,UIDNEXT,HIGHESTMODSEQ',
  remote: 'idx,UIDVALIDITY,UIDNEXT,HIGHESTMODSEQ',
  mapping: 'idx,lUID,rUID',
};

/** What an opened file holds. `legacy` is a version-0 database: names still hold the delimiter. */
export type SchemaStatus = 'empty' | 'current' | 'legacy';

export function inspectSchema(db: Database.Database, path: string): SchemaStatus {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new StoreError(
      'too-new',
      `database ${path} has schema version ${version}, newer than the supported ${SCHEMA_VERSION}`,
    );
  }
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    .pluck()
    .all() as string[];
  if (version === 0 && tables.length === 0) return 'empty';
  for (const [table, expected] of Object.entries(EXPECTED_COLUMNS)) {
    const columns = (db.pragma(`table_info(${table})`) as Array<{ name: string }>).map((c) => c.name);
    if (columns.join(',') !== expected) {
      throw new StoreError(
        'not-interimap',
        `database ${path} is not an interimap database (table ${table} ${columns.length === 0 ? 'is missing' : 'has unexpected columns'})`,
      );
    }
  }
  return version === 0 ? 'legacy' : 'current';
}

/** Creates the whole schema in an empty database, in one transaction. */
export function createSchema(db: Database.Database): void {
  db.transaction(() => {
    for (const [name, columns] of PERL_TABLES) db.exec(`CREATE TABLE ${name} (${columns})`);
    db.exec(JOURNAL_DDL);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}

/** Adds our own tables to a current database (a no-op once they exist). */
export function ensureOwnTables(db: Database.Database): void {
  db.exec(JOURNAL_DDL);
}

/** Replaces every `delimiter` byte of a version-0 name by NUL (delimiters are one 7-bit char). */
function withNulSeparators(name: Buffer, delimiter: string | null): Buffer {
  if (delimiter === null) return name;
  const byte = delimiter.charCodeAt(0);
  return Buffer.from(name.map((b) => (b === byte ? 0 : b)));
}

/**
 * Upgrades a version-0 database, whose mailbox names are TEXT holding the hierarchy delimiter,
 * to version 1 (BLOB names with NUL separators), as the Perl tool does once the servers have told
 * their delimiters. Both delimiters must agree (null: NIL, the names are flat). Rebuilds the table
 * following https://sqlite.org/lang_altertable.html ("making other kinds of table schema changes").
 */
export function upgradeLegacySchema(
  db: Database.Database,
  local: string | null,
  remote: string | null,
): void {
  if (local !== remote) {
    throw new StoreError(
      'delimiter-mismatch',
      `local and remote hierarchy delimiters differ (${JSON.stringify(local)} vs ${JSON.stringify(remote)}), refusing to upgrade the mailboxes table`,
    );
  }
  const scratch = '_interimap_ts_upgrade_mailboxes';
  // Dropping the parent table with foreign keys on would cascade-check its children; the
  // pragma is a no-op inside a transaction, so it is switched around it.
  db.pragma('foreign_keys = OFF');
  try {
    db.transaction(() => {
      db.exec(`CREATE TABLE ${scratch} (${MAILBOXES_COLUMNS})`);
      const insert = db.prepare(`INSERT INTO ${scratch} (idx, mailbox, subscribed) VALUES (?, ?, ?)`);
      const rows = db.prepare('SELECT idx, CAST(mailbox AS BLOB), subscribed FROM mailboxes').raw().all();
      for (const [idx, name, subscribed] of rows as Array<[number, Buffer, number]>) {
        insert.run(idx, withNulSeparators(name, local), subscribed);
      }
      db.exec(`DROP TABLE mailboxes; ALTER TABLE ${scratch} RENAME TO mailboxes`);
      if ((db.pragma('foreign_key_check') as unknown[]).length > 0) {
        throw new StoreError(
          'integrity',
          'broken referential integrity in the database, upgrade not committed',
        );
      }
      db.exec(JOURNAL_DDL);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
  } finally {
    db.pragma('foreign_keys = ON');
  }
}
