// The orchestrator chart's effects (machines/contracts.ts, OrchestratorActorContracts): open the
// database, connect the lanes, list and plan, reconcile, keep alive, --delete and --rename. They
// fill the SyncContext the mailbox actors read (store, lanes, this cycle's mailbox table).
import { fromPromise } from 'xstate';
import type { ListingOutcome, OrchestratorActorContracts, SyncError } from '../../../machines/contracts.js';
import type { PromiseActors } from '../../../machines/placeholders.js';
import type { ImapConnection } from '../../imap/connection.js';
import { earlySideOf, laneLimit, SLOW_ROUND_TRIP_MS } from '../lanes.js';
import {
  type DbMailbox,
  type MailboxListPlan,
  oneSideWork,
  planMailboxList,
  type SideListing,
  type SyncTarget,
} from '../mailbox-list.js';
import { toWireName } from '../names.js';
import { otherSide, type PerSide, SIDES, type Side } from '../side.js';
import type { SyncContext } from './context.js';
import { deleteMailboxes, findRenameConflicts, renameMailbox } from './delete-rename.js';
import { RuntimeError, runtimeError } from './errors.js';
import {
  databaseMailboxes,
  dbCell,
  type EarlyListing,
  earlySideListing,
  type ListingConfig,
  type Listings,
  listBothServers,
  startEarlyListing,
} from './listing.js';
import { NotifyWatch } from './notify.js';
import { applyPlan, planChanges } from './reconcile.js';
import { type OpenConnection, Servers } from './servers.js';

export interface OrchestratorRuntimeOptions {
  openConnection: OpenConnection;
  listing: ListingConfig & { ignore?: RegExp };
  /** --notify: NOTIFY SET after each listing; `changed` is called on every server report. */
  notify: { changed(): void } | null;
  /**
   * The first listing may go out right behind each server's credentials (no MAILBOX argument,
   * no --notify): it saves the round trip between the connection being ready and the LIST.
   */
  listEarly: boolean;
  /** A connection ended while nothing was using it. */
  connectionLost(error: SyncError): void;
}

/** What the engine needs besides the actors: the connections, to log out at the end. */
export interface OrchestratorRuntime {
  actors: PromiseActors<OrchestratorActorContracts>;
  servers: Servers;
  /** --notify: to call as the chart starts waiting (see NotifyWatch.unselect). */
  beforeWaiting(): Promise<void>;
}

export function createOrchestratorActors(
  ctx: SyncContext<ImapConnection>,
  options: OrchestratorRuntimeOptions,
): OrchestratorRuntime {
  const servers = new Servers(ctx, options.openConnection, options.connectionLost);
  const watch = options.notify && new NotifyWatch(options.notify.changed);
  const { references } = options.listing;
  /** The latest listing's plan, applied by reconcileMailboxes. */
  let plan: MailboxListPlan | undefined;
  /** The first cycle's listing, sent as lane 0 connected (startEarlyListing). */
  let early: Partial<PerSide<EarlyListing>> | undefined;
  /** Only the first connection of the run sends its listing early. */
  let mayListEarly = options.listEarly;
  /** Opens lanes as the early listing comes in, until the first listing is complete. */
  let warmer: LaneWarmer | undefined;

  const guarded = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw runtimeError(error);
    }
  };
  /** A step whose only output is having happened. */
  const step = async (work: () => Promise<void> | void): Promise<undefined> => {
    await guarded(async () => work());
    return undefined;
  };

  const listMailboxes = async ({ mailboxes, repair }: { mailboxes: string[]; repair: boolean }) => {
    const lane = servers.first;
    const sentEarly = early;
    early = undefined;
    const list = () => listBothServers(lane, options.listing, mailboxes, sentEarly);
    let listed: Listings;
    // The database as the lane warmer read it, if it did: nothing writes it before the plan.
    let readEarly: DbMailbox[] | undefined;
    try {
      listed = await (watch ? watch.listing(list) : list());
    } finally {
      warmer?.stop();
      readEarly = warmer?.database;
      warmer = undefined;
    }
    const { listings, delimiters, roundTrips } = listed;
    // A version-0 database needs both delimiters before it can be read (src/store).
    if (ctx.store.upgradePending) ctx.store.upgradeSchema(delimiters.local, delimiters.remote);
    const database = readEarly ?? databaseMailboxes(ctx.store);
    plan = planMailboxList({
      local: listings.local,
      remote: listings.remote,
      database,
      explicitMailboxes: mailboxes.length > 0,
      ...(options.listing.ignore && { ignore: options.listing.ignore }),
    });
    const outcome = outcomeOf(plan, repair, (name) => ctx.store.findMailbox(dbCell(name))?.idx);
    ctx.mailboxes = new Map(outcome.targets.map((t) => [t.dbName, t]));
    if (watch) await Promise.all(SIDES.map((side) => watch.watch(lane[side])));
    const work = { dirty: outcome.targets.length, newMessages: newMessagesIn(outcome.targets, database) };
    const lanes = laneLimit({ ...work, roundTripMs: Math.max(roundTrips.local, roundTrips.remote) });
    ctx.earlySide = repair ? undefined : earlySideOf(roundTrips, work.dirty);
    return {
      ...outcome.listing,
      ...(lanes !== undefined && { lanes }),
      ...(ctx.earlySide !== undefined && { earlySelect: true }),
    };
  };

  const actors: PromiseActors<OrchestratorActorContracts> = {
    // The runtime opens and locks the database before it starts the chart (the mailbox actors
    // bind the store when they are created); this step only checks that it did.
    openDatabase: fromPromise(() => step(() => ctx.store.assertOpen())),
    // Both sides always: MAILBOX arguments of --delete/--rename are in the local delimiter, which
    // only the local server can tell, even when only the remote server is a target.
    connectServers: fromPromise(({ input }) =>
      step(async () => {
        const sentEarly: Partial<PerSide<EarlyListing>> = {};
        warmer = mayListEarly ? new LaneWarmer(ctx, servers, options.listing.ignore) : undefined;
        const startListing = (side: Side, connection: ImapConnection) => {
          const sent = startEarlyListing(connection, options.listing, side);
          if (sent === undefined) return;
          sentEarly[side] = sent;
          earlySideListing(sent, options.listing, side).then(
            (listing) => warmer?.listed(side, listing),
            () => {},
          );
        };
        early = mayListEarly ? sentEarly : undefined;
        try {
          await servers.connect(input.lanes, mayListEarly ? startListing : undefined);
        } catch (error) {
          warmer?.stop();
          throw error;
        }
        mayListEarly = false;
        if (watch) {
          for (const side of SIDES) {
            if (!servers.first[side].capabilities.includes('NOTIFY'))
              throw new RuntimeError(
                'server',
                `${side}: --notify needs a server with the NOTIFY extension (RFC 5465)`,
              );
          }
        }
      }),
    ),
    listMailboxes: fromPromise(({ input }) => guarded(() => listMailboxes(input))),
    reconcileMailboxes: fromPromise(() =>
      step(async () => {
        if (plan !== undefined) await applyPlan(ctx, servers.first, plan);
      }),
    ),
    keepAlive: fromPromise(() => step(() => servers.keepAlive())),
    deleteMailboxes: fromPromise(({ input }) =>
      guarded(() => deleteMailboxes(ctx, servers.first, references, input)),
    ),
    findRenameConflicts: fromPromise(({ input }) =>
      guarded(() => findRenameConflicts(ctx, servers.first, references, input)),
    ),
    renameMailbox: fromPromise(({ input }) =>
      guarded(() => renameMailbox(ctx, servers.first, references, input)),
    ),
  };
  const beforeWaiting = async () => {
    if (watch && ctx.lanes.length > 0)
      await Promise.all(SIDES.map((side) => watch.unselect(servers.first[side])));
  };
  return { actors, servers, beforeWaiting };
}

/** New messages on both sides of `targets` (LIST-STATUS against the database), if known for all. */
function newMessagesIn(targets: readonly SyncTarget[], database: readonly DbMailbox[]): number | undefined {
  const byIdx = new Map(database.map((m) => [m.idx, m]));
  let total = 0;
  for (const target of targets) {
    const row = target.idx === undefined ? undefined : byIdx.get(target.idx);
    if (row === undefined || target.listedUidNext === undefined) return undefined;
    for (const side of SIDES) {
      const known = row[side]?.uidNext;
      if (known === undefined) return undefined;
      total += Math.max(0, target.listedUidNext[side] - known);
    }
  }
  return total;
}

/**
 * The chart's view of a plan. A changed UIDVALIDITY is one mailbox's failure, not the run's: the
 * mailbox is queued anyway and its actor reports the failure at SELECT. Any other problem aborts.
 */
function outcomeOf(
  plan: MailboxListPlan,
  repair: boolean,
  idxOf: (dbName: string) => number | undefined,
): { listing: ListingOutcome; targets: SyncTarget[] } {
  const fatal = plan.problems.filter((p) => p.code !== 'uidvalidity-changed');
  if (fatal.length > 0) {
    const message = fatal.map((p) => p.message).join('\n');
    return { listing: { abort: { kind: 'mailbox-list', message }, changes: [], toSync: [] }, targets: [] };
  }
  const known = (dbName: string, idx: number | undefined): SyncTarget => ({
    dbName,
    ...(idx !== undefined && { idx }),
    local: toWireName(dbName, plan.namespaces.local, 'local'),
    remote: toWireName(dbName, plan.namespaces.remote, 'remote'),
    reason: 'changed',
  });
  const targets = [
    ...plan.sync,
    ...plan.problems.map((p) => known(p.dbName!, idxOf(p.dbName!))),
    ...(repair ? plan.unchanged.map((u) => known(u.dbName, u.idx)) : []),
  ];
  return {
    listing: { abort: null, changes: planChanges(plan), toSync: targets.map((t) => t.dbName) },
    targets,
  };
}

/**
 * Opens lanes before the first listing is complete. When one server's listing is in, the lanes
 * its changes alone ask for (oneSideWork: lower bounds of the cycle's work) start opening while
 * the other server's listing is on its way; if that one is still out SLOW_ROUND_TRIP_MS later,
 * its link counts as slow, and the lanes a slow link asks for open too. Their logins overlap the
 * wait for the slow server instead of following it.
 */
class LaneWarmer {
  #listed = 0;
  #lagging: NodeJS.Timeout | undefined;
  /** The database's mailboxes, read for the first listing (none while its schema awaits an upgrade). */
  database: DbMailbox[] | undefined;

  constructor(
    private readonly ctx: SyncContext<ImapConnection>,
    private readonly servers: Servers,
    private readonly ignore: RegExp | undefined,
  ) {}

  listed(side: Side, listing: SideListing): void {
    if (++this.#listed > 1) {
      this.stop();
      return;
    }
    // A version-0 database cannot be read before both delimiters are known (src/store).
    if (this.ctx.store.upgradePending) return;
    this.database = databaseMailboxes(this.ctx.store);
    const work = oneSideWork(side, listing, this.database, this.ignore);
    this.servers.warm(laneLimit({ ...work, roundTripMs: 0 }));
    // The lanes' second connections to the slow server too, when there will be a next mailbox to
    // select on them (earlySideOf).
    const lagging = { local: 0, remote: 0, [otherSide(side)]: SLOW_ROUND_TRIP_MS };
    const slow = earlySideOf(lagging, work.dirty);
    this.#lagging = setTimeout(
      () =>
        this.servers.warm(
          laneLimit({ ...work, roundTripMs: SLOW_ROUND_TRIP_MS }),
          slow && { side: slow, dirty: work.dirty },
        ),
      SLOW_ROUND_TRIP_MS,
    );
  }

  stop(): void {
    clearTimeout(this.#lagging);
  }
}
