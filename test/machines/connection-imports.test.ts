import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

// The charts are pure: they may use xstate and the *types* of the protocol and session layers,
// never transport, store, runtime or CLI code, nor Node I/O modules.
test('machines/ imports only xstate and types from src/protocol and src/session', () => {
  const files = readdirSync('machines').filter((f) => f.endsWith('.ts'));
  assert.ok(files.includes('connection.ts'));
  for (const file of files) {
    const source = readFileSync(join('machines', file), 'utf8');
    const imports = [...source.matchAll(/^\s*(import|export)\b[^;]*?\bfrom\s+'([^']+)'/gms)];
    for (const [statement, , from] of imports) {
      const typeOnly = /^\s*(import|export)\s+type\b/.test(statement);
      const allowed =
        from === 'xstate' ||
        from.startsWith('./') ||
        (typeOnly && /^\.\.\/src\/(protocol|session)\//.test(from));
      assert.ok(allowed, `${file}: forbidden import ${JSON.stringify(from)} in: ${statement.trim()}`);
    }
    assert.doesNotMatch(source, /\bimport\s*\(/, `${file}: dynamic import`);
    assert.doesNotMatch(source, /\brequire\s*\(/, `${file}: require()`);
  }
});
