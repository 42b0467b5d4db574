// The run's CopyObserver: each committed batch feeds the live progress line and, with --trace,
// a note `{ copied, total, bytes }` on the mailbox's actor (figures only, never message data).
import type { Progress } from '../progress/progress.js';
import type { CopyObserver } from '../sync/runtime/context.js';
import type { Side } from '../sync/side.js';
import { mailboxActorName } from '../viz/actor-names.js';
import type { TraceRecorder } from '../viz/trace.js';

interface Tally {
  copied: number;
  total: number;
  bytes: number;
}

/** `shown`: a mailbox's database name as the progress line names it. */
export function watchCopies(
  progress: Progress | undefined,
  recorder: TraceRecorder | undefined,
  shown: (mailbox: string) => string,
): CopyObserver | undefined {
  if (!progress?.enabled && recorder === undefined) return undefined;
  const tallies = new Map<string, Tally>();
  const tallyOf = (mailbox: string) => {
    const tally = tallies.get(mailbox) ?? { copied: 0, total: 0, bytes: 0 };
    tallies.set(mailbox, tally);
    return tally;
  };
  const direction = (source: Side) => (source === 'local' ? 'toRemote' : 'toLocal');
  return {
    planned(mailbox, _source, messages, bytes) {
      tallyOf(mailbox).total += messages;
      progress?.planned(shown(mailbox), { messages, bytes });
    },
    copied(mailbox, source, messages, bytes) {
      const tally = tallyOf(mailbox);
      tally.copied += messages;
      tally.bytes += bytes;
      progress?.update(shown(mailbox), {
        copied: { [direction(source)]: messages },
        bytes: { [direction(source)]: bytes },
      });
      recorder?.note(mailboxActorName(mailbox), { ...tally });
    },
  };
}
