// Duplicate-free resume: after an interrupted run, decides which message found on the target above
// the recorded UIDNEXT is the copy of which journaled APPEND, and which appends must still be done.

/** A journaled APPEND of a source message, written before the APPEND was sent. */
export interface AppendIntent {
  sourceUid: number;
  size: number;
  /** INTERNALDATE as milliseconds since the epoch (the instant is preserved by APPEND). */
  internalDate: number;
  messageId?: string;
  /** Hex SHA-256 of the message text. */
  sha256?: string;
}

/** A message found on the target side above the UIDNEXT recorded before the interrupted run. */
export interface TargetMessage {
  uid: number;
  size: number;
  internalDate: number;
  messageId?: string;
  sha256?: string;
}

export interface AdoptionPlan {
  /** Target messages that are the copy of an intent: record the mapping, do not append. */
  adopt: Array<{ intent: AppendIntent; targetUid: number }>;
  /** Intents with no copy on the target: append them. */
  append: AppendIntent[];
  /**
   * Groups where several intents and target messages match each other without being identical
   * (same size, date and Message-ID, no content hash): nothing is adopted or appended; the caller
   * reports them and falls back to a full synchronization of the mailbox.
   */
  ambiguous: Array<{ intents: AppendIntent[]; candidates: TargetMessage[] }>;
  /** Target messages matching no intent: mail that arrived meanwhile, new for the other direction. */
  unexplained: TargetMessage[];
}

/**
 * Two messages match when size and INTERNALDATE are equal and so is their identity: the SHA-256 if
 * both have one, else the Message-ID if both have one. Size and date alone never suffice.
 */
function identityMatches(intent: AppendIntent, candidate: TargetMessage): boolean {
  if (intent.size !== candidate.size || intent.internalDate !== candidate.internalDate) return false;
  if (intent.sha256 !== undefined && candidate.sha256 !== undefined)
    return intent.sha256 === candidate.sha256;
  return intent.messageId !== undefined && intent.messageId === candidate.messageId;
}

/** Indexes candidates by (size, date, hash) and (size, date, Message-ID): matching stays linear. */
function candidatesOf(candidates: readonly TargetMessage[]): (intent: AppendIntent) => number[] {
  const index = new Map<string, number[]>();
  const add = (key: string, i: number) => {
    const list = index.get(key);
    if (list) list.push(i);
    else index.set(key, [i]);
  };
  candidates.forEach((c, i) => {
    if (c.sha256 !== undefined) add(`h ${c.size} ${c.internalDate} ${c.sha256}`, i);
    if (c.messageId !== undefined) add(`m ${c.size} ${c.internalDate} ${c.messageId}`, i);
  });
  return (intent) => {
    const found = new Set<number>();
    for (const key of [
      intent.sha256 === undefined ? undefined : `h ${intent.size} ${intent.internalDate} ${intent.sha256}`,
      intent.messageId === undefined
        ? undefined
        : `m ${intent.size} ${intent.internalDate} ${intent.messageId}`,
    ]) {
      if (key === undefined) continue;
      for (const i of index.get(key) ?? []) if (identityMatches(intent, candidates[i]!)) found.add(i);
    }
    return [...found];
  };
}

class DisjointSets {
  private readonly parent: number[];
  constructor(size: number) {
    this.parent = Array.from({ length: size }, (_, i) => i);
  }
  find(x: number): number {
    let root = x;
    while (this.parent[root] !== root) root = this.parent[root]!;
    while (this.parent[x] !== root) {
      const next = this.parent[x]!;
      this.parent[x] = root;
      x = next;
    }
    return root;
  }
  union(a: number, b: number): void {
    this.parent[this.find(a)] = this.find(b);
  }
}

function assertDistinct<T>(items: readonly T[], key: (item: T) => number, what: string): void {
  const seen = new Set<number>();
  for (const item of items) {
    const k = key(item);
    if (seen.has(k)) throw new Error(`adoption: ${what} ${k} occurs twice`);
    seen.add(k);
  }
}

/**
 * Matches intents to target messages. Each connected group of matching messages is resolved only
 * when no guess is involved: one intent with one candidate, or messages all with the same SHA-256
 * (interchangeable copies, paired in UID order; extra intents are appended).
 */
export function planAdoption(
  intents: readonly AppendIntent[],
  candidates: readonly TargetMessage[],
): AdoptionPlan {
  assertDistinct(intents, (i) => i.sourceUid, 'intent source UID');
  assertDistinct(candidates, (c) => c.uid, 'target UID');
  const k = intents.length;
  const sets = new DisjointSets(k + candidates.length);
  const matchesOf = candidatesOf(candidates);
  intents.forEach((intent, i) => {
    for (const c of matchesOf(intent)) sets.union(i, k + c);
  });

  const groups = new Map<number, { intents: AppendIntent[]; candidates: TargetMessage[] }>();
  const groupOf = (node: number) => {
    const root = sets.find(node);
    let group = groups.get(root);
    if (!group) {
      group = { intents: [], candidates: [] };
      groups.set(root, group);
    }
    return group;
  };
  intents.forEach((intent, i) => {
    groupOf(i).intents.push(intent);
  });
  candidates.forEach((candidate, c) => {
    groupOf(k + c).candidates.push(candidate);
  });

  const plan: AdoptionPlan = { adopt: [], append: [], ambiguous: [], unexplained: [] };
  for (const group of groups.values()) {
    group.intents.sort((a, b) => a.sourceUid - b.sourceUid);
    group.candidates.sort((a, b) => a.uid - b.uid);
    if (group.candidates.length === 0) plan.append.push(...group.intents);
    else if (group.intents.length === 0) plan.unexplained.push(...group.candidates);
    else if ((group.intents.length === 1 && group.candidates.length === 1) || interchangeable(group)) {
      const pairs = Math.min(group.intents.length, group.candidates.length);
      for (let i = 0; i < pairs; i++)
        plan.adopt.push({ intent: group.intents[i]!, targetUid: group.candidates[i]!.uid });
      plan.append.push(...group.intents.slice(pairs));
      plan.unexplained.push(...group.candidates.slice(pairs));
    } else plan.ambiguous.push(group);
  }
  plan.adopt.sort((a, b) => a.intent.sourceUid - b.intent.sourceUid);
  plan.append.sort((a, b) => a.sourceUid - b.sourceUid);
  plan.unexplained.sort((a, b) => a.uid - b.uid);
  plan.ambiguous.sort((a, b) => a.intents[0]!.sourceUid - b.intents[0]!.sourceUid);
  return plan;
}

/** Every message of the group carries the same SHA-256: identical content, any pairing is right. */
function interchangeable(group: { intents: AppendIntent[]; candidates: TargetMessage[] }): boolean {
  const hash = group.intents[0]!.sha256;
  return (
    hash !== undefined &&
    group.intents.every((i) => i.sha256 === hash) &&
    group.candidates.every((c) => c.sha256 === hash)
  );
}
