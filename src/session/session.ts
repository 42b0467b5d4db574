// The sans-I/O IMAP session: tags, the pipelined write queue (with synchronising literals and
// back-pressure), matching tagged completions, routing untagged responses, protocol state, closing.
// Fed parsed `Response`s through `receive`; writes through the injected `SessionWriter`.
import type { Response, TaggedResponse, UntaggedResponse } from '../protocol/types.js';
import { authenticates, commandFacts, invalidInState } from './command-table.js';
import { describeResponse } from './describe.js';
import { type CloseReason, CommandFailed, CommandNotAllowed, ConnectionClosed } from './errors.js';
import { Fifo } from './fifo.js';
import type {
  CommandOptions,
  CommandResult,
  CommandSerializer,
  Greeting,
  ProtocolState,
  SessionWriter,
  TraceFn,
} from './types.js';

export interface SessionOptions<A> {
  writer: SessionWriter;
  serializer: CommandSerializer<A>;
  trace?: TraceFn;
  /** Log form of a received response; defaults to a short summary. */
  describe?: (response: Response) => string;
  tagPrefix?: string;
  /** Trace SASL continuation replies as sent instead of as `{N bytes}` (--debug twice). */
  traceCredentials?: boolean;
}

interface Pending<A> {
  name: string;
  args: readonly A[];
  opts: CommandOptions;
  exclusive: boolean;
  claims: readonly string[];
  tag: string;
  untagged: UntaggedResponse[];
  resolve(result: CommandResult): void;
  reject(error: Error): void;
}

const CRLF = Buffer.from('\r\n');

/*
 * Untagged routing policy. Each command declares the untagged types it can produce (command-table.ts).
 * - ESEARCH carrying a tag goes to that command (RFC 4731 §3.1).
 * - Otherwise, if exactly one in-flight command claims the type, it gets the response alone.
 * - If several do, the response is ambiguous: it goes to the oldest claimant AND to the unsolicited
 *   listeners. Callers who cannot accept that mark the command `exclusive`. The oldest is right for
 *   servers that run commands in order: data precede the tagged completion of the command they serve.
 *   When the oldest is exclusive, the others are commands allowed to follow it, and it alone gets it.
 * - If none does, it goes to the unsolicited listeners (EXISTS after NOOP, FETCH during IDLE, ...).
 * - OK/NO/BAD [ALERT] and BYE always reach the listeners as well.
 * A FETCH/EXPUNGE/VANISHED routed to a command may still be unsolicited (another client changed the
 * mailbox, RFC 3501 §7): callers treat what they receive as mailbox state, not only as an answer.
 * State-changing commands (SELECT, LOGIN, STARTTLS, IDLE, ...) are exclusive by table, so e.g. every
 * FLAGS/EXISTS/OK [UIDVALIDITY] seen during SELECT is SELECT's. The exceptions: a command marked
 * `afterAuthentication` may follow a LOGIN or AUTHENTICATE that expects no continuation (ENABLE
 * QRESYNC in the same write as the credentials saves a round trip), one marked `afterSelect` a
 * SELECT or EXAMINE (the mailbox's first FETCH); see #mayFollowLeader.
 */
export class Session<A> {
  readonly #writer: SessionWriter;
  readonly #serializer: CommandSerializer<A>;
  readonly #trace: TraceFn | undefined;
  readonly #describe: (response: Response) => string;
  readonly #tagPrefix: string;
  readonly #traceCredentials: boolean;
  #nextTag = 1;
  #state: ProtocolState = 'greeting';
  #closed: ConnectionClosed | undefined;
  /** Submitted, not yet written, in submission order. */
  readonly #queue = new Fifo<Pending<A>>();
  /** Written (at least in part), awaiting the tagged completion; Map order is age order. */
  readonly #inFlight = new Map<string, Pending<A>>();
  /** Untagged type → in-flight commands that can produce it, oldest first. */
  readonly #claims = new Map<string, Fifo<Pending<A>>>();
  /** An exclusive command on the wire: nothing else is written until it is released. */
  #barrier: Pending<A> | undefined;
  /**
   * A state change written in full and not yet completed, with the state it leads to: a LOGIN
   * or AUTHENTICATE expecting no continuation (commands marked `afterAuthentication` may follow
   * it on the wire), or a SELECT or EXAMINE (`afterSelect`).
   */
  #leader: { cmd: Pending<A>; leadsTo: 'authenticated' | 'selected' } | undefined;
  /** The command whose synchronising literal waits for `+` (only one can: writes are serial). */
  #literalWait: { cmd: Pending<A>; resume(proceed: boolean): void } | undefined;
  #pumping = false;
  readonly #listeners = new Set<(response: UntaggedResponse) => void>();
  readonly #greeting: { promise: Promise<Greeting>; resolve(g: Greeting): void; reject(e: Error): void };
  readonly #closedSignal: { promise: Promise<ConnectionClosed>; resolve(e: ConnectionClosed): void };

  constructor(options: SessionOptions<A>) {
    this.#writer = options.writer;
    this.#serializer = options.serializer;
    this.#trace = options.trace;
    this.#describe = options.describe ?? describeResponse;
    this.#tagPrefix = options.tagPrefix ?? 'a';
    this.#traceCredentials = options.traceCredentials ?? false;
    this.#greeting = deferred<Greeting>();
    this.#greeting.promise.catch(() => {}); // observed through `closed` when nobody awaits it
    this.#closedSignal = deferred<ConnectionClosed>();
  }

  get state(): ProtocolState {
    return this.#state;
  }

  /** Resolves with the server greeting (OK or PREAUTH); rejects if the connection closes first. */
  get greeting(): Promise<Greeting> {
    return this.#greeting.promise;
  }

  /** Resolves once, with the reason, when the session closes for any cause. */
  get closed(): Promise<ConnectionClosed> {
    return this.#closedSignal.promise;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Listens to unsolicited (and ambiguous) untagged responses; returns the unsubscribe function. */
  onUnsolicited(listener: (response: UntaggedResponse) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Queues a command. Resolves with its result on OK; rejects with CommandFailed on NO/BAD,
   * CommandNotAllowed when invalid in the protocol state at its turn, ConnectionClosed on close.
   */
  command(name: string, args: readonly A[] = [], opts: CommandOptions = {}): Promise<CommandResult> {
    if (this.#closed) return Promise.reject(this.#closed);
    const facts = commandFacts(name);
    return new Promise<CommandResult>((resolve, reject) => {
      this.#queue.push({
        name,
        args,
        opts,
        // Replies to `+` and transport switches must not interleave with other commands' bytes.
        exclusive: facts.exclusive || !!opts.exclusive || !!opts.afterOk || !!opts.onContinuation,
        claims: opts.claims ?? facts.claims,
        tag: '',
        untagged: [],
        resolve,
        reject,
      });
      void this.#pump();
    });
  }

  /** Feeds one parsed server response. Never throws; a protocol violation closes the session. */
  receive(response: Response): void {
    if (this.#closed) return;
    if (this.#trace) this.#trace('server', this.#describe(response));
    if (response.kind === 'tagged') this.#complete(response);
    else if (response.kind === 'continuation') this.#continue(response.text);
    else if (this.#state === 'greeting') this.#greet(response);
    else this.#route(response);
  }

  /**
   * Fails every pending and later command with ConnectionClosed. A transport close after a
   * completed LOGOUT is reported as 'logout'.
   */
  close(reason: CloseReason, detail: string): void {
    if (this.#closed) return;
    const error = new ConnectionClosed(
      reason === 'transport' && this.#state === 'logout' ? 'logout' : reason,
      detail,
    );
    this.#closed = error;
    this.#state = 'logout';
    this.#literalWait?.resume(false);
    this.#literalWait = undefined;
    const pending = [...this.#queue.drain(), ...this.#inFlight.values()];
    this.#inFlight.clear();
    this.#claims.clear();
    this.#barrier = undefined;
    this.#leader = undefined;
    for (const cmd of pending) cmd.reject(error);
    this.#greeting.reject(error);
    this.#closedSignal.resolve(error);
  }

  #greet(response: UntaggedResponse): void {
    if (response.type === 'OK' || response.type === 'PREAUTH') {
      this.#state = response.type === 'OK' ? 'not-authenticated' : 'authenticated';
      this.#greeting.resolve({ type: response.type, code: response.code, text: response.text });
      void this.#pump();
    } else if (response.type === 'BYE') {
      this.#emit(response);
      this.close('bye', response.text);
    } else {
      this.close('protocol', `expected a greeting (OK, PREAUTH or BYE), got untagged ${response.type}`);
    }
  }

  #route(response: UntaggedResponse): void {
    if (response.type === 'BYE') {
      this.#emit(response);
      // During LOGOUT the BYE is expected (RFC 3501 §6.1.3); the tagged OK still follows.
      if (this.#barrier?.name !== 'LOGOUT') this.close('bye', response.text);
      return;
    }
    let target: Pending<A> | undefined;
    let alsoEmit = false;
    if (response.type === 'ESEARCH' && response.tag !== undefined) {
      target = this.#inFlight.get(response.tag);
    } else {
      const claimants = this.#claims.get(response.type);
      if (claimants !== undefined && claimants.length > 0) {
        target = claimants.peek();
        // Behind an exclusive command only its followers are in flight, and they run after it:
        // until its completion, what it claims is its own.
        alsoEmit = claimants.length > 1 && !target!.exclusive;
      }
    }
    if (
      (response.type === 'OK' || response.type === 'NO' || response.type === 'BAD') &&
      response.code?.name === 'ALERT'
    ) {
      alsoEmit = true;
    }
    if (target === undefined) {
      this.#emit(response);
      return;
    }
    if (target.opts.onUntagged) target.opts.onUntagged(response);
    else target.untagged.push(response);
    if (alsoEmit) this.#emit(response);
  }

  #emit(response: UntaggedResponse): void {
    for (const listener of this.#listeners) listener(response);
  }

  #complete(tagged: TaggedResponse): void {
    const cmd = this.#inFlight.get(tagged.tag);
    if (cmd === undefined) {
      this.close('protocol', `tagged ${tagged.status} for unknown tag ${tagged.tag}`);
      return;
    }
    this.#inFlight.delete(tagged.tag);
    if (this.#leader?.cmd === cmd) this.#leader = undefined;
    this.#unclaim(cmd);
    this.#updateState(cmd.name, tagged.status);
    const result: CommandResult = {
      tag: tagged.tag,
      status: tagged.status,
      code: tagged.code,
      text: tagged.text,
      untagged: cmd.untagged,
    };
    // A NO/BAD instead of `+` (RFC 3501 §7.5): the literal body must not be sent.
    if (this.#literalWait?.cmd === cmd) {
      this.#literalWait.resume(false);
      this.#literalWait = undefined;
    }
    if (tagged.status !== 'OK') {
      cmd.reject(new CommandFailed(cmd.name, result));
      this.#release(cmd);
    } else if (cmd.opts.afterOk) {
      cmd.opts.afterOk(result).then(
        () => {
          cmd.resolve(result);
          this.#release(cmd);
        },
        (error: unknown) => {
          cmd.reject(asError(error));
          this.close('transport', `${cmd.name}: ${asError(error).message}`);
        },
      );
    } else {
      cmd.resolve(result);
      this.#release(cmd);
    }
  }

  #release(cmd: Pending<A>): void {
    if (this.#barrier === cmd) this.#barrier = undefined;
    void this.#pump();
  }

  /** RFC 3501 §3: the transitions a command's completion causes. */
  #updateState(name: string, status: TaggedResponse['status']): void {
    if (status === 'OK') {
      if (authenticates(name) || name === 'CLOSE' || name === 'UNSELECT') {
        this.#state = 'authenticated';
      } else if (name === 'SELECT' || name === 'EXAMINE') {
        this.#state = 'selected';
      } else if (name === 'LOGOUT') {
        this.#state = 'logout';
      }
    } else if ((name === 'SELECT' || name === 'EXAMINE') && this.#state === 'selected') {
      // RFC 3501 §6.3.1: a failed SELECT leaves no mailbox selected.
      this.#state = 'authenticated';
    }
  }

  #continue(text: string): void {
    if (this.#literalWait) {
      const wait = this.#literalWait;
      this.#literalWait = undefined;
      wait.resume(true);
      return;
    }
    // Commands with a continuation handler are exclusive, so at most one can be on the wire.
    // An authentication followed by pipelined commands has none: a `+` then is a protocol error.
    const cmd = this.#barrier;
    const onContinuation = cmd?.opts.onContinuation;
    if (cmd === undefined || onContinuation === undefined) {
      this.close('protocol', `unexpected continuation request "+ ${text}"`);
      return;
    }
    onContinuation(text, (line) => this.#reply(cmd, line));
  }

  #reply(cmd: Pending<A>, line: Buffer): void {
    if (this.#closed || !this.#inFlight.has(cmd.tag)) return;
    if (this.#trace) {
      const secret = cmd.name === 'AUTHENTICATE' && !this.#traceCredentials;
      this.#trace('client', secret ? `{${line.length} bytes}` : line.toString('latin1'));
    }
    // Nothing else is being written (the command is exclusive); the line is tiny, so no drain wait.
    this.#writer.write(Buffer.concat([line, CRLF]));
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (!this.#closed && this.#state !== 'greeting' && this.#queue.length > 0) {
        const cmd = this.#queue.peek()!;
        const follows = this.#mayFollowLeader(cmd);
        if (!follows && (this.#barrier || (cmd.exclusive && this.#inFlight.size > 0))) break;
        this.#queue.shift();
        const refusal =
          cmd.opts.afterSelect && !follows
            ? `${cmd.name} was to follow a SELECT, and none is in flight`
            : invalidInState(cmd.name, follows ? this.#leader!.leadsTo : this.#state);
        if (refusal !== undefined) cmd.reject(new CommandNotAllowed(refusal));
        else await this.#write(cmd);
      }
    } catch (error) {
      this.close('transport', `write failed: ${asError(error).message}`);
    } finally {
      this.#pumping = false;
    }
  }

  /**
   * `cmd` may go on the wire behind the state change in flight: it asked to follow that kind,
   * nothing exclusive was written since, and when it is exclusive itself nothing else is in flight.
   */
  #mayFollowLeader(cmd: Pending<A>): boolean {
    const leader = this.#leader;
    if (leader === undefined || this.#barrier !== leader.cmd) return false;
    const asked = leader.leadsTo === 'authenticated' ? cmd.opts.afterAuthentication : cmd.opts.afterSelect;
    return asked === true && (!cmd.exclusive || this.#inFlight.size === 1);
  }

  async #write(cmd: Pending<A>): Promise<void> {
    const tag = this.#tagPrefix + this.#nextTag++;
    let chunks: ReturnType<CommandSerializer<A>['serialize']>;
    try {
      chunks = this.#serializer.serialize(tag, cmd.name, cmd.args);
    } catch (error) {
      cmd.reject(asError(error));
      return;
    }
    cmd.tag = tag;
    this.#inFlight.set(tag, cmd);
    this.#claim(cmd);
    if (cmd.exclusive) this.#barrier = cmd;
    if (this.#trace) this.#trace('client', this.#serializer.redact(tag, cmd.name, cmd.args));
    for (const chunk of chunks) {
      if (this.#closed) return;
      if (chunk.kind === 'data') {
        if (!this.#writer.write(chunk.data)) await this.#writer.drain();
        continue;
      }
      // Only a synchronising literal is a point where the server may refuse the rest (§7.5);
      // a non-synchronising one is read by the server whatever it answers.
      if (chunk.sync && !(await this.#awaitContinuation(cmd))) return;
      if (Buffer.isBuffer(chunk.body)) {
        if (!this.#writer.write(chunk.body)) await this.#writer.drain();
      } else {
        await this.#writer.writeStream(chunk.body, chunk.size);
      }
    }
    if (!this.#inFlight.has(tag)) return;
    cmd.opts.onWritten?.();
    // Without a SASL exchange to come, the server's next line from us is a new command.
    if (authenticates(cmd.name) && !cmd.opts.onContinuation) this.#leader = { cmd, leadsTo: 'authenticated' };
    else if (cmd.name === 'SELECT' || cmd.name === 'EXAMINE') this.#leader = { cmd, leadsTo: 'selected' };
  }

  #awaitContinuation(cmd: Pending<A>): Promise<boolean> {
    return new Promise<boolean>((resume) => {
      this.#literalWait = { cmd, resume };
    });
  }

  #claim(cmd: Pending<A>): void {
    for (const type of cmd.claims) {
      let list = this.#claims.get(type);
      if (list === undefined) {
        list = new Fifo();
        this.#claims.set(type, list);
      }
      list.push(cmd);
    }
  }

  #unclaim(cmd: Pending<A>): void {
    for (const type of cmd.claims) {
      // Completions come mostly in tag order, so the command is nearly always first.
      this.#claims.get(type)?.remove(cmd);
    }
  }
}

function deferred<T>(): { promise: Promise<T>; resolve(value: T): void; reject(error: Error): void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
