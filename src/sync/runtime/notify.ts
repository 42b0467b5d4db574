// --notify: RFC 5465 NOTIFY SET on lane 0 of each server, and the listener that turns the
// server's unsolicited reports into one "something changed" callback for the orchestrator.
import type { ImapConnection } from '../../imap/connection.js';
import type { Arg } from '../../protocol/serializer.js';
import type { UntaggedResponse } from '../../protocol/types.js';
import { runtimeError } from './errors.js';

const MESSAGE_EVENTS = ['MessageNew', 'MessageExpunge', 'FlagChange'];
/** Responses that report a change; an untagged OK or CAPABILITY does not. */
const CHANGES = new Set(['STATUS', 'LIST', 'EXISTS', 'EXPUNGE', 'VANISHED', 'FETCH']);

export class NotifyWatch {
  readonly #armed = new WeakSet<ImapConnection>();
  #listings = 0;

  constructor(private readonly changed: () => void) {}

  /**
   * Runs a listing, deaf to reports meanwhile: what the LIST returns is already newer than them,
   * and the session hands the LIST's own STATUS lines to listeners too, as they could be
   * notifications; heeding them would list again forever.
   */
  async listing<T>(work: () => Promise<T>): Promise<T> {
    this.#listings++;
    try {
      return await work();
    } finally {
      this.#listings--;
    }
  }

  /**
   * NOTIFY SET, once per connection: SELECTED-DELAYED so expunges in the selected mailbox wait for
   * our next command (§5.1), and message, mailbox-name and subscription events of the whole
   * personal namespace. Once only, and not a mailbox list that grows: Dovecot 2.3 stops reporting
   * anything after a second NOTIFY SET in a session. Mailboxes we do not synchronize cost a LIST.
   */
  async watch(connection: ImapConnection): Promise<void> {
    if (this.#armed.has(connection)) return;
    const b = connection.commands.args;
    const atoms = (names: string[]) => b.list(names.map((e) => b.atom(e)));
    const specs: Arg[] = [
      b.atom('SET'),
      b.list([b.atom('SELECTED-DELAYED'), atoms(MESSAGE_EVENTS)]),
      b.list([b.atom('PERSONAL'), atoms([...MESSAGE_EVENTS, 'MailboxName', 'SubscriptionChange'])]),
    ];
    try {
      await connection.commands.notify(specs);
    } catch (error) {
      throw runtimeError(error, connection.name);
    }
    this.#armed.add(connection);
    connection.onUnsolicited((response: UntaggedResponse) => {
      if (this.#listings === 0 && CHANGES.has(response.type)) this.changed();
    });
  }

  /**
   * Before waiting: UNSELECT (RFC 3691), so that every mailbox is reported alike, through STATUS:
   * Dovecot 2.3 reports nothing for a mailbox selected after NOTIFY SET. Without the UNSELECT
   * capability the mailbox stays selected (never CLOSE: it would expunge).
   */
  async unselect(connection: ImapConnection): Promise<void> {
    if (connection.state !== 'selected') return;
    try {
      await connection.unselect();
    } catch (error) {
      throw runtimeError(error, connection.name);
    }
  }
}
