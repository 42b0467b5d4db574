// Test helper: writes configuration files into a private temporary directory.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class TempDir {
  readonly path = mkdtempSync(join(tmpdir(), 'interimap-config-'));

  /** Writes `text` to NAME (mode 0600 unless told) and returns its absolute path. */
  write(name: string, text: string, mode = 0o600): string {
    const file = join(this.path, name);
    writeFileSync(file, text);
    chmodSync(file, mode);
    return file;
  }

  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

/** Two tunnel servers: the smallest valid configuration, to which a case adds lines. */
export const TUNNELS =
  '[local]\ntype = tunnel\ncommand = /bin/false\n[remote]\ntype = tunnel\ncommand = /bin/false\n';
