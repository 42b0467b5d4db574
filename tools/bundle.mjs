// Bundles tsc's output for the `interimap` command (dist/src/cli/main.js) into the shipped program:
// dist/cli/interimap.js and, for what is imported lazily (step bodies, TLS, --trace, --statechart),
// chunks in dist/cli/chunks/ that load only when used. A few files to load instead of ~100 modules
// saves Node's ESM loader ~20 ms on every run.
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'dist/cli');
rmSync(out, { recursive: true, force: true }); // chunk names change with their content

const { metafile } = await build({
  absWorkingDir: root,
  entryPoints: { interimap: 'dist/src/cli/main.js' },
  outdir: out,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Loaded from node_modules at run time: better-sqlite3 is a native addon; @viz-js/viz (1.6 MB of
  // Graphviz compiled to WebAssembly, --statechart only) is an installed dependency anyway; socks
  // is CommonJS (below).
  external: ['better-sqlite3', '@viz-js/viz', 'socks'],
  metafile: true,
  logLevel: 'warning',
});
// A bundled CommonJS module would break at run time: imported lazily into a split bundle it has
// only a default export (esbuild does not detect named ones as Node does), and its require() of
// built-ins finds no require in ESM. Such a package must be external.
const commonJs = Object.entries(metafile.inputs).filter(([, input]) => input.format === 'cjs');
if (commonJs.length > 0)
  throw new Error(
    `tools/bundle.mjs: CommonJS in the bundle, make it external: ${commonJs.map(([f]) => f).join(', ')}`,
  );
// The entry keeps main.ts's #! line; executable, it runs as `./dist/cli/interimap.js` too.
chmodSync(join(out, 'interimap.js'), 0o755);
writeFileSync(join(out, 'THIRD-PARTY-LICENSES.txt'), licenses(Object.keys(metafile.inputs)));

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
