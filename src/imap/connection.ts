// One trusted IMAP connection: the connection chart (machines/connection.ts) driven with real
// effects — transport, parser feed, session, streamed bodies — behind a small facade that
// resolves once authenticated with QRESYNC enabled; COMPRESS, when asked for, waits for `compress()`.
import {
  type Actor,
  type AnyActorRef,
  createActor,
  fromPromise,
  type InspectionEvent,
  waitFor,
} from 'xstate';
import { type CloseInfo, type ConnectionEvent, connectionMachine } from '../../machines/connection.js';
import { formatSequenceSet } from '../protocol/sequence-set.js';
import type { Arg } from '../protocol/serializer.js';
import type { FetchAttributes, UntaggedResponse } from '../protocol/types.js';
import {
  type AuthRequest,
  type SelectOptions,
  type SelectResult,
  SessionCommands,
} from '../session/commands.js';
import { Session } from '../session/session.js';
import { openTransport, type Transport, type TransportOptions } from '../transport/transport.js';
import { argBuilder, ImapSerializer } from './args.js';
import { BodyStreams, type MessageBody } from './body-stream.js';
import { ResponseFeed } from './feed.js';
import { type DebugLevel, type ImapLogger, silentLogger, trafficTrace } from './logger.js';
import { TransportWriter } from './writer.js';

export type { MessageBody } from './body-stream.js';
export type { DebugLevel, ImapLogger } from './logger.js';

export interface ConnectionOptions {
  /** Names the side in logs and errors. */
  name: 'local' | 'remote';
  /** type, host, port, proxy, tunnel command, TLS settings (see src/transport). */
  transport: TransportOptions;
  /** type=imap only: require STARTTLS before authenticating (default true). */
  startTls?: boolean;
  /** SASL mechanisms by preference (default PLAIN LOGIN). */
  auth?: string[];
  username?: string;
  password?: string;
  /** Negotiate COMPRESS=DEFLATE, on `compress()`, when the server offers it. */
  compress?: boolean;
  /** --debug count: 1 logs traffic with credentials redacted, 2 shows them. */
  debug?: DebugLevel;
  /** SO_KEEPALIVE on the socket (watch mode). */
  keepAlive?: boolean;
  /** Overrides of the chart's timers, in milliseconds (tests). */
  timeouts?: { greeting?: number; command?: number };
  /**
   * Called once, as soon as the commands that make the connection ready (credentials, ENABLE) are
   * queued: commands issued then go on the wire right behind them, before it is ready. Those
   * sent before the authentication completes must be marked `afterAuthentication`.
   */
  onSetupQueued?: (connection: ImapConnection) => void;
  /** --trace: the recorder's inspector and the name of this connection's chart actor in the trace. */
  trace?: { inspect: (event: InspectionEvent) => void; systemId: string };
}

/** The connection ended before it was ready, or a request needs a state it is not in. */
export class ImapConnectionError extends Error {
  override name = 'ImapConnectionError';
  constructor(
    readonly reason: CloseInfo['reason'] | 'state',
    message: string,
  ) {
    super(message);
  }
}

type ConnectionActor = Actor<typeof connectionMachine>;

/** 'authenticated.ready', 'selected', 'closed', ...: the chart's state as a dotted path. */
function statePath(value: unknown): string {
  if (typeof value === 'string') return value;
  const [key, inner] = Object.entries(value as Record<string, unknown>)[0]!;
  return `${key}.${statePath(inner)}`;
}

export class ImapConnection {
  readonly name: string;
  readonly session: Session<Arg>;
  /** The typed command helpers; commands issued here are pipelined. */
  readonly commands: SessionCommands<Arg>;
  /** Settles with why and how the connection ended (never rejects). */
  readonly closed: Promise<CloseInfo>;
  /** Resolves once ready; rejects with ImapConnectionError when the connection ends first. */
  readonly ready: Promise<void>;

  readonly #options: ConnectionOptions;
  readonly #logger: ImapLogger;
  readonly #serializer: ImapSerializer;
  readonly #feed: ResponseFeed;
  readonly #bodies: BodyStreams;
  readonly #actor: ConnectionActor;
  #transport: Transport | undefined;
  #writer: TransportWriter | undefined;
  #capabilities: readonly string[] = [];
  /** Set by leave(). */
  #onLogoutWritten: (() => void) | undefined;
  #setupQueued = false;

  constructor(options: ConnectionOptions, logger: ImapLogger = silentLogger) {
    this.name = options.name;
    this.#options = options;
    this.#logger = logger;
    const debug = options.debug ?? 0;
    this.#serializer = new ImapSerializer(debug >= 2, (tag) => this.#feed.switchesAfter(tag));
    this.#bodies = new BodyStreams({
      pause: () => this.#transport?.pause(),
      resume: () => this.#transport?.resume(),
    });
    this.session = new Session<Arg>({
      writer: {
        write: (data) => this.#writer?.write(data) ?? false,
        drain: () => this.#writer?.drain() ?? Promise.resolve(),
        writeStream: (body, size) => this.#writerOrFail().writeStream(body, size),
      },
      serializer: this.#serializer,
      trace: trafficTrace(logger, options.name, debug),
      traceCredentials: debug >= 2,
    });
    this.commands = new SessionCommands(this.session, argBuilder);
    this.#feed = new ResponseFeed(
      (response) => this.session.receive(response),
      (detail) => this.session.close('protocol', detail),
      { bodySink: this.#bodies.sinkFor },
    );
    this.#actor = createActor(chartFor(options.timeouts), {
      input: {
        server: options.name,
        startTls: options.transport.type === 'imap' && (options.startTls ?? true),
        auth: options.auth,
        credentials:
          options.username === undefined || options.password === undefined
            ? undefined
            : { username: options.username, password: options.password },
        compress: options.compress ?? false,
      },
      ...(options.trace && { inspect: options.trace.inspect, systemId: options.trace.systemId }),
    });
    this.closed = new Promise((resolve) => {
      this.#actor.subscribe({
        complete: () => resolve(this.#actor.getSnapshot().output!),
        error: (error) => {
          // A throwing action or guard: end everything rather than leave commands hanging.
          const detail = `${this.name}: internal error: ${error instanceof Error ? error.message : String(error)}`;
          this.#shutDown({ reason: 'protocol', detail });
          resolve({ reason: 'protocol', detail });
        },
      });
    });
    this.ready = new Promise<void>((resolve, reject) => {
      this.#actor.on('connection.ready', (event) => {
        this.#capabilities = event.capabilities;
        this.#serializer.useCapabilities(event.capabilities);
        resolve();
      });
      this.closed.then((close) => reject(new ImapConnectionError(close.reason, close.detail)));
    });
    this.ready.catch(() => {}); // openConnection() reports it
    this.#actor.on('connection.compressRefused', (event) =>
      this.#logger.warn(this.name, `COMPRESS refused, going on uncompressed: ${event.detail}`),
    );
    this.#wireSession();
    effectsOf.set(this.#actor, this.#effects());
    this.#actor.start();
  }

  /** The chart's state, e.g. 'connecting', 'notAuthenticated.authenticating', 'selected'. */
  get state(): string {
    return statePath(this.#actor.getSnapshot().value);
  }

  /** Capabilities after authentication (valid once ready). */
  get capabilities(): readonly string[] {
    return this.#capabilities;
  }

  /** The selected mailbox, or null. */
  get mailbox(): string | null {
    return this.#actor.getSnapshot().context.mailbox;
  }

  /** Raw bytes on the wire (after TLS and compression). */
  get bytesRead(): number {
    return this.#transport?.bytesRead ?? 0;
  }

  get bytesWritten(): number {
    return this.#transport?.bytesWritten ?? 0;
  }

  /** Unsolicited (and ambiguous) untagged responses: EXISTS, EXPUNGE, FETCH from other clients... */
  onUnsolicited(listener: (response: UntaggedResponse) => void): () => void {
    return this.session.onUnsolicited(listener);
  }

  /**
   * Runs COMPRESS=DEFLATE (RFC 4978) if the options ask for it, the server offers it, it is not on
   * yet and no mailbox is selected; for the runtime to call before its first SELECT. A refusal is
   * a warning, and the connection goes on uncompressed. Returns undefined when there is nothing
   * to do, so that the caller need not yield: a caller that awaited would send its next command
   * in a write of its own, a round trip over a slow link.
   */
  compress(): Promise<void> | undefined {
    const event: ConnectionEvent = { type: 'connection.compress' };
    if (!this.#actor.getSnapshot().can(event)) return undefined;
    return this.#runStep(event, { authenticated: 'compressing' });
  }

  /** SELECT (EXAMINE when readOnly) through the chart; rejects with the server's refusal. */
  async select(mailbox: string, options?: SelectOptions): Promise<SelectResult> {
    this.#requireState('SELECT', ['authenticated.ready', 'selected']);
    let outcome: { result: SelectResult } | { detail: string } | undefined;
    const listeners = [
      this.#actor.on('connection.selected', (event) => {
        outcome = { result: event.result };
      }),
      this.#actor.on('connection.selectFailed', (event) => {
        outcome = { detail: event.detail };
      }),
    ];
    try {
      await this.#runStep({ type: 'connection.select', request: { mailbox, options } }, 'selecting');
    } finally {
      for (const listener of listeners) listener.unsubscribe();
    }
    if (outcome === undefined || 'detail' in outcome) {
      throw new ImapConnectionError(
        'state',
        `${this.name}: SELECT ${mailbox}: ${outcome?.detail ?? 'no answer'}`,
      );
    }
    return outcome.result;
  }

  /**
   * Leaves the selected mailbox with UNSELECT (RFC 3691) when the server has it and resolves true;
   * otherwise resolves false and the mailbox stays selected until the next SELECT. Never CLOSE:
   * it would expunge.
   */
  async unselect(): Promise<boolean> {
    this.#requireState('UNSELECT', ['selected']);
    if (!this.#capabilities.includes('UNSELECT')) return false;
    await this.#runStep({ type: 'connection.unselect' }, 'unselecting');
    return true;
  }

  /**
   * IDLE (RFC 2177) until the server reports a change (resolves true) or `signal` aborts (DONE is
   * sent; resolves false). Re-issued by the chart before servers drop an idle client.
   */
  async waitForChange(signal?: AbortSignal): Promise<boolean> {
    this.#requireState('IDLE', ['authenticated.ready', 'selected']);
    let changed = false;
    const listening = this.#actor.on('connection.changed', () => {
      changed = true;
    });
    const stop = () => this.#send({ type: 'connection.done' });
    signal?.addEventListener('abort', stop, { once: true });
    try {
      await this.#runStep({ type: 'connection.idle' }, 'idle');
      return changed;
    } finally {
      listening.unsubscribe();
      signal?.removeEventListener('abort', stop);
    }
  }

  /**
   * Starts `UID FETCH uid (UID BODY.PEEK[])` and resolves when its body starts arriving, as a
   * stream: pipe it into `append` on another connection. Reading from this server pauses while
   * the consumer is more than a few MiB behind.
   */
  fetchBody(uid: number): Promise<MessageBody> {
    return this.fetchBodies([uid])[0]!;
  }

  /**
   * `fetchBody` for many UIDs with one `UID FETCH set (UID BODY.PEEK[])`: one promise per UID, in
   * the order given, whatever order the server sends them in. A UID the server sends no body for
   * (expunged meanwhile) rejects once the FETCH has completed.
   */
  fetchBodies(uids: readonly number[]): Promise<MessageBody>[] {
    const awaited: ReturnType<BodyStreams['expect']>[] = [];
    const bodies: Promise<MessageBody>[] = [];
    for (const uid of uids) {
      try {
        const one = this.#bodies.expect(uid);
        awaited.push(one);
        bodies.push(one.body);
      } catch (error) {
        bodies.push(Promise.reject(error));
      }
    }
    if (awaited.length === 0) return bodies;
    const uidSet = formatSequenceSet(uids);
    this.commands.uidFetch(uidSet, ['UID', 'BODY.PEEK[]']).then(
      () => {
        awaited.forEach((one, k) => {
          one.settle(() => new Error(`${this.name}: UID ${uids[k]}: the server sent no body`));
        });
      },
      (error: Error) => {
        for (const one of awaited) one.settle(() => error);
      },
    );
    return bodies;
  }

  /**
   * Until the returned function is called, every BODY[] literal not awaited by `fetchBody` is
   * handed to `take` as it starts arriving, with the attributes the server sent before it (UID,
   * FLAGS, INTERNALDATE...): for one FETCH streaming many bodies.
   */
  streamAllBodies(take: (body: MessageBody, attributes: FetchAttributes) => void): () => void {
    return this.#bodies.streamAll((body, ctx) => take(body, ctx.attributes));
  }

  /** LOGOUT, then close; resolves with how the connection ended. */
  logout(): Promise<CloseInfo> {
    this.#actor.send({ type: 'connection.logout' });
    return this.closed;
  }

  /**
   * LOGOUT without waiting for the server's reply (RFC 3501 §6.1.3 asks nothing of the client
   * after it): resolves once LOGOUT is written, and the connection no longer keeps the process
   * alive. For the end of a run; never rejects.
   */
  leave(): Promise<void> {
    if (this.#actor.getSnapshot().status === 'done') return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#onLogoutWritten = () => {
        this.#writer?.flush();
        this.#transport?.release();
        // What ends LOGOUT anyway (RFC 3501 §6.1.3): the chart closes, its timers with it.
        this.#send({ type: 'transport.closed', detail: 'left after LOGOUT' });
      };
      this.closed.then(() => resolve());
      this.#actor.send({ type: 'connection.logout' });
    });
  }

  /** Drops the connection without LOGOUT: pending commands fail. */
  close(): Promise<CloseInfo> {
    this.#send({ type: 'transport.closed', detail: 'closed by us' });
    return this.closed;
  }

  #send(event: ConnectionEvent): void {
    this.#actor.send(event);
  }

  #requireState(command: string, states: string[]): void {
    if (!states.includes(this.state)) {
      throw new ImapConnectionError('state', `${this.name}: cannot ${command} in state ${this.state}`);
    }
  }

  /** Sends `event` and waits until the chart has left the state `step` it leads to. */
  async #runStep(
    event: ConnectionEvent,
    step: { authenticated: 'compressing' } | 'selecting' | 'unselecting' | 'idle',
  ): Promise<void> {
    this.#send(event);
    const after = await waitFor(this.#actor, (s) => !s.matches(step));
    if (after.status === 'done') throw new ImapConnectionError(after.output!.reason, after.output!.detail);
  }

  #writerOrFail(): TransportWriter {
    if (this.#writer === undefined) throw new Error('no transport');
    return this.#writer;
  }

  /** Session facts become chart events; the chart decides what they mean. */
  #wireSession(): void {
    this.session.greeting.then(
      (g) =>
        this.#send({
          type: 'imap.greeting',
          status: g.type,
          text: g.text,
          capabilities: g.code?.name === 'CAPABILITY' ? g.code.capabilities : undefined,
        }),
      () => {},
    );
    this.session.closed.then((closed) => {
      this.#bodies.failAll(closed);
      // When the chart closed the session these land on a final state and are ignored.
      if (closed.reason === 'bye') this.#send({ type: 'imap.bye', text: closed.detail });
      else if (closed.reason === 'protocol')
        this.#send({ type: 'imap.protocolError', detail: closed.detail });
      else this.#send({ type: 'transport.error', detail: closed.detail });
    });
  }

  async #open(): Promise<void> {
    const transport = await openTransport({
      ...this.#options.transport,
      keepAlive: this.#options.keepAlive ?? this.#options.transport.keepAlive,
    });
    if (this.#actor.getSnapshot().status === 'done') {
      transport.close(); // the chart gave up (timeout, close()) while we were connecting
      return;
    }
    this.#transport = transport;
    this.#writer = new TransportWriter(transport);
    this.#logger.debug(this.name, `connected: ${transport.describe()}`);
    transport.onClose((closed) => {
      this.#writer?.closed();
      const detail = closed.message;
      if (closed.exit) this.#send({ type: 'tunnel.exited', detail });
      else if (closed.error) this.#send({ type: 'transport.error', detail });
      else this.#send({ type: 'transport.closed', detail });
    });
    transport.onData(this.#feed.push);
  }

  /** Runs STARTTLS or COMPRESS: `upgrade` gets what the parser received after the tagged OK. */
  #switching(upgrade: (transport: Transport, remainder: Buffer) => Promise<void> | void) {
    return async () => {
      // Called from inside the parser's push: let it finish so its remainder is complete.
      await Promise.resolve();
      await upgrade(this.#transport!, this.#feed.switchStream());
      this.#logger.debug(this.name, `now: ${this.#transport!.describe()}`);
    };
  }

  #signalSetupQueued(): void {
    if (this.#setupQueued) return;
    this.#setupQueued = true;
    this.#options.onSetupQueued?.(this);
  }

  #shutDown(close: CloseInfo): void {
    this.session.close(close.reason, close.detail);
    this.#transport?.close();
  }

  /** What the chart's actors and actions do on this connection (see chartFor). */
  #effects(): ChartEffects {
    const imap = this.commands;
    return {
      open: () => this.#open(),
      capability: () => imap.capability(),
      startTls: async () => {
        await imap.starttls(this.#switching((t, remainder) => t.startTls(remainder)));
        // RFC 3501 §6.2.1: capabilities sent before the handshake are not to be trusted.
        return undefined;
      },
      authenticate: (input) => {
        const authenticated = imap.authenticate(input);
        if (input.enable !== undefined) this.#signalSetupQueued();
        return authenticated;
      },
      compress: () => imap.compress(this.#switching((t, rest) => t.startCompression(rest))),
      enable: (input) => {
        const enabled = imap.enable(input.extensions);
        this.#signalSetupQueued();
        return enabled;
      },
      select: (input) => imap.select(input.mailbox, input.options),
      idle: async (signal) => {
        // Listen before IDLE goes out: the `+` and the first EXISTS often arrive in one read.
        let stopListening = () => {};
        const changed = new Promise<void>((resolve) => {
          stopListening = this.session.onUnsolicited(() => resolve());
          signal.addEventListener('abort', () => resolve(), { once: true });
        });
        const handle = imap.idle();
        try {
          await Promise.race([handle.started, changed]);
          await changed;
        } finally {
          stopListening();
        }
        await handle.done();
      },
      unselect: async () => {
        await this.session.command('UNSELECT');
      },
      logout: async () => {
        await imap.logout(() => this.#onLogoutWritten?.());
      },
      shutDown: (close) => this.#shutDown(close),
    };
  }
}

/** What the connection chart's actors and actions do, for one connection. */
interface ChartEffects {
  open(): Promise<void>;
  capability(): Promise<string[]>;
  startTls(): Promise<string[] | undefined>;
  authenticate(input: AuthRequest): ReturnType<SessionCommands<Arg>['authenticate']>;
  compress(): Promise<void>;
  enable(input: { extensions: string[] }): ReturnType<SessionCommands<Arg>['enable']>;
  select(input: { mailbox: string; options?: SelectOptions }): Promise<SelectResult>;
  idle(signal: AbortSignal): Promise<void>;
  unselect(): Promise<void>;
  logout(): Promise<void>;
  shutDown(close: CloseInfo): void;
}

/** Each chart actor's connection; an invoked actor finds it through its parent, the chart actor. */
const effectsOf = new WeakMap<AnyActorRef, ChartEffects>();

function effects(self: AnyActorRef): ChartEffects {
  const found = effectsOf.get(self) ?? (self._parent && effectsOf.get(self._parent));
  if (found === undefined) throw new Error('connection chart actor without a connection');
  return found;
}

/**
 * The connection chart with its effects, provided once per process: a provided chart is a new
 * machine, whose states and transitions xstate builds again (~1 ms of start-up per connection,
 * and a run may open a dozen). The effects are found per actor (effectsOf). Tests that shorten
 * the chart's timers get a chart of their own.
 */
let provided: ReturnType<typeof provideChart> | undefined;

function provideChart() {
  return connectionMachine.provide({
    actors: {
      openTransport: fromPromise(({ self }) => effects(self).open()),
      capability: fromPromise(({ self }) => effects(self).capability()),
      startTls: fromPromise(({ self }) => effects(self).startTls()),
      authenticate: fromPromise(({ self, input }) => effects(self).authenticate(input)),
      compress: fromPromise(({ self }) => effects(self).compress()),
      enable: fromPromise(({ self, input }) => effects(self).enable(input)),
      select: fromPromise(({ self, input }) => effects(self).select(input)),
      idle: fromPromise(({ self, signal }) => effects(self).idle(signal)),
      unselect: fromPromise(({ self }) => effects(self).unselect()),
      logout: fromPromise(({ self }) => effects(self).logout()),
    },
    actions: {
      failPendingCommands: ({ self }, close) => effects(self).shutDown(close),
    },
  });
}

function chartFor(timeouts: ConnectionOptions['timeouts'] = {}) {
  provided ??= provideChart();
  if (timeouts.greeting === undefined && timeouts.command === undefined) return provided;
  return provided.provide({
    delays: {
      ...(timeouts.greeting !== undefined && { greetingTimeout: timeouts.greeting }),
      ...(timeouts.command !== undefined && { commandTimeout: timeouts.command }),
    },
  });
}

/** Connects, authenticates and enables QRESYNC; rejects with a one-line ImapConnectionError. */
export async function openConnection(
  options: ConnectionOptions,
  logger: ImapLogger = silentLogger,
): Promise<ImapConnection> {
  const connection = new ImapConnection(options, logger);
  await connection.ready;
  return connection;
}
