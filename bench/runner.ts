// Runs a sync tool once and measures it: wall time (monotonic clock), CPU of the tool alone (cgroup v1
// cpuacct: tunnel servers are moved to a sibling group, counted apart) and peak RSS (GNU time's
// %M). Also writes the INI config both tools read, and medians over several runs.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const GNU_TIME = '/usr/bin/time';
/** Our CLI as shipped, the bundle (dist/bench/runner.js → dist/cli/interimap.cjs). */
const OUR_CLI = fileURLToPath(new URL('../cli/interimap.cjs', import.meta.url));
/** Scenario 6's raw copier (bench/raw-copy.ts), compiled next to this file. */
const RAW_COPY = fileURLToPath(new URL('./raw-copy.js', import.meta.url));
const CPUACCT_ROOT = '/sys/fs/cgroup/cpuacct';
/** A run taking longer than this is killed and reported as failed. */
const DEFAULT_TIMEOUT_MS = 600_000;

export interface Tool {
  /** raw: not a sync tool but the FETCH→APPEND lower bound (scenario 6 only). */
  name: 'perl' | 'ours' | 'raw';
  argv(configFile: string): string[];
}

export const TOOLS: Record<Tool['name'], Tool> = {
  perl: { name: 'perl', argv: (config) => ['/usr/bin/interimap', `--config=${config}`] },
  ours: {
    name: 'ours',
    // Run as installed, by its #! line.
    argv: (config) => [OUR_CLI, `--config=${config}`],
  },
  raw: { name: 'raw', argv: (config) => [process.execPath, RAW_COPY, `--config=${config}`] },
};

export interface Measurement {
  wallSeconds: number;
  cpuSeconds: number;
  /** CPU of the tunnel servers the run spawned (undefined without cgroup accounting). */
  serverCpuSeconds?: number;
  maxRssKiB: number;
  exitCode: number;
  /** First lines of the tool's standard error (for failure reports). */
  stderr: string;
}

/** Installs GNU time when missing (as root, through apt-get); otherwise explains what to install. */
export function ensureGnuTime(): void {
  if (existsSync(GNU_TIME)) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`bench: ${GNU_TIME} is missing: install the 'time' package (apt-get install -y time)`);
  }
  execFileSync('apt-get', ['install', '-y', 'time'], { stdio: 'inherit' });
}

/** Two sibling cpuacct groups: one the measured tool runs in, one its tunnel servers move to. */
export class CpuAccounting {
  private constructor(
    private readonly root: string,
    readonly toolGroup: string,
    readonly serverGroup: string,
  ) {}

  /** undefined when cgroup v1 cpuacct is not writable (not root, or another cgroup layout). */
  static create(): CpuAccounting | undefined {
    const root = join(CPUACCT_ROOT, `interimap-bench-${process.pid}`);
    try {
      for (const dir of [root, join(root, 'tool'), join(root, 'servers')]) mkdirSync(dir);
    } catch {
      return undefined;
    }
    return new CpuAccounting(root, join(root, 'tool'), join(root, 'servers'));
  }

  /** A tunnel command that first moves its shell into the server group (runs through /bin/sh). */
  wrapServer(command: string): string {
    return `echo $$ > ${this.serverGroup}/cgroup.procs; exec ${command}`;
  }

  toolNanoseconds(): bigint {
    return BigInt(readFileSync(join(this.toolGroup, 'cpuacct.usage'), 'utf8').trim());
  }

  serverNanoseconds(): bigint {
    return BigInt(readFileSync(join(this.serverGroup, 'cpuacct.usage'), 'utf8').trim());
  }

  /** Removes the groups (they must be empty: every measured process has exited). */
  remove(): void {
    for (const dir of [this.toolGroup, this.serverGroup, this.root]) {
      try {
        rmdirSync(dir);
      } catch {
        // A straggling tunnel server keeps its group busy; the kernel drops it once empty and removed.
      }
    }
  }
}

/** Runs `argv` under GNU time (and in the tool cgroup when given); never rejects on a tool failure. */
export async function measure(
  argv: string[],
  options: { env?: NodeJS.ProcessEnv; workDir: string; cpu?: CpuAccounting; timeoutMs?: number },
): Promise<Measurement> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timeFile = join(options.workDir, 'time.out');
  const timed = [GNU_TIME, '-f', '%e %U %S %M', '-o', timeFile, ...argv];
  const command = options.cpu
    ? ['/bin/sh', '-c', `echo $$ > ${options.cpu.toolGroup}/cgroup.procs && exec "$@"`, 'sh', ...timed]
    : timed;
  rmSync(timeFile, { force: true });
  const cpuBefore = options.cpu?.toolNanoseconds() ?? 0n;
  const serverCpuBefore = options.cpu?.serverNanoseconds() ?? 0n;
  const started = process.hrtime.bigint();
  const { exitCode, stderr } = await new Promise<{ exitCode: number; stderr: string }>((done, fail) => {
    // Its own process group, so a hung tool is killed together with its tunnel servers.
    const child = spawn(command[0]!, command.slice(1), {
      env: options.env,
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    let text = '';
    const timer = setTimeout(() => {
      text += `timed out after ${timeoutMs / 1000} s\n`;
      process.kill(-child.pid!, 'SIGKILL');
    }, timeoutMs);
    child.stderr.on('data', (chunk: Buffer) => {
      if (text.length < 8192) text += chunk.toString();
    });
    child.once('error', fail);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      done({ exitCode: code ?? (signal ? 128 : 1), stderr: text });
    });
  });
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  // A killed run leaves no figures: NaN CPU, 0 RSS (the run is reported as failed anyway).
  const figures = /(\S+) (\S+) (\S+) (\d+)\s*$/.exec(
    existsSync(timeFile) ? readFileSync(timeFile, 'utf8') : '',
  );
  const [user, sys, rss] = figures
    ? [Number(figures[2]), Number(figures[3]), Number(figures[4])]
    : [NaN, NaN, 0];
  const cpuSeconds = options.cpu ? Number(options.cpu.toolNanoseconds() - cpuBefore) / 1e9 : user + sys;
  const serverCpuSeconds = options.cpu
    ? Number(options.cpu.serverNanoseconds() - serverCpuBefore) / 1e9
    : undefined;
  // GNU time prints "Command exited with non-zero status N" before its own line: drop it.
  const toolStderr = stderr
    .split('\n')
    .filter((line) => !line.startsWith('Command exited with non-zero status') && line.trim() !== '')
    .join('\n');
  return {
    wallSeconds,
    cpuSeconds,
    ...(serverCpuSeconds !== undefined && { serverCpuSeconds }),
    maxRssKiB: rss,
    exitCode,
    stderr: toolStderr,
  };
}

export type Endpoint =
  | { type: 'tunnel'; command: string }
  | { type: 'imap'; host: string; port: number; username: string; password: string };

export interface SyncConfig {
  database: string;
  local: Endpoint;
  remote: Endpoint;
  /** undefined: each tool's default (NO for local, YES for remote); false: compress=NO on both. */
  compress?: false;
}

function section(name: string, endpoint: Endpoint, compress: false | undefined): string[] {
  const lines = [`[${name}]`, `type = ${endpoint.type}`];
  if (endpoint.type === 'tunnel') lines.push(`command = ${endpoint.command}`);
  else {
    lines.push(
      `host = ${endpoint.host}`,
      `port = ${endpoint.port}`,
      'STARTTLS = NO',
      `username = ${endpoint.username}`,
      `password = ${endpoint.password}`,
    );
  }
  if (compress === false) lines.push('compress = NO');
  return lines;
}

/** Writes the INI file both tools read (same format) and returns its path. */
export function writeConfig(dir: string, config: SyncConfig): string {
  const lines = [
    `database = ${config.database}`,
    '',
    ...section('local', config.local, config.compress),
    '',
    ...section('remote', config.remote, config.compress),
  ];
  const file = join(dir, 'interimap.conf');
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return file;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
