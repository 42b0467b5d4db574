// The compile cache the shipped command runs its program through: made by a successful run, used
// by the next, never offered to another program, refused by V8 when damaged, kept private.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { programHeader } from '../../src/cli/compile-cache.js';
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
 * `synced`: the program says it synchronized a mailbox, as main.ts does (see body below).
 */
function run(program: string, cacheDir: string, nodeOptions: string[] = [], synced = true) {
  const script =
    `const { runProgram } = await import(${JSON.stringify(MODULE)});` +
    `process.stdout.write(runProgram(${JSON.stringify(program)}, ${JSON.stringify(cacheDir)}) + '\\n');`;
  const r = spawnSync(process.execPath, [...nodeOptions, '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, TEST_SYNCED: synced ? '1' : '0' },
  });
  const output = r.stdout.trimEnd().split('\n');
  const outcome = output.pop();
  return { outcome, output: output.join('\n'), status: r.status, stderr: r.stderr };
}

const cacheFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.v8'));

describe('runProgram', () => {
  const program = join(work, 'program.cjs');
  const cache = join(work, 'cache');
  /** A program that doubles `n` and, when run `synced`, says it synchronized a mailbox. */
  const body = (n: number) =>
    `function twice(x) { return 2 * x; }\nconsole.log('ran', twice(${n}), typeof require, typeof module);\n` +
    `if (process.env.TEST_SYNCED === '1') globalThis[Symbol.for('interimap.compile-cache.sync-code-ran')] = true;\n`;

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

  test('a damaged cache refused by a run that synchronized nothing gives way to a partial one', () => {
    const dir = join(work, 'cache-damaged');
    run(program, dir);
    const [whole] = cacheFiles(dir);
    writeFileSync(join(dir, whole!), readFileSync(join(dir, whole!)).fill(7, 0, 64));
    assert.equal(run(program, dir, [], false).outcome, 'rejected');
    assert.deepEqual(cacheFiles(dir), [whole!.replace(/\.v8$/, '.partial.v8')]);
    assert.equal(run(program, dir, [], false).outcome, 'partial');
  });

  test('a run that synchronized nothing saves a partial cache, made whole once by one that does', () => {
    const dir = join(work, 'cache-partial');
    const quiet = (expected: string) => assert.equal(run(program, dir, [], false).outcome, expected);
    quiet('absent');
    const [partial] = cacheFiles(dir);
    assert.match(partial ?? '', /\.partial\.v8$/);
    const written = statSync(join(dir, partial!)).mtimeMs;
    quiet('partial');
    assert.equal(
      statSync(join(dir, partial!)).mtimeMs,
      written,
      'a partial cache is not rewritten for nothing',
    );
    assert.equal(run(program, dir).outcome, 'partial');
    assert.deepEqual(cacheFiles(dir), [partial!.replace(/\.partial\.v8$/, '.v8')]);
    assert.equal(run(program, dir).outcome, 'accepted');
    quiet('accepted');
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
