// Bundles tsc's output into the shipped command, dist/cli/: program.cjs, the whole program in one
// CommonJS file (from dist/src/cli/main.js), and interimap.cjs, package.json's bin, which runs it
// through V8's code cache (src/cli/launcher.ts, src/cli/compile-cache.ts). CommonJS because Node 20
// can reuse compiled code only for a script, not for an ES module; one file because with the cache
// nothing is compiled anyway, and loading one file instead of ~100 modules saves ~20 ms more.

import { createHash } from 'node:crypto';
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { programHeader } from '../dist/src/cli/compile-cache.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'dist/cli');
rmSync(out, { recursive: true, force: true });

/** One CommonJS file from one of tsc's ES modules; import.meta.url is the output file's URL. */
async function bundle(entry, outfile, banner = '') {
  const { metafile } = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile: join(out, outfile),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // Loaded from node_modules at run time: @viz-js/viz (1.6 MB of Graphviz compiled to WebAssembly,
    // --statechart only) and socks (proxies only) are installed dependencies anyway, required when
    // first needed; bindings finds better-sqlite3's addon only when it is not where it is built
    // (src/store/database-file.ts). better-sqlite3's JavaScript is bundled, its addon is not.
    external: ['@viz-js/viz', 'socks', 'bindings'],
    define: { 'import.meta.url': 'importMetaUrl' },
    banner: { js: `${banner}var importMetaUrl = require('node:url').pathToFileURL(__filename).href;` },
    metafile: true,
    logLevel: 'warning',
  });
  // The program runs through vm.Script, where import() has no module loader: whatever is not in
  // the bundle must be require()d (createRequire), never import()ed.
  const dynamic = Object.values(metafile.outputs).flatMap((output) =>
    output.imports.filter((i) => i.external && i.kind === 'dynamic-import').map((i) => i.path),
  );
  if (dynamic.length > 0)
    throw new Error(`tools/bundle.mjs: import() of ${dynamic.join(', ')} in ${entry}: use createRequire`);
  return Object.keys(metafile.inputs);
}

const inputs = [
  ...(await bundle('dist/src/cli/main.js', 'program.cjs')),
  ...(await bundle('dist/src/cli/launcher.js', 'interimap.cjs', '#!/usr/bin/env node\n')),
];
chmodSync(join(out, 'interimap.cjs'), 0o755);
// The program is run by the launcher, never as a command: its #! line goes, the build's digest comes first.
const program = join(out, 'program.cjs');
const text = readFileSync(program, 'utf8').replace(/^#!.*\n/, '');
writeFileSync(program, programHeader(createHash('sha256').update(text).digest('hex')) + text);
chmodSync(program, 0o644);
writeFileSync(join(out, 'THIRD-PARTY-LICENSES.txt'), licenses(inputs));

/** The bundle holds copies of other packages' code: their names, versions and license texts. */
function licenses(inputs) {
  const names = new Set(
    inputs.flatMap((file) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file)?.[1] ?? []),
  );
  const sections = [...names].sort().map((name) => {
    const dir = join(root, 'node_modules', name);
    const { version, license } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const file = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
    if (file === undefined) throw new Error(`tools/bundle.mjs: ${name} has no license file to ship`);
    return `${name} ${version} (${license})\n\n${readFileSync(join(dir, file), 'utf8').trim()}\n`;
  });
  return `dist/cli/ bundles code of these packages:\n\n${sections.join('\n---\n\n')}`;
}
