// Throw-away directories for the store tests, removed when the test ends.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/** A fresh directory under /dev/shm when available (fast fsync), removed after the test. */
export function tempDir(t: TestContext, prefix = 'interimap-store-'): string {
  let base = tmpdir();
  try {
    base = mkdtempSync(join('/dev/shm', prefix));
  } catch {
    base = mkdtempSync(join(base, prefix));
  }
  t.after(() => rmSync(base, { recursive: true, force: true }));
  return base;
}
