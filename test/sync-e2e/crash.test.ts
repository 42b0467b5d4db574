// Crash safety: a child process syncing ≥ 500 messages with flag changes, expunges and new mail
// is SIGKILLed at 50 different write events (INTERIMAP_TEST_KILL_AFTER); after each kill a rerun
// must leave both servers with the same messages and flags, nothing lost and nothing duplicated.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { appendMessages, loadCorpus, makeCorpus, makeMessage, Rng } from '../helpers/corpus.js';
import type { Dovecot } from '../helpers/dovecot.js';
import { ImapPipe } from '../helpers/imap-pipe.js';
import { assertIdentical, snapshotServer } from '../helpers/mail-compare.js';
import { expungeOn, listUids, onServer, type Pair, startPair } from './harness.js';

const CHILD = fileURLToPath(new URL('./child-sync.js', import.meta.url));
const ROUNDS = 50;

/** Runs one sync in a child; resolves with how it ended. */
function childSync(
  pair: Pair,
  killAfter: number,
): Promise<{ killed: boolean; output: string; stderr: string }> {
  const args = JSON.stringify({
    local: { tunnelCommand: pair.local.tunnelCommand },
    remote: { tunnelCommand: pair.remote.tunnelCommand },
    dbPath: pair.dbPath,
    mailbox: 'INBOX',
  });
  const env = { ...process.env, INTERIMAP_TEST_KILL_AFTER: String(killAfter) };
  const child = spawn(process.execPath, [CHILD, args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let stderr = '';
  child.stdout.on('data', (c) => {
    output += c;
  });
  child.stderr.on('data', (c) => {
    stderr += c;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child sync hung (kill after ${killAfter})`));
    }, 60_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve({ killed: true, output, stderr });
      else if (code === 0) resolve({ killed: false, output, stderr });
      else reject(new Error(`child sync exited with ${code}: ${stderr}`));
    });
  });
}

/** Random flag changes, expunges and new messages on one server; updates the expected IDs. */
async function changeServer(server: Dovecot, rng: Rng, round: number, side: string, expected: Set<string>) {
  const messages = await listUids(server);
  const pick = (n: number) => Array.from({ length: n }, () => messages[rng.int(messages.length)]!);
  const flagCommands = pick(rng.int(25)).map((m, i) => {
    const ops = ['+FLAGS (\\Flagged)', '-FLAGS (\\Seen)', 'FLAGS ($Label1)', '+FLAGS (\\Answered $Todo)'];
    return `UID STORE ${m.uid} ${ops[(i + round) % ops.length]}`;
  });
  const gone = [...new Set(pick(rng.int(8)).map((m) => m.uid))];
  for (const m of messages) if (gone.includes(m.uid) && m.messageId) expected.delete(m.messageId);
  await onServer(server, flagCommands);
  await expungeOn(server, gone);
  const added = Array.from({ length: rng.int(12) }, (_, i) =>
    makeMessage(round * 1000 + i, `<r${round}.${side}.${i}@crash.test>`, {
      medianSize: 500,
      largeFraction: 0,
    }),
  );
  if (added.length > 0) {
    const pipe = await ImapPipe.open(server.tunnelCommand);
    try {
      await appendMessages(pipe, 'INBOX', added);
    } finally {
      await pipe.close();
    }
  }
  for (const m of added) expected.add(m.messageId);
}

async function assertConsistent(pair: Pair, expected: Set<string>, what: string): Promise<void> {
  const [a, b] = await Promise.all([snapshotServer(pair.local), snapshotServer(pair.remote)]);
  assertIdentical(a, b, ['local', 'remote']);
  for (const side of ['local', 'remote'] as const) {
    const ids = (await listUids(pair[side])).map((m) => m.messageId ?? '');
    assert.equal(new Set(ids).size, ids.length, `${what}: duplicate message on ${side}`);
    const missing = [...expected].filter((id) => !ids.includes(id));
    assert.deepEqual(missing, [], `${what}: lost on ${side}`);
    assert.equal(ids.length, expected.size, `${what}: unexpected messages on ${side}`);
  }
}

describe('crash safety', { timeout: 240_000 }, () => {
  let pair: Pair;
  before(async () => {
    pair = await startPair();
  });
  after(async () => {
    await pair.stop();
  });

  test(`a SIGKILL at ${ROUNDS} different write events never loses nor duplicates a message`, async () => {
    const corpus = (seed: number, messages: number) =>
      makeCorpus({ seed, mailboxes: 1, messages, medianSize: 500, largeFraction: 0 });
    const local = corpus(11, 500);
    const remote = corpus(12, 60);
    await Promise.all([loadCorpus(pair.local, local), loadCorpus(pair.remote, remote)]);
    const expected = new Set(
      [...local.mailboxes, ...remote.mailboxes].flatMap((m) => m.messages.map((x) => x.messageId)),
    );
    const rng = new Rng(7);
    let killed = 0;
    for (let round = 0; round < ROUNDS; round++) {
      if (round > 0) {
        await changeServer(pair.local, rng, round, 'local', expected);
        await changeServer(pair.remote, rng, round, 'remote', expected);
      }
      // Early rounds interrupt the initial copy of 560 messages; later ones a mixed change set.
      const killAfter = round < 10 ? 1 + round : 1 + ((round * 7) % 17);
      const first = await childSync(pair, killAfter);
      if (first.killed) killed++;
      const rerun = await childSync(pair, 0);
      assert.equal(rerun.killed, false);
      assert.match(rerun.output, /"status":"synced"/, `round ${round}: ${rerun.output} ${rerun.stderr}`);
      await assertConsistent(pair, expected, `round ${round} (killed after ${killAfter} events)`);
    }
    assert.ok(killed >= ROUNDS * 0.6, `only ${killed} of ${ROUNDS} runs were interrupted`);
  });
});
