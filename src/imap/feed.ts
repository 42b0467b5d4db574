// Feeds server bytes through the response parser into the session, and hands over the stream at
// STARTTLS and COMPRESS: the parser stops right after the switching command's tagged OK, and what
// it received beyond it is given to the transport (refused after STARTTLS, inflated after COMPRESS).
import { type ParserOptions, ResponseParser } from '../protocol/parser.js';
import type { Response } from '../protocol/types.js';

export class ResponseFeed {
  #parser: ResponseParser;
  #stopAtTagged = false;
  #failed = false;

  constructor(
    private readonly receive: (response: Response) => void,
    private readonly onProtocolError: (detail: string) => void,
    private readonly options: ParserOptions,
  ) {
    this.#parser = this.#newParser();
  }

  /** Transport data goes here. */
  readonly push = (chunk: Buffer): void => {
    if (this.#failed) return;
    try {
      this.#parser.push(chunk);
    } catch (error) {
      this.#failed = true;
      this.onProtocolError(error instanceof Error ? error.message : String(error));
    }
  };

  /**
   * The next tagged OK completes a command that switches the stream (the session writes nothing
   * else meanwhile: such commands are exclusive). Parsing stops right after it.
   */
  stopAfterNextTaggedOk(): void {
    this.#stopAtTagged = true;
  }

  /**
   * Starts a fresh parser for the switched stream and returns what the old one received after
   * the switching OK. Call it once the push that delivered the OK has returned.
   */
  switchStream(): Buffer {
    const remainder = this.#parser.remainder();
    this.#parser = this.#newParser();
    return remainder;
  }

  #newParser(): ResponseParser {
    const parser = new ResponseParser((response) => {
      if (this.#stopAtTagged && response.kind === 'tagged') {
        this.#stopAtTagged = false;
        if (response.status === 'OK') parser.stop();
      }
      this.receive(response);
    }, this.options);
    return parser;
  }
}
