// End-to-end harness: two throw-away Dovecot servers, a configuration file pointing at them, and
// `node dist/cli/interimap.cjs` (or the Perl /usr/bin/interimap) run or spawned against it.
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Dovecot, type DovecotOptions, startDovecot } from '../helpers/dovecot.js';
import { INTERIMAP } from '../helpers/interimap-bin.js';
import { assertIdentical, snapshotServer } from '../helpers/mail-compare.js';
import { makeScratchDir, removeScratchDir } from '../helpers/scratch.js';

export const MAIN = INTERIMAP;
export const PERL_INTERIMAP = '/usr/bin/interimap';
/** No run of these tests needs more than this; a hang fails the test instead of blocking the suite. */
const RUN_TIMEOUT_MS = 60_000;

export interface PairOptions {
  local?: DovecotOptions;
  remote?: DovecotOptions;
  /** Written as `max-connections` into every configuration file (default: the tool's default). */
  maxConnections?: number;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export class Pair {
  private constructor(
    readonly dir: string,
    readonly local: Dovecot,
    readonly remote: Dovecot,
    private readonly maxConnections: number | undefined,
  ) {}

  static async start(options: PairOptions = {}): Promise<Pair> {
    const [local, remote] = await Promise.all([startDovecot(options.local), startDovecot(options.remote)]);
    return new Pair(makeScratchDir('interimap-e2e'), local, remote, options.maxConnections);
  }

  get database(): string {
    return join(this.dir, 'state.db');
  }

  /** The commands' $XDG_CACHE_HOME (the code cache is in its interimap/), one per pair. */
  get cacheHome(): string {
    return join(this.dir, '.cache');
  }

  /** Writes the configuration file (tunnel to both servers unless `sections` say otherwise). */
  writeConfig(extra: { global?: string[]; local?: string[]; remote?: string[] } = {}): string {
    const section = (name: 'local' | 'remote', server: Dovecot, lines: string[] = []) => [
      `[${name}]`,
      ...(lines.some((l) => l.startsWith('type'))
        ? []
        : ['type = tunnel', `command = ${server.tunnelCommand}`, 'null-stderr = YES']),
      ...lines,
    ];
    const global = [
      ...(this.maxConnections === undefined ? [] : [`max-connections = ${this.maxConnections}`]),
      ...(extra.global ?? []),
    ];
    const text = [
      ...(global.some((l) => l.startsWith('database')) ? [] : [`database = ${this.database}`]),
      ...global,
      ...section('local', this.local, extra.local),
      ...section('remote', this.remote, extra.remote),
    ].join('\n');
    const file = join(this.dir, 'config');
    writeFileSync(file, `${text}\n`, { mode: 0o600 });
    return file;
  }

  /** Runs our interimap to completion with `--config` and `args`. */
  run(args: string[] = [], tool = MAIN): Promise<RunResult> {
    return finished(this.spawn(args, tool));
  }

  spawn(args: string[] = [], tool = MAIN): ChildProcess {
    const config = join(this.dir, 'config');
    const argv = tool === MAIN ? [MAIN, `--config=${config}`, ...args] : [`--config=${config}`, ...args];
    const command = tool === MAIN ? process.execPath : tool;
    // With max-connections above 1 the parallel engine is what is tested: every lane is used,
    // however little a cycle has to copy (src/sync/lanes.ts).
    const everyLane = (this.maxConnections ?? 1) > 1 && tool === MAIN;
    return spawn(command, argv, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        HOME: this.dir,
        XDG_CACHE_HOME: this.cacheHome,
        ...(everyLane && { INTERIMAP_TEST_EVERY_LANE: '1' }),
      },
    });
  }

  async stop(): Promise<void> {
    await Promise.all([this.local.stop(), this.remote.stop()]);
    removeScratchDir(this.dir);
  }
}

/** Collects a child's output and resolves when it exits; kills it after RUN_TIMEOUT_MS. */
export function finished(child: ChildProcess, timeoutMs = RUN_TIMEOUT_MS): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A running child's stderr, accumulated from now on, to wait for lines in. */
export class OutputWatch {
  #text = '';
  readonly #waiters = new Set<() => void>();

  constructor(child: ChildProcess) {
    child.stderr!.on('data', (chunk: Buffer) => {
      this.#text += chunk.toString();
      for (const wake of this.#waiters) wake();
    });
  }

  /** Where the output is now: pass it to `waitFor` to match only what comes after. */
  get mark(): number {
    return this.#text.length;
  }

  /** Resolves once the output after `from` matches `pattern`. */
  waitFor(pattern: RegExp, from = 0, timeoutMs = 20_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!pattern.test(this.#text.slice(from))) return;
        this.#waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`no output matched ${pattern} in ${timeoutMs} ms:\n${this.#text.slice(from)}`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }
}

/** The mailboxes of a server as `doveadm mailbox list` prints them (one per line, sorted). */
export async function mailboxList(server: Dovecot, subscribed = false): Promise<string[]> {
  const out = await server.doveadm(['mailbox', 'list', ...(subscribed ? ['-s'] : [])]);
  return out
    .split('\n')
    .filter((l) => l !== '')
    .sort();
}

/** Saves one small message (CRLF only) into `mailbox`. */
export function saveMessage(server: Dovecot, mailbox: string, subject: string): Promise<string> {
  const text = `From: a@example.org\r\nSubject: ${subject}\r\nMessage-ID: <${subject}@e2e>\r\n\r\n${subject}\r\n`;
  return server.doveadm(['save', '-m', mailbox], { input: text });
}

/** Lines of the IMAP traffic that --debug logged for `side` (`C: …` and `S: …`). */
export function traffic(stderr: string, side: 'local' | 'remote'): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith(`${side}: C: `) || l.startsWith(`${side}: S: `))
    .map((l) => l.slice(side.length + 2));
}

/** A pair with the default configuration file written. */
export async function startedPair(options: PairOptions = {}): Promise<Pair> {
  const pair = await Pair.start(options);
  pair.writeConfig();
  return pair;
}

/** Both servers hold the same mail (mailboxes, bodies, flags, dates; no duplicate). */
export async function assertInSync(pair: Pair): Promise<void> {
  const [a, b] = await Promise.all([snapshotServer(pair.local), snapshotServer(pair.remote)]);
  assertIdentical(a, b, ['local', 'remote']);
}

const DOVECOT_CAPABILITIES =
  'IMAP4rev1 SASL-IR LITERAL+ ENABLE IDLE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED ' +
  'LIST-STATUS NOTIFY CONDSTORE QRESYNC ESEARCH MOVE MULTIAPPEND';

/** Dovecot configuration advertising the usual capabilities minus `missing` (imap_capability replaces the list). */
export function capabilitiesWithout(missing: string): string {
  const kept = DOVECOT_CAPABILITIES.split(' ').filter((c) => c !== missing);
  return `imap_capability = ${kept.join(' ')}`;
}
