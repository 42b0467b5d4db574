// The rows the state database holds, as the sync engine sees them. No logic here.

/** Which server a row describes: `local` and `remote` are the two tables of the same name. */
export type Side = 'local' | 'remote';

/** A mailbox known to the database. `name` is the server's name with every hierarchy delimiter
 *  replaced by a NUL byte, so that it does not depend on either server's delimiter. */
export interface MailboxRow {
  idx: number;
  name: Buffer;
  subscribed: boolean;
}

/** What is known of one side of a mailbox: everything below uidNext and up to highestModseq has been
 *  propagated. uidNext and highestModseq are 0 before the first sync completes. */
export interface SideState {
  uidValidity: number;
  uidNext: number;
  highestModseq: bigint;
}

export interface MailboxState {
  local: SideState;
  remote: SideState;
}

/** A pair of UIDs of the same message: [local UID, remote UID]. */
export type UidPair = readonly [lUid: number, rUid: number];

/** The mapping of one mailbox, both ways. A snapshot: later writes do not show in it. */
export interface UidMapping {
  byLocal: Map<number, number>;
  byRemote: Map<number, number>;
}

/** The intent to append one message of the source side to the target side, written before the
 *  APPEND so that a crash between APPEND and its mapping commit does not lead to a duplicate. */
export interface AppendIntent {
  sourceUid: number;
  /** The target's UIDNEXT before the APPEND: an orphan copy can only have a UID at or above it. */
  targetUidNext: number;
  size: number;
  /** INTERNALDATE as sent with the APPEND, "dd-Mon-yyyy hh:mm:ss +zzzz". */
  internalDate: string;
  messageId: string | null;
  /** SHA-256 of the message bytes (32 bytes). */
  sha256: Buffer | null;
}

export interface PendingAppend extends AppendIntent {
  target: Side;
}

/** A completed append: [source UID, UID the target assigned (APPENDUID)]. */
export type AppendedPair = readonly [sourceUid: number, targetUid: number];
