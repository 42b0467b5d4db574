// The connection state chart: from opening the transport through greeting, STARTTLS,
// authentication, capability checks and ENABLE QRESYNC, to COMPRESS (asked for before the first
// SELECT), selecting, idling, logging out and `closed` (final, with a typed reason). Every effect
// is an actor or action the runtime provides.
import { and, assign, emit, fromPromise, not, setup } from 'xstate';
import type { AuthRequest, Mechanism, SelectOptions, SelectResult } from '../src/session/commands.js';
import type { CloseReason } from '../src/session/errors.js';

export interface ConnectionInput {
  /** Names the server in every failure message, e.g. "remote" or "imap.example.net". */
  server: string;
  /** STARTTLS is required: refuse to send credentials if it is not advertised. */
  startTls: boolean;
  /** SASL mechanisms by preference; LOGIN means the LOGIN command. Default: PLAIN LOGIN. */
  auth?: string[];
  credentials?: { username: string; password: string };
  /** Run COMPRESS=DEFLATE, when asked to (connection.compress), if the server advertises it. */
  compress: boolean;
}

export interface CloseInfo {
  reason: CloseReason;
  detail: string;
}

export type { AuthRequest, Mechanism };

export interface SelectRequest {
  mailbox: string;
  options?: SelectOptions;
}

interface ConnectionContext {
  server: string;
  startTls: boolean;
  auth: string[];
  credentials: { username: string; password: string } | undefined;
  compress: boolean;
  /** COMPRESS=DEFLATE is on: everything after its OK is deflated both ways (RFC 4978 §3). */
  compressed: boolean;
  /** null when unknown and to be asked for (RFC 3501 §7.2.1: may change after STARTTLS and auth). */
  capabilities: string[] | null;
  tlsActive: boolean;
  mailbox: string | null;
  /** The SELECT being run, so its completion knows which mailbox it was for. */
  request: SelectRequest | null;
  close: CloseInfo | null;
}

export type ConnectionEvent =
  | { type: 'imap.greeting'; status: 'OK' | 'PREAUTH'; text: string; capabilities?: string[] }
  | { type: 'imap.bye'; text: string }
  | { type: 'imap.protocolError'; detail: string }
  | { type: 'transport.closed'; detail: string }
  | { type: 'transport.error'; detail: string }
  | { type: 'tunnel.exited'; detail: string }
  | { type: 'connection.select'; request: SelectRequest }
  | { type: 'connection.idle' }
  | { type: 'connection.compress' }
  | { type: 'connection.done' }
  | { type: 'connection.unselect' }
  | { type: 'connection.logout' };

export type ConnectionEmitted =
  | { type: 'connection.ready'; capabilities: string[] }
  | { type: 'connection.selected'; mailbox: string; result: SelectResult }
  | { type: 'connection.selectFailed'; mailbox: string; detail: string }
  | { type: 'connection.compressRefused'; detail: string }
  | { type: 'connection.changed' };

export const DEFAULT_AUTH: readonly string[] = ['PLAIN', 'LOGIN'];

/** The capabilities interimap cannot work without, as the name of the first one missing. */
export function missingCapability(capabilities: readonly string[]): string | undefined {
  for (const name of ['QRESYNC', 'LIST-EXTENDED', 'UIDPLUS']) if (!capabilities.includes(name)) return name;
  if (!capabilities.includes('LIST-STATUS') && !capabilities.includes('NOTIFY'))
    return 'LIST-STATUS or NOTIFY';
  return undefined;
}

/**
 * The first preferred mechanism the server allows: PLAIN when AUTH=PLAIN is advertised, LOGIN
 * unless LOGINDISABLED (RFC 3501 §6.2.3). Other mechanisms are not implemented and are skipped.
 */
export function chooseMechanism(
  preferences: readonly string[],
  capabilities: readonly string[],
): Mechanism | undefined {
  for (const name of preferences) {
    const upper = name.toUpperCase();
    if (upper === 'PLAIN' && capabilities.includes('AUTH=PLAIN')) return 'PLAIN';
    if (upper === 'LOGIN' && !capabilities.includes('LOGINDISABLED')) return 'LOGIN';
  }
  return undefined;
}

/** What ENABLE must turn on (RFC 7162 §3.2.3: QRESYNC is off until enabled). */
const EXTENSIONS = ['QRESYNC'];

/**
 * ENABLE goes out with the authentication command, saving a round trip, when the server
 * advertises ENABLE before authentication and the command needs no continuation (LOGIN, or PLAIN
 * with SASL-IR, RFC 4959): the server runs it once authenticated (RFC 3501 §5.5). Its answer is
 * only taken after the capabilities that follow authentication were checked; refused, it is sent again.
 */
function enablesEarly(mechanism: Mechanism, capabilities: readonly string[]): boolean {
  return capabilities.includes('ENABLE') && (mechanism === 'LOGIN' || capabilities.includes('SASL-IR'));
}

/** A ConnectionClosed from the session keeps its reason; anything else becomes `fallback`. */
function closeInfoOf(error: unknown, fallback: CloseReason, prefix: string): CloseInfo {
  if (typeof error === 'object' && error !== null && 'reason' in error && 'detail' in error) {
    const { reason, detail } = error as CloseInfo;
    return { reason, detail: `${prefix}: ${detail}` };
  }
  return { reason: fallback, detail: `${prefix}: ${error instanceof Error ? error.message : String(error)}` };
}

function notProvided(name: string) {
  return async (): Promise<never> => {
    throw new Error(`connection chart: the runtime did not provide the ${name} actor`);
  };
}

const closedId = '#connection.closed';
const readyId = '#connection.authenticated.ready';
const timeout = { target: closedId, actions: 'recordTimeout' } as const;

/** An invoke's onError: close, keeping a ConnectionClosed's own reason, else `fallback`. */
function failed(step: string, fallback: CloseReason) {
  return {
    target: closedId,
    actions: {
      type: 'recordClose',
      params: ({ context, event }: { context: ConnectionContext; event: { error: unknown } }) =>
        closeInfoOf(event.error, fallback, `${context.server}: ${step}`),
    },
  } as const;
}

/** An invoke's onError guard: the step failed because the connection closed (a ConnectionClosed). */
const closedConnection = {
  type: 'errorClosedConnection',
  params: ({ event }: { event: { error: unknown } }) => event.error,
} as const;

/** A transition to closed with a reason the chart itself decides. */
function closeWith(reason: CloseReason, detail: (context: ConnectionContext) => string) {
  return {
    target: closedId,
    actions: {
      type: 'recordClose',
      params: ({ context }: { context: ConnectionContext }) => ({
        reason,
        detail: `${context.server}: ${detail(context)}`,
      }),
    },
  } as const;
}

const chart = setup({
  types: {
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
    input: {} as ConnectionInput,
    output: {} as CloseInfo,
    emitted: {} as ConnectionEmitted,
  },
  actors: {
    openTransport: fromPromise<void, { server: string }>(notProvided('openTransport')),
    capability: fromPromise<string[]>(notProvided('capability')),
    /** Resolves with the capabilities sent in the tagged OK, if any (then they need not be asked). */
    startTls: fromPromise<string[] | undefined>(notProvided('startTls')),
    authenticate: fromPromise<string[] | undefined, AuthRequest>(notProvided('authenticate')),
    compress: fromPromise<void>(notProvided('compress')),
    enable: fromPromise<string[], { extensions: string[] }>(notProvided('enable')),
    select: fromPromise<SelectResult, SelectRequest>(notProvided('select')),
    /** Runs IDLE; resolves once the server reported a change. Stopping it sends DONE. */
    idle: fromPromise<void, { mailbox: string | null }>(notProvided('idle')),
    /** RFC 3691 UNSELECT: leaves the mailbox without expunging (CLOSE would expunge). */
    unselect: fromPromise<void>(notProvided('unselect')),
    logout: fromPromise<void>(notProvided('logout')),
  },
  actions: {
    recordClose: assign((_, close: CloseInfo) => ({ close })),
    recordEnding: assign(({ context, event }) => ({ close: endingOf(context.server, event) })),
    recordTimeout: assign(({ context }) => ({
      close: { reason: 'timeout' as const, detail: `${context.server}: timed out waiting for the server` },
    })),
    recordSelectRequest: assign(({ event }) => ({
      request: event.type === 'connection.select' ? event.request : null,
    })),
    recordCapabilities: assign((_, capabilities: string[] | undefined) => ({
      capabilities: capabilities ?? null,
    })),
    /** The runtime closes the session here: every pending command fails with this reason. */
    failPendingCommands: (_, _close: CloseInfo) => {},
  },
  guards: {
    greetingIsPreauth: ({ event }) => event.type === 'imap.greeting' && event.status === 'PREAUTH',
    capabilitiesUnknown: ({ context }) => context.capabilities === null,
    needsStartTls: ({ context }) => context.startTls && !context.tlsActive,
    hasStartTls: ({ context }) => context.capabilities?.includes('STARTTLS') ?? false,
    hasUsableMechanism: ({ context }) =>
      chooseMechanism(context.auth, context.capabilities ?? []) !== undefined,
    hasCredentials: ({ context }) => context.credentials !== undefined,
    lacksRequiredCapability: ({ context }) => missingCapability(context.capabilities ?? []) !== undefined,
    wantsCompression: ({ context }) =>
      context.compress &&
      !context.compressed &&
      (context.capabilities?.includes('COMPRESS=DEFLATE') ?? false),
    qresyncEnabled: (_, enabled: string[]) => enabled.includes('QRESYNC'),
    isSelected: ({ context }) => context.mailbox !== null,
    hasUnselect: ({ context }) => context.capabilities?.includes('UNSELECT') ?? false,
    errorClosedConnection: (_, error: unknown) =>
      typeof error === 'object' && error !== null && 'reason' in error,
  },
  delays: {
    greetingTimeout: 30_000,
    commandTimeout: 120_000,
    /** RFC 2177 §3: re-issue IDLE at least every 29 minutes. */
    idleRefresh: 28 * 60_000,
  },
});

/** Asks CAPABILITY, then re-checks (used before and after authentication). */
const askingCapabilities = chart.createStateConfig({
  meta: { label: 'CAPABILITY' },
  after: { commandTimeout: timeout },
  invoke: {
    src: 'capability',
    onDone: {
      target: 'checkingCapabilities',
      actions: { type: 'recordCapabilities', params: ({ event }) => event.output },
    },
    onError: failed('CAPABILITY', 'protocol'),
  },
});

export const connectionMachine = chart.createMachine({
  id: 'connection',
  initial: 'connecting',
  context: ({ input }) => ({
    server: input.server,
    startTls: input.startTls,
    auth: input.auth ?? [...DEFAULT_AUTH],
    credentials: input.credentials,
    compress: input.compress,
    compressed: false,
    capabilities: null,
    tlsActive: false,
    mailbox: null,
    request: null,
    close: null,
  }),
  output: ({ context }) => context.close ?? { reason: 'transport', detail: `${context.server}: closed` },
  on: {
    'imap.bye': { target: '.closed', actions: 'recordEnding' },
    'imap.protocolError': { target: '.closed', actions: 'recordEnding' },
    'transport.closed': { target: '.closed', actions: 'recordEnding' },
    'transport.error': { target: '.closed', actions: 'recordEnding' },
    'tunnel.exited': { target: '.closed', actions: 'recordEnding' },
    'connection.logout': '.loggingOut',
  },
  states: {
    connecting: {
      meta: { label: 'Opening the transport' },
      after: { greetingTimeout: timeout },
      invoke: {
        src: 'openTransport',
        input: ({ context }) => ({ server: context.server }),
        onDone: 'greeting',
        onError: failed('cannot connect', 'transport'),
      },
      on: { 'connection.logout': closeWith('logout', () => 'logged out before connecting') },
    },
    greeting: {
      meta: { label: 'Waiting for the greeting' },
      after: { greetingTimeout: timeout },
      on: {
        'imap.greeting': [
          {
            // A PREAUTH on a connection that must be encrypted would skip STARTTLS: refuse it.
            guard: and(['greetingIsPreauth', 'needsStartTls']),
            ...closeWith('protocol', () => 'PREAUTH greeting on a connection that requires STARTTLS'),
          },
          {
            guard: 'greetingIsPreauth',
            target: 'authenticated',
            actions: { type: 'recordCapabilities', params: ({ event }) => event.capabilities },
          },
          {
            target: 'notAuthenticated',
            actions: { type: 'recordCapabilities', params: ({ event }) => event.capabilities },
          },
        ],
      },
    },
    notAuthenticated: {
      meta: { label: 'Not authenticated' },
      initial: 'checkingCapabilities',
      states: {
        checkingCapabilities: {
          meta: { label: 'Choosing STARTTLS and a mechanism' },
          always: [
            { guard: 'capabilitiesUnknown', target: 'askingCapabilities' },
            {
              // Fail before any credentials are sent.
              guard: and(['needsStartTls', not('hasStartTls')]),
              ...closeWith('protocol', () => 'STARTTLS is required but the server does not advertise it'),
            },
            { guard: 'needsStartTls', target: 'negotiatingStartTls' },
            {
              guard: not('hasUsableMechanism'),
              ...closeWith(
                'auth',
                (c) =>
                  `no usable authentication mechanism (wanted ${c.auth.join(' ')}; server offers ${offered(c.capabilities ?? [])})`,
              ),
            },
            {
              guard: not('hasCredentials'),
              ...closeWith('auth', () => 'authentication needed but no username and password configured'),
            },
            { target: 'authenticating' },
          ],
        },
        askingCapabilities,
        negotiatingStartTls: {
          meta: { label: 'STARTTLS' },
          after: { commandTimeout: timeout },
          invoke: {
            src: 'startTls',
            onDone: {
              target: 'checkingCapabilities',
              actions: [
                assign({ tlsActive: true }),
                { type: 'recordCapabilities', params: ({ event }) => event.output },
              ],
            },
            onError: failed('STARTTLS failed', 'transport'),
          },
        },
        authenticating: {
          meta: { label: 'AUTHENTICATE or LOGIN' },
          after: { commandTimeout: timeout },
          invoke: {
            src: 'authenticate',
            input: ({ context }): AuthRequest => {
              const capabilities = context.capabilities ?? [];
              const mechanism = chooseMechanism(context.auth, capabilities)!;
              return {
                mechanism,
                saslIr: capabilities.includes('SASL-IR'),
                username: context.credentials!.username,
                password: context.credentials!.password,
                ...(enablesEarly(mechanism, capabilities) && { enable: EXTENSIONS }),
              };
            },
            onDone: {
              target: '#connection.authenticated',
              actions: { type: 'recordCapabilities', params: ({ event }) => event.output },
            },
            onError: failed('authentication failed', 'auth'),
          },
        },
      },
    },
    authenticated: {
      meta: { label: 'Authenticated' },
      initial: 'checkingCapabilities',
      states: {
        checkingCapabilities: {
          meta: { label: 'Checking required capabilities' },
          always: [
            { guard: 'capabilitiesUnknown', target: 'askingCapabilities' },
            {
              guard: 'lacksRequiredCapability',
              ...closeWith(
                'incapable',
                (c) => `the server lacks the required capability ${missingCapability(c.capabilities ?? [])}`,
              ),
            },
            { target: 'enabling' },
          ],
        },
        askingCapabilities,
        enabling: {
          meta: { label: 'ENABLE QRESYNC' },
          after: { commandTimeout: timeout },
          invoke: {
            src: 'enable',
            input: { extensions: EXTENSIONS },
            onDone: [
              { guard: { type: 'qresyncEnabled', params: ({ event }) => event.output }, target: 'ready' },
              closeWith('incapable', () => 'ENABLE QRESYNC did not enable QRESYNC'),
            ],
            onError: failed('ENABLE QRESYNC', 'incapable'),
          },
        },
        ready: {
          meta: { label: 'Ready (no mailbox selected)' },
          entry: [
            assign({ mailbox: null }),
            emit(({ context }) => ({
              type: 'connection.ready' as const,
              capabilities: context.capabilities ?? [],
            })),
          ],
          on: {
            'connection.select': { target: '#connection.selecting', actions: 'recordSelectRequest' },
            'connection.idle': '#connection.idle',
            'connection.compress': { guard: 'wantsCompression', target: 'compressing' },
          },
        },
        // Asked for by the runtime before its first SELECT, not run after authentication: a run
        // with nothing to do only lists, and saves the round trip (the listing must be answered
        // before COMPRESS, RFC 4978 §3) and the deflate streams at both ends.
        compressing: {
          meta: { label: 'COMPRESS DEFLATE' },
          after: { commandTimeout: timeout },
          invoke: {
            src: 'compress',
            onDone: { target: 'ready', actions: assign({ compressed: true }) },
            onError: [
              {
                guard: closedConnection,
                ...failed('COMPRESS failed', 'transport'),
              },
              {
                // Refused (NO or BAD), the stream is left as it was (RFC 4978 §3): go on without
                // compression, and do not ask again.
                target: 'ready',
                actions: [
                  assign({ compress: false }),
                  emit(({ event }) => ({
                    type: 'connection.compressRefused' as const,
                    detail: event.error instanceof Error ? event.error.message : String(event.error),
                  })),
                ],
              },
            ],
          },
        },
      },
    },
    selecting: {
      meta: { label: 'SELECT' },
      after: { commandTimeout: timeout },
      invoke: {
        src: 'select',
        input: ({ context }) => context.request!,
        onDone: {
          target: 'selected',
          actions: [
            assign({ mailbox: ({ context }) => context.request!.mailbox }),
            emit(({ context, event }) => ({
              type: 'connection.selected' as const,
              mailbox: context.request!.mailbox,
              result: event.output,
            })),
          ],
        },
        onError: [
          {
            guard: closedConnection,
            ...failed('SELECT', 'transport'),
          },
          {
            // RFC 3501 §6.3.1: a failed SELECT leaves no mailbox selected.
            target: readyId,
            actions: emit(({ context, event }) => ({
              type: 'connection.selectFailed' as const,
              mailbox: context.request!.mailbox,
              detail: event.error instanceof Error ? event.error.message : String(event.error),
            })),
          },
        ],
      },
    },
    selected: {
      meta: { label: 'Mailbox selected' },
      on: {
        'connection.select': { target: 'selecting', actions: 'recordSelectRequest' },
        'connection.idle': 'idle',
        // Without UNSELECT the mailbox stays selected until the next SELECT: never CLOSE.
        'connection.unselect': { guard: 'hasUnselect', target: 'unselecting' },
      },
    },
    unselecting: {
      meta: { label: 'UNSELECT' },
      after: { commandTimeout: timeout },
      invoke: { src: 'unselect', onDone: readyId, onError: failed('UNSELECT', 'protocol') },
    },
    idle: {
      meta: { label: 'Waiting for changes (IDLE, with or without NOTIFY)' },
      after: { idleRefresh: { target: 'idle', reenter: true } },
      invoke: {
        src: 'idle',
        input: ({ context }) => ({ mailbox: context.mailbox }),
        onDone: [
          { guard: 'isSelected', target: 'selected', actions: emit({ type: 'connection.changed' as const }) },
          { target: readyId, actions: emit({ type: 'connection.changed' as const }) },
        ],
        onError: failed('IDLE', 'transport'),
      },
      on: { 'connection.done': [{ guard: 'isSelected', target: 'selected' }, { target: readyId }] },
    },
    loggingOut: {
      meta: { label: 'LOGOUT' },
      after: { commandTimeout: timeout },
      invoke: {
        src: 'logout',
        onDone: closeWith('logout', () => 'logged out'),
        onError: failed('LOGOUT', 'logout'),
      },
      on: {
        // RFC 3501 §6.1.3: BYE and the transport closing are the expected end of LOGOUT.
        'imap.bye': {},
        'transport.closed': closeWith('logout', () => 'logged out'),
        'connection.logout': {},
      },
    },
    closed: {
      meta: { label: 'Closed' },
      type: 'final',
      entry: {
        type: 'failPendingCommands',
        params: ({ context }) =>
          context.close ?? { reason: 'transport', detail: `${context.server}: closed` },
      },
    },
  },
});

/** How an event that ends the connection maps to a close reason. */
function endingOf(server: string, event: ConnectionEvent): CloseInfo {
  switch (event.type) {
    case 'imap.bye':
      return { reason: 'bye', detail: `${server}: ${event.text}` };
    case 'imap.protocolError':
      return { reason: 'protocol', detail: `${server}: ${event.detail}` };
    case 'transport.closed':
    case 'transport.error':
    case 'tunnel.exited':
      return { reason: 'transport', detail: `${server}: ${event.detail}` };
    default:
      return { reason: 'transport', detail: `${server}: unexpected ${event.type}` };
  }
}

function offered(capabilities: readonly string[]): string {
  const mechanisms = capabilities.filter((c) => c.startsWith('AUTH=') || c === 'LOGINDISABLED');
  return mechanisms.length > 0 ? mechanisms.join(' ') : 'none';
}
