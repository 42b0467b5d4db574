// Adapts the codec's serializer to the session's seams: an ArgBuilder producing serializer `Arg`s
// and a CommandSerializer whose literal style follows the server's LITERAL+/LITERAL- (RFC 7888).
import {
  type Arg,
  isAtom,
  redactedForLog,
  type SerializeOptions,
  serializeCommand,
} from '../protocol/serializer.js';
import type { CommandChunk, SequenceRanges } from '../protocol/types.js';
import type { ArgBuilder, CommandSerializer } from '../session/types.js';

export const argBuilder: ArgBuilder<Arg> = {
  // Fetch items such as `BODY.PEEK[]` are not atoms (`[` and `]`); they go verbatim as raw text.
  atom: (value: string): Arg => (isAtom(value) ? value : { type: 'raw', text: value }),
  string: (value: string | Buffer): Arg => ({ type: 'astring', value }),
  number: (value: number | bigint): Arg => value,
  sequenceSet: (set: SequenceRanges | string): Arg => ({ type: 'sequence', set }),
  list: (items: Arg[]): Arg => ({ type: 'list', items }),
  literal: (body: Buffer | AsyncIterable<Buffer>, size: number): Arg => ({ type: 'literal', body, size }),
};

/** Commands after whose tagged OK the byte stream changes (TLS, deflate). */
const STREAM_SWITCHES = new Set(['STARTTLS', 'COMPRESS']);

/**
 * Serializes with synchronising literals until `useCapabilities` learns the server allows
 * non-synchronising ones. `showCredentials` is --debug twice. `onStreamSwitch` learns the tag of
 * a STARTTLS or COMPRESS as it is written, so the reader knows whose OK ends the plain stream.
 */
export class ImapSerializer implements CommandSerializer<Arg> {
  #options: SerializeOptions = { literalPlus: false, literalMinus: false };

  constructor(
    private readonly showCredentials: boolean,
    private readonly onStreamSwitch: (tag: string) => void,
  ) {}

  useCapabilities(capabilities: readonly string[]): void {
    this.#options = {
      literalPlus: capabilities.includes('LITERAL+'),
      literalMinus: capabilities.includes('LITERAL-'),
    };
  }

  serialize(tag: string, name: string, args: readonly Arg[]): CommandChunk[] {
    const chunks = serializeCommand(tag, name, args, this.#options);
    if (STREAM_SWITCHES.has(name)) this.onStreamSwitch(tag);
    return chunks;
  }

  redact(tag: string, name: string, args: readonly Arg[]): string {
    return redactedForLog(tag, name, args, { showCredentials: this.showCredentials });
  }
}
