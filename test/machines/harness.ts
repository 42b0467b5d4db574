// Drives the connection chart with runtime actors backed by a real Session and SessionCommands,
// against a scripted in-memory server (the test plays the server by handing back Response objects).
import { type Actor, createActor, fromPromise } from 'xstate';
import {
  type ConnectionEmitted,
  type ConnectionInput,
  connectionMachine,
} from '../../machines/connection.js';
import type { Response, UntaggedResponse } from '../../src/protocol/types.js';
import { SessionCommands } from '../../src/session/commands.js';
import { Session } from '../../src/session/session.js';
import type { SessionWriter } from '../../src/session/types.js';
import { type FakeArg, fakeArgs, fakeSerializer, tagged, untagged } from '../session/fake-codec.js';

/** What the server answers to one command line; `next` handles the client's following line (SASL). */
export type Reply = Response[] | { responses: Response[]; next: (line: string) => Response[] };
export type Handler = (tag: string, line: string) => Reply;

export const FULL_CAPS = [
  'IMAP4REV1',
  'QRESYNC',
  'CONDSTORE',
  'LIST-EXTENDED',
  'LIST-STATUS',
  'UIDPLUS',
  'IDLE',
];

const capabilityReply =
  (caps: string[]): Handler =>
  (tag) => [untagged({ type: 'CAPABILITY', capabilities: caps }), tagged(tag)];

export function defaultHandlers(caps: string[] = FULL_CAPS): Record<string, Handler> {
  return {
    CAPABILITY: capabilityReply(caps),
    ENABLE: (tag) => [untagged({ type: 'ENABLED', capabilities: ['QRESYNC'] }), tagged(tag)],
    LOGOUT: (tag) => [untagged({ type: 'BYE', text: 'logging out' }), tagged(tag)],
    SELECT: (tag) => [
      untagged({ type: 'FLAGS', flags: ['\\Seen'] }),
      untagged({ type: 'EXISTS', number: 3 }),
      untagged({ type: 'OK', code: { name: 'UIDVALIDITY', value: 1 }, text: '' }),
      untagged({ type: 'OK', code: { name: 'HIGHESTMODSEQ', value: 10n }, text: '' }),
      tagged(tag),
    ],
    NOOP: (tag) => [tagged(tag)],
  };
}

/** A SessionWriter that splits client output into lines and answers commands from handlers. */
class ScriptedServer implements SessionWriter {
  readonly lines: string[] = [];
  #pending = '';
  #next: ((line: string) => Response[]) | undefined;
  session!: Session<FakeArg>;

  constructor(readonly handlers: Record<string, Handler>) {}

  write(data: Buffer): boolean {
    this.#pending += data.toString('latin1');
    let end = this.#pending.indexOf('\r\n');
    while (end >= 0) {
      this.#line(this.#pending.slice(0, end));
      this.#pending = this.#pending.slice(end + 2);
      end = this.#pending.indexOf('\r\n');
    }
    return true;
  }
  drain(): Promise<void> {
    return Promise.resolve();
  }
  async writeStream(): Promise<void> {
    throw new Error('the scripted server takes no streamed literals');
  }

  /** Sends responses as a server would: after the current turn, one by one. */
  push(responses: Response[]): void {
    setImmediate(() => {
      for (const r of responses) this.session.receive(r);
    });
  }

  #line(line: string): void {
    this.lines.push(line);
    if (this.#next) {
      const next = this.#next;
      this.#next = undefined;
      this.push(next(line));
      return;
    }
    const [tag, ...words] = line.split(' ');
    const name = words[0] === 'UID' ? `UID ${words[1]}` : words[0];
    const handler = this.handlers[name];
    if (handler === undefined) return; // no answer: the command stays pending
    const reply = handler(tag, line);
    if (Array.isArray(reply)) this.push(reply);
    else {
      this.#next = reply.next;
      this.push(reply.responses);
    }
  }
}

export interface Harness {
  actor: Actor<typeof connectionMachine>;
  server: ScriptedServer;
  session: Session<FakeArg>;
  imap: SessionCommands<FakeArg>;
  emitted: ConnectionEmitted[];
  /** Top-level/nested state values in order, e.g. 'notAuthenticated.authenticating'. */
  states: string[];
  events: string[];
}

export function startConnection(options: {
  input: ConnectionInput;
  greeting: UntaggedResponse;
  handlers?: Record<string, Handler>;
  commandTimeout?: number;
}): Harness {
  const server = new ScriptedServer({ ...defaultHandlers(), ...options.handlers });
  const session = new Session<FakeArg>({ writer: server, serializer: fakeSerializer() });
  server.session = session;
  const imap = new SessionCommands(session, fakeArgs);
  const events: string[] = [];
  const machine = connectionMachine.provide({
    actors: {
      openTransport: fromPromise(async () => {
        events.push('transport opened');
        server.push([options.greeting]);
      }),
      capability: fromPromise(() => imap.capability()),
      startTls: fromPromise(() =>
        imap.starttls(async () => {
          events.push('tls started');
        }),
      ),
      authenticate: fromPromise(({ input }) => imap.authenticate(input)),
      compress: fromPromise(() =>
        imap.compress(async () => {
          events.push('deflate started');
        }),
      ),
      enable: fromPromise(({ input }) => imap.enable(input.extensions)),
      select: fromPromise(({ input }) => imap.select(input.mailbox, input.options)),
      idle: fromPromise(async ({ signal }) => {
        // Listen before IDLE is sent: the `+` and the first EXISTS can arrive in one read.
        let stop = () => {};
        const changed = new Promise<void>((resolve) => {
          const unsubscribe = session.onUnsolicited(() => resolve());
          stop = () => {
            unsubscribe();
            resolve();
          };
          signal.addEventListener('abort', stop);
        });
        const handle = imap.idle();
        await handle.started;
        await changed;
        stop();
        await handle.done();
      }),
      logout: fromPromise(async () => {
        await imap.logout();
      }),
    },
    actions: {
      failPendingCommands: (_, close) => session.close(close.reason, close.detail),
    },
    delays: options.commandTimeout === undefined ? {} : { commandTimeout: options.commandTimeout },
  });
  const actor = createActor(machine, { input: options.input });
  const emitted: ConnectionEmitted[] = [];
  for (const type of [
    'connection.ready',
    'connection.selected',
    'connection.selectFailed',
    'connection.changed',
    'connection.compressRefused',
  ] as const) {
    actor.on(type, (e) => emitted.push(e));
  }
  const states: string[] = [];
  actor.subscribe({
    next: (s) => {
      const value =
        typeof s.value === 'string' ? s.value : Object.entries(s.value).map(([k, v]) => `${k}.${v}`)[0];
      if (states.at(-1) !== value) states.push(value);
    },
    error: () => {},
  });
  // The runtime glue: session facts become chart events.
  session.greeting.then(
    (g) =>
      actor.send({
        type: 'imap.greeting',
        status: g.type,
        text: g.text,
        capabilities: g.code?.name === 'CAPABILITY' ? g.code.capabilities : undefined,
      }),
    () => {},
  );
  session.onUnsolicited((r) => {
    if (r.type === 'BYE') actor.send({ type: 'imap.bye', text: r.text });
  });
  actor.start();
  return { actor, server, session, imap, emitted, states, events };
}

export const input = (over: Partial<ConnectionInput> = {}): ConnectionInput => ({
  server: 'remote',
  startTls: false,
  compress: false,
  credentials: { username: 'user', password: 'pass' },
  ...over,
});

export const okGreeting = (caps?: string[]): UntaggedResponse =>
  untagged({ type: 'OK', text: 'ready', code: caps && { name: 'CAPABILITY', capabilities: caps } });
export const preauthGreeting = (caps?: string[]): UntaggedResponse =>
  untagged({ type: 'PREAUTH', text: 'welcome', code: caps && { name: 'CAPABILITY', capabilities: caps } });
