// A private test rig for the Perl compatibility tests: two throw-away Dovecot imap processes
// reached through tunnel commands, and the Perl interimap 0.5.7 (/usr/bin/interimap) run on them.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { tempDir } from './temp-dir.js';

/** Dovecot refuses to serve mail as root: stores belong to this unprivileged user. */
const MAIL_USER = 'interimap-test';
const PERL_INTERIMAP = '/usr/bin/interimap';
const TIMEOUT_MS = 60_000;

export type ServerSide = 'local' | 'remote';

function mailUserIds(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, MAIL_USER], { encoding: 'utf8' }).trim());
  if (spawnSync('id', [MAIL_USER]).status !== 0) {
    execFileSync('useradd', [
      '--system',
      '--user-group',
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      MAIL_USER,
    ]);
  }
  return { uid: id('-u'), gid: id('-g') };
}

function dovecotConfig(dir: string): string {
  return `base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
mail_location = sdbox:${dir}/mail:INDEX=${dir}/index
mail_uid = ${MAIL_USER}
mail_gid = ${MAIL_USER}
namespace inbox {
  inbox = yes
  separator = /
}
passdb {
  driver = passwd-file
  args = ${dir}/passwd
}
userdb {
  driver = static
  args = uid=${MAIL_USER} gid=${MAIL_USER} home=${dir}
}
`;
}

export class PerlRig {
  readonly dbPath: string;
  readonly #config: string;
  readonly #root: string;

  constructor(t: TestContext) {
    const { uid, gid } = mailUserIds();
    this.#root = tempDir(t, 'interimap-perl-');
    chmodSync(this.#root, 0o755); // the mail user must reach its stores
    for (const side of ['local', 'remote'] as const) {
      const dir = join(this.#root, side);
      for (const sub of ['mail', 'index', 'run', 'state']) mkdirSync(join(dir, sub), { recursive: true });
      writeFileSync(join(dir, 'dovecot.conf'), dovecotConfig(dir));
      writeFileSync(join(dir, 'passwd'), `${MAIL_USER}:{PLAIN}unused\n`);
      for (const p of [
        dir,
        ...['mail', 'index', 'run', 'state', 'dovecot.conf', 'passwd'].map((s) => join(dir, s)),
      ]) {
        chownSync(p, uid, gid);
      }
    }
    this.dbPath = join(this.#root, 'db', 'state.db');
    mkdirSync(join(this.#root, 'db'), { mode: 0o700 });
    this.#config = join(this.#root, 'interimap.conf');
    writeFileSync(
      this.#config,
      `database = ${this.dbPath}\n[local]\ntype = tunnel\ncommand = ${this.tunnel('local')}\n` +
        `[remote]\ntype = tunnel\ncommand = ${this.tunnel('remote')}\n`,
    );
  }

  /** The pre-authenticated IMAP command of one side (stdin/stdout), run as the mail user. */
  tunnel(side: ServerSide): string {
    const dir = join(this.#root, side);
    return (
      `env USER=${MAIL_USER} HOME=${dir} setpriv --reuid=${MAIL_USER} --regid=${MAIL_USER} --init-groups ` +
      `/usr/lib/dovecot/imap -c ${dir}/dovecot.conf`
    );
  }

  /** Runs tagged IMAP commands (CRLF added) in one session; fails unless every one is OK. */
  imap(side: ServerSide, commands: string[]): string {
    const script = commands.map((c, i) => `t${i} ${c}\r\n`).join('') + 'z LOGOUT\r\n';
    const r = spawnSync('/bin/sh', ['-c', this.tunnel(side)], {
      input: script,
      encoding: 'latin1',
      timeout: TIMEOUT_MS,
    });
    for (let i = 0; i < commands.length; i++) {
      assert.match(
        r.stdout,
        new RegExp(`^t${i} OK`, 'm'),
        `${side}: ${commands[i]?.split('\r\n')[0]}\n${r.stdout}`,
      );
    }
    return r.stdout;
  }

  /** APPENDs a small message (CRLF line endings only, as Dovecot keeps them) with LITERAL+. */
  append(side: ServerSide, mailbox: string, id: string): void {
    const message = `From: a@example.org\r\nSubject: ${id}\r\nMessage-ID: <${id}@example.org>\r\n\r\n${id}\r\n`;
    this.imap(side, [`APPEND "${mailbox}" {${Buffer.byteLength(message)}+}\r\n${message}`]);
  }

  /** STATUS of a mailbox: MESSAGES, UIDNEXT, UIDVALIDITY and HIGHESTMODSEQ. */
  status(
    side: ServerSide,
    mailbox: string,
  ): { messages: number; uidNext: number; uidValidity: number; highestModseq: bigint } {
    const out = this.imap(side, [`STATUS "${mailbox}" (MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ)`]);
    const item = (key: string) => /\d+/.exec(out.slice(out.indexOf(`${key} `)))?.[0] ?? '';
    return {
      messages: Number(item('MESSAGES')),
      uidNext: Number(item('UIDNEXT')),
      uidValidity: Number(item('UIDVALIDITY')),
      highestModseq: BigInt(item('HIGHESTMODSEQ')),
    };
  }

  /** Runs the Perl interimap to completion. */
  runPerl(...args: string[]): { status: number | null; stderr: string } {
    const r = spawnSync(PERL_INTERIMAP, ['--config', this.#config, ...args], {
      encoding: 'utf8',
      timeout: TIMEOUT_MS,
    });
    return { status: r.status, stderr: r.stderr };
  }

  /** Starts the Perl interimap in watch mode and resolves once it talks IMAP, hence holds its
   *  database lock (it locks before any network traffic). Killed when the test ends. */
  async startPerlWatching(t: TestContext): Promise<ChildProcess> {
    const child = spawn(PERL_INTERIMAP, ['--config', this.#config, '--watch=60', '--debug'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    t.after(() => {
      child.kill('SIGTERM');
    });
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Perl interimap did not start:\n${stderr}`)),
        TIMEOUT_MS,
      );
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        if (stderr.includes('PREAUTH')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`Perl interimap exited (${code}):\n${stderr}`));
      });
    });
    return child;
  }
}
