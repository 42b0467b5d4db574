// The lanes of connections: lane 0's pair opened up front, the others lazily when a mailbox first
// runs on them (a run with one changed mailbox opens one connection per server), a lane's second
// connection to a slow server (select.ts, selectEarly), noticing a connection that ends behind
// our back (watch mode reconnects), NOOP keepalives, and LOGOUT.
import type { SyncError } from '../../../machines/contracts.js';
import type { ImapConnection } from '../../imap/connection.js';
import { type PerSide, SIDES, type Side } from '../side.js';
import type { Lane, SyncContext } from './context.js';
import { runtimeError } from './errors.js';

/**
 * Opens `side`'s connection of lane `lane` (the lane names its actor in a --trace);
 * `onSetupQueued`: see ConnectionOptions.
 */
export type OpenConnection = (
  side: Side,
  lane: number,
  onSetupQueued?: (connection: ImapConnection) => void,
  /** The lane's second connection to `side` (SyncContext.openSpare). */
  spare?: boolean,
) => Promise<ImapConnection>;

export class Servers {
  /** Connections we are closing ourselves: their end is not a loss. */
  readonly #leaving = new WeakSet<ImapConnection>();

  constructor(
    private readonly ctx: SyncContext<ImapConnection>,
    private readonly open: OpenConnection,
    /** Called once per connection that ends without us asking (BYE, reset, tunnel exit). */
    private readonly lost: (error: SyncError) => void,
  ) {}

  /** Lane 0's pair: the connections that LIST, NOTIFY and run --delete/--rename. */
  get first(): Lane<ImapConnection> {
    const lane = this.ctx.lanes[0];
    if (lane === undefined) throw runtimeError(new Error('no connection is open'));
    return lane;
  }

  /** Lanes being opened on demand, by index (cleared with the lanes). */
  #opening = new Map<number, Promise<Lane<ImapConnection>>>();

  /** How many lanes the run may open (connect's `lanes`). */
  #laneCount = 1;

  /** Lanes' second connections to a side, by `lane:side`, opened on first use (ctx.openSpare). */
  #spares = new Map<string, Promise<ImapConnection>>();
  /** Settles once lane 0's pair is open, or could not be. */
  #firstPair: Promise<void> = Promise.resolve();
  /** The second connections opened, to keep alive and log out with the lanes. */
  #openedSpares: Array<{ side: Side; connection: ImapConnection }> = [];

  /**
   * Replaces every lane with lane 0's fresh pair; lanes 1 to `lanes - 1` open when first asked
   * for (ctx.openLane), which may be while lane 0 is still opening. Nothing is kept when a side
   * fails: the first failure (naming its side) is thrown.
   */
  async connect(
    lanes: number,
    onSetupQueued?: (side: Side, connection: ImapConnection) => void,
  ): Promise<void> {
    await this.closeAll();
    const opened: Array<Lane<ImapConnection>> = [];
    this.ctx.lanes = opened;
    this.#laneCount = lanes;
    this.ctx.openLane = (lane) => {
      if (lane < 1 || lane >= lanes) return Promise.reject(runtimeError(new Error(`no lane ${lane}`)));
      const opening = this.#opening.get(lane) ?? this.#openLazily(lane);
      this.#opening.set(lane, opening);
      return opening;
    };
    this.ctx.openSpare = (lane, side) => {
      const key = `${lane}:${side}`;
      let opening = this.#spares.get(key);
      if (opening === undefined) {
        opening = this.#openSpare(lane, side);
        opening.catch(() => {}); // the caller's, and a later caller's
        this.#spares.set(key, opening);
      }
      return opening;
    };
    const first = this.#openPair(0, onSetupQueued);
    this.#firstPair = first.then(
      () => {},
      () => {},
    );
    try {
      opened[0] = await first;
    } catch (error) {
      const standIn = await this.#openedMeanwhile(opened);
      if (standIn !== undefined) {
        opened[0] = standIn;
        return;
      }
      await this.closeAll(); // and the lanes opening meanwhile, as they open
      throw error;
    }
  }

  /**
   * A lane that opened while lane 0 failed to, taken out of its place to stand in for lane 0: under
   * a server's limit on connections, a lane opened beside lane 0 (`warm`) may have logged in first
   * and taken lane 0's place. Its own place opens again when asked for.
   */
  async #openedMeanwhile(opened: Array<Lane<ImapConnection>>): Promise<Lane<ImapConnection> | undefined> {
    const first = await Promise.any(
      [...this.#opening].map(async ([lane, opening]) => ({ lane, opening, pair: await opening })),
    ).catch(() => undefined);
    if (first === undefined || this.ctx.lanes !== opened) return undefined;
    if (this.#opening.get(first.lane) === first.opening) this.#opening.delete(first.lane);
    delete opened[first.lane];
    return first.pair;
  }

  /**
   * Starts opening lanes 1 to `count - 1` (at most the run's lanes; undefined: all of them) before
   * a mailbox asks for them, so that their logins overlap a wait, lane 0's own login included. A
   * lane that fails to open is given up by the mailbox that takes it (select.ts), as if it had
   * opened when asked; one no mailbox takes stays idle. With `spare`, the lanes that will have a
   * next mailbox (of `dirty`) also open their second connection to `side`, each once its own
   * pair is in (ctx.openSpare).
   */
  warm(count: number | undefined, spare?: { side: Side; dirty: number }): void {
    const open = this.ctx.openLane;
    if (open === undefined) return;
    const last = Math.min(count ?? this.#laneCount, this.#laneCount);
    for (let lane = 1; lane < last; lane++) open(lane).catch(() => {});
    // A second connection for each lane that will have a next mailbox to select on it.
    const spares = spare === undefined ? 0 : Math.min(last, spare.dirty - last);
    for (let lane = 0; lane < spares; lane++) this.ctx.openSpare?.(lane, spare!.side);
  }

  async #openSpare(lane: number, side: Side): Promise<ImapConnection> {
    // After the lane's own pair: under a server's limit on connections per user, a second
    // connection must not take the place of a lane's.
    await (lane === 0 ? this.#firstPair : this.ctx.openLane?.(lane));
    const lanes = this.ctx.lanes;
    const connection = await this.open(side, lane, undefined, true).catch((error: unknown) =>
      Promise.reject(runtimeError(error, side)),
    );
    // closeAll() ran meanwhile: this connection belongs to no run any more.
    if (this.ctx.lanes !== lanes) {
      await this.#close(connection);
      throw runtimeError(new Error('the connections were closed'));
    }
    this.#openedSpares.push({ side, connection });
    this.#watch(connection);
    return connection;
  }

  async #openLazily(lane: number): Promise<Lane<ImapConnection>> {
    const lanes = this.ctx.lanes;
    // Spawning a tunnel holds the process for a few ms (fork and exec): the open lanes' commands
    // of this turn, such as the SELECT of the mailbox that made another lane worth opening, are
    // on their way to the servers first.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const pair = await this.#openPair(lane);
    // closeAll() ran meanwhile: this pair belongs to no run any more.
    if (this.ctx.lanes !== lanes) {
      await Promise.all(SIDES.map((side) => this.#close(pair[side])));
      throw runtimeError(new Error('the connections were closed'));
    }
    lanes[lane] = pair;
    return pair;
  }

  /** Both sides concurrently; when one fails the other is closed. */
  async #openPair(
    lane: number,
    onSetupQueued?: (side: Side, connection: ImapConnection) => void,
  ): Promise<Lane<ImapConnection>> {
    const settled = await Promise.allSettled(
      SIDES.map((side) =>
        this.open(side, lane, onSetupQueued && ((c) => onSetupQueued(side, c))).catch((error: unknown) =>
          Promise.reject(runtimeError(error, side)),
        ),
      ),
    );
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    const opened = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    if (failure !== undefined) {
      await Promise.all(opened.map((c) => this.#close(c)));
      throw failure.reason;
    }
    for (const connection of opened) this.#watch(connection);
    return { local: opened[0]!, remote: opened[1]! };
  }

  /** One NOOP per connection, all at once (RFC 3501 §6.1.2: resets the server's autologout timer). */
  async keepAlive(): Promise<void> {
    const connections = [
      ...this.ctx.lanes.flatMap((lane) => SIDES.map((side) => ({ side, connection: lane[side] }))),
      ...this.#openedSpares,
    ];
    await Promise.all(
      connections.map(({ side, connection }) =>
        connection.commands.noop().catch((e: unknown) => Promise.reject(runtimeError(e, side))),
      ),
    );
  }

  /**
   * LOGOUT on every connection, not waiting for the servers' replies (the end of a run); failures
   * only matter for --debug.
   */
  async closeAll(): Promise<void> {
    const lanes = this.ctx.lanes;
    this.ctx.lanes = [];
    this.#opening.clear();
    this.#spares.clear();
    const spares = this.#openedSpares.splice(0).map((spare) => spare.connection);
    const all = [...lanes.flatMap((lane) => SIDES.map((side) => lane[side])), ...spares];
    for (const connection of all) this.#leaving.add(connection);
    await Promise.all(all.map((connection) => connection.leave()));
  }

  async #close(connection: ImapConnection): Promise<void> {
    this.#leaving.add(connection);
    if (connection.state === 'closed') return;
    await connection.logout().catch(() => connection.close());
  }

  #watch(connection: ImapConnection): void {
    connection.closed.then((close) => {
      if (this.#leaving.has(connection)) return;
      this.lost(
        runtimeError(new Error(`connection lost (${close.reason}): ${close.detail}`), connection.name),
      );
    });
  }
}

/** A value per side, computed concurrently. */
export async function bothSides<T>(work: (side: Side) => Promise<T>): Promise<PerSide<T>> {
  const [local, remote] = await Promise.all(SIDES.map(work));
  return { local: local!, remote: remote! };
}
