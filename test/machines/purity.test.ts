// The charts stay pure: every module in machines/ imports only xstate, other machines/ modules,
// and types (`import type`, erased at build) from src/protocol/ and src/session/ — never transport,
// store, runtime or node code.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { posix, sep } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const dir = 'machines';

interface ImportSite {
  specifier: string;
  typeOnly: boolean;
}

/** Every module a file refers to: static imports, re-exports, dynamic import() and require(). */
function importsOf(file: string, text: string): ImportSite[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const sites: ImportSite[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      const typeOnly = ts.isImportDeclaration(node)
        ? node.importClause?.isTypeOnly === true
        : node.isTypeOnly;
      sites.push({ specifier: node.moduleSpecifier.text, typeOnly });
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require'))
    ) {
      const [arg] = node.arguments;
      sites.push({ specifier: arg && ts.isStringLiteral(arg) ? arg.text : '<computed>', typeOnly: false });
    } else if (ts.isImportEqualsDeclaration(node)) {
      sites.push({ specifier: node.moduleReference.getText(), typeOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return sites;
}

/** Why `site`, imported by `file` (a path from the repository root), is not allowed, or null. */
function violation(file: string, site: ImportSite): string | null {
  const { specifier, typeOnly } = site;
  if (specifier === 'xstate' || specifier.startsWith('xstate/')) return null;
  if (specifier.startsWith('.')) {
    const target = posix.join(posix.dirname(file), specifier);
    if (target.startsWith(`${dir}/`)) return null;
    if (/^src\/(protocol|session)\//.test(target)) return typeOnly ? null : 'must be `import type`';
  }
  return 'only xstate, machines/ and types from src/protocol/ and src/session/ may be imported';
}

test('every module under machines/ imports only xstate, machines/ and protocol/session types', () => {
  const files = readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => posix.join(dir, f.split(sep).join('/')));
  assert.ok(files.length >= 3, `expected the chart modules in ${dir}/, found ${files.length}`);
  const problems = files.flatMap((file) =>
    importsOf(file, readFileSync(file, 'utf8')).flatMap((site) => {
      const why = violation(file, site);
      return why === null ? [] : [`${file}: '${site.specifier}': ${why}`];
    }),
  );
  assert.deepEqual(problems, []);
});

test('the import check rejects what it must', () => {
  const at = (file: string, specifier: string, typeOnly = false) => violation(file, { specifier, typeOnly });
  assert.equal(at('machines/a.ts', 'xstate/graph'), null);
  assert.equal(at('machines/a.ts', './contracts.js', true), null);
  assert.equal(at('machines/sub/a.ts', '../contracts.js'), null);
  assert.equal(at('machines/a.ts', '../src/protocol/types.js', true), null);
  assert.equal(at('machines/sub/a.ts', '../../src/protocol/types.js', true), null);
  assert.notEqual(at('machines/a.ts', '../src/protocol/types.js'), null);
  assert.notEqual(at('machines/a.ts', '../src/store/db.js', true), null);
  assert.equal(at('machines/a.ts', '../src/session/errors.js', true), null);
  assert.notEqual(at('machines/a.ts', './x/../../src/session/session.js'), null);
  assert.notEqual(at('machines/a.ts', '../src/transport/transport.js', true), null);
  assert.notEqual(at('machines/a.ts', 'node:net'), null);
  assert.notEqual(at('machines/a.ts', 'better-sqlite3'), null);
});

test('the import scan sees every form of import', () => {
  const text = [
    "import { a } from 'xstate';",
    "import type { B } from '../src/protocol/types.js';",
    "export { c } from './c.js';",
    "const d = await import('node:fs');",
    "const e = require('net');",
  ].join('\n');
  assert.deepEqual(importsOf('x.ts', text), [
    { specifier: 'xstate', typeOnly: false },
    { specifier: '../src/protocol/types.js', typeOnly: true },
    { specifier: './c.js', typeOnly: false },
    { specifier: 'node:fs', typeOnly: false },
    { specifier: 'net', typeOnly: false },
  ]);
});
