// What one server told us about the selected mailbox during a mailbox actor's run: the flag
// updates and expunges still to propagate, the highest MODSEQ seen, and echoes of our own writes.
import { normalizeSequenceRanges } from '../../protocol/sequence-set.js';
import type {
  FetchAttributes,
  ResponseCode,
  SequenceRanges,
  UntaggedResponse,
} from '../../protocol/types.js';
import type { FlagUpdate } from '../changes.js';
import { flagsKey, normalizeFlags } from '../flags.js';

export function* uidsOf(ranges: SequenceRanges): Generator<number> {
  for (const [first, last] of ranges) for (let uid = first; uid <= last; uid++) yield uid;
}

export class SideTracker {
  /** UIDs expunged by someone else, not yet propagated. */
  readonly vanished = new Set<number>();
  /** Flag changes by someone else, not yet propagated (highest MODSEQ per UID). */
  readonly modified = new Map<number, FlagUpdate>();
  /**
   * The highest MODSEQ the server reported (FETCH MODSEQ, [HIGHESTMODSEQ] codes). Every change
   * at or below it reached us before the response that carried it (RFC 7162 §3.1.2.1, §3.2.10).
   */
  highestModseq: bigint;
  /** An EXISTS arrived since the last new-message fetch: maybe new mail. */
  sawExists = false;
  /** Flag lists we stored per UID: a FETCH showing exactly these is our own write echoed back. */
  readonly #ownFlags = new Map<number, string>();
  /** UIDs we are expunging: their VANISHED is our own. */
  readonly #ownExpunges = new Set<number>();

  constructor(highestModseq: bigint) {
    this.highestModseq = highestModseq;
  }

  get pending(): boolean {
    return this.vanished.size > 0 || this.modified.size > 0;
  }

  /** Takes (and clears) the buffered changes for planning. */
  take(): { vanished: number[]; modified: Map<number, FlagUpdate> } {
    const taken = { vanished: [...this.vanished], modified: new Map(this.modified) };
    this.vanished.clear();
    this.modified.clear();
    return taken;
  }

  /** Puts back an update the planner consumed but the target refused (UNCHANGEDSINCE). */
  restore(uid: number, update: FlagUpdate): void {
    const known = this.modified.get(uid);
    if (known === undefined || known.modseq < update.modseq) this.modified.set(uid, update);
  }

  expectFlags(uid: number, flags: readonly string[]): void {
    this.#ownFlags.set(uid, flagsKey(normalizeFlags(flags)));
  }

  expectExpunge(uids: Iterable<number>): void {
    for (const uid of uids) this.#ownExpunges.add(uid);
  }

  /** Every untagged response of the selected mailbox goes through here, solicited or not. */
  absorb(response: UntaggedResponse): void {
    switch (response.type) {
      case 'FETCH':
        this.#absorbFetch(response.attributes);
        break;
      case 'VANISHED':
        for (const uid of uidsOf(response.uids)) if (!this.#ownExpunges.has(uid)) this.vanished.add(uid);
        for (const uid of uidsOf(response.uids)) this.modified.delete(uid);
        break;
      case 'EXISTS':
        this.sawExists = true;
        break;
      case 'OK':
        this.absorbCode(response.code);
        break;
      default:
        break;
    }
  }

  absorbCode(code: ResponseCode | undefined): void {
    if (code?.name === 'HIGHESTMODSEQ') this.noteModseq(code.value);
  }

  /**
   * A FETCH with FLAGS is a change unless it repeats what we stored; one without FLAGS (the echo
   * of a .SILENT STORE, RFC 7162 §3.1.3) only moves the MODSEQ. New-message FETCHes carry a body
   * or a size and are the copier's business.
   */
  #absorbFetch(attributes: FetchAttributes): void {
    const { uid, modseq, flags } = attributes;
    if (modseq !== undefined) this.noteModseq(modseq);
    if (uid === undefined || flags === undefined || modseq === undefined) return;
    if (attributes.bodies !== undefined || attributes.rfc822Size !== undefined) return;
    if (this.#ownFlags.get(uid) === flagsKey(normalizeFlags(flags))) return;
    const known = this.modified.get(uid);
    if (known === undefined || known.modseq <= modseq) this.modified.set(uid, { flags, modseq });
  }

  /** A MODSEQ seen in data we asked for (not a change to propagate). */
  noteModseq(modseq: bigint): void {
    if (modseq > this.highestModseq) this.highestModseq = modseq;
  }
}

/** The UIDs of a SequenceRanges value as a sorted array. */
export function uidArray(ranges: SequenceRanges): number[] {
  return [...uidsOf(normalizeSequenceRanges(ranges))];
}
