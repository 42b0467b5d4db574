// Incremental changes for the benchmark: a deterministic plan (flag changes, some conflicting across
// the two sides, expunges and new messages, each a fraction of the corpus per side) chosen by
// Message-ID, applied to a synced server over one pipelined IMAP session.

import {
  appendMessages,
  type Corpus,
  type CorpusMessage,
  hierarchyDelimiter,
  makeMessage,
  Rng,
  serverMailboxName,
} from '../test/helpers/corpus.js';
import { ImapPipe, quoted } from '../test/helpers/imap-pipe.js';

export interface MailboxChanges {
  /** Message-ID → the complete new flag list. */
  flags: Map<string, string[]>;
  expunge: Set<string>;
  append: CorpusMessage[];
}

/** Corpus mailbox name (modified UTF-7, '/' delimiter) → what to change there. */
export type ServerChanges = Map<string, MailboxChanges>;

export interface ChangePlan {
  local: ServerChanges;
  remote: ServerChanges;
}

function toggled(flags: string[], flag: string): string[] {
  return (flags.includes(flag) ? flags.filter((f) => f !== flag) : [...flags, flag]).sort();
}

/** Per side, `fraction` of the messages get new flags (half of the remote ones are the same messages
 * as local ones, changed differently: conflicts), `fraction` are expunged (disjoint from the rest),
 * and `fraction` new messages arrive in random mailboxes. */
export function planChanges(corpus: Corpus, fraction = 0.01, seed = 99): ChangePlan {
  const rng = new Rng(seed);
  const all = corpus.mailboxes.flatMap((mailbox) =>
    mailbox.messages.map((message) => ({ mailbox, message })),
  );
  // Fisher–Yates shuffle; consecutive slices of it are disjoint random samples.
  for (let i = all.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  const count = Math.max(1, Math.round(all.length * fraction));
  let taken = 0;
  const take = (n: number) => {
    taken += n;
    return all.slice(taken - n, taken);
  };
  const localFlags = take(count);
  const remoteFlags = [...localFlags.slice(0, count >> 1), ...take(count - (count >> 1))];
  const plan: ChangePlan = { local: new Map(), remote: new Map() };
  const entry = (side: ServerChanges, mailbox: string): MailboxChanges => {
    const changes = side.get(mailbox) ?? { flags: new Map(), expunge: new Set(), append: [] };
    side.set(mailbox, changes);
    return changes;
  };
  for (const { mailbox, message } of localFlags) {
    entry(plan.local, mailbox.mutf7).flags.set(message.messageId, toggled(message.flags, '\\Seen'));
  }
  for (const { mailbox, message } of remoteFlags) {
    entry(plan.remote, mailbox.mutf7).flags.set(message.messageId, toggled(message.flags, '\\Flagged'));
  }
  for (const [name, side] of [
    ['local', plan.local],
    ['remote', plan.remote],
  ] as const) {
    for (const { mailbox, message } of take(count)) entry(side, mailbox.mutf7).expunge.add(message.messageId);
    for (let i = 0; i < count; i++) {
      const mailbox = rng.pick(corpus.mailboxes);
      const id = `<${corpus.seed}.new.${name}.${seed}.${i}@corpus.interimap.test>`;
      entry(side, mailbox.mutf7).append.push(makeMessage(rng.next(), id));
    }
  }
  return plan;
}

/** Message-ID → UID for the selected mailbox. */
async function uidsByMessageId(pipe: ImapPipe): Promise<Map<string, number>> {
  const uids = new Map<string, number>();
  await pipe.command('UID FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])', {
    onUntagged: (line) => {
      const uid = /\bUID (\d+)/.exec(line);
      const id = /Message-ID: (<[^>]+>)/i.exec(line);
      if (uid && id) uids.set(id[1]!, Number(uid[1]));
    },
  });
  return uids;
}

/** `UID EXPUNGE uids`, then checks that none of them is left. */
async function expungeAll(pipe: ImapPipe, uids: string, mailbox: string): Promise<void> {
  await pipe.command(`UID EXPUNGE ${uids}`);
  let left = '';
  await pipe.command(`UID SEARCH UID ${uids}`, {
    onUntagged: (line) => {
      if (line.startsWith('* SEARCH')) left = line.slice('* SEARCH'.length).trim();
    },
  });
  if (left !== '') throw new Error(`changes: UID ${left} of ${mailbox} not expunged`);
}

function uidOf(uids: Map<string, number>, messageId: string, mailbox: string): number {
  const uid = uids.get(messageId);
  if (uid === undefined) throw new Error(`changes: message ${messageId} not found in ${mailbox}`);
  return uid;
}

/** Applies one side's changes to the store behind `server.tunnelCommand`. */
export async function applyChanges(server: { tunnelCommand: string }, changes: ServerChanges): Promise<void> {
  const pipe = await ImapPipe.open(server.tunnelCommand);
  try {
    const delimiter = await hierarchyDelimiter(pipe);
    for (const [mutf7, change] of changes) {
      const name = serverMailboxName(mutf7, delimiter);
      await pipe.command(`SELECT ${quoted(name)}`);
      const uids = await uidsByMessageId(pipe);
      const stores = [...change.flags].map(([id, flags]) =>
        pipe.command(`UID STORE ${uidOf(uids, id, mutf7)} FLAGS.SILENT (${flags.join(' ')})`),
      );
      const expunged = [...change.expunge].map((id) => uidOf(uids, id, mutf7)).join(',');
      if (expunged !== '') stores.push(pipe.command(`UID STORE ${expunged} +FLAGS.SILENT (\\Deleted)`));
      await Promise.all(stores);
      // Only once the STOREs are answered: Dovecot may run a UID EXPUNGE pipelined behind them
      // before it sees their \Deleted, and expunge nothing (seen here: 12 of 60 left once).
      if (expunged !== '') await expungeAll(pipe, expunged, name);
      await appendMessages(pipe, name, change.append);
    }
  } finally {
    await pipe.close();
  }
}
