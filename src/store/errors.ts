// Typed errors of the state database, carried as data up to the CLI (which prefixes "interimap: ").

export type StoreErrorCode =
  | 'missing' // the database file does not exist and may not be created
  | 'open' // the file cannot be opened (permissions, not a regular file, ...)
  | 'locked' // another interimap (ours or the Perl one) holds the database
  | 'not-interimap' // not an SQLite file, or an SQLite file of some other program
  | 'too-new' // schema version newer than the one we understand
  | 'upgrade-pending' // a version-0 database was used before upgradeSchema()
  | 'delimiter-mismatch' // a version-0 upgrade with differing hierarchy delimiters
  | 'integrity' // a write would break the database invariants
  | 'exists'; // a mailbox name is already taken

/** One-line, user-facing error about the state database. */
export class StoreError extends Error {
  override name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}
