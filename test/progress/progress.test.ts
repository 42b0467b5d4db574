// Live progress: on a pseudo-terminal (util-linux `script`) the status line is drawn in place, log
// lines pass above it intact and the summary ends it; with stderr to a file there is no control
// sequence at all. The throttle and the text are checked with a fake clock and stream.
import assert from 'node:assert/strict';
import { describe, mock, test } from 'node:test';
import { zeroCounts } from '../../machines/counts.js';
import {
  fitWidth,
  formatBytes,
  formatClock,
  rateAndEta,
  summaryLine,
  tallyText,
} from '../../src/progress/format.js';
import { createProgress } from '../../src/progress/progress.js';
import { assertLiveProgress, assertPlain, ERASE, runOnTerminal, runWithStderrToFile } from './terminal.js';

const DEMO = 'dist/test/progress/progress-demo.js';
const SUMMARY =
  'interimap: 1 mailbox synced (1 failed) in 0:00: 40 messages (40.0 kB) to local, ' +
  '2 messages (5.0 kB) to remote, 3 flag updates, 2 expunges';

/** A stream that keeps what is written. */
function fakeStream(columns = 200) {
  const writes: string[] = [];
  return { writes, columns, write: (text: string) => writes.push(text) };
}

describe('progress on a terminal and off it', { timeout: 60_000 }, () => {
  test('under a pseudo-terminal: drawn in place, the log line intact, the summary last', () => {
    const { status, output } = runOnTerminal([process.execPath, DEMO]);
    assert.equal(status, 0);
    assert.match(output, /\r\x1b\[2KINBOX \d+\/40/, 'a status line for INBOX');
    assert.ok(
      output.includes(`${ERASE}remote: a log line while copying\r\n`),
      'the log line erases the status first',
    );
    assert.equal(assertLiveProgress(output, 'Archive'), SUMMARY);
    assert.ok(output.endsWith(`${SUMMARY}\r\nafter the summary\r\n`));
  });

  test('stderr to a file: only the log lines, no control sequence', () => {
    const { status, output } = runWithStderrToFile([process.execPath, DEMO]);
    assert.equal(status, 0);
    assert.equal(output, 'remote: a log line while copying\nafter the summary\n');
    assertPlain(output);
  });
});

describe('progress state and throttle (fake clock)', () => {
  test('at most one draw per interval; the latest numbers are drawn when it ends', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      let clock = 1000;
      const stream = fakeStream();
      const progress = createProgress({ stream, enabled: true, now: () => clock });
      progress.mailboxStarted('INBOX', { messages: 100 });
      for (let i = 0; i < 50; i++) progress.update('INBOX', { copied: { toLocal: 1 } });
      assert.equal(stream.writes.length, 1, 'one draw at the start');
      clock += 99;
      mock.timers.tick(99);
      assert.equal(stream.writes.length, 1);
      clock += 1;
      mock.timers.tick(1);
      assert.equal(stream.writes.length, 2);
      assert.match(stream.writes[1]!, /^\r\x1b\[2KINBOX 50\/100 /);
      progress.close();
      assert.equal(stream.writes.at(-1), ERASE);
    } finally {
      mock.timers.reset();
    }
  });

  test('a log line erases the status line and it comes back; finish prints the run summary', () => {
    let clock = 0;
    const stream = fakeStream();
    const progress = createProgress({ stream, enabled: true, now: () => clock, intervalMs: 0 });
    progress.mailboxStarted('Sent');
    progress.update('Sent', { copied: { toRemote: 2 }, bytes: { toRemote: 2500 } });
    stream.writes.length = 0;
    progress.log('a line\n');
    assert.deepEqual(stream.writes.slice(0, 2), [ERASE, 'a line\n']);
    assert.match(stream.writes[2]!, /^\r\x1b\[2KSent 2 msgs/);
    clock = 61_000;
    const summary = {
      cycles: 1,
      mailboxes: { synced: 4, stopped: 0, failed: 0 },
      counts: zeroCounts(),
      failures: [],
      mailboxChanges: 0,
      fatal: null,
      interrupted: false,
    };
    summary.counts.toRemote.copied = 2;
    summary.counts.toLocal.flagsUpdated = 1;
    summary.counts.conflicts = 1;
    progress.finish(summary);
    assert.equal(
      stream.writes.slice(-2).join(''),
      `${ERASE}interimap: 4 mailboxes synced in 1:01: 0 messages to local, 2 messages (2.5 kB) to remote, ` +
        '1 flag update, 0 expunges, 1 conflict\n',
    );
  });

  test('disabled: log lines pass through, nothing else is written', () => {
    const stream = fakeStream();
    const progress = createProgress({ stream, enabled: false });
    progress.mailboxStarted('INBOX', { messages: 3 });
    progress.update('INBOX', { copied: { toLocal: 3 } });
    progress.log('line\n');
    progress.mailboxDone('INBOX', 'synced');
    progress.finish();
    progress.close();
    assert.deepEqual(stream.writes, ['line\n']);
  });

  test('the line fits the terminal width', () => {
    const stream = fakeStream(30);
    const progress = createProgress({ stream, enabled: true });
    progress.mailboxStarted('a-very-long-mailbox-name/with/levels');
    assert.equal([...stream.writes[0]!.slice(ERASE.length)].length, 29);
    assert.ok(stream.writes[0]!.endsWith('…'));
  });
});

describe('progress text', () => {
  test('sizes, clocks, width', () => {
    assert.deepEqual([0, 999, 1000, 12_345, 999_960, 4_100_000, 7.2e9].map(formatBytes), [
      '0 B',
      '999 B',
      '1.0 kB',
      '12.3 kB',
      '1.0 MB',
      '4.1 MB',
      '7.2 GB',
    ]);
    assert.deepEqual([0, 7_000, 754_000, 3_723_000].map(formatClock), ['0:00', '0:07', '12:34', '1:02:03']);
    assert.equal(fitWidth('abcdef', 6), 'abcdef');
    assert.equal(fitWidth('abcdef', 4), 'abc…');
  });

  test('rate and ETA: by bytes when known, else by messages; none before the first message', () => {
    const tally = {
      copied: { toLocal: 30, toRemote: 0 },
      bytes: { toLocal: 0, toRemote: 0 },
      flags: 0,
      expunged: 0,
    };
    const mailbox = { name: 'INBOX', totals: { messages: 90 }, tally, startedAt: 0 };
    assert.equal(rateAndEta(mailbox, 10_000), '3.0 msg/s, ETA 0:20');
    tally.bytes.toLocal = 3_000_000;
    assert.equal(rateAndEta({ ...mailbox, totals: { bytes: 9_000_000 } }, 10_000), '300.0 kB/s, ETA 0:20');
    assert.equal(rateAndEta({ ...mailbox, totals: {} }, 10_000), '300.0 kB/s');
    tally.copied.toLocal = 0;
    assert.equal(rateAndEta(mailbox, 10_000), '');
  });

  test('tally and summary wording', () => {
    const tally = {
      copied: { toLocal: 3, toRemote: 0 },
      bytes: { toLocal: 4500, toRemote: 0 },
      flags: 1,
      expunged: 0,
    };
    assert.equal(tallyText(tally), '↓3 (4.5 kB) ↑0, 1 flags');
    assert.equal(tallyText({ ...tally, flags: 0 }), '↓3 (4.5 kB) ↑0');
    assert.equal(
      summaryLine({ ...tally, conflicts: 0, mailboxes: { synced: 1, stopped: 2, failed: 0 } }, 5000),
      'interimap: 1 mailbox synced (2 stopped) in 0:05: 3 messages (4.5 kB) to local, 0 messages to remote, 1 flag update, 0 expunges',
    );
  });
});
