// The local ⇄ remote UID association of one mailbox (the database's `mapping` rows), indexed both
// ways so that every planner looks a UID up in constant time.

import type { Side } from './side.js';
import { assertUid } from './uid-set.js';

export interface MappingRow {
  localUid: number;
  remoteUid: number;
}

export class UidMapping {
  private readonly localToRemote = new Map<number, number>();
  private readonly remoteToLocal = new Map<number, number>();

  /** Throws if a UID is invalid or occurs twice on one side (the schema's PRIMARY KEY / UNIQUE). */
  constructor(rows: Iterable<MappingRow>) {
    for (const { localUid, remoteUid } of rows) {
      assertUid(localUid, 'mapping local UID');
      assertUid(remoteUid, 'mapping remote UID');
      if (this.localToRemote.has(localUid)) throw new Error(`mapping: local UID ${localUid} mapped twice`);
      if (this.remoteToLocal.has(remoteUid)) throw new Error(`mapping: remote UID ${remoteUid} mapped twice`);
      this.localToRemote.set(localUid, remoteUid);
      this.remoteToLocal.set(remoteUid, localUid);
    }
  }

  get size(): number {
    return this.localToRemote.size;
  }

  remoteOf(localUid: number): number | undefined {
    return this.localToRemote.get(localUid);
  }

  localOf(remoteUid: number): number | undefined {
    return this.remoteToLocal.get(remoteUid);
  }

  /** The UID on `side` paired with `uid` on the other side. */
  counterpart(side: Side, uid: number): number | undefined {
    return side === 'local' ? this.localOf(uid) : this.remoteOf(uid);
  }

  rows(): IterableIterator<[number, number]> {
    return this.localToRemote.entries();
  }
}
