// The live progress of `interimap` syncing a few hundred messages between two Dovecot servers:
// on a pseudo-terminal the status line is drawn in place and ends in the summary; with stderr to
// a file the output is plain lines, without a single control sequence.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MAIN, Pair } from '../cli-e2e/harness.js';
import { appendMessages, makeMessage } from '../helpers/corpus.js';
import { ImapPipe } from '../helpers/imap-pipe.js';
import { assertLiveProgress, assertPlain, runOnTerminal, runWithStderrToFile } from './terminal.js';

const MESSAGES = 400;

/** A fresh pair whose local INBOX holds MESSAGES messages, and the argv syncing it. */
async function filledPair(): Promise<{ pair: Pair; argv: string[] }> {
  const pair = await Pair.start();
  const pipe = await ImapPipe.open(pair.local.tunnelCommand);
  try {
    const messages = Array.from({ length: MESSAGES }, (_, i) =>
      makeMessage(i + 1, `<p${i}@progress>`, { largeFraction: 0 }),
    );
    await appendMessages(pipe, 'INBOX', messages);
  } finally {
    await pipe.close();
  }
  pair.writeConfig();
  return { pair, argv: [process.execPath, MAIN, `--config=${join(pair.dir, 'config')}`] };
}

describe('live progress of a real sync', { timeout: 60_000 }, () => {
  const pairs: Pair[] = [];
  let terminal: { pair: Pair; argv: string[] };
  let file: { pair: Pair; argv: string[] };

  before(async () => {
    [terminal, file] = await Promise.all([filledPair(), filledPair()]);
    pairs.push(terminal.pair, file.pair);
  });
  after(() => Promise.all(pairs.map((p) => p.stop())));

  test('on a terminal: a status line for INBOX, then the summary', () => {
    const run = runOnTerminal(terminal.argv, { ...process.env, HOME: terminal.pair.dir }, 50_000);
    assert.equal(run.status, 0, run.output);
    const summary = assertLiveProgress(run.output, 'INBOX');
    assert.match(
      summary,
      new RegExp(`: 0 messages to local, ${MESSAGES} messages \\(.+\\) to remote`),
      summary,
    );
  });

  test('stderr to a file: no control sequence, the summary as a plain line', () => {
    const run = runWithStderrToFile(file.argv, { ...process.env, HOME: file.pair.dir }, 50_000);
    assert.equal(run.status, 0, run.output);
    assertPlain(run.output);
    assert.match(
      run.output,
      new RegExp(`\\n1 mailbox\\(es\\) synced; messages copied 0 to local, ${MESSAGES} to remote;`),
    );
  });
});
