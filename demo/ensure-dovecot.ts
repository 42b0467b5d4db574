// Makes sure the Dovecot binaries the demo's throw-away servers run are there: installs the Debian
// packages when we are root, otherwise says what to install and stops.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const BINARIES = ['/usr/lib/dovecot/imap', '/usr/sbin/dovecot', '/usr/bin/doveadm'];
const PACKAGES = ['dovecot-imapd', 'dovecot-core'];

export interface DovecotCheck {
  /** Files that must exist (default: the imap binary, the master, doveadm). */
  binaries?: readonly string[];
  /** Whether we may install packages (default: running as root). */
  root?: boolean;
}

/** Returns an error message when Dovecot is missing and cannot be installed; undefined when ready. */
export function ensureDovecot(say: (line: string) => void, check: DovecotCheck = {}): string | undefined {
  const binaries = check.binaries ?? BINARIES;
  const installed = () => binaries.every((file) => existsSync(file));
  if (installed()) return undefined;
  const command = `apt-get install -y ${PACKAGES.join(' ')}`;
  if (!(check.root ?? process.getuid?.() === 0)) {
    const missing = binaries.filter((file) => !existsSync(file)).join(', ');
    return `Dovecot is not installed (missing: ${missing}). Install it, e.g. with: sudo ${command}`;
  }
  say(`Dovecot is not installed: running ${command} ...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // A fresh machine may have no package lists yet.
  for (const argv of [
    ['update', '-qq'],
    ['install', '-y', '-qq', ...PACKAGES],
  ]) {
    const r = spawnSync('apt-get', argv, { env, stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) return `apt-get ${argv.join(' ')} failed: install ${PACKAGES.join(' ')} by hand`;
  }
  return installed() ? undefined : `installing ${PACKAGES.join(' ')} did not provide ${binaries.join(', ')}`;
}
