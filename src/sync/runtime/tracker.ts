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

/** Every UID of `ranges`, in their order (plain loops: a generator allocates per UID). */
function forEachUid(ranges: SequenceRanges, each: (uid: number) => void): void {
  for (const range of ranges) for (let uid = range[0]; uid <= range[1]; uid++) each(uid);
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
  /** An EXISTS arrived since the last new-message fetch that our own APPENDs do not explain. */
  sawExists = false;
  /**
   * How many messages the mailbox would hold without our APPENDs: the SELECT's EXISTS, minus
   * what vanished since, plus foreign arrivals. Undefined until the SELECT is known: every
   * EXISTS then counts as new mail.
   */
  #othersCount: number | undefined;
  /** Messages our APPENDs to this mailbox add (counted when sent: their EXISTS may come first). */
  #ownAppends = 0;
  /**
   * UIDs already subtracted from #othersCount: the session may deliver one VANISHED twice (to
   * the command it seems to answer and to the unsolicited listeners, src/session/session.ts).
   */
  readonly #subtracted = new Set<number>();
  /** Flag lists we stored per UID: a FETCH showing exactly these is our own write echoed back. */
  readonly #ownFlags = new Map<number, string>();
  /** UIDs we are expunging: their VANISHED is our own. */
  readonly #ownExpunges = new Set<number>();
  /** Those of them the server reported VANISHED. */
  readonly #expunged = new Set<number>();

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

  /** Whether the server reported our expunge of `uid` done (a VANISHED, whichever command carried it). */
  expunged(uid: number): boolean {
    return this.#expunged.has(uid);
  }

  /** The SELECT's EXISTS: the count later EXISTS responses are compared with. */
  selected(exists: number): void {
    this.#othersCount = exists;
  }

  /** We are appending `count` messages: the EXISTS they cause is no news. */
  expectAppends(count: number): void {
    this.#ownAppends += count;
  }

  /** Every untagged response of the selected mailbox goes through here, solicited or not. */
  absorb(response: UntaggedResponse): void {
    switch (response.type) {
      case 'FETCH':
        this.#absorbFetch(response.attributes);
        break;
      case 'VANISHED':
        forEachUid(response.uids, (uid) => {
          if (this.#ownExpunges.has(uid)) this.#expunged.add(uid);
          else this.vanished.add(uid);
          this.modified.delete(uid);
          // RFC 7162 §3.2.10: a VANISHED without EARLIER, like EXPUNGE, shrinks the mailbox by
          // one per UID (EARLIER ones report what was gone before). Shrinking too far only makes
          // a later EXISTS look new: one more look, never a missed message.
          if (response.earlier || this.#othersCount === undefined || this.#subtracted.has(uid)) return;
          this.#subtracted.add(uid);
          this.#othersCount--;
        });
        break;
      case 'EXISTS':
        // Our APPENDs' own EXISTS (RFC 3501 §6.3.11) are no new mail: a second new-message
        // fetch per mailbox would find only our copies.
        if (this.#othersCount === undefined || response.number > this.#othersCount + this.#ownAppends) {
          this.sawExists = true;
          if (this.#othersCount !== undefined) this.#othersCount = response.number - this.#ownAppends;
        }
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
  const uids: number[] = [];
  forEachUid(normalizeSequenceRanges(ranges), (uid) => uids.push(uid));
  return uids;
}
