// The Logger and the log-prefix language; prefixes are checked against the Perl tool's own
// formatter (Net::IMAP::InterIMAP), called directly.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { batchedStream } from '../../src/log/batched-stream.js';
import { Logger, timestamp } from '../../src/log/logger.js';
import {
  compileLogPrefix,
  DEFAULT_LOG_PREFIX,
  LogPrefixError,
  type PrefixContext,
} from '../../src/log/prefix.js';

function perlPrefix(format: string, ctx: PrefixContext): string {
  const script =
    'my ($f, $n, $m) = @ARGV; print Net::IMAP::InterIMAP::_logger_prefix({ "logger-prefix" => $f,' +
    ' (length $n ? (name => $n) : ()), (length $m ? (mailbox => $m) : ()) })';
  return execFileSync(
    'perl',
    ['-MNet::IMAP::InterIMAP', '-e', script, format, ctx.name ?? '', ctx.mailbox ?? ''],
    {
      encoding: 'utf8',
      timeout: 10_000,
    },
  );
}

describe('log-prefix renders like the Perl tool', () => {
  const formats = [
    DEFAULT_LOG_PREFIX,
    '%n: ',
    '[%n] %m: ',
    '%%n %?m?<%m>?',
    '%?n?%n&nobody? ',
    '%?m?%?n?%n/%m&%m?&-?: ',
    '\\&\\?\\\\ %n',
    'a?b&c %n',
    '',
  ];
  const contexts: PrefixContext[] = [
    {},
    { name: 'local' },
    { name: 'remote', mailbox: 'INBOX' },
    { mailbox: 'a&b' },
  ];
  for (const format of formats)
    test(JSON.stringify(format), () => {
      const prefix = compileLogPrefix(format);
      for (const ctx of contexts) assert.equal(prefix(ctx), perlPrefix(format, ctx), JSON.stringify(ctx));
    });
});

test('random formats: whatever we accept renders exactly as in Perl', () => {
  const piece = fc.constantFrom(
    '%n',
    '%m',
    '%%',
    '%?n?',
    '%?m?',
    '&',
    '?',
    '\\&',
    '\\?',
    '\\\\',
    'a',
    ' ',
    '(',
    ':',
  );
  const formats = fc.sample(
    fc.array(piece, { maxLength: 12 }).map((p) => p.join('')),
    { numRuns: 400, seed: 42 },
  );
  const contexts: PrefixContext[] = [
    {},
    { name: 'local' },
    { name: 'remote', mailbox: 'Sent' },
    { mailbox: 'x' },
  ];
  const accepted = formats.flatMap((format) => {
    try {
      const prefix = compileLogPrefix(format);
      return contexts.map((ctx) => ({ format, ctx, ours: prefix(ctx) }));
    } catch (e) {
      assert.ok(e instanceof LogPrefixError);
      return [];
    }
  });
  assert.ok(accepted.length > 200, 'enough accepted formats to compare');
  // One Perl process for all of them: tab-separated format, name, mailbox; one result per line.
  const script =
    'while (<STDIN>) { chomp; my ($f, $n, $m) = split /\\t/, $_, 3; print Net::IMAP::InterIMAP::_logger_prefix({' +
    ' "logger-prefix" => $f, (length $n ? (name => $n) : ()), (length $m ? (mailbox => $m) : ()) }), "\\n" }';
  const input = accepted.map((a) => `${a.format}\t${a.ctx.name ?? ''}\t${a.ctx.mailbox ?? ''}\n`).join('');
  const perl = execFileSync('perl', ['-MNet::IMAP::InterIMAP', '-e', script], {
    input,
    encoding: 'utf8',
    timeout: 30_000,
  });
  const lines = perl.split('\n');
  for (const [i, a] of accepted.entries())
    assert.equal(a.ours, lines[i], `${JSON.stringify(a.format)} ${JSON.stringify(a.ctx)}`);
});

describe('malformed log-prefix formats', () => {
  const bad: [string, string][] = [
    ['%?n?then', 'unterminated conditional `%?n?` (at character 1)'],
    ['%?n?a&b&c?', 'unterminated conditional `%?n?` (at character 1)'],
    ['%x', 'unknown sequence `%x` (only %n, %m and %% exist) (at character 2)'],
    ['%?x?a?', 'unknown sequence `%x` (only %n, %m and %% exist) (at character 3)'],
    ['%?nx', 'expected `?` after `%?n` (at character 4)'],
    ['abc%', 'incomplete `%` sequence at the end (at character 5)'],
    ['\\n', '`\\` must be followed by &, ? or \\ (at character 1)'],
  ];
  for (const [format, message] of bad)
    test(format, () =>
      assert.throws(
        () => compileLogPrefix(format),
        (e) => e instanceof LogPrefixError && e.message === message,
      ),
    );
});

describe('Logger', () => {
  const dir = mkdtempSync(join(tmpdir(), 'interimap-log-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  function capture(options: ConstructorParameters<typeof Logger>[0]) {
    const lines: string[] = [];
    const logger = new Logger({ ...options, stderr: (l) => lines.push(l) });
    logger.debug('remote', 'C: 1 NOOP');
    logger.info('local', 'added 2 messages', 'INBOX');
    logger.warn(undefined, 'careful');
    logger.error('database', 'broken');
    logger.close();
    return lines;
  }

  test('levels, tags and the default prefix', () => {
    assert.deepEqual(capture({}), [
      'local(INBOX): added 2 messages\n',
      'WARNING: careful\n',
      'database: ERROR: broken\n',
    ]);
  });
  test('-q keeps warnings and errors', () => {
    assert.deepEqual(capture({ quiet: true }), ['WARNING: careful\n', 'database: ERROR: broken\n']);
  });
  test('--debug adds debug lines', () => {
    assert.deepEqual(capture({ debug: 1 })[0], 'remote: C: 1 NOOP\n');
  });
  test('a logfile is created 0600, appended to, timestamped; warnings and errors also go to stderr', () => {
    const file = join(dir, 'log');
    assert.deepEqual(capture({ logfile: file, debug: 1 }), [
      'WARNING: careful\n',
      'database: ERROR: broken\n',
    ]);
    capture({ logfile: file });
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 7);
    assert.match(lines[0]!, /^[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d\.\d{3} remote: C: 1 NOOP$/);
    assert.match(lines[6]!, / database: ERROR: broken$/);
  });
  test('timestamps are in local time, syslog style', () => {
    assert.equal(timestamp(new Date(2026, 0, 5, 7, 8, 9, 12)), 'Jan  5 07:08:09.012');
  });
});

describe('stderr batching', () => {
  const recorder = () => {
    const writes: string[] = [];
    return { writes, columns: 120, write: (text: string) => writes.push(text) };
  };
  test('lines close in time are one write, in order; end() writes what is pending', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const target = recorder();
    const stream = batchedStream(target);
    stream.write('a\n');
    t.mock.timers.tick(50);
    stream.write('b\n');
    assert.deepEqual(target.writes, []);
    t.mock.timers.tick(50);
    assert.deepEqual(target.writes, ['a\nb\n'], 'a tenth of a second after the first');
    stream.write('c\n');
    stream.end();
    assert.deepEqual(target.writes, ['a\nb\n', 'c\n']);
    stream.write('d\n');
    assert.deepEqual(target.writes, ['a\nb\n', 'c\n', 'd\n'], 'after end(), written at once');
    assert.equal(stream.columns, 120);
  });

  test('a large backlog goes out without waiting for the turn to end', () => {
    const target = recorder();
    const stream = batchedStream(target);
    const line = `${'x'.repeat(1023)}\n`;
    for (let k = 0; k < 64; k++) stream.write(line);
    assert.equal(target.writes.join(''), line.repeat(64));
    stream.end();
  });

  test('lines still pending when the process exits are written', () => {
    const script =
      `import { batchedStream } from ${JSON.stringify(new URL('../../src/log/batched-stream.js', import.meta.url).href)};` +
      "const s = batchedStream(process.stderr); s.write('first\\n'); s.write('last\\n'); process.exit(3);";
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(run.status, 3);
    assert.equal(run.stderr, 'first\nlast\n');
  });
});
