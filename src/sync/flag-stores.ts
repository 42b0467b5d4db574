// Groups "set this message's flags to L" decisions into one UID STORE per distinct flag list, the
// way the runtime sends them (FLAGS.SILENT replacement sets, RFC 3501 §6.4.6).

import { compareCodeUnits, flagsKey } from './flags.js';
import { ascending } from './uid-set.js';

/** One `UID STORE <uids> FLAGS.SILENT (<flags>)`; `uids` ascending, `flags` canonical. */
export interface FlagStore {
  flags: string[];
  uids: number[];
}

export class FlagStoreBuilder {
  private readonly byKey = new Map<string, FlagStore>();

  /** `flags` must already be canonical (see normalizeFlags). */
  add(uid: number, flags: string[]): void {
    const key = flagsKey(flags);
    const store = this.byKey.get(key);
    if (store) store.uids.push(uid);
    else this.byKey.set(key, { flags, uids: [uid] });
  }

  /** The stores ordered by flag list, each with its UIDs ascending: a deterministic plan. */
  build(): FlagStore[] {
    return [...this.byKey.entries()]
      .sort(([a], [b]) => compareCodeUnits(a, b))
      .map(([, store]) => ({ flags: store.flags, uids: store.uids.sort(ascending) }));
  }
}
