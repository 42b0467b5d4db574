// The typed command helpers the sync engine and the connection runtime call: each builds its
// arguments through the injected ArgBuilder, runs one Session command, and shapes its result.
import { ProtocolError } from '../protocol/errors.js';
import type {
  FetchAttributes,
  ResponseCode,
  SequenceRanges,
  StatusAttributes,
  UntaggedResponse,
} from '../protocol/types.js';
import type { Session } from './session.js';
import type { ArgBuilder, CommandResult, ContinuationReply } from './types.js';

type UidSet = SequenceRanges | string;

export interface QresyncParams {
  uidValidity: number;
  modseq: bigint;
  knownUids?: UidSet;
  /** RFC 7162 §3.2.5.2: message sequence numbers and the UIDs they match. */
  seqMatch?: { seqs: UidSet; uids: UidSet };
}

export interface SelectOptions {
  readOnly?: boolean;
  condstore?: boolean;
  qresync?: QresyncParams;
}

export interface FetchedMessage {
  seq: number;
  attributes: FetchAttributes;
}

export interface SelectResult {
  flags: string[];
  permanentFlags?: string[];
  exists: number;
  uidValidity: number;
  uidNext?: number;
  /** Absent when the server answered NOMODSEQ. */
  highestModseq?: bigint;
  readOnly: boolean;
  /** QRESYNC: UIDs expunged since `modseq` (VANISHED (EARLIER)). */
  vanished: SequenceRanges;
  /** QRESYNC: flag changes since `modseq`. */
  fetched: FetchedMessage[];
}

export interface FetchResult {
  fetched: FetchedMessage[];
  vanished: SequenceRanges;
}

export interface StoreResult {
  fetched: FetchedMessage[];
  /** RFC 7162 §3.1.3: UIDs not stored because they changed after UNCHANGEDSINCE. */
  modified?: SequenceRanges;
}

export interface ListEntry {
  mailbox: string;
  delimiter: string | null;
  attributes: string[];
  childInfo?: string[];
  oldName?: string;
  /** RFC 5819 LIST-STATUS data, when asked for. */
  status?: StatusAttributes;
}

export interface AppendMessage {
  flags?: string[];
  /** "dd-Mon-yyyy hh:mm:ss +zzzz" */
  internalDate?: string;
  body: Buffer | AsyncIterable<Buffer>;
  size: number;
}

export type Mechanism = 'PLAIN' | 'LOGIN';

export interface AuthRequest {
  mechanism: Mechanism;
  /** RFC 4959: send the initial response with AUTHENTICATE. */
  saslIr: boolean;
  username: string;
  password: string;
  /**
   * RFC 5161: ENABLE these right behind the authentication command, in the same write when it
   * needs no continuation (LOGIN, PLAIN with SASL-IR); `enable()` of the same list takes its answer.
   */
  enable?: string[];
}

export interface IdleHandle {
  /** Resolves when the server acknowledged IDLE with `+`. */
  started: Promise<void>;
  /** Sends DONE (once `+` arrived) and resolves with IDLE's completion. */
  done(): Promise<CommandResult>;
}

export class SessionCommands<A> {
  /** The ENABLE sent with the authentication: its list, and what it enabled (undefined if refused). */
  #earlyEnable: { extensions: string; enabled: Promise<string[] | undefined> } | undefined;

  constructor(
    readonly session: Session<A>,
    readonly args: ArgBuilder<A>,
  ) {}

  async capability(): Promise<string[]> {
    return capabilitiesIn(await this.session.command('CAPABILITY')) ?? [];
  }

  /** Resolves with the capabilities the server volunteered in its reply, if any. */
  async login(user: string, password: string): Promise<string[] | undefined> {
    const b = this.args;
    return capabilitiesIn(await this.session.command('LOGIN', [b.string(user), b.string(password)]));
  }

  /**
   * AUTHENTICATE PLAIN (RFC 4616), with the initial response inline when SASL-IR (RFC 4959) is on:
   * the exchange is then complete, a `+` would be a protocol error, and commands may follow it.
   */
  async authenticatePlain(user: string, password: string, saslIr: boolean): Promise<string[] | undefined> {
    const b = this.args;
    const response = Buffer.from(`\0${user}\0${password}`).toString('base64');
    if (saslIr) {
      return capabilitiesIn(await this.session.command('AUTHENTICATE', [b.atom('PLAIN'), b.atom(response)]));
    }
    let answered = false;
    // A second `+` after our response means the server wants more than PLAIN gives: cancel (§6.2.2).
    const onContinuation = (_text: string, reply: ContinuationReply) => {
      reply(Buffer.from(answered ? '*' : response));
      answered = true;
    };
    return capabilitiesIn(await this.session.command('AUTHENTICATE', [b.atom('PLAIN')], { onContinuation }));
  }

  /**
   * LOGIN or AUTHENTICATE PLAIN, with `request.enable` queued right behind it (pipelined when the
   * command needs no continuation, saving a round trip). Resolves with the capabilities the server
   * volunteered; rejects with the authentication's failure alone, whatever becomes of the ENABLE.
   */
  authenticate(request: AuthRequest): Promise<string[] | undefined> {
    const { username, password } = request;
    const authenticated =
      request.mechanism === 'PLAIN'
        ? this.authenticatePlain(username, password, request.saslIr)
        : this.login(username, password);
    if (request.enable !== undefined) {
      const enabled = this.#enable(request.enable, true).catch(() => undefined);
      this.#earlyEnable = { extensions: request.enable.join(' '), enabled };
    }
    return authenticated;
  }

  /** `upgrade` switches the transport to TLS before any later command is written. */
  async starttls(upgrade: () => Promise<void>): Promise<string[] | undefined> {
    return capabilitiesIn(await this.session.command('STARTTLS', [], { afterOk: upgrade }));
  }

  /** RFC 4978: `start` inserts the deflate layer before any later command is written. */
  async compress(start: () => Promise<void>): Promise<void> {
    await this.session.command('COMPRESS', [this.args.atom('DEFLATE')], { afterOk: start });
  }

  /**
   * RFC 5161: resolves with the extensions the server says it enabled. Takes the answer of the
   * same ENABLE sent with the authentication when it enabled them all; sends ENABLE (again) when
   * there was none, or it was refused (e.g. not accepted before authentication completed).
   */
  async enable(extensions: string[]): Promise<string[]> {
    const early = this.#earlyEnable;
    this.#earlyEnable = undefined;
    if (early?.extensions === extensions.join(' ')) {
      const enabled = await early.enabled;
      if (enabled !== undefined && extensions.every((e) => enabled.includes(e))) return enabled;
    }
    return this.#enable(extensions, false);
  }

  async #enable(extensions: string[], afterAuthentication: boolean): Promise<string[]> {
    const atoms = extensions.map((e) => this.args.atom(e));
    const result = await this.session.command('ENABLE', atoms, { afterAuthentication });
    return result.untagged.flatMap((r) => (r.type === 'ENABLED' ? r.capabilities : []));
  }

  /** RFC 5258 LIST-EXTENDED; `status` asks RFC 5819 LIST-STATUS for these items. */
  async list(
    reference: string,
    patterns: string[],
    opts: {
      selection?: string[];
      returnOptions?: string[];
      status?: string[];
      /** See CommandOptions.afterAuthentication. */
      afterAuthentication?: boolean;
    } = {},
  ): Promise<ListEntry[]> {
    const b = this.args;
    const args: A[] = [];
    if (opts.selection?.length) args.push(b.list(opts.selection.map((s) => b.atom(s))));
    args.push(b.string(reference), b.list(patterns.map((p) => b.string(p))));
    const returns = (opts.returnOptions ?? []).map((r) => b.atom(r));
    if (opts.status?.length) returns.push(b.atom('STATUS'), this.#atoms(opts.status));
    if (returns.length > 0) args.push(b.atom('RETURN'), b.list(returns));
    const result = await this.session.command('LIST', args, {
      afterAuthentication: opts.afterAuthentication,
    });
    const entries: ListEntry[] = [];
    const byName = new Map<string, ListEntry>();
    for (const r of result.untagged) {
      if (r.type === 'LIST') {
        const { type: _t, kind: _k, ...entry } = r;
        entries.push(entry);
        byName.set(entry.mailbox, entry);
      } else if (r.type === 'STATUS') {
        // RFC 5819 §2: STATUS follows the LIST line of its mailbox.
        const entry = byName.get(r.mailbox);
        if (entry) entry.status = r.attributes;
      }
    }
    return entries;
  }

  async status(mailbox: string, items: string[]): Promise<StatusAttributes> {
    const result = await this.session.command('STATUS', [this.args.string(mailbox), this.#atoms(items)]);
    const found = result.untagged.find((r) => r.type === 'STATUS' && r.mailbox === mailbox);
    if (found?.type !== 'STATUS')
      throw new ProtocolError(`STATUS ${mailbox}: the server sent no STATUS data`);
    return found.attributes;
  }

  /** SELECT (or EXAMINE when readOnly), with CONDSTORE or QRESYNC (RFC 7162 §3.2.5) parameters. */
  async select(mailbox: string, opts: SelectOptions = {}): Promise<SelectResult> {
    const b = this.args;
    const args: A[] = [b.string(mailbox)];
    if (opts.qresync) args.push(b.list([b.atom('QRESYNC'), b.list(this.#qresyncParams(opts.qresync))]));
    else if (opts.condstore) args.push(b.list([b.atom('CONDSTORE')]));
    const result = await this.session.command(opts.readOnly ? 'EXAMINE' : 'SELECT', args);
    return selectResult(mailbox, result);
  }

  /** UID FETCH with CHANGEDSINCE and VANISHED (RFC 7162 §3.1.4.1, §3.2.6). */
  async uidFetch(
    set: UidSet,
    items: string[],
    opts: { changedSince?: bigint; vanished?: boolean; onUntagged?: (r: UntaggedResponse) => void } = {},
  ): Promise<FetchResult> {
    const b = this.args;
    const args: A[] = [b.sequenceSet(set), this.#atoms(items)];
    if (opts.changedSince !== undefined) {
      const modifiers = [b.atom('CHANGEDSINCE'), b.number(opts.changedSince)];
      if (opts.vanished) modifiers.push(b.atom('VANISHED'));
      args.push(b.list(modifiers));
    }
    const result = await this.session.command('UID FETCH', args, { onUntagged: opts.onUntagged });
    return { fetched: fetchedIn(result.untagged), vanished: vanishedIn(result.untagged) };
  }

  /** UID STORE; with `unchangedSince`, refused UIDs come back in `modified` (RFC 7162 §3.1.3). */
  async uidStore(
    set: UidSet,
    action: '+FLAGS' | '-FLAGS' | 'FLAGS',
    flags: string[],
    opts: { unchangedSince?: bigint; silent?: boolean } = {},
  ): Promise<StoreResult> {
    const b = this.args;
    const args: A[] = [b.sequenceSet(set)];
    if (opts.unchangedSince !== undefined) {
      args.push(b.list([b.atom('UNCHANGEDSINCE'), b.number(opts.unchangedSince)]));
    }
    args.push(b.atom(opts.silent ? `${action}.SILENT` : action), this.#atoms(flags));
    const result = await this.session.command('UID STORE', args);
    const modified = codeOf(result.code, 'MODIFIED')?.set;
    return { fetched: fetchedIn(result.untagged), modified };
  }

  /** RFC 4315 UID EXPUNGE; resolves with the UIDs reported VANISHED and the sequence numbers EXPUNGEd. */
  async uidExpunge(set: UidSet): Promise<{ vanished: SequenceRanges; expunged: number[] }> {
    const result = await this.session.command('UID EXPUNGE', [this.args.sequenceSet(set)]);
    const expunged = result.untagged.flatMap((r) => (r.type === 'EXPUNGE' ? [r.number] : []));
    return { vanished: vanishedIn(result.untagged), expunged };
  }

  /** MULTIAPPEND (RFC 3502); resolves with APPENDUID (RFC 4315) when the server sends it. */
  async append(
    mailbox: string,
    messages: AppendMessage[],
  ): Promise<{ uidValidity: number; uids: SequenceRanges } | undefined> {
    const b = this.args;
    const args: A[] = [b.string(mailbox)];
    for (const message of messages) {
      if (message.flags) args.push(this.#atoms(message.flags));
      if (message.internalDate) args.push(b.string(message.internalDate));
      args.push(b.literal(message.body, message.size));
    }
    const result = await this.session.command('APPEND', args);
    const appendUid = codeOf(result.code, 'APPENDUID');
    return appendUid && { uidValidity: appendUid.uidValidity, uids: appendUid.uids };
  }

  /** RFC 2177 IDLE: unsolicited updates reach the session's listeners until `done()`. */
  idle(): IdleHandle {
    let sendDone: (() => void) | undefined;
    let doneAsked = false;
    let markStarted!: () => void;
    const started = new Promise<void>((resolve) => {
      markStarted = resolve;
    });
    const completion = this.session.command('IDLE', [], {
      onContinuation: (_text, reply) => {
        sendDone = () => reply(Buffer.from('DONE'));
        markStarted();
        if (doneAsked) sendDone();
      },
    });
    completion.catch(() => {}); // surfaced by done() and `started`
    return {
      started: Promise.race([started, completion.then(() => {})]),
      done: () => {
        if (!doneAsked) {
          doneAsked = true;
          sendDone?.();
        }
        return completion;
      },
    };
  }

  /** RFC 5465 NOTIFY; the event specification is built by the caller. */
  notify(args: readonly A[]): Promise<CommandResult> {
    return this.session.command('NOTIFY', args);
  }

  noop(): Promise<CommandResult> {
    return this.session.command('NOOP');
  }

  /** `onWritten`: see CommandOptions. */
  logout(onWritten?: () => void): Promise<CommandResult> {
    return this.session.command('LOGOUT', [], { onWritten });
  }

  #atoms(items: string[]): A {
    return this.args.list(items.map((item) => this.args.atom(item)));
  }

  #qresyncParams(q: QresyncParams): A[] {
    const b = this.args;
    const params = [b.number(q.uidValidity), b.number(q.modseq)];
    if (q.knownUids !== undefined) params.push(b.sequenceSet(q.knownUids));
    if (q.seqMatch) params.push(b.list([b.sequenceSet(q.seqMatch.seqs), b.sequenceSet(q.seqMatch.uids)]));
    return params;
  }
}

type CodeNamed<N extends ResponseCode['name']> = Extract<ResponseCode, { name: N }>;

function codeOf<N extends 'MODIFIED' | 'APPENDUID' | 'CAPABILITY'>(
  code: ResponseCode | undefined,
  name: N,
): CodeNamed<N> | undefined {
  return code?.name === name ? (code as CodeNamed<N>) : undefined;
}

/** Capabilities from the tagged [CAPABILITY] code or an untagged CAPABILITY line. */
export function capabilitiesIn(result: CommandResult): string[] | undefined {
  const code = codeOf(result.code, 'CAPABILITY');
  if (code) return code.capabilities;
  for (const r of result.untagged) if (r.type === 'CAPABILITY') return r.capabilities;
  return undefined;
}

function fetchedIn(untagged: UntaggedResponse[]): FetchedMessage[] {
  const fetched: FetchedMessage[] = [];
  for (const r of untagged) if (r.type === 'FETCH') fetched.push({ seq: r.seq, attributes: r.attributes });
  return fetched;
}

function vanishedIn(untagged: UntaggedResponse[]): SequenceRanges {
  const ranges: SequenceRanges = [];
  for (const r of untagged) if (r.type === 'VANISHED') for (const range of r.uids) ranges.push(range);
  return ranges;
}

/**
 * The untagged responses of a SELECT or EXAMINE that describe the mailbox it opens. With QRESYNC
 * on, a server closing the previous mailbox says so with `OK [CLOSED]`, and every response before
 * it concerns that mailbox (RFC 7162 §3.2.11): a VANISHED or FETCH from there, taken for the new
 * mailbox's, would expunge or reflag the wrong messages on the other server.
 */
function openedMailboxResponses(untagged: UntaggedResponse[]): UntaggedResponse[] {
  const closed = untagged.findLastIndex((r) => r.type === 'OK' && r.code?.name === 'CLOSED');
  return closed < 0 ? untagged : untagged.slice(closed + 1);
}

function selectResult(mailbox: string, result: CommandResult): SelectResult {
  let uidValidity: number | undefined;
  const untagged = openedMailboxResponses(result.untagged);
  const selected: Omit<SelectResult, 'uidValidity'> = {
    flags: [],
    exists: 0,
    readOnly: result.code?.name === 'READ-ONLY',
    vanished: vanishedIn(untagged),
    fetched: fetchedIn(untagged),
  };
  for (const r of untagged) {
    if (r.type === 'FLAGS') selected.flags = r.flags;
    else if (r.type === 'EXISTS') selected.exists = r.number;
    else if (r.type === 'OK' && r.code) {
      const code = r.code;
      if (code.name === 'UIDVALIDITY') uidValidity = code.value;
      else if (code.name === 'UIDNEXT') selected.uidNext = code.value;
      else if (code.name === 'HIGHESTMODSEQ') selected.highestModseq = code.value;
      else if (code.name === 'PERMANENTFLAGS') selected.permanentFlags = code.flags;
    }
  }
  if (uidValidity === undefined) throw new ProtocolError(`SELECT ${mailbox}: the server sent no UIDVALIDITY`);
  return { ...selected, uidValidity };
}
