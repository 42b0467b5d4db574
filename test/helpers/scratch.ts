// Throw-away directories for test servers: on /dev/shm when available (steady timings, no disk
// discard noise), removed by their owner or, as a safety net, when the process exits.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const pending = new Set<string>();
process.once('exit', () => {
  for (const dir of pending) rmSync(dir, { recursive: true, force: true });
});

const root = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

/** Creates an empty directory `PREFIX-XXXXXX`; it is removed at process exit unless removed earlier. */
export function makeScratchDir(prefix: string): string {
  const dir = mkdtempSync(join(root, `${prefix}-`));
  pending.add(dir);
  return dir;
}

export function removeScratchDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  pending.delete(dir);
}
