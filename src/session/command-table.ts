// Static facts about each command: the protocol states it is valid in (RFC 3501 §6 and the
// extensions we use), whether it must run alone on the wire, and which untagged responses it asks for.
import type { ProtocolState } from './types.js';

type State = Exclude<ProtocolState, 'greeting' | 'logout'>;

interface CommandFacts {
  states: readonly State[];
  /** Changes protocol state or the stream itself, so nothing may be pipelined around it. */
  exclusive: boolean;
  claims: readonly string[];
}

const ANY: readonly State[] = ['not-authenticated', 'authenticated', 'selected'];
const NOT_AUTH: readonly State[] = ['not-authenticated'];
const AUTH: readonly State[] = ['authenticated', 'selected'];
const SELECTED: readonly State[] = ['selected'];

function facts(states: readonly State[], claims: readonly string[] = [], exclusive = false): CommandFacts {
  return { states, claims, exclusive };
}

// Commands with message sequence numbers (FETCH, STORE, SEARCH, COPY, MOVE, EXPUNGE) must not be
// pipelined with commands that may expunge (RFC 3501 §5.5); the UID forms may. Callers that mix
// them pass `exclusive: true`.
const TABLE: Record<string, CommandFacts> = {
  CAPABILITY: facts(ANY, ['CAPABILITY']),
  NOOP: facts(ANY),
  LOGOUT: facts(ANY, [], true),
  ID: facts(ANY, ['ID']),
  STARTTLS: facts(NOT_AUTH, ['CAPABILITY'], true),
  AUTHENTICATE: facts(NOT_AUTH, ['CAPABILITY'], true),
  LOGIN: facts(NOT_AUTH, ['CAPABILITY'], true),
  // RFC 5161 §3.1: ENABLE is only valid in the authenticated state, and "there are no limitations
  // on pipelining ENABLE" (the mailbox list may go out right behind it).
  ENABLE: facts(['authenticated'], ['ENABLED']),
  // RFC 4978 §3: COMPRESS in authenticated or selected state; it switches the stream.
  COMPRESS: facts(AUTH, [], true),
  SELECT: facts(AUTH, ['FLAGS', 'EXISTS', 'RECENT', 'OK', 'FETCH', 'VANISHED'], true),
  EXAMINE: facts(AUTH, ['FLAGS', 'EXISTS', 'RECENT', 'OK', 'FETCH', 'VANISHED'], true),
  CREATE: facts(AUTH),
  DELETE: facts(AUTH),
  RENAME: facts(AUTH),
  SUBSCRIBE: facts(AUTH),
  UNSUBSCRIBE: facts(AUTH),
  LIST: facts(AUTH, ['LIST', 'STATUS']), // RFC 5819 LIST-STATUS answers with STATUS too
  LSUB: facts(AUTH, ['LSUB']),
  STATUS: facts(AUTH, ['STATUS']),
  APPEND: facts(AUTH),
  NAMESPACE: facts(AUTH, ['NAMESPACE']),
  IDLE: facts(AUTH, [], true),
  NOTIFY: facts(AUTH, ['STATUS']), // RFC 5465 §5.1: SET STATUS reports every mailbox at once
  CHECK: facts(SELECTED),
  CLOSE: facts(SELECTED, [], true),
  UNSELECT: facts(SELECTED, [], true),
  EXPUNGE: facts(SELECTED, ['EXPUNGE', 'VANISHED']),
  SEARCH: facts(SELECTED, ['SEARCH', 'ESEARCH']),
  FETCH: facts(SELECTED, ['FETCH', 'VANISHED']),
  STORE: facts(SELECTED, ['FETCH']),
  COPY: facts(SELECTED),
  MOVE: facts(SELECTED, ['EXPUNGE', 'VANISHED', 'OK']), // RFC 6851 §4.3: untagged OK [COPYUID]
  'UID FETCH': facts(SELECTED, ['FETCH', 'VANISHED']), // RFC 7162 §3.2.6: VANISHED (EARLIER)
  'UID STORE': facts(SELECTED, ['FETCH']),
  'UID SEARCH': facts(SELECTED, ['SEARCH', 'ESEARCH']),
  'UID COPY': facts(SELECTED),
  'UID MOVE': facts(SELECTED, ['EXPUNGE', 'VANISHED', 'OK']),
  'UID EXPUNGE': facts(SELECTED, ['EXPUNGE', 'VANISHED']),
};

/** Commands missing from the table are passed through in any state after the greeting. */
const UNKNOWN: CommandFacts = facts(ANY);

/** LOGIN and AUTHENTICATE: their OK moves the session to the authenticated state (RFC 3501 §3). */
export function authenticates(name: string): boolean {
  return name === 'LOGIN' || name === 'AUTHENTICATE';
}

export function commandFacts(name: string): CommandFacts {
  return TABLE[name] ?? UNKNOWN;
}

/** Why `name` cannot be sent in `state`, or undefined when it can. */
export function invalidInState(name: string, state: ProtocolState): string | undefined {
  if (state === 'greeting' || state === 'logout') return `${name} cannot be sent in the ${state} state`;
  const { states } = commandFacts(name);
  if (states.includes(state)) return undefined;
  return `${name} is not valid in the ${state} state (valid in: ${states.join(', ')})`;
}
