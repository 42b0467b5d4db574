// The debugging options: --trace on a run (an absolute path in the Invocation), --statechart with
// --statechart-format and --trace-in (no configuration needed, wrong combinations refused), and
// the progress object runCli hands the engine.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { type ParsedArgs, parseArgs, UsageError } from '../../src/cli/args.js';
import type { RunEngine } from '../../src/cli/invocation.js';
import { runCli } from '../../src/cli/run.js';
import { INTERIMAP } from '../helpers/interimap-bin.js';

const env = { HOME: '/h', XDG_CONFIG_HOME: '/c' };
const parse = (...argv: string[]): ParsedArgs => parseArgs(argv, env);

/** Runs the built command; resolves to its exit code and stderr. */
function interimap(args: string[], cwd?: string): Promise<{ code: number; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [INTERIMAP, ...args],
      { cwd, env: { PATH: '/usr/bin:/bin' }, timeout: 60_000 },
      (error, _out, stderr) => done({ code: error === null ? 0 : Number(error.code), stderr }),
    );
  });
}

describe('debugging options on the command line', () => {
  test('--trace=FILE: the run records to an absolute path', () => {
    const parsed = parse('--trace=run.trace', 'INBOX');
    assert.equal(parsed.kind, 'run');
    assert.equal(parsed.kind === 'run' && parsed.invocation.trace, resolve('run.trace'));
    assert.equal(parse('--trace', '/tmp/t', '--repair').kind, 'run');
    assert.throws(() => parse('--trace='), new UsageError('option --trace needs a value'));
    assert.throws(() => parse('--trace'), /option --trace needs a value/);
  });

  test('--statechart, its format and --trace-in select the chart export', () => {
    assert.deepEqual(parse('--statechart'), { kind: 'statechart', request: { format: 'html' } });
    assert.deepEqual(parse('--statechart=out.html', '--trace-in=run.trace'), {
      kind: 'statechart',
      request: { file: 'out.html', format: 'html', trace: 'run.trace' },
    });
    assert.deepEqual(parse('--statechart-format', 'dot'), { kind: 'statechart', request: { format: 'dot' } });
    assert.deepEqual(parse('--trace-in=t', '-q', '--config=x'), {
      kind: 'statechart',
      request: { format: 'html', trace: 't' },
    });
    assert.deepEqual(parse('--statechart=-', '--statechart-format=mermaid'), {
      kind: 'statechart',
      request: { file: '-', format: 'mermaid' },
    });
  });

  test('--statechart refuses what would make it a run', () => {
    assert.throws(
      () => parse('--statechart', 'out.html'),
      /--statechart takes no mailbox \(name its file with --statechart=FILE\)/,
    );
    assert.throws(
      () => parse('--statechart', '--repair'),
      new UsageError('--statechart cannot be combined with --repair'),
    );
    assert.throws(() => parse('--statechart-format=dot', '--watch'), /cannot be combined with --watch/);
    assert.throws(() => parse('--statechart', '--trace=x'), /cannot be combined with --trace$/);
    assert.throws(() => parse('--trace-in=t', '--delete', 'x'), /cannot be combined with --delete/);
    assert.throws(() => parse('--trace-in='), /option --trace-in needs a value/);
    assert.throws(() => parse('--statechart-format'), /option --statechart-format needs a value/);
  });
});

describe('interimap --statechart', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'interimap-debug-options-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('writes the charts without any configuration file', async () => {
    const file = join(dir, 'charts.json');
    const { code, stderr } = await interimap([`--statechart=${file}`, '--statechart-format=json'], dir);
    assert.deepEqual([code, stderr], [0, '']);
    assert.equal((JSON.parse(readFileSync(file, 'utf8')) as unknown[]).length, 3);
  });

  test('draws a trace over the page', async () => {
    const trace = join(dir, 'run.trace');
    writeFileSync(
      trace,
      '{"format":"interimap-trace","version":1,"started":"2026-11-27T10:00:00.000Z"}\n' +
        '{"t":0,"actor":"mailbox:INBOX","machine":"mailbox-sync","state":"selecting","event":"xstate.init"}\n',
    );
    const page = join(dir, 'run.html');
    const { code } = await interimap([`--statechart=${page}`, `--trace-in=${trace}`], dir);
    assert.equal(code, 0);
    assert.match(readFileSync(page, 'utf8'), /<section id="run-trace">[\s\S]*mailbox INBOX/);
  });

  test('a bad format, a combination or a missing trace is one line and exit 1', async () => {
    assert.deepEqual(await interimap(['--statechart-format=svg'], dir), {
      code: 1,
      stderr: "interimap: --statechart-format: unknown format 'svg' (use html, mermaid, dot, json)\n",
    });
    assert.deepEqual(await interimap(['--statechart-format=dot', '--trace-in=t'], dir), {
      code: 1,
      stderr:
        'interimap: --trace-in draws on the HTML page: it cannot be combined with --statechart-format=dot\n',
    });
    const missing = await interimap(['--trace-in=absent.trace'], dir);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^interimap: --trace-in: cannot read absent\.trace: ENOENT.*\n$/);
    const bad = join(dir, 'bad.trace');
    writeFileSync(bad, 'hello\n');
    assert.deepEqual(await interimap([`--trace-in=${bad}`], dir), {
      code: 1,
      stderr: `interimap: --trace-in: ${bad}:1: not an interimap trace (no header line)\n`,
    });
  });

  test('runCli hands the engine an inert progress when stderr is no terminal', async () => {
    const home = join(dir, 'config');
    mkdirSync(join(home, 'interimap'), { recursive: true });
    writeFileSync(
      join(home, 'interimap', 'config'),
      '[local]\ntype = tunnel\ncommand = imapd\n[remote]\nhost = h\n',
    );
    let seen: Parameters<RunEngine> | undefined;
    const engine: RunEngine = async (...args) => {
      seen = args;
      return 0;
    };
    assert.equal(await runCli(['--trace=t.trace'], { XDG_CONFIG_HOME: home }, engine), 0);
    const [inv, , , progress] = seen!;
    assert.equal(inv.trace, resolve('t.trace'));
    assert.equal(progress.enabled, process.stderr.isTTY === true);
  });
});
