// StateStore: the synchronisation state of one account pair, in the SQLite database shared with
// the Perl InterIMAP 0.5.7. Every write method is one synchronous transaction (a checkpoint).
import type Database from 'better-sqlite3';
import {
  endWriteAheadLog,
  fileFailure,
  inWriteAheadLog,
  openLocked,
  startWriteAheadLog,
} from './database-file.js';
import { StoreError } from './errors.js';
import { createSchema, ensureOwnTables, inspectSchema, upgradeLegacySchema } from './schema.js';
import { prepareStatements, type Statements } from './statements.js';
import type {
  AppendedPair,
  AppendIntent,
  MailboxRow,
  MailboxState,
  PendingAppend,
  Side,
  SideState,
  UidMapping,
  UidPair,
} from './types.js';
import {
  checkMailboxName,
  checkModseq,
  checkUid,
  checkUidNext,
  checkUidValidity,
  modseqFromCell,
  nameFromCell,
  showName,
} from './values.js';

/** Above every UID (RFC 3501 §2.3.1.1: 32-bit). */
const UID_BOUND = 2 ** 32;
/** highestMapped's first page and the next ones: a QRESYNC sample often stops within the first. */
const FIRST_PAGE = 64;
const LAST_PAGE = 1024;

export interface OpenOptions {
  /** Create the file (and its directory) when missing; false in watch mode. */
  create: boolean;
}

type MailboxCells = [idx: number, name: Buffer | string, subscribed: number];

function mailboxFromCells([idx, name, subscribed]: MailboxCells): MailboxRow {
  return { idx, name: nameFromCell(name), subscribed: subscribed !== 0 };
}

function sideFromCells(cells: [bigint, bigint, bigint] | undefined): SideState | undefined {
  if (cells === undefined) return undefined;
  return {
    uidValidity: Number(cells[0]),
    uidNext: Number(cells[1]),
    highestModseq: modseqFromCell(cells[2]),
  };
}

export class StateStore {
  #statements: Statements | undefined;
  /** Runs its argument in a transaction. Made once: db.transaction() builds four wrappers per call. */
  readonly #inTransaction: (fn: () => unknown) => unknown;
  /** The file is in write-ahead-log mode: this run has written, or a killed one left it so. */
  #logging: boolean;

  private constructor(
    private readonly db: Database.Database,
    /** The file this store holds locked. */
    readonly path: string,
    /** True when open() created the schema (the file was new or empty). */
    readonly created: boolean,
  ) {
    this.#inTransaction = db.transaction((fn: () => unknown) => fn());
    this.#logging = inWriteAheadLog(db);
  }

  /**
   * Opens and locks the database, creating the schema in an empty file. Throws a StoreError when
   * the file is missing (and create is false), locked, not an interimap database, or too new.
   * A version-0 database (Perl interimap < 0.5) opens with `upgradePending` set: call
   * upgradeSchema() once both servers have told their hierarchy delimiter, before anything else.
   */
  static open(path: string, opts: OpenOptions): StateStore {
    const db = openLocked(path, opts.create);
    try {
      const status = inspectSchema(db, path);
      if (status === 'empty') createSchema(db);
      const store = new StateStore(db, path, status === 'empty');
      if (status !== 'legacy') store.#ready();
      return store;
    } catch (e) {
      db.close();
      throw e;
    }
  }

  /** True for a version-0 database until upgradeSchema() has run. */
  get upgradePending(): boolean {
    return this.#statements === undefined;
  }

  /** Upgrades a version-0 database given each server's hierarchy delimiter (null for NIL). */
  upgradeSchema(localDelimiter: string | null, remoteDelimiter: string | null): void {
    if (!this.upgradePending) return;
    upgradeLegacySchema(this.db, localDelimiter, remoteDelimiter);
    this.#ready();
  }

  /**
   * Releases the lock, the file back in rollback-journal mode if a write had left it in
   * write-ahead-log mode (database-file.ts); should that fail, it stays a valid database in that mode.
   */
  close(): void {
    if (this.#logging) {
      try {
        endWriteAheadLog(this.db);
      } catch {}
    }
    this.db.close();
  }

  /** Throws unless the database is open (closed by a shutdown, for instance). */
  assertOpen(): void {
    if (!this.db.open) throw new StoreError('open', `database ${this.path} is closed`);
  }

  /**
   * Runs `fn`, which writes, in one transaction (nested calls become savepoints). `fn` must not
   * be async. Every write of the store goes through here: the first one starts the log.
   */
  transaction<T>(fn: () => T): T {
    try {
      if (!this.#logging && !this.db.inTransaction) {
        startWriteAheadLog(this.db);
        this.#logging = true;
      }
      return this.#inTransaction(fn) as T;
    } catch (e) {
      throw fileFailure(e, this.path);
    }
  }

  #ready(): void {
    ensureOwnTables(this.db);
    this.#statements = prepareStatements(this.db);
  }

  get #sql(): Statements {
    if (this.#statements === undefined) {
      throw new StoreError('upgrade-pending', `database ${this.path} needs its schema upgraded first`);
    }
    return this.#statements;
  }

  // ---- mailboxes -------------------------------------------------------------------------

  listMailboxes(): MailboxRow[] {
    return (this.#sql.listMailboxes.all() as MailboxCells[]).map(mailboxFromCells);
  }

  findMailbox(name: Buffer): MailboxRow | undefined {
    const cells = this.#sql.findMailbox.get(checkMailboxName(name)) as MailboxCells | undefined;
    return cells && mailboxFromCells(cells);
  }

  /** Adds a mailbox and returns its idx. */
  addMailbox(name: Buffer, subscribed: boolean): number {
    const sql = this.#sql;
    if (this.findMailbox(name) !== undefined) {
      throw new StoreError('exists', `mailbox ${showName(name)} already exists in the database`);
    }
    return this.transaction(() => Number(sql.insertMailbox.run(name, subscribed ? 1 : 0).lastInsertRowid));
  }

  setSubscribed(idx: number, subscribed: boolean): void {
    const sql = this.#sql;
    this.transaction(() =>
      this.#expectOneRow(sql.setSubscribed.run(subscribed ? 1 : 0, idx), 'mailbox', idx),
    );
  }

  /**
   * Renames `from` and its descendants (names starting with `from` + NUL) to `to`; `from` itself
   * need not be in the database. Returns how many rows were renamed.
   */
  renameMailbox(from: Buffer, to: Buffer): number {
    const sql = this.#sql;
    checkMailboxName(from);
    checkMailboxName(to);
    const prefix = Buffer.concat([from, Buffer.of(0)]);
    return this.transaction(() => {
      const self = this.findMailbox(from);
      const children = sql.childMailboxes.all(prefix.length, prefix) as Array<[number, Buffer]>;
      const renames: Array<[number, Buffer]> = children.map(([idx, name]) => [
        idx,
        Buffer.concat([to, name.subarray(from.length)]),
      ]);
      if (self !== undefined) renames.unshift([self.idx, to]);
      for (const [idx, name] of renames) {
        const taken = this.findMailbox(name);
        if (taken !== undefined && taken.idx !== idx) {
          throw new StoreError('exists', `mailbox ${showName(name)} already exists in the database`);
        }
        sql.renameMailbox.run(name, idx);
      }
      return renames.length;
    });
  }

  /** Removes a mailbox with its state, mapping and journal rows. Returns false if it was unknown. */
  deleteMailbox(idx: number): boolean {
    const statements = this.#sql.deleteMailbox;
    return this.transaction(() => statements.map((s) => s.run(idx).changes).at(-1) === 1);
  }

  // ---- per-side state ----------------------------------------------------------------------

  /** Both sides' state, or undefined before initMailboxState(). */
  getState(idx: number): MailboxState | undefined {
    const sql = this.#sql;
    const local = sideFromCells(sql.localState.get(idx) as [bigint, bigint, bigint] | undefined);
    const remote = sideFromCells(sql.remoteState.get(idx) as [bigint, bigint, bigint] | undefined);
    return local && remote && { local, remote };
  }

  /** Starts tracking a mailbox on both sides (the Perl tool starts with UIDNEXT = HIGHESTMODSEQ = 0). */
  initMailboxState(idx: number, local: SideState, remote: SideState): void {
    const sql = this.#sql;
    const cells = (side: Side, s: SideState) => [
      checkUidValidity(`${side} UIDVALIDITY`, s.uidValidity),
      checkUidNext(`${side} UIDNEXT`, s.uidNext),
      checkModseq(`${side} HIGHESTMODSEQ`, s.highestModseq),
    ];
    this.transaction(() => {
      sql.insertLocal.run(idx, ...cells('local', local));
      sql.insertRemote.run(idx, ...cells('remote', remote));
    });
  }

  /** Checkpoint: every change up to these HIGHESTMODSEQs has been propagated. */
  checkpointModseq(idx: number, localHighest: bigint, remoteHighest: bigint): void {
    const sql = this.#sql;
    this.#updateBothSides(
      idx,
      [sql.localModseq, checkModseq('local HIGHESTMODSEQ', localHighest)],
      [sql.remoteModseq, checkModseq('remote HIGHESTMODSEQ', remoteHighest)],
    );
  }

  /** Checkpoint: every message below these UIDNEXTs has been propagated. */
  checkpointUidNext(idx: number, localNext: number, remoteNext: number): void {
    const sql = this.#sql;
    this.#updateBothSides(
      idx,
      [sql.localUidNext, checkUidNext('local UIDNEXT', localNext)],
      [sql.remoteUidNext, checkUidNext('remote UIDNEXT', remoteNext)],
    );
  }

  // ---- UID mapping -------------------------------------------------------------------------

  addMappings(idx: number, pairs: readonly UidPair[]): void {
    this.transaction(() => {
      for (const pair of pairs) this.#insertMapping(idx, pair[0], pair[1]);
    });
  }

  /** Returns how many mappings were removed. */
  removeMappingsByLocal(idx: number, lUids: readonly number[]): number {
    return this.#removeMappings(this.#sql.deleteByLocal, idx, lUids);
  }

  removeMappingsByRemote(idx: number, rUids: readonly number[]): number {
    return this.#removeMappings(this.#sql.deleteByRemote, idx, rUids);
  }

  getMappings(idx: number): UidMapping {
    const sql = this.#sql;
    // No other connection can write between these reads: the file is locked exclusively.
    const locals = sql.mappedLocal.all(idx) as number[];
    const remotes = sql.mappedRemote.all(idx) as number[];
    const byLocal = new Map<number, number>();
    const byRemote = new Map<number, number>();
    for (let i = 0; i < locals.length; i++) {
      byLocal.set(locals[i]!, remotes[i]!);
      byRemote.set(remotes[i]!, locals[i]!);
    }
    return { byLocal, byRemote };
  }

  /** The mapping rows, [local UID, remote UID], of the given UIDs of `side` that are mapped (point reads). */
  mappingsOf(idx: number, side: Side, uids: Iterable<number>): Array<[number, number]> {
    const byUid = side === 'local' ? this.#sql.pairByLocal : this.#sql.pairByRemote;
    const rows: Array<[number, number]> = [];
    for (const uid of uids) {
      const row = byUid.get(idx, uid) as [number, number] | undefined;
      if (row !== undefined) rows.push(row);
    }
    return rows;
  }

  /** How many messages the mailbox's mapping holds. */
  mappingCount(idx: number): number {
    return this.#sql.mappedCount.get(idx) as number;
  }

  /**
   * The mapped UIDs of `side`, highest first, in pages read from the index as far as the caller
   * iterates: a page costs one call, where a row-by-row iterate() costs one per row and keeps the
   * statement busy until the iteration ends.
   */
  *highestMapped(idx: number, side: Side): Generator<readonly number[], void, undefined> {
    const below = side === 'local' ? this.#sql.localBelow : this.#sql.remoteBelow;
    let bound = UID_BOUND;
    for (let page = FIRST_PAGE; ; page = LAST_PAGE) {
      const uids = below.all(idx, bound, page) as number[];
      if (uids.length > 0) yield uids;
      if (uids.length < page) return;
      bound = uids[uids.length - 1]!;
    }
  }

  /** The UIDs of `side` mapped at or above `from` (an index range read, not the whole mapping). */
  mappedUidsFrom(idx: number, side: Side, from: number): number[] {
    const sql = this.#sql;
    return (side === 'local' ? sql.localMappedFrom : sql.remoteMappedFrom).all(idx, from) as number[];
  }

  // ---- append journal (our own table) ------------------------------------------------------

  /** Records, before an APPEND to `target`, what is about to be appended. */
  recordAppendIntents(idx: number, target: Side, intents: readonly AppendIntent[]): void {
    const record = this.#sql.recordIntent;
    this.transaction(() => {
      for (const i of intents) {
        if (i.sha256 !== null && i.sha256.length !== 32) {
          throw new RangeError('state database: an append intent sha256 must be 32 bytes');
        }
        record.run(
          idx,
          target,
          checkUid('source UID', i.sourceUid),
          checkUidNext('target UIDNEXT', i.targetUidNext),
          i.size,
          i.internalDate,
          i.messageId,
          i.sha256,
        );
      }
    });
  }

  pendingAppendIntents(idx: number): PendingAppend[] {
    type Cells = [Side, number, number, number, string, string | null, Buffer | null];
    return (this.#sql.pendingIntents.all(idx) as Cells[]).map(
      ([target, sourceUid, targetUidNext, size, internalDate, messageId, sha256]) => ({
        target,
        sourceUid,
        targetUidNext,
        size,
        internalDate,
        messageId,
        sha256,
      }),
    );
  }

  /**
   * After APPENDUID (or after adopting an orphan copy): maps each [source UID, target UID] and
   * clears its intent, plus the intents of `alsoClear` (source UIDs given up), in one transaction.
   */
  completeAppends(
    idx: number,
    target: Side,
    appended: readonly AppendedPair[],
    alsoClear: readonly number[] = [],
  ): void {
    const sql = this.#sql;
    this.transaction(() => {
      // Indexed, not destructured: once per copied message, and a pair's iterator allocates.
      for (const pair of appended) {
        const source = pair[0];
        const dest = pair[1];
        if (target === 'remote') this.#insertMapping(idx, source, dest);
        else this.#insertMapping(idx, dest, source);
        sql.clearIntent.run(idx, target, source);
      }
      for (const source of alsoClear) sql.clearIntent.run(idx, target, source);
    });
  }

  clearAppendIntents(idx: number): void {
    const sql = this.#sql;
    this.transaction(() => sql.clearIntents.run(idx));
  }

  // ---- helpers -----------------------------------------------------------------------------

  #insertMapping(idx: number, l: number, r: number): void {
    this.#sql.insertMapping.run(idx, checkUid('local UID', l), checkUid('remote UID', r));
  }

  #removeMappings(remove: Database.Statement, idx: number, uids: readonly number[]): number {
    return this.transaction(() => uids.reduce((n, uid) => n + remove.run(idx, uid).changes, 0));
  }

  /** Sets one column of both side rows of `idx` in one transaction; both rows must exist. */
  #updateBothSides(
    idx: number,
    local: [Database.Statement, number | bigint],
    remote: [Database.Statement, number | bigint],
  ): void {
    this.transaction(() => {
      this.#expectOneRow(local[0].run(local[1], idx), 'local state of mailbox', idx);
      this.#expectOneRow(remote[0].run(remote[1], idx), 'remote state of mailbox', idx);
    });
  }

  #expectOneRow(result: Database.RunResult, what: string, idx: number): void {
    if (result.changes !== 1) throw new StoreError('integrity', `no ${what} ${idx} in the database`);
  }
}
