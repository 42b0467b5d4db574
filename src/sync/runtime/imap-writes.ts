// The write commands the mailbox actors send, built on the session directly so that every
// untagged response and the tagged [HIGHESTMODSEQ]/[MODIFIED] codes reach the side's tracker.
// Long UID sets go as several pipelined commands of about 4 KiB (UID_SET_MAX_CHARS).
import type { ImapConnection } from '../../imap/connection.js';
import { splitSequenceSet } from '../../protocol/sequence-set.js';
import type { FetchAttributes, SequenceRanges, UntaggedResponse } from '../../protocol/types.js';
import type { FlagStore } from '../flag-stores.js';
import { UID_SET_MAX_CHARS } from '../new-messages.js';
import { faultPoint } from './fault.js';
import type { SideTracker } from './tracker.js';
import { uidArray } from './tracker.js';

export function uidPieces(uids: Iterable<number> | SequenceRanges): string[] {
  return splitSequenceSet(uids, UID_SET_MAX_CHARS);
}

/** Runs one command per UID-set piece, pipelined; resolves with the [MODIFIED] UIDs. */
async function perPiece(
  conn: ImapConnection,
  tracker: SideTracker,
  uids: readonly number[],
  build: (piece: string) => { name: string; args: unknown[] },
): Promise<number[]> {
  const { session } = conn.commands;
  const onUntagged = (response: UntaggedResponse) => tracker.absorb(response);
  const results = await Promise.all(
    uidPieces(uids).map((piece) => {
      const { name, args } = build(piece);
      return session.command(name, args as never[], { onUntagged });
    }),
  );
  const modified: number[] = [];
  for (const result of results) {
    tracker.absorbCode(result.code);
    if (result.code?.name === 'MODIFIED') modified.push(...uidArray(result.code.set));
  }
  faultPoint();
  return modified;
}

/**
 * `UID STORE uids (UNCHANGEDSINCE m) FLAGS.SILENT (flags)` for every flag group at once;
 * resolves with the UIDs refused because they changed after `unchangedSince` (RFC 7162 §3.1.3).
 */
export async function storeFlags(
  conn: ImapConnection,
  tracker: SideTracker,
  stores: readonly FlagStore[],
  unchangedSince: bigint,
): Promise<number[]> {
  const b = conn.commands.args;
  for (const { uids, flags } of stores) for (const uid of uids) tracker.expectFlags(uid, flags);
  const refused = await Promise.all(
    stores.map(({ uids, flags }) =>
      perPiece(conn, tracker, uids, (piece) => ({
        name: 'UID STORE',
        args: [
          b.sequenceSet(piece),
          b.list([b.atom('UNCHANGEDSINCE'), b.number(unchangedSince)]),
          b.atom('FLAGS.SILENT'),
          b.list(flags.map((f) => b.atom(f))),
        ],
      })),
    ),
  );
  return refused.flat();
}

/** `UID STORE +FLAGS.SILENT (\Deleted)` then `UID EXPUNGE`, pipelined (RFC 4315 §2.1). */
export async function expungeUids(
  conn: ImapConnection,
  tracker: SideTracker,
  uids: readonly number[],
): Promise<void> {
  if (uids.length === 0) return;
  const b = conn.commands.args;
  tracker.expectExpunge(uids);
  const expunge = (set: readonly number[]) =>
    perPiece(conn, tracker, set, (piece) => ({ name: 'UID EXPUNGE', args: [b.sequenceSet(piece)] }));
  await Promise.all([
    perPiece(conn, tracker, uids, (piece) => ({
      name: 'UID STORE',
      args: [b.sequenceSet(piece), b.atom('+FLAGS.SILENT'), b.list([b.atom('\\Deleted')])],
    })),
    expunge(uids),
  ]);
  // The VANISHED may come with any command in flight (Dovecot sends it before the STORE's tagged
  // OK), so the tracker, which sees them all, is asked. Should the pipelined UID EXPUNGE ever run
  // before the \Deleted flags are visible: once, expunge again what was not reported VANISHED.
  const left = uids.filter((uid) => !tracker.expunged(uid));
  if (left.length > 0) await expunge(left);
}

/**
 * `UID FETCH uids (items)` in pipelined pieces. A FETCH that `claim` accepts is data we asked for
 * (only its MODSEQ reaches the tracker); every other response is mailbox news for the tracker.
 * `afterSelect`: the pieces go on the wire right behind the SELECT in flight (src/session).
 * `afterCompletion`: the responses reach the tracker once the FETCH has completed, after what
 * the commands before it resolved with has been handled (see rereadModseq in work.ts).
 * `vanished` (with `changedSince`): the UIDs expunged since are reported too, as VANISHED
 * (EARLIER) (RFC 7162 §3.2.6).
 */
export async function fetchUids(
  conn: ImapConnection,
  tracker: SideTracker,
  pieces: readonly string[],
  items: string[],
  claim: (uid: number, attributes: FetchAttributes) => boolean,
  opts: { changedSince?: bigint; vanished?: boolean; afterSelect?: boolean; afterCompletion?: boolean } = {},
): Promise<void> {
  const b = conn.commands.args;
  const { changedSince, vanished, afterSelect, afterCompletion } = opts;
  const modifiers =
    changedSince === undefined
      ? []
      : [b.list([b.atom('CHANGEDSINCE'), b.number(changedSince), ...(vanished ? [b.atom('VANISHED')] : [])])];
  const take = (r: UntaggedResponse) => {
    const { uid, modseq } = r.type === 'FETCH' ? r.attributes : {};
    if (r.type !== 'FETCH' || uid === undefined || !claim(uid, r.attributes)) tracker.absorb(r);
    else if (modseq !== undefined) tracker.noteModseq(modseq);
  };
  const results = await Promise.all(
    pieces.map((piece) =>
      conn.commands.session.command(
        'UID FETCH',
        [b.sequenceSet(piece), b.list(items.map((i) => b.atom(i))), ...modifiers],
        afterCompletion ? { afterSelect } : { afterSelect, onUntagged: take },
      ),
    ),
  );
  for (const result of results) {
    if (afterCompletion) for (const response of result.untagged) take(response);
    tracker.absorbCode(result.code);
  }
}
