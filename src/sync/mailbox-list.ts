// Reconciles the mailbox lists of both servers with the database: what to create, (un)subscribe,
// record, synchronize or skip, and which inconsistencies must abort the run (manual, COMMANDS).

import { compareCodeUnits } from './flags.js';
import { displayName, isInbox, MailboxNameError, type Namespace, toDbName, toWireName } from './names.js';
import { otherSide, type PerSide, SIDES, type Side } from './side.js';

/** STATUS items from LIST-STATUS (RFC 5819); absent when the server did not return them. */
export interface MailboxStatus {
  uidValidity?: number;
  uidNext?: number;
  highestModSeq?: bigint;
}

/** One LIST response: wire name, hierarchy delimiter (null = flat), attributes as sent. */
export interface ListedMailbox {
  name: string;
  delimiter: string | null;
  attributes: readonly string[];
  status?: MailboxStatus;
}

export interface SideListing {
  /** The list-reference option of this side ('' when unset). */
  reference: string;
  mailboxes: readonly ListedMailbox[];
  /**
   * The delimiter from `LIST <reference> ""`. Needed only when no mailbox other than INBOX was
   * listed; when given it is authoritative and every listed delimiter must match it.
   */
  rootDelimiter?: string | null;
}

/** The synchronization state of one side in the database (tables `local` / `remote`). */
export interface DbState {
  uidValidity: number;
  uidNext: number;
  highestModSeq: bigint;
}

/** A `mailboxes` row with its state rows, when they exist. */
export interface DbMailbox {
  idx: number;
  /** Database form: no reference, hierarchy delimiter replaced by \0. */
  name: string;
  subscribed: boolean;
  local?: DbState;
  remote?: DbState;
}

export interface MailboxListInput {
  local: SideListing;
  remote: SideListing;
  database: readonly DbMailbox[];
  /** MAILBOX arguments were given on the command line: ignore-mailbox is bypassed. */
  explicitMailboxes: boolean;
  /** ignore-mailbox, matched against the database name (reference trimmed, delimiter → \0). */
  ignore?: RegExp;
}

export interface MailboxAction {
  side: Side;
  /** Wire name on that side. */
  name: string;
  dbName: string;
}

export type SyncReason = 'new' | 'changed' | 'status-unknown' | 'state-missing';

export interface SyncTarget {
  dbName: string;
  /** Database index; absent for a mailbox this plan inserts. */
  idx?: number;
  local: string;
  remote: string;
  /** new: not in the database; state-missing: no state rows yet; changed: UIDNEXT/HIGHESTMODSEQ moved. */
  reason: SyncReason;
  /** UIDNEXT per side as LIST-STATUS gave it (changed mailboxes): a hint, mail may arrive since. */
  listedUidNext?: PerSide<number>;
}

export type MailboxListProblemCode =
  | 'namespace-mismatch'
  | 'delimiter-mismatch'
  | 'delimiter-unknown'
  | 'untranslatable-name'
  | 'name-collision'
  | 'mailbox-vanished'
  | 'uidvalidity-changed';

export interface MailboxListProblem {
  code: MailboxListProblemCode;
  message: string;
  dbName?: string;
}

/**
 * Apply in this order: create (then subscribe), unsubscribe, database inserts and subscription
 * updates in one transaction, then synchronize `sync`. Any problem means: abort before acting.
 */
export interface MailboxListPlan {
  namespaces: PerSide<Namespace>;
  create: MailboxAction[];
  subscribe: MailboxAction[];
  unsubscribe: MailboxAction[];
  dbInsert: Array<{ name: string; subscribed: boolean }>;
  dbSetSubscribed: Array<{ idx: number; name: string; subscribed: boolean }>;
  sync: SyncTarget[];
  /** Known mailboxes whose UIDNEXT and HIGHESTMODSEQ match the database on both sides: not selected. */
  unchanged: Array<{ idx: number; dbName: string }>;
  problems: MailboxListProblem[];
}

interface SideEntry {
  exists: boolean;
  subscribed: boolean;
  status: MailboxStatus | undefined;
}

function hasAttribute(mailbox: ListedMailbox, attribute: string): boolean {
  const wanted = attribute.toLowerCase();
  return mailbox.attributes.some((a) => a.toLowerCase() === wanted);
}

function emptyPlan(namespaces: PerSide<Namespace>, problems: MailboxListProblem[]): MailboxListPlan {
  return {
    namespaces,
    create: [],
    subscribe: [],
    unsubscribe: [],
    dbInsert: [],
    dbSetSubscribed: [],
    sync: [],
    unchanged: [],
    problems,
  };
}

function quoteDelimiter(d: string | null): string {
  return d === null ? 'NIL' : JSON.stringify(d);
}

/**
 * A side's namespace delimiter. INBOX is a namespace of its own and may use another delimiter
 * (RFC 3501 §7.2.2), so it is left out; every other listed name must share one delimiter.
 */
function resolveDelimiter(side: Side, listing: SideListing, problems: MailboxListProblem[]): string | null {
  const others = listing.mailboxes.filter((m) => !isInbox(m.name));
  let expected = listing.rootDelimiter;
  if (expected === undefined) {
    const first = [...others].sort((a, b) => compareCodeUnits(a.name, b.name))[0];
    if (first === undefined) {
      problems.push({
        code: 'delimiter-unknown',
        message: `The ${side} hierarchy delimiter is unknown (only INBOX was listed); pass the result of LIST "${listing.reference}" "".`,
      });
      return null;
    }
    expected = first.delimiter;
  }
  for (const m of others) {
    if (m.delimiter !== expected) {
      problems.push({
        code: 'delimiter-mismatch',
        message:
          `${side}: mailbox "${m.name}" has hierarchy delimiter ${quoteDelimiter(m.delimiter)}, ` +
          `while ${quoteDelimiter(expected)} was expected.`,
      });
    }
  }
  return expected;
}

/** Listed mailboxes of one side by database name, minus those outside the reference or ignored. */
function indexSide(
  side: Side,
  listing: SideListing,
  ns: Namespace,
  input: MailboxListInput,
  problems: MailboxListProblem[],
): Map<string, SideEntry> {
  const entries = new Map<string, SideEntry>();
  const wireOf = new Map<string, string>();
  for (const m of listing.mailboxes) {
    const dbName = toDbName(m.name, ns);
    if (dbName === null) continue;
    if (!input.explicitMailboxes && input.ignore !== undefined && dbName.search(input.ignore) !== -1)
      continue;
    const previous = wireOf.get(dbName);
    if (previous !== undefined) {
      if (previous !== m.name && !(isInbox(previous) && isInbox(m.name))) {
        problems.push({
          code: 'name-collision',
          dbName,
          message: `${side}: mailboxes "${previous}" and "${m.name}" both map to "${displayName(dbName)}".`,
        });
      }
      continue;
    }
    wireOf.set(dbName, m.name);
    entries.set(dbName, {
      exists: !hasAttribute(m, '\\NonExistent') && !hasAttribute(m, '\\NoSelect'),
      subscribed: hasAttribute(m, '\\Subscribed'),
      status: m.status,
    });
  }
  return entries;
}

/** Reconciles both LIST results with the database; see MailboxListPlan for how to apply it. */
export function planMailboxList(input: MailboxListInput): MailboxListPlan {
  const problems: MailboxListProblem[] = [];
  const namespaces: PerSide<Namespace> = {
    local: { reference: input.local.reference, delimiter: resolveDelimiter('local', input.local, problems) },
    remote: {
      reference: input.remote.reference,
      delimiter: resolveDelimiter('remote', input.remote, problems),
    },
  };
  if (problems.length > 0) return emptyPlan(namespaces, problems);
  const { local: lns, remote: rns } = namespaces;
  if ((lns.delimiter === null) !== (rns.delimiter === null)) {
    problems.push({
      code: 'namespace-mismatch',
      message:
        `Local and remote namespaces are neither both flat nor both hierarchical ` +
        `(local ${quoteDelimiter(lns.delimiter)}, remote ${quoteDelimiter(rns.delimiter)}).`,
    });
    return emptyPlan(namespaces, problems);
  }

  const sides = {
    local: indexSide('local', input.local, lns, input, problems),
    remote: indexSide('remote', input.remote, rns, input, problems),
  };
  const database = new Map(input.database.map((row) => [row.name, row]));
  const plan = emptyPlan(namespaces, problems);
  const names = [...new Set([...sides.local.keys(), ...sides.remote.keys()])].sort(compareCodeUnits);
  for (const dbName of names) {
    const entries = { local: sides.local.get(dbName), remote: sides.remote.get(dbName) };
    const existing = SIDES.filter((side) => entries[side]?.exists === true);
    if (existing.length === 0) continue;
    const wire = wireNames(dbName, namespaces, problems);
    if (wire === undefined) continue;
    const row = database.get(dbName);
    if (existing.length === 1) {
      const present = existing[0]!;
      if (row !== undefined) {
        problems.push(vanishedProblem(dbName, present, lns.delimiter));
        continue;
      }
      planOneSided(plan, dbName, wire, present, entries[present]!.subscribed, entries[otherSide(present)]);
    } else {
      planSubscriptions(plan, dbName, wire, entries.local!.subscribed, entries.remote!.subscribed, row);
      if (row === undefined) plan.sync.push({ dbName, ...wire, reason: 'new' });
      else planKnown(plan, row, wire, entries.local!.status, entries.remote!.status);
    }
  }
  return plan;
}

function wireNames(
  dbName: string,
  namespaces: PerSide<Namespace>,
  problems: MailboxListProblem[],
): PerSide<string> | undefined {
  try {
    return {
      local: toWireName(dbName, namespaces.local, 'local'),
      remote: toWireName(dbName, namespaces.remote, 'remote'),
    };
  } catch (error) {
    if (!(error instanceof MailboxNameError)) throw error;
    problems.push({ code: 'untranslatable-name', dbName, message: `${error.message}.` });
    return undefined;
  }
}

/**
 * A known mailbox seen on one server only: deleted or renamed on the other, which IMAP cannot tell
 * apart, so the user must say which (manual, KNOWN BUGS AND LIMITATIONS).
 */
function vanishedProblem(dbName: string, present: Side, delimiter: string | null): MailboxListProblem {
  const name = displayName(dbName, delimiter);
  const gone = otherSide(present);
  return {
    code: 'mailbox-vanished',
    dbName,
    message:
      `Mailbox ${name} is known but no longer exists on the ${gone} server (deleted or renamed there). ` +
      `Run \`interimap --delete ${name}\` to delete it everywhere, or ` +
      `\`interimap --target=${present} --target=database --rename ${name} NEWNAME\` if it was renamed ` +
      `to NEWNAME on the ${gone} server.`,
  };
}

/** A new mailbox found on one server: create it on the other, subscribed there if it is here. */
function planOneSided(
  plan: MailboxListPlan,
  dbName: string,
  wire: PerSide<string>,
  present: Side,
  subscribed: boolean,
  missingEntry: SideEntry | undefined,
): void {
  const target = otherSide(present);
  plan.dbInsert.push({ name: dbName, subscribed });
  plan.create.push({ side: target, name: wire[target], dbName });
  if (subscribed && missingEntry?.subscribed !== true) {
    plan.subscribe.push({ side: target, name: wire[target], dbName });
  }
  plan.sync.push({ dbName, ...wire, reason: 'new' });
}

/**
 * Subscriptions of a mailbox present on both servers. New mailbox: subscribed everywhere if it is
 * on either side. Known mailbox subscribed on one side only: the side that differs from the
 * database's `subscribed` made the change, so the other side follows and the database toggles.
 */
function planSubscriptions(
  plan: MailboxListPlan,
  dbName: string,
  wire: PerSide<string>,
  localSubscribed: boolean,
  remoteSubscribed: boolean,
  row: DbMailbox | undefined,
): void {
  const subscribed = { local: localSubscribed, remote: remoteSubscribed };
  if (row === undefined) {
    const any = localSubscribed || remoteSubscribed;
    plan.dbInsert.push({ name: dbName, subscribed: any });
    for (const side of SIDES) {
      if (any && !subscribed[side]) plan.subscribe.push({ side, name: wire[side], dbName });
    }
    return;
  }
  if (localSubscribed !== remoteSubscribed) {
    const changed: Side = localSubscribed !== row.subscribed ? 'local' : 'remote';
    const follower = otherSide(changed);
    const action = { side: follower, name: wire[follower], dbName };
    if (subscribed[changed]) plan.subscribe.push(action);
    else plan.unsubscribe.push(action);
    plan.dbSetSubscribed.push({ idx: row.idx, name: dbName, subscribed: subscribed[changed] });
  } else if (localSubscribed !== row.subscribed) {
    plan.dbSetSubscribed.push({ idx: row.idx, name: dbName, subscribed: localSubscribed });
  }
}

/**
 * A known mailbox on both servers: skip it when LIST-STATUS shows UIDNEXT and HIGHESTMODSEQ equal
 * to the database's on both sides (nothing happened since the last sync: no SELECT at all).
 */
function planKnown(
  plan: MailboxListPlan,
  row: DbMailbox,
  wire: PerSide<string>,
  localStatus: MailboxStatus | undefined,
  remoteStatus: MailboxStatus | undefined,
): void {
  const target = { dbName: row.name, idx: row.idx, ...wire };
  if (row.local === undefined || row.remote === undefined) {
    plan.sync.push({ ...target, reason: 'state-missing' });
    return;
  }
  const states = { local: row.local, remote: row.remote };
  const statuses = { local: localStatus, remote: remoteStatus };
  let complete = true;
  let unchanged = true;
  for (const side of SIDES) {
    const status = statuses[side];
    const state = states[side];
    if (status?.uidValidity !== undefined && status.uidValidity !== state.uidValidity) {
      plan.problems.push({
        code: 'uidvalidity-changed',
        dbName: row.name,
        message:
          `UIDVALIDITY of ${side} mailbox ${wire[side]} changed (database ${state.uidValidity}, ` +
          `server ${status.uidValidity}); refusing to synchronize it.`,
      });
      return;
    }
    if (status?.uidNext === undefined || status.highestModSeq === undefined) complete = false;
    else if (status.uidNext !== state.uidNext || status.highestModSeq !== state.highestModSeq)
      unchanged = false;
  }
  if (!complete) plan.sync.push({ ...target, reason: 'status-unknown' });
  else if (unchanged) plan.unchanged.push({ idx: row.idx, dbName: row.name });
  else {
    const listedUidNext = { local: localStatus!.uidNext!, remote: remoteStatus!.uidNext! };
    plan.sync.push({ ...target, reason: 'changed', listedUidNext });
  }
}

/**
 * What one server's listing alone shows of a cycle's work, before the other server's is in: its
 * mailboxes whose status differs from the database (or that the database lacks), and the new
 * messages in them. Both are lower bounds of what the complete plan syncs: a mailbox changed on
 * this side is synced whatever the other side shows.
 */
export function oneSideWork(
  side: Side,
  listing: SideListing,
  database: readonly DbMailbox[],
  ignore?: RegExp,
): { dirty: number; newMessages: number } {
  const ns: Namespace = { reference: listing.reference, delimiter: listing.rootDelimiter ?? null };
  const rows = new Map(database.map((row) => [row.name, row]));
  let dirty = 0;
  let newMessages = 0;
  for (const m of listing.mailboxes) {
    if (hasAttribute(m, '\\NonExistent') || hasAttribute(m, '\\NoSelect')) continue;
    const dbName = toDbName(m.name, ns);
    if (dbName === null || (ignore !== undefined && dbName.search(ignore) !== -1)) continue;
    const state = rows.get(dbName)?.[side];
    const status = m.status;
    if (
      state !== undefined &&
      status?.uidNext === state.uidNext &&
      status.highestModSeq === state.highestModSeq
    )
      continue;
    dirty++;
    if (state !== undefined && status?.uidNext !== undefined)
      newMessages += Math.max(0, status.uidNext - state.uidNext);
  }
  return { dirty, newMessages };
}
