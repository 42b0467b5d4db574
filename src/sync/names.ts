// Mailbox names between their three forms: the wire name on each server (list-reference prefix,
// that server's hierarchy delimiter) and the database name (no reference, delimiter replaced by \0,
// as InterIMAP's `mailboxes` table stores it so that a delimiter change needs no migration).

/** Where a side's names live: the configured list-reference and the namespace's delimiter (null = flat). */
export interface Namespace {
  reference: string;
  delimiter: string | null;
}

/** A name that cannot be represented on one side, e.g. it holds that side's delimiter as a plain character. */
export class MailboxNameError extends Error {
  override name = 'MailboxNameError';
}

/** RFC 3501 §5.1: INBOX is case-insensitive; any casing is the one mailbox spelled "INBOX". */
export function isInbox(name: string): boolean {
  return name.length === 5 && name.toUpperCase() === 'INBOX';
}

/**
 * The database name of a listed wire name, or null when the name is not under the reference (the
 * server listed something outside our namespace, e.g. through a pattern starting with a delimiter).
 */
export function toDbName(wireName: string, ns: Namespace): string | null {
  if (isInbox(wireName)) return ns.reference === '' ? 'INBOX' : null;
  if (!wireName.startsWith(ns.reference)) return null;
  const relative = wireName.slice(ns.reference.length);
  if (relative === '') return null;
  if (isInbox(relative)) return 'INBOX';
  return ns.delimiter === null ? relative : relative.split(ns.delimiter).join('\0');
}

/**
 * The wire name on a side for a database name. Throws MailboxNameError when the name cannot be
 * mirrored there: it has a hierarchy level but the namespace is flat, or it holds the side's
 * delimiter as an ordinary character (it came from a server with another delimiter).
 */
export function toWireName(dbName: string, ns: Namespace, side: string): string {
  const shown = dbName.split('\0').join(ns.delimiter ?? '/');
  if (ns.delimiter === null) {
    if (dbName.includes('\0')) {
      throw new MailboxNameError(`mailbox "${shown}" has hierarchy levels but the ${side} namespace is flat`);
    }
  } else if (dbName.includes(ns.delimiter)) {
    throw new MailboxNameError(
      `mailbox "${shown}" contains "${ns.delimiter}", the ${side} hierarchy delimiter, as a plain ` +
        `character: it cannot be mirrored on the ${side} server (rename it)`,
    );
  }
  return ns.reference + shown;
}

/** A database name for messages and errors, with `/` standing for the hierarchy delimiter. */
export function displayName(dbName: string, delimiter: string | null = '/'): string {
  return dbName.split('\0').join(delimiter ?? '/');
}

/**
 * MAILBOX arguments or list-mailbox patterns as sent in a side's LIST command: a \0 in them stands
 * for the hierarchy delimiter (manual, list-mailbox). Throws for a flat namespace.
 */
export function listPatterns(patterns: readonly string[], ns: Namespace, side: string): string[] {
  return patterns.map((pattern) => {
    if (!pattern.includes('\0')) return pattern;
    if (ns.delimiter === null) {
      throw new MailboxNameError(
        `mailbox pattern "${displayName(pattern)}" has hierarchy levels but the ${side} namespace is flat`,
      );
    }
    return pattern.split('\0').join(ns.delimiter);
  });
}

/** Command-line MAILBOX arguments use the local delimiter (manual, COMMANDS): turn it into \0. */
export function argumentsToDb(args: readonly string[], localDelimiter: string | null): string[] {
  return args.map((arg) => {
    const name = isInbox(arg) ? 'INBOX' : arg;
    return localDelimiter === null ? name : name.split(localDelimiter).join('\0');
  });
}
