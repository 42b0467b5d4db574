// Feeds server bytes through the response parser into the session, and hands over the stream at
// STARTTLS and COMPRESS: the parser stops right after the switching command's tagged OK, and what
// it received beyond it is given to the transport (refused after STARTTLS, inflated after COMPRESS).
import { type ParserOptions, ResponseParser } from '../protocol/parser.js';
import type { Response } from '../protocol/types.js';

export class ResponseFeed {
  #parser: ResponseParser;
  /** The tag of the STARTTLS or COMPRESS on the wire, whose OK ends this parser's stream. */
  #switchTag: string | undefined;
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

  /** The command tagged `tag` switches the stream if it succeeds: parsing stops right after its OK. */
  switchesAfter(tag: string): void {
    this.#switchTag = tag;
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
      if (response.kind === 'tagged' && response.tag === this.#switchTag) {
        this.#switchTag = undefined;
        if (response.status === 'OK') parser.stop();
      }
      this.receive(response);
    }, this.options);
    return parser;
  }
}
