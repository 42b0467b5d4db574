// Builds a state database as the Perl interimap wrote it before 0.5 (user_version 0, TEXT names
// holding the hierarchy delimiter), to test the version 0 → 1 upgrade.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** A database as the Perl interimap wrote before 0.5 (user_version 0, TEXT names). */
export function makeLegacyDatabase(path: string, names: string[]): void {
  mkdirSync(join(path, '..'), { recursive: true });
  const db = new Database(path);
  db.exec(`
    CREATE TABLE mailboxes (idx INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
      mailbox TEXT NOT NULL CHECK (mailbox != '') UNIQUE, subscribed BOOLEAN NOT NULL);
    CREATE TABLE local (idx INTEGER NOT NULL PRIMARY KEY REFERENCES mailboxes(idx),
      UIDVALIDITY UNSIGNED INT NOT NULL CHECK (UIDVALIDITY > 0), UIDNEXT UNSIGNED INT NOT NULL,
      HIGHESTMODSEQ UNSIGNED BIGINT NOT NULL);
    CREATE TABLE remote (idx INTEGER NOT NULL PRIMARY KEY REFERENCES mailboxes(idx),
      UIDVALIDITY UNSIGNED INT NOT NULL CHECK (UIDVALIDITY > 0), UIDNEXT UNSIGNED INT NOT NULL,
      HIGHESTMODSEQ UNSIGNED BIGINT NOT NULL);
    CREATE TABLE mapping (idx INTEGER NOT NULL REFERENCES mailboxes(idx),
      lUID UNSIGNED INT NOT NULL CHECK (lUID > 0), rUID UNSIGNED INT NOT NULL CHECK (rUID > 0),
      PRIMARY KEY (idx,lUID), UNIQUE (idx,rUID));`);
  const insert = db.prepare('INSERT INTO mailboxes (mailbox, subscribed) VALUES (?, 0)');
  for (const n of names) insert.run(n);
  db.exec(`INSERT INTO local VALUES (2, 11, 5, ${1n << 40n}); INSERT INTO remote VALUES (2, 12, 6, 7);
    INSERT INTO mapping VALUES (2, 4, 4);`);
  db.close();
}
