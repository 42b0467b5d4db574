import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type DbMailbox,
  type ListedMailbox,
  type MailboxListInput,
  type MailboxStatus,
  oneSideWork,
  planMailboxList,
} from '../../src/sync/mailbox-list.js';

const MODSEQ_MAX = 2n ** 63n - 1n;

function mbx(name: string, attrs: string[] = [], delimiter: string | null = '/', status?: MailboxStatus) {
  const m: ListedMailbox = { name, delimiter, attributes: attrs };
  if (status) m.status = status;
  return m;
}

function input(
  local: ListedMailbox[],
  remote: ListedMailbox[],
  database: DbMailbox[] = [],
  extra: Partial<MailboxListInput> = {},
): MailboxListInput {
  return {
    local: { reference: '', mailboxes: local, rootDelimiter: '/' },
    remote: { reference: '', mailboxes: remote, rootDelimiter: '/' },
    database,
    explicitMailboxes: false,
    ...extra,
  };
}

const state = (uidNext: number, highestModSeq: bigint, uidValidity = 1) => ({
  uidValidity,
  uidNext,
  highestModSeq,
});
const SUB = ['\\Subscribed'];

describe('planMailboxList: new mailboxes and subscriptions', () => {
  test('empty servers and database: empty plan', () => {
    const plan = planMailboxList(input([], []));
    assert.deepEqual(plan.problems, []);
    assert.deepEqual([plan.create, plan.sync, plan.dbInsert, plan.unchanged], [[], [], [], []]);
  });
  test('new on both sides, subscribed on one: subscribed on both', () => {
    const plan = planMailboxList(input([mbx('a', SUB)], [mbx('a')]));
    assert.deepEqual(plan.dbInsert, [{ name: 'a', subscribed: true }]);
    assert.deepEqual(plan.subscribe, [{ side: 'remote', name: 'a', dbName: 'a' }]);
    assert.deepEqual(plan.sync, [{ dbName: 'a', local: 'a', remote: 'a', reason: 'new' }]);
  });
  test('new on both sides, subscribed nowhere', () => {
    const plan = planMailboxList(input([mbx('a')], [mbx('a')]));
    assert.deepEqual(plan.dbInsert, [{ name: 'a', subscribed: false }]);
    assert.deepEqual(plan.subscribe, []);
  });
  test('new on one side: created (and subscribed) on the other', () => {
    const plan = planMailboxList(input([mbx('x/y', SUB)], [mbx('z')]));
    assert.deepEqual(plan.create, [
      { side: 'remote', name: 'x/y', dbName: 'x\0y' },
      { side: 'local', name: 'z', dbName: 'z' },
    ]);
    assert.deepEqual(plan.subscribe, [{ side: 'remote', name: 'x/y', dbName: 'x\0y' }]);
    assert.deepEqual(
      plan.sync.map((s) => [s.dbName, s.reason]),
      [
        ['x\0y', 'new'],
        ['z', 'new'],
      ],
    );
  });
  test('subscription toggles are propagated from the side that changed', () => {
    const db: DbMailbox[] = [
      { idx: 1, name: 'unsubLocally', subscribed: true },
      { idx: 2, name: 'subRemotely', subscribed: false },
      { idx: 3, name: 'bothAgree', subscribed: false },
      { idx: 4, name: 'unchanged', subscribed: true },
    ];
    const plan = planMailboxList(
      input(
        [mbx('unsubLocally'), mbx('subRemotely'), mbx('bothAgree', SUB), mbx('unchanged', SUB)],
        [mbx('unsubLocally', SUB), mbx('subRemotely', SUB), mbx('bothAgree', SUB), mbx('unchanged', SUB)],
        db,
      ),
    );
    assert.deepEqual(plan.unsubscribe, [{ side: 'remote', name: 'unsubLocally', dbName: 'unsubLocally' }]);
    assert.deepEqual(plan.subscribe, [{ side: 'local', name: 'subRemotely', dbName: 'subRemotely' }]);
    assert.deepEqual(plan.dbSetSubscribed, [
      { idx: 3, name: 'bothAgree', subscribed: true },
      { idx: 2, name: 'subRemotely', subscribed: true },
      { idx: 1, name: 'unsubLocally', subscribed: false },
    ]);
  });
  test('\\NoSelect and \\NonExistent names are not mailboxes to mirror', () => {
    const plan = planMailboxList(
      input([mbx('parent', ['\\NoSelect']), mbx('gone', ['\\NonExistent', ...SUB])], []),
    );
    assert.deepEqual([plan.create, plan.sync, plan.dbInsert], [[], [], []]);
  });
  test('attributes are case-insensitive', () => {
    const plan = planMailboxList(input([mbx('a', ['\\SUBSCRIBED'])], [mbx('a', ['\\noselect'])]));
    assert.deepEqual(plan.create, [{ side: 'remote', name: 'a', dbName: 'a' }]);
  });
});

describe('planMailboxList: known mailboxes', () => {
  const known = (l = state(10, 100n), r = state(20, 200n)): DbMailbox => ({
    idx: 7,
    name: 'a',
    subscribed: false,
    local: l,
    remote: r,
  });
  const status = (uidNext: number, highestModSeq: bigint, uidValidity = 1) => ({
    uidValidity,
    uidNext,
    highestModSeq,
  });

  test('UIDNEXT and HIGHESTMODSEQ unchanged on both sides: skipped without SELECT', () => {
    const plan = planMailboxList(
      input([mbx('a', [], '/', status(10, 100n))], [mbx('a', [], '/', status(20, 200n))], [known()]),
    );
    assert.deepEqual(plan.unchanged, [{ idx: 7, dbName: 'a' }]);
    assert.deepEqual(plan.sync, []);
  });
  test('skip works at MODSEQ 2^63-1', () => {
    const db = known(state(10, MODSEQ_MAX), state(20, MODSEQ_MAX));
    const plan = planMailboxList(
      input([mbx('a', [], '/', status(10, MODSEQ_MAX))], [mbx('a', [], '/', status(20, MODSEQ_MAX))], [db]),
    );
    assert.equal(plan.unchanged.length, 1);
  });
  // A changed mailbox carries the listed UIDNEXTs: its new-message listing may go out with the SELECT.
  const changedCases: Array<[string, MailboxStatus, MailboxStatus, object]> = [
    ['local UIDNEXT moved', status(11, 100n), status(20, 200n), { listedUidNext: { local: 11, remote: 20 } }],
    [
      'remote HIGHESTMODSEQ moved',
      status(10, 100n),
      status(20, 201n),
      { listedUidNext: { local: 10, remote: 20 } },
    ],
    ['no LIST-STATUS on remote', status(10, 100n), {}, {}],
  ];
  for (const [name, l, r, listed] of changedCases) {
    test(name, () => {
      const plan = planMailboxList(input([mbx('a', [], '/', l)], [mbx('a', [], '/', r)], [known()]));
      const reason = 'listedUidNext' in listed ? 'changed' : 'status-unknown';
      assert.deepEqual(plan.sync, [{ dbName: 'a', idx: 7, local: 'a', remote: 'a', reason, ...listed }]);
      assert.deepEqual(plan.unchanged, []);
    });
  }
  test('known without state rows: synchronized as state-missing', () => {
    const plan = planMailboxList(input([mbx('a')], [mbx('a')], [{ idx: 3, name: 'a', subscribed: false }]));
    assert.deepEqual(plan.sync, [{ dbName: 'a', idx: 3, local: 'a', remote: 'a', reason: 'state-missing' }]);
  });
  test('UIDVALIDITY change is a problem', () => {
    const plan = planMailboxList(
      input([mbx('a', [], '/', status(10, 100n, 9))], [mbx('a', [], '/', status(20, 200n))], [known()]),
    );
    assert.equal(plan.problems[0]?.code, 'uidvalidity-changed');
    assert.match(
      plan.problems[0]!.message,
      /UIDVALIDITY of local mailbox a changed \(database 1, server 9\)/,
    );
    assert.deepEqual(plan.sync, []);
  });
  test('known mailbox gone from one side: abort, telling to use --delete or --rename', () => {
    const plan = planMailboxList(input([mbx('a/b')], [], [{ idx: 1, name: 'a\0b', subscribed: false }]));
    assert.equal(plan.problems.length, 1);
    const [problem] = plan.problems;
    assert.equal(problem!.code, 'mailbox-vanished');
    assert.match(problem!.message, /a\/b is known but no longer exists on the remote server/);
    assert.match(problem!.message, /interimap --delete a\/b/);
    assert.match(problem!.message, /--target=local --target=database --rename a\/b NEWNAME/);
    assert.deepEqual(plan.create, []);
  });
  test('database mailbox listed on neither side is left alone', () => {
    const plan = planMailboxList(input([], [], [{ idx: 1, name: 'old', subscribed: true }]));
    assert.deepEqual(plan.problems, []);
    assert.deepEqual(plan.sync, []);
  });
});

describe('planMailboxList: namespaces', () => {
  test('different delimiters are translated transparently', () => {
    const plan = planMailboxList({
      local: { reference: '', mailboxes: [mbx('a/b', SUB, '/')] },
      remote: { reference: '', mailboxes: [mbx('a.b', SUB, '.'), mbx('c.d', [], '.')] },
      database: [],
      explicitMailboxes: false,
    });
    assert.deepEqual(plan.problems, []);
    assert.deepEqual(plan.namespaces.remote.delimiter, '.');
    assert.deepEqual(plan.sync, [
      { dbName: 'a\0b', local: 'a/b', remote: 'a.b', reason: 'new' },
      { dbName: 'c\0d', local: 'c/d', remote: 'c.d', reason: 'new' },
    ]);
    assert.deepEqual(plan.create, [{ side: 'local', name: 'c/d', dbName: 'c\0d' }]);
  });
  test("a name holding the other side's delimiter cannot be translated", () => {
    const plan = planMailboxList({
      local: { reference: '', mailboxes: [mbx('v1.2', [], '/')] },
      remote: { reference: '', mailboxes: [mbx('x', [], '.')] },
      database: [],
      explicitMailboxes: false,
    });
    assert.deepEqual(
      plan.problems.map((p) => p.code),
      ['untranslatable-name'],
    );
    assert.match(plan.problems[0]!.message, /"v1\.2" contains "\.", the remote hierarchy delimiter/);
    assert.deepEqual(
      plan.sync.map((s) => s.dbName),
      ['x'],
    );
  });
  test('one flat and one hierarchical namespace: abort', () => {
    const plan = planMailboxList({
      local: { reference: '', mailboxes: [mbx('a', [], null)] },
      remote: { reference: '', mailboxes: [mbx('a', [], '/')] },
      database: [],
      explicitMailboxes: false,
    });
    assert.equal(plan.problems[0]?.code, 'namespace-mismatch');
    assert.match(
      plan.problems[0]!.message,
      /neither both flat nor both hierarchical \(local NIL, remote "\/"\)/,
    );
  });
  test('two flat namespaces synchronize', () => {
    const plan = planMailboxList({
      local: { reference: '', mailboxes: [mbx('a/b', [], null)] },
      remote: { reference: '', mailboxes: [], rootDelimiter: null },
      database: [],
      explicitMailboxes: false,
    });
    assert.deepEqual(plan.create, [{ side: 'remote', name: 'a/b', dbName: 'a/b' }]);
  });
  test('a second delimiter within one namespace is a problem', () => {
    const plan = planMailboxList(input([mbx('a', [], '/'), mbx('b', [], '.')], []));
    assert.equal(plan.problems[0]?.code, 'delimiter-mismatch');
    assert.match(
      plan.problems[0]!.message,
      /mailbox "b" has hierarchy delimiter "\.", while "\/" was expected/,
    );
  });
  test('INBOX is case-insensitive and its own namespace (its delimiter may differ)', () => {
    const plan = planMailboxList(
      input([mbx('inbox', SUB, null), mbx('INBOX/sub')], [mbx('INBOX', SUB, '.')]),
    );
    assert.deepEqual(plan.problems, []);
    assert.deepEqual(plan.sync, [
      { dbName: 'INBOX', local: 'INBOX', remote: 'INBOX', reason: 'new' },
      { dbName: 'INBOX\0sub', local: 'INBOX/sub', remote: 'INBOX/sub', reason: 'new' },
    ]);
  });
  test('INBOX listed twice in different cases is one mailbox', () => {
    const plan = planMailboxList(input([mbx('INBOX'), mbx('Inbox')], [mbx('INBOX')]));
    assert.deepEqual(plan.problems, []);
    assert.deepEqual(
      plan.sync.map((s) => s.dbName),
      ['INBOX'],
    );
  });
  test('two distinct names mapping to one database name collide', () => {
    const plan = planMailboxList({
      local: { reference: 'p/', mailboxes: [mbx('p/inbox'), mbx('p/INBOX')], rootDelimiter: '/' },
      remote: { reference: '', mailboxes: [mbx('INBOX')], rootDelimiter: '/' },
      database: [],
      explicitMailboxes: false,
    });
    assert.deepEqual(
      plan.problems.map((p) => p.code),
      ['name-collision'],
    );
    assert.match(plan.problems[0]!.message, /"p\/inbox" and "p\/INBOX" both map to "INBOX"/);
  });
  test('the delimiter must be known when only INBOX is listed', () => {
    const unknown = planMailboxList({
      local: { reference: '', mailboxes: [mbx('INBOX')] },
      remote: { reference: '', mailboxes: [mbx('INBOX')], rootDelimiter: '/' },
      database: [],
      explicitMailboxes: false,
    });
    assert.deepEqual(
      unknown.problems.map((p) => p.code),
      ['delimiter-unknown'],
    );
    assert.match(unknown.problems[0]!.message, /LIST "" ""/);
  });
  test('list-reference is trimmed on one side and prepended on the other', () => {
    const plan = planMailboxList({
      local: { reference: 'perso/', mailboxes: [mbx('perso/a', SUB), mbx('other/b')], rootDelimiter: '/' },
      remote: { reference: '', mailboxes: [mbx('c')], rootDelimiter: '/' },
      database: [],
      explicitMailboxes: false,
    });
    assert.deepEqual(plan.create, [
      { side: 'remote', name: 'a', dbName: 'a' },
      { side: 'local', name: 'perso/c', dbName: 'c' },
    ]);
  });
});

describe('planMailboxList: ignore-mailbox', () => {
  const ignore = /^virtual(?:\x00|$)/;
  const listed = [mbx('virtual'), mbx('virtual/all'), mbx('virtualx')];
  test('matches the database name (delimiter as \\0)', () => {
    const plan = planMailboxList(input(listed, [], [], { ignore }));
    assert.deepEqual(
      plan.create.map((c) => c.name),
      ['virtualx'],
    );
  });
  test('bypassed for MAILBOX arguments', () => {
    const plan = planMailboxList(input(listed, [], [], { ignore, explicitMailboxes: true }));
    assert.equal(plan.create.length, 3);
  });
  test('a global RegExp gives the same answer every time', () => {
    const plan = planMailboxList(input(listed, listed, [], { ignore: /^virtual(?:\x00|$)/g }));
    assert.deepEqual(
      plan.sync.map((s) => s.dbName),
      ['virtualx'],
    );
  });
});

describe('oneSideWork: one listing against the database, before the other is in', () => {
  const row = (idx: number, name: string, local = state(10, 100n), remote = state(20, 200n)): DbMailbox => ({
    idx,
    name,
    subscribed: false,
    local,
    remote,
  });
  const database = [row(1, 'same'), row(2, 'newer'), row(3, 'flagged'), row(4, 'a\0b'), row(5, 'virtual')];
  const listing = (mailboxes: ListedMailbox[]) => ({ reference: 'ref/', mailboxes, rootDelimiter: '.' });

  test('counts the mailboxes that differ from their row, and the new messages in them', () => {
    const work = oneSideWork(
      'local',
      listing([
        mbx('ref/same', [], '.', state(10, 100n)),
        mbx('ref/newer', [], '.', state(13, 104n)),
        mbx('ref/flagged', [], '.', state(10, 101n)),
        mbx('ref/a.b', [], '.', state(12, 102n)),
        mbx('ref/unknown', [], '.', state(50, 9n)),
        mbx('ref/nostatus', [], '.'),
        mbx('ref/virtual', [], '.', state(99, 999n)),
        mbx('ref/hidden', ['\\NoSelect'], '.'),
        mbx('elsewhere', [], '.', state(99, 999n)),
      ]),
      database,
      /^virtual$/,
    );
    // newer (+3), flagged, a.b (+2), unknown and nostatus (no row: no count of new messages).
    assert.deepEqual(work, { dirty: 5, newMessages: 5 });
  });

  test("reads this side's state only", () => {
    const work = oneSideWork('remote', listing([mbx('ref/same', [], '.', state(10, 100n))]), database);
    assert.deepEqual(work, { dirty: 1, newMessages: 0 });
  });
});
