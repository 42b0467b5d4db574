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
import { SYNC_CODE_RAN } from './sync-code.js';

/**
 * What became of the cache: none used, none yet, used, used though made by a run that synchronized
 * no mailbox (`partial`), or refused by V8 (another Node or V8 flags).
 */
export type CompileCacheOutcome = 'disabled' | 'absent' | 'accepted' | 'partial' | 'rejected';

const SUFFIX = '.v8';
/** Marks a cache made by a run that synchronized no mailbox: it lacks the sync code. */
const PARTIAL = '.partial';
const HEADER = /^\/\/ interimap program ([0-9a-f]{64})\n/;

/** The first line tools/bundle.mjs gives the program: the SHA-256 of the rest, naming the build. */
export function programHeader(digest: string): string {
  return `// interimap program ${digest}\n`;
}

/**
 * Runs `file` as a CommonJS module, with the code cache kept in `cacheDir` (undefined: no cache).
 * When the cache was not used, the code V8 compiled is saved there when the process exits with 0,
 * so that it covers the functions a successful run needed, not only the top level. A cache made by
 * a run that synchronized no mailbox (the first run after an upgrade is often one with nothing to
 * do) is saved as partial and made again, once, by the first run that does synchronize one: every
 * later sync would otherwise compile the mailbox steps anew (~15 ms of CPU on a small incremental).
 */
export function runProgram(file: string, cacheDir: string | undefined): CompileCacheOutcome {
  const source = readFileSync(file, 'utf8');
  const name = cacheDir === undefined ? undefined : cacheName(file, source);
  const cacheFile =
    name !== undefined && privateDirectory(cacheDir!) ? join(cacheDir!, name.file) : undefined;
  const partialFile = cacheFile === undefined ? undefined : partialName(cacheFile);
  let cachedData = cacheFile === undefined ? undefined : readIfPresent(cacheFile);
  const partial = cachedData === undefined && partialFile !== undefined;
  if (partial) cachedData = readIfPresent(partialFile);
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData,
  });
  const outcome: CompileCacheOutcome =
    cacheFile === undefined
      ? 'disabled'
      : cachedData === undefined
        ? 'absent'
        : script.cachedDataRejected
          ? 'rejected'
          : partial
            ? 'partial'
            : 'accepted';
  if (cacheFile !== undefined && outcome !== 'accepted')
    process.once('exit', (code) => {
      if (code !== 0) return;
      const synced = (globalThis as Record<symbol, unknown>)[SYNC_CODE_RAN] === true;
      if (synced) {
        save(script, cacheFile, name!.build);
        removeIfPresent(partialFile!);
      } else if (outcome !== 'partial') {
        save(script, partialFile!, name!.build);
        if (outcome === 'rejected') removeIfPresent(cacheFile); // else read and refused every run
      }
    });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  return outcome;
}

/** The partial cache's name beside the full one's. */
function partialName(cacheFile: string): string {
  return `${cacheFile.slice(0, -SUFFIX.length)}${PARTIAL}${SUFFIX}`;
}

/**
 * Named after the build (the digest in the program's first line), the file's size and modification
 * time (an edit by hand), then the Node version, the architecture and Node's options (V8 refuses
 * a cache made under other flags: runs with and without, say, --cpu-prof keep one each instead of
 * overwriting each other's). A cache is thus only ever offered to the program it was made from, as
 * V8 itself checks little more than the text's length; hashing the text here instead would cost
 * ~3 ms of every start. A program without the header gets no cache.
 */
function cacheName(file: string, source: string): { build: string; file: string } | undefined {
  const digest = HEADER.exec(source)?.[1];
  if (digest === undefined) return undefined;
  const { size, mtimeMs } = statSync(file);
  const build = `program-${digest.slice(0, 32)}-${size}-${Math.trunc(mtimeMs)}-`;
  const options = fnv1a(`${process.execArgv.join(' ')}\n${process.env.NODE_OPTIONS ?? ''}`);
  return { build, file: `${build}${process.version}-${process.arch}-${options}${SUFFIX}` };
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

function removeIfPresent(file: string): void {
  try {
    unlinkSync(file);
  } catch {}
}

function readIfPresent(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Written whole under a temporary name then renamed: a concurrent run reads the old cache or the new. */
function save(script: Script, file: string, build: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
    renameSync(temporary, file);
    // The caches of other builds of the program are of no further use.
    const dir = dirname(file);
    for (const name of readdirSync(dir))
      if (name.endsWith(SUFFIX) && !name.startsWith(build)) unlinkSync(join(dir, name));
  } catch {
    try {
      unlinkSync(temporary);
    } catch {}
  }
}
