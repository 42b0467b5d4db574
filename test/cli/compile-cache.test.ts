// The compile cache the shipped command runs its program through: made by a successful run, used
// by the next, never offered to another program, refused by V8 when damaged, kept private.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { programHeader } from '../../src/cli/compile-cache.js';
import { SYNC_CODE } from '../../src/cli/sync-code.js';
import { INTERIMAP } from '../helpers/interimap-bin.js';
import { makeScratchDir, removeScratchDir } from '../helpers/scratch.js';

const MODULE = fileURLToPath(new URL('../../src/cli/compile-cache.js', import.meta.url));
const work = makeScratchDir('interimap-compile-cache');
after(() => removeScratchDir(work));

/** A program with the bundle's header; it prints what it was given and exits with `code`. */
function writeProgram(file: string, body: string): void {
  writeFileSync(file, programHeader('ab'.repeat(32)) + body);
}

/**
 * Runs `program` through runProgram in a fresh process: its output, then runProgram's outcome.
 * `kinds`: the kinds of work the program says it did, as main.ts does (sync-code.ts; body below).
 */
function run(
  program: string,
  cacheDir: string,
  nodeOptions: string[] = [],
  kinds: number = SYNC_CODE.mailbox,
) {
  const script =
    `const { runProgram } = await import(${JSON.stringify(MODULE)});` +
    `process.stdout.write(runProgram(${JSON.stringify(program)}, ${JSON.stringify(cacheDir)}) + '\\n');`;
  const r = spawnSync(process.execPath, [...nodeOptions, '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, TEST_KINDS: String(kinds) },
  });
  const output = r.stdout.trimEnd().split('\n');
  const outcome = output.pop();
  return { outcome, output: output.join('\n'), status: r.status, stderr: r.stderr };
}

const cacheFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.v8'));

describe('runProgram', () => {
  const program = join(work, 'program.cjs');
  const cache = join(work, 'cache');
  /**
   * A program that doubles `n`, calls a function for each kind of work it is told it did (so that
   * V8 compiles it) and says it did them.
   */
  const body = (n: number) =>
    `function twice(x) { return 2 * x; }\nconsole.log('ran', twice(${n}), typeof require, typeof module);\n` +
    `const kinds = Number(process.env.TEST_KINDS);\n` +
    [1, 2, 4, 8]
      .map(
        (k) =>
          `function work${k}() { return [${Array.from({ length: 40 }, (_, i) => `'${k}-${i}'`)}].join(); }\n`,
      )
      .join('') +
    `for (const [k, work] of [[1, work1], [2, work2], [4, work4], [8, work8]]) if (kinds & k) work();\n` +
    `if (kinds) globalThis[Symbol.for('interimap.compile-cache.sync-code-ran')] = kinds;\n`;

  test('the first run compiles and saves, the next uses the cache', () => {
    writeProgram(program, body(21));
    const first = run(program, cache);
    assert.deepEqual([first.outcome, first.output, first.status], ['absent', 'ran 42 function object', 0]);
    const [saved] = cacheFiles(cache);
    assert.ok(saved, 'a cache file is written');
    assert.equal(statSync(join(cache, saved)).mode & 0o777, 0o600);
    assert.equal(statSync(cache).mode & 0o777, 0o700);
    const second = run(program, cache);
    assert.deepEqual([second.outcome, second.output], ['accepted', 'ran 42 function object']);
    assert.deepEqual(cacheFiles(cache), [saved]);
  });

  test('an edited program (same length) gets its own cache; the old one is removed', () => {
    const before = cacheFiles(cache);
    writeProgram(program, body(12));
    utimesSync(program, new Date(), new Date(Date.now() + 5000));
    const edited = run(program, cache);
    assert.deepEqual([edited.outcome, edited.output], ['absent', 'ran 24 function object']);
    const after = cacheFiles(cache);
    assert.equal(after.length, 1);
    assert.notDeepEqual(after, before);
  });

  test('runs with other Node options keep a cache of their own, beside the first', () => {
    const before = cacheFiles(cache);
    assert.equal(run(program, cache, ['--stack-size=2000']).outcome, 'absent');
    assert.equal(run(program, cache, ['--stack-size=2000']).outcome, 'accepted');
    assert.equal(run(program, cache).outcome, 'accepted');
    assert.equal(cacheFiles(cache).length, before.length + 1);
  });

  test('a damaged cache is refused by V8, the program still runs and the cache is rewritten', () => {
    for (const file of cacheFiles(cache)) {
      const data = readFileSync(join(cache, file));
      data.fill(7, 0, 64);
      writeFileSync(join(cache, file), data);
    }
    const damaged = run(program, cache);
    assert.deepEqual([damaged.outcome, damaged.output], ['rejected', 'ran 24 function object']);
    assert.equal(run(program, cache).outcome, 'accepted');
  });

  test('a damaged cache refused by a run that synchronized nothing gives way to that run’s', () => {
    const dir = join(work, 'cache-damaged');
    run(program, dir);
    const [whole] = cacheFiles(dir);
    assert.match(whole ?? '', /\.1\.v8$/);
    writeFileSync(join(dir, whole!), readFileSync(join(dir, whole!)).fill(7, 0, 64));
    assert.equal(run(program, dir, [], 0).outcome, 'rejected');
    assert.deepEqual(cacheFiles(dir), [whole!.replace(/\.1\.v8$/, '.0.v8')]);
    assert.equal(run(program, dir, [], 0).outcome, 'accepted');
  });

  test('a run doing work its cache’s runs had not saves it again, holding both; others leave it', () => {
    const dir = join(work, 'cache-kinds');
    const file = (kinds: number) => cacheFiles(dir).find((f) => f.endsWith(`.${kinds}.v8`));
    assert.equal(run(program, dir, [], 0).outcome, 'absent');
    assert.deepEqual(cacheFiles(dir), [file(0)]);
    const written = statSync(join(dir, file(0)!)).mtimeMs;
    assert.equal(run(program, dir, [], 0).outcome, 'accepted');
    assert.equal(statSync(join(dir, file(0)!)).mtimeMs, written, 'a cache is not rewritten for nothing');

    assert.equal(run(program, dir, [], SYNC_CODE.mailbox | SYNC_CODE.copy).outcome, 'accepted');
    assert.deepEqual(cacheFiles(dir), [file(3)], 'the cache of a mailbox copy replaces the one of no work');
    const copy = statSync(join(dir, file(3)!)).size;
    assert.equal(run(program, dir, [], SYNC_CODE.mailbox | SYNC_CODE.flags).outcome, 'accepted');
    assert.deepEqual(cacheFiles(dir), [file(7)], 'copies and flag updates');
    assert.ok(statSync(join(dir, file(7)!)).size > copy, 'the new cache holds the code of both runs');
    const both = statSync(join(dir, file(7)!)).mtimeMs;
    for (const kinds of [0, 3, 5, 7]) assert.equal(run(program, dir, [], kinds).outcome, 'accepted');
    assert.equal(statSync(join(dir, file(7)!)).mtimeMs, both);
    assert.equal(run(program, dir, [], SYNC_CODE.mailbox | SYNC_CODE.expunge).outcome, 'accepted');
    assert.deepEqual(cacheFiles(dir), [file(15)]);
  });

  test('of two caches left by runs ending together, the one covering more kinds of work is used', () => {
    const dir = join(work, 'cache-two');
    run(program, dir, [], SYNC_CODE.expunge);
    const [expunges] = cacheFiles(dir);
    const threeKinds = expunges!.replace(/\.8\.v8$/, '.7.v8');
    writeFileSync(join(dir, threeKinds), readFileSync(join(dir, expunges!)));
    assert.equal(run(program, dir, [], 7).outcome, 'accepted');
    assert.deepEqual(cacheFiles(dir).sort(), [threeKinds, expunges].sort(), 'covered: nothing saved');
  });

  test('a run that fails saves nothing', () => {
    const failing = join(work, 'failing.cjs');
    const dir = join(work, 'cache-failing');
    writeProgram(failing, 'process.exitCode = 3;\n');
    const r = run(failing, dir);
    assert.deepEqual([r.outcome, r.status], ['absent', 3]);
    assert.deepEqual(cacheFiles(dir), []);
  });

  test('no cache for a program without the header, or in a directory others can write', () => {
    const bare = join(work, 'bare.cjs');
    writeFileSync(bare, body(1));
    assert.deepEqual(
      [run(bare, cache).outcome, run(bare, cache).output],
      ['disabled', 'ran 2 function object'],
    );
    const shared = join(work, 'cache-shared');
    run(program, shared);
    chmodSync(shared, 0o777);
    assert.equal(run(program, shared).outcome, 'disabled');
  });
});

describe('the shipped command', () => {
  test('writes its cache in $XDG_CACHE_HOME/interimap after a successful run and keeps it', () => {
    const cacheHome = join(work, 'xdg-cache');
    const env = { PATH: process.env.PATH, HOME: work, XDG_CACHE_HOME: cacheHome };
    const version = () => spawnSync(process.execPath, [INTERIMAP, '--version'], { env, encoding: 'utf8' });
    assert.equal(version().status, 0);
    const dir = join(cacheHome, 'interimap');
    const [file] = cacheFiles(dir);
    assert.ok(file, 'the cache is written');
    const written = statSync(join(dir, file)).mtimeMs;
    assert.equal(version().status, 0);
    assert.deepEqual(cacheFiles(dir), [file]);
    assert.equal(statSync(join(dir, file)).mtimeMs, written, 'an accepted cache is not rewritten');
  });

  test('NODE_DISABLE_COMPILE_CACHE turns it off', () => {
    const cacheHome = join(work, 'xdg-cache-off');
    const env = {
      PATH: process.env.PATH,
      HOME: work,
      XDG_CACHE_HOME: cacheHome,
      NODE_DISABLE_COMPILE_CACHE: '1',
    };
    const r = spawnSync(process.execPath, [INTERIMAP, '--version'], { env, encoding: 'utf8' });
    assert.match(r.stdout, /^interimap /);
    assert.throws(() => readdirSync(join(cacheHome, 'interimap')), { code: 'ENOENT' });
  });
});
