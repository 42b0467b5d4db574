// The SyncContext of one run: the database is opened by the chart's first step, so `store` is
// filled in then; reading it earlier is a bug in the runtime and says so.
import type { ImapConnection } from '../imap/connection.js';
import type { StateStore } from '../store/index.js';
import type { SyncTarget } from '../sync/mailbox-list.js';
import type { Lane, SyncContext, SyncLogger } from '../sync/runtime/context.js';

export class RunContext implements SyncContext<ImapConnection> {
  #store: StateStore | undefined;
  lanes: Array<Lane<ImapConnection>> = [];
  mailboxes = new Map<string, SyncTarget>();

  constructor(readonly logger: SyncLogger) {}

  get store(): StateStore {
    if (this.#store === undefined) throw new Error('the state database is not open yet');
    return this.#store;
  }

  set store(store: StateStore) {
    this.#store = store;
  }

  /** Releases the database lock, if the run got that far. */
  close(): void {
    this.#store?.close();
    this.#store = undefined;
  }
}
