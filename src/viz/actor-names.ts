// How actors are named in a --trace. Kept apart from trace.ts so the runtime can name actors
// without loading the recorder (which imports every chart definition) on runs without --trace.

/** The name of a mailbox actor in the trace. */
export function mailboxActorName(mailbox: string): string {
  return `mailbox:${mailbox}`;
}

/**
 * The systemId to give the connection actor of `side`'s lane `lane`: `connection:local#0`, and
 * `connection:remote#0b` for the lane's second connection to a slow server.
 */
export function connectionActorName(side: string, lane: number, second = false): string {
  return `connection:${side}#${lane}${second ? 'b' : ''}`;
}
