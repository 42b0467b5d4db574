// The local ⇄ remote UID association of one mailbox (the database's `mapping` rows), indexed both
// ways so that every planner looks a UID up in constant time.

import type { Side } from './side.js';
import { assertUid } from './uid-set.js';

export interface MappingRow {
  localUid: number;
  remoteUid: number;
}

export class UidMapping {
  private constructor(
    private readonly localToRemote: Map<number, number>,
    private readonly remoteToLocal: Map<number, number>,
  ) {}

  /** Throws if a UID is invalid or occurs twice on one side (the schema's PRIMARY KEY / UNIQUE). */
  static fromRows(rows: Iterable<MappingRow>): UidMapping {
    const localToRemote = new Map<number, number>();
    const remoteToLocal = new Map<number, number>();
    for (const { localUid, remoteUid } of rows) {
      if (localToRemote.has(localUid)) throw new Error(`mapping: local UID ${localUid} mapped twice`);
      if (remoteToLocal.has(remoteUid)) throw new Error(`mapping: remote UID ${remoteUid} mapped twice`);
      localToRemote.set(localUid, remoteUid);
      remoteToLocal.set(remoteUid, localUid);
    }
    return UidMapping.fromMaps(localToRemote, remoteToLocal);
  }

  /** Both directions of the same pairs, as the store reads them; throws if a UID is invalid. */
  static fromMaps(localToRemote: Map<number, number>, remoteToLocal: Map<number, number>): UidMapping {
    if (localToRemote.size !== remoteToLocal.size) throw new Error('mapping: a UID is mapped twice');
    for (const [localUid, remoteUid] of localToRemote) {
      assertUid(localUid, 'mapping local UID');
      assertUid(remoteUid, 'mapping remote UID');
    }
    return new UidMapping(localToRemote, remoteToLocal);
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
