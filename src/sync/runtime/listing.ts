// The LIST of one cycle: on both servers concurrently, `LIST ref ""` (the hierarchy delimiter) and
// the LIST-EXTENDED command with RETURN (SUBSCRIBED CHILDREN STATUS (...)) (RFC 5258, RFC 5819) in
// one round trip, then the plan against the database (src/sync/mailbox-list.ts).
import type { ImapConnection } from '../../imap/connection.js';
import type { ListEntry } from '../../session/commands.js';
import type { StateStore } from '../../store/index.js';
import type { DbMailbox, ListedMailbox, MailboxStatus, SideListing } from '../mailbox-list.js';
import { argumentsToDb, listPatterns, type Namespace } from '../names.js';
import type { PerSide, Side } from '../side.js';
import { runtimeError } from './errors.js';
import { bothSides } from './servers.js';

/** The configuration of the listing (list-reference, list-mailbox, list-select-opts). */
export interface ListingConfig {
  references: PerSide<string>;
  /** list-mailbox patterns, \0 standing for the delimiter; undefined means `*`. */
  patterns?: readonly string[];
  selectOpts: readonly string[];
}

const STATUS_ITEMS = ['UIDVALIDITY', 'UIDNEXT', 'HIGHESTMODSEQ'];

export interface Listings {
  listings: PerSide<SideListing>;
  delimiters: PerSide<string | null>;
  /**
   * Each server's round trip for `LIST ref ""`, the listing's first and lightest command (sent
   * behind the credentials by startEarlyListing: the authentication included).
   */
  roundTrips: PerSide<number>;
}

/** The root delimiter (`LIST ref ""`) and how long its round trip took. */
interface TimedRoot {
  delimiter: string | null;
  roundTripMs: number;
}

/** One server's listing sent before its connection was ready (startEarlyListing). */
export interface EarlyListing {
  /** Its round trip includes the authentication it followed. */
  root: Promise<TimedRoot>;
  entries: Promise<ListEntry[]>;
}

/** Only a \0 (the delimiter) in list-mailbox makes a listing wait for `LIST ref ""`. */
function needsDelimiter(patterns: readonly string[]): boolean {
  return patterns.some((p) => p.includes('\0'));
}

async function timedRoot(
  connection: ImapConnection,
  reference: string,
  afterAuthentication = false,
): Promise<TimedRoot> {
  // process.hrtime, not performance.now(): the first use of `performance` loads a dozen of Node's
  // modules, ~1 ms of a run with nothing to do (more under the command's V8 options).
  const sent = process.hrtime.bigint();
  const delimiter = await rootDelimiter(connection, reference, afterAuthentication);
  return { delimiter, roundTripMs: Number(process.hrtime.bigint() - sent) / 1e6 };
}

/** The listing's LIST-EXTENDED command (RFC 5258), with RETURN STATUS (RFC 5819) when `status`. */
function listCommand(
  connection: ImapConnection,
  config: ListingConfig,
  side: Side,
  patterns: string[],
  opts: { explicit: boolean; status: boolean; afterAuthentication?: boolean },
): Promise<ListEntry[]> {
  return connection.commands.list(config.references[side], patterns, {
    selection: opts.explicit ? [] : [...config.selectOpts],
    returnOptions: ['SUBSCRIBED', 'CHILDREN'],
    ...(opts.status && { status: STATUS_ITEMS }),
    afterAuthentication: opts.afterAuthentication ?? false,
  });
}

/**
 * Sends the listing of one server right behind its credentials and ENABLE (see
 * ConnectionOptions.onSetupQueued), when it needs nothing from the other server (no \0 in
 * list-mailbox). LIST-STATUS is assumed: the capabilities that tell arrive with the login's reply;
 * listBothServers lists again, the usual way, when they lack it or the server refused.
 */
export function startEarlyListing(
  connection: ImapConnection,
  config: ListingConfig,
  side: Side,
): EarlyListing | undefined {
  const patterns = config.patterns ?? ['*'];
  if (needsDelimiter(patterns)) return undefined;
  const root = timedRoot(connection, config.references[side], true);
  const early = { explicit: false, status: true, afterAuthentication: true };
  const entries = listCommand(connection, config, side, [...patterns], early);
  root.catch(() => {});
  entries.catch(() => {});
  return { root, entries };
}

/**
 * Lists both servers. `mailboxes` are command-line MAILBOX arguments (local delimiter, wildcards
 * verbatim): they replace list-mailbox and list-select-opts (manual, COMMANDS). `early`: what
 * startEarlyListing sent, used where it succeeded on a server with LIST-STATUS.
 */
export async function listBothServers(
  lane: PerSide<ImapConnection>,
  config: ListingConfig,
  mailboxes: readonly string[],
  early?: Partial<PerSide<EarlyListing>>,
): Promise<Listings> {
  const explicit = mailboxes.length > 0;
  const earlyOf = (side: Side) =>
    explicit || !lane[side].capabilities.includes('LIST-STATUS') ? undefined : early?.[side];
  const roundTrips: PerSide<number> = { local: 0, remote: 0 };
  const roots = bothSides(async (side) => {
    const connection = lane[side];
    let root = await earlyOf(side)?.root.catch(() => undefined);
    if (root === undefined) {
      // A selected mailbox's STATUS may come from the session's stale view: sync it first.
      if (connection.session.state === 'selected') void connection.commands.noop().catch(() => {});
      root = await timedRoot(connection, config.references[side]);
    }
    roundTrips[side] = root.roundTripMs;
    return root.delimiter;
  });
  roots.catch(() => {}); // awaited below, through `delimiters`
  const delimiters = (side: Side) => roots.then((d) => d[side]);

  const patternsFor = async (side: Side): Promise<string[]> => {
    const ns = async (s: Side): Promise<Namespace> => ({
      reference: config.references[s],
      delimiter: await delimiters(s),
    });
    if (explicit) {
      if (side === 'local') return [...mailboxes];
      return listPatterns(argumentsToDb(mailboxes, await delimiters('local')), await ns('remote'), 'remote');
    }
    const patterns = config.patterns ?? ['*'];
    // Without a \0, LIST goes out in the same round trip as `LIST ref ""`.
    return needsDelimiter(patterns) ? listPatterns(patterns, await ns(side), side) : [...patterns];
  };

  const listed = await bothSides(async (side) => {
    try {
      const listedEarly = await earlyOf(side)?.entries.catch(() => undefined);
      if (listedEarly !== undefined) return listedEarly;
      const connection = lane[side];
      const listStatus = connection.capabilities.includes('LIST-STATUS');
      const patterns = await patternsFor(side);
      const entries = await listCommand(connection, config, side, patterns, { explicit, status: listStatus });
      if (!listStatus) await statusEach(connection, entries);
      return entries;
    } catch (error) {
      throw runtimeError(error, side);
    }
  });
  const delimiterOf = await roots.catch((error: unknown) => Promise.reject(runtimeError(error)));
  const listing = (side: Side) => sideListing(config, side, listed[side], delimiterOf[side]);
  return {
    listings: { local: listing('local'), remote: listing('remote') },
    delimiters: delimiterOf,
    roundTrips,
  };
}

/** One server's listing as the plan reads it. */
function sideListing(
  config: ListingConfig,
  side: Side,
  entries: readonly ListEntry[],
  rootDelimiter: string | null,
): SideListing {
  return { reference: config.references[side], rootDelimiter, mailboxes: entries.map(listedMailbox) };
}

/** What startEarlyListing sent, as the plan reads it, once both its commands are answered. */
export async function earlySideListing(
  early: EarlyListing,
  config: ListingConfig,
  side: Side,
): Promise<SideListing> {
  const [root, entries] = await Promise.all([early.root, early.entries]);
  return sideListing(config, side, entries, root.delimiter);
}

/**
 * The delimiter of the reference's namespace, from `LIST ref ""` (RFC 3501 §6.3.8). Sent bare:
 * a parenthesized pattern list (RFC 5258) makes "" an ordinary pattern that matches nothing.
 */
export async function rootDelimiter(
  connection: ImapConnection,
  reference: string,
  afterAuthentication = false,
): Promise<string | null> {
  const b = connection.commands.args;
  const args = [b.string(reference), b.string('')];
  const result = await connection.session.command('LIST', args, { afterAuthentication });
  for (const r of result.untagged) if (r.type === 'LIST') return r.delimiter;
  return null;
}

/** Servers with NOTIFY but not LIST-STATUS: one STATUS per selectable mailbox, pipelined. */
async function statusEach(connection: ImapConnection, entries: ListEntry[]): Promise<void> {
  const selectable = entries.filter((e) => !e.attributes.some((a) => /^\\(noselect|nonexistent)$/i.test(a)));
  const statuses = await Promise.all(
    selectable.map((e) => connection.commands.status(e.mailbox, STATUS_ITEMS)),
  );
  selectable.forEach((entry, i) => {
    entry.status = statuses[i];
  });
}

function listedMailbox(entry: ListEntry): ListedMailbox {
  const listed: ListedMailbox = {
    name: entry.mailbox,
    delimiter: entry.delimiter,
    attributes: entry.attributes,
  };
  if (entry.status !== undefined) {
    const status: MailboxStatus = {};
    if (entry.status.uidValidity !== undefined) status.uidValidity = entry.status.uidValidity;
    if (entry.status.uidNext !== undefined) status.uidNext = entry.status.uidNext;
    if (entry.status.highestModseq !== undefined) status.highestModSeq = entry.status.highestModseq;
    listed.status = status;
  }
  return listed;
}

/** The database side of the plan: every known mailbox with its state rows. */
export function databaseMailboxes(store: StateStore): DbMailbox[] {
  return store.listMailboxes().map((row) => {
    const mailbox: DbMailbox = { idx: row.idx, name: dbNameOf(row.name), subscribed: row.subscribed };
    const state = store.getState(row.idx);
    if (state !== undefined) {
      for (const side of ['local', 'remote'] as const) {
        const { uidValidity, uidNext, highestModseq } = state[side];
        mailbox[side] = { uidValidity, uidNext, highestModSeq: highestModseq };
      }
    }
    return mailbox;
  });
}

/** Database names are 7-bit strings with \0 for the delimiter; the store keeps them as BLOBs. */
export function dbNameOf(cell: Buffer): string {
  return cell.toString('utf8');
}

export function dbCell(dbName: string): Buffer {
  return Buffer.from(dbName, 'utf8');
}
