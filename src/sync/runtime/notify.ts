// --notify: RFC 5465 NOTIFY SET on lane 0 of each server for the synchronized mailboxes (plus the
// mailbox list itself), and the listener that turns the server's unsolicited reports into one
// "something changed" callback for the orchestrator.
import type { ImapConnection } from '../../imap/connection.js';
import type { Arg } from '../../protocol/serializer.js';
import type { UntaggedResponse } from '../../protocol/types.js';
import { runtimeError } from './errors.js';

const MESSAGE_EVENTS = ['MessageNew', 'MessageExpunge', 'FlagChange'];
/** Responses that report a change; an untagged OK or CAPABILITY does not. */
const CHANGES = new Set(['STATUS', 'LIST', 'EXISTS', 'EXPUNGE', 'VANISHED', 'FETCH']);

export class NotifyWatch {
  /** The mailbox set last sent to each connection, as a key. */
  readonly #sent = new WeakMap<ImapConnection, string>();
  readonly #listening = new WeakSet<ImapConnection>();

  constructor(private readonly changed: () => void) {}

  /**
   * Sends NOTIFY SET unless this connection already watches exactly `mailboxes` (wire names):
   * SELECTED-DELAYED so expunges in the selected mailbox wait for our next command (§5.1), the
   * mailbox set, and the personal namespace's mailbox creations, renames and subscriptions.
   */
  async watch(connection: ImapConnection, mailboxes: readonly string[]): Promise<void> {
    const key = [...mailboxes].sort().join('\0');
    if (this.#sent.get(connection) === key) return;
    const b = connection.commands.args;
    const events = b.list(MESSAGE_EVENTS.map((e) => b.atom(e)));
    const specs: Arg[] = [b.atom('SET'), b.list([b.atom('SELECTED-DELAYED'), events])];
    if (mailboxes.length > 0) {
      specs.push(b.list([b.atom('MAILBOXES'), b.list(mailboxes.map((m) => b.string(m))), events]));
    }
    specs.push(b.list([b.atom('PERSONAL'), b.list([b.atom('MailboxName'), b.atom('SubscriptionChange')])]));
    try {
      await connection.commands.notify(specs);
    } catch (error) {
      throw runtimeError(error, connection.name);
    }
    this.#sent.set(connection, key);
    if (!this.#listening.has(connection)) {
      this.#listening.add(connection);
      connection.onUnsolicited((response: UntaggedResponse) => {
        if (CHANGES.has(response.type)) this.changed();
      });
    }
  }
}
