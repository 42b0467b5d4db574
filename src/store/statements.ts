// Every SQL statement the store runs after opening, prepared once per connection.
// Statements that read HIGHESTMODSEQ use safe integers, so 63-bit values arrive as bigints.
import type Database from 'better-sqlite3';
import { JOURNAL_TABLE } from './schema.js';

export function prepareStatements(db: Database.Database) {
  const sideState = (side: 'local' | 'remote') =>
    db.prepare(`SELECT UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ FROM ${side} WHERE idx = ?`).raw().safeIntegers();
  const sideInsert = (side: 'local' | 'remote') =>
    db.prepare(`INSERT INTO ${side} (idx, UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ) VALUES (?, ?, ?, ?)`);
  return {
    listMailboxes: db.prepare('SELECT idx, mailbox, subscribed FROM mailboxes ORDER BY idx').raw(),
    findMailbox: db.prepare('SELECT idx, mailbox, subscribed FROM mailboxes WHERE mailbox = ?').raw(),
    childMailboxes: db
      .prepare('SELECT idx, mailbox FROM mailboxes WHERE substr(mailbox, 1, ?) = ? ORDER BY idx')
      .raw(),
    insertMailbox: db.prepare('INSERT INTO mailboxes (mailbox, subscribed) VALUES (?, ?)'),
    setSubscribed: db.prepare('UPDATE mailboxes SET subscribed = ? WHERE idx = ?'),
    renameMailbox: db.prepare('UPDATE mailboxes SET mailbox = ? WHERE idx = ?'),
    // Children first: `mailboxes` is the parent of every other table.
    deleteMailbox: [
      db.prepare('DELETE FROM mapping WHERE idx = ?'),
      db.prepare(`DELETE FROM ${JOURNAL_TABLE} WHERE idx = ?`),
      db.prepare('DELETE FROM local WHERE idx = ?'),
      db.prepare('DELETE FROM remote WHERE idx = ?'),
      db.prepare('DELETE FROM mailboxes WHERE idx = ?'),
    ],

    localState: sideState('local'),
    remoteState: sideState('remote'),
    insertLocal: sideInsert('local'),
    insertRemote: sideInsert('remote'),
    localModseq: db.prepare('UPDATE local SET HIGHESTMODSEQ = ? WHERE idx = ?'),
    remoteModseq: db.prepare('UPDATE remote SET HIGHESTMODSEQ = ? WHERE idx = ?'),
    localUidNext: db.prepare('UPDATE local SET UIDNEXT = ? WHERE idx = ?'),
    remoteUidNext: db.prepare('UPDATE remote SET UIDNEXT = ? WHERE idx = ?'),

    insertMapping: db.prepare('INSERT INTO mapping (idx, lUID, rUID) VALUES (?, ?, ?)'),
    deleteByLocal: db.prepare('DELETE FROM mapping WHERE idx = ? AND lUID = ?'),
    deleteByRemote: db.prepare('DELETE FROM mapping WHERE idx = ? AND rUID = ?'),
    // Two single-column reads in the same order: plucked numbers cost far less than row arrays.
    mappedLocal: db.prepare('SELECT lUID FROM mapping WHERE idx = ? ORDER BY lUID').pluck(),
    mappedRemote: db.prepare('SELECT rUID FROM mapping WHERE idx = ? ORDER BY lUID').pluck(),
    mappedCount: db.prepare('SELECT count(*) FROM mapping WHERE idx = ?').pluck(),
    pairByLocal: db.prepare('SELECT lUID, rUID FROM mapping WHERE idx = ? AND lUID = ?').raw(),
    pairByRemote: db.prepare('SELECT lUID, rUID FROM mapping WHERE idx = ? AND rUID = ?').raw(),
    // A page of the highest mapped UIDs below a bound (keyset pagination on the index).
    localBelow: db
      .prepare('SELECT lUID FROM mapping WHERE idx = ? AND lUID < ? ORDER BY lUID DESC LIMIT ?')
      .pluck(),
    remoteBelow: db
      .prepare('SELECT rUID FROM mapping WHERE idx = ? AND rUID < ? ORDER BY rUID DESC LIMIT ?')
      .pluck(),
    localMappedFrom: db.prepare('SELECT lUID FROM mapping WHERE idx = ? AND lUID >= ?').pluck(),
    remoteMappedFrom: db.prepare('SELECT rUID FROM mapping WHERE idx = ? AND rUID >= ?').pluck(),

    // A repeated intent keeps the lowest target UIDNEXT, so the search for an orphan copy still
    // covers every earlier attempt.
    recordIntent: db.prepare(
      `INSERT INTO ${JOURNAL_TABLE}
         (idx, target, sourceUID, targetUIDNEXT, size, internalDate, messageId, sha256)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (idx, target, sourceUID) DO UPDATE SET
         targetUIDNEXT = min(targetUIDNEXT, excluded.targetUIDNEXT), size = excluded.size,
         internalDate = excluded.internalDate, messageId = excluded.messageId, sha256 = excluded.sha256`,
    ),
    pendingIntents: db
      .prepare(
        `SELECT target, sourceUID, targetUIDNEXT, size, internalDate, messageId, sha256
           FROM ${JOURNAL_TABLE} WHERE idx = ? ORDER BY target, sourceUID`,
      )
      .raw(),
    clearIntent: db.prepare(`DELETE FROM ${JOURNAL_TABLE} WHERE idx = ? AND target = ? AND sourceUID = ?`),
    clearIntents: db.prepare(`DELETE FROM ${JOURNAL_TABLE} WHERE idx = ?`),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
