// Runs the shipped program (one CommonJS file, tools/bundle.mjs) with V8's code cache. Compiling
// the program and the code it runs takes ~20 ms of every start, a quarter of a run with nothing to
// do; V8 can save the compiled code and reuse it, but Node 20 offers that only through vm.Script
// (module.enableCompileCache arrived in Node 22). So the program is compiled here, with the cache
// of an earlier run when there is one, and a run that needed compiling saves its code for the
// next one. The cache is only an optimization: any failure to read or write it is ignored.
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { announcedSyncCode } from './sync-code.js';

/** What became of the cache: none used, none yet, used, or refused by V8 (another Node or V8 flags). */
export type CompileCacheOutcome = 'disabled' | 'absent' | 'accepted' | 'rejected';

/** A cache file: `<stem>.<kinds>.v8`, the kinds of work (sync-code.ts) its code was compiled by. */
const CACHE_FILE = /^(.*)\.(\d+)\.v8$/;
const HEADER = /^\/\/ interimap program ([0-9a-f]{64})\n/;

/** The first line tools/bundle.mjs gives the program: the SHA-256 of the rest, naming the build. */
export function programHeader(digest: string): string {
  return `// interimap program ${digest}\n`;
}

/**
 * Runs `file` as a CommonJS module, with the code cache kept in `cacheDir` (undefined: no cache).
 * When the process exits with 0, the code V8 compiled is saved there if the run used no cache or
 * did a kind of work (sync-code.ts) the cache's run had not: V8 compiles a function on its first
 * call, so a cache covers what the runs that made it did. The first run after an upgrade is often
 * one with nothing to do, or an initial sync; without this, every later incremental would compile
 * the mailbox steps, or the flag and expunge code, anew (~15 ms of CPU on a small incremental,
 * ~10 ms on the benchmark's). A run using the cache compiles only what the cache lacks, so the
 * cache saved then holds both.
 */
export function runProgram(file: string, cacheDir: string | undefined): CompileCacheOutcome {
  const source = readFileSync(file, 'utf8');
  const name = cacheDir === undefined ? undefined : cacheName(file, source);
  const dir = name !== undefined && privateDirectory(cacheDir!) ? cacheDir! : undefined;
  const found = dir === undefined ? undefined : findCache(dir, name!.stem);
  const cachedData = found === undefined ? undefined : readIfPresent(found.file);
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData,
  });
  const outcome: CompileCacheOutcome =
    dir === undefined
      ? 'disabled'
      : cachedData === undefined
        ? 'absent'
        : script.cachedDataRejected
          ? 'rejected'
          : 'accepted';
  if (dir !== undefined)
    process.once('exit', (code) => {
      if (code !== 0) return;
      const ran = announcedSyncCode();
      const covered = outcome === 'accepted' ? found!.kinds : 0;
      if (outcome === 'accepted' && (ran & ~covered) === 0) return;
      save(script, dir, `${name!.stem}.${ran | covered}.v8`, name!);
    });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  return outcome;
}

/**
 * Named after the build (the digest in the program's first line), the file's size and modification
 * time (an edit by hand), then the Node version, the architecture and Node's options (V8 refuses
 * a cache made under other flags: runs with and without, say, --cpu-prof keep one each instead of
 * overwriting each other's). A cache is thus only ever offered to the program it was made from, as
 * V8 itself checks little more than the text's length; hashing the text here instead would cost
 * ~3 ms of every start. A program without the header gets no cache.
 */
function cacheName(file: string, source: string): { build: string; stem: string } | undefined {
  const digest = HEADER.exec(source)?.[1];
  if (digest === undefined) return undefined;
  const { size, mtimeMs } = statSync(file);
  const build = `program-${digest.slice(0, 32)}-${size}-${Math.trunc(mtimeMs)}-`;
  const options = fnv1a(`${process.execArgv.join(' ')}\n${process.env.NODE_OPTIONS ?? ''}`);
  return { build, stem: `${build}${process.version}-${process.arch}-${options}` };
}

/**
 * The cache of `stem` in `dir` covering the most kinds of work, if any (two runs finishing
 * together may each have saved one).
 */
function findCache(dir: string, stem: string): { file: string; kinds: number } | undefined {
  let found: { file: string; kinds: number } | undefined;
  for (const entry of readdirSync(dir)) {
    const match = CACHE_FILE.exec(entry);
    if (match?.[1] !== stem) continue;
    const kinds = Number(match[2]);
    if (found === undefined || kindCount(kinds) > kindCount(found.kinds))
      found = { file: join(dir, entry), kinds };
  }
  return found;
}

function kindCount(kinds: number): number {
  let count = 0;
  for (let rest = kinds; rest !== 0; rest &= rest - 1) count++;
  return count;
}

/** 32-bit FNV-1a of a short string, in hex: tells option sets apart in a file name. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/** Created 0700 if missing; used only if it is ours and nobody else can write in it: the cache is code. */
function privateDirectory(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = lstatSync(dir);
    return stat.isDirectory() && stat.uid === process.getuid?.() && (stat.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

function readIfPresent(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * Written whole under a temporary name then renamed: a concurrent run reads the old cache or the
 * new. Every other cache of the directory goes: other builds', and this one's older ones.
 */
function save(script: Script, dir: string, kept: string, name: { build: string; stem: string }): void {
  const temporary = join(dir, `${kept}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
    renameSync(temporary, join(dir, kept));
    for (const entry of readdirSync(dir)) {
      if (entry === kept || !entry.endsWith('.v8')) continue;
      if (!entry.startsWith(name.build) || CACHE_FILE.exec(entry)?.[1] === name.stem)
        unlinkSync(join(dir, entry));
    }
  } catch {
    try {
      unlinkSync(temporary);
    } catch {}
  }
}
