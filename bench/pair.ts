// A benchmark fixture: a fresh local/remote pair of throw-away Dovecot servers (one side filled from
// the corpus, the other empty), an optional delay proxy in front of the remote, a work directory holding the
// config and state database, runs of a tool against them, and the identical-mail check afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { type Corpus, loadCorpus } from '../test/helpers/corpus.js';
import { type Dovecot, startDovecot } from '../test/helpers/dovecot.js';
import { compareServers, type Difference, snapshotServer } from '../test/helpers/mail-compare.js';
import { makeScratchDir, removeScratchDir } from '../test/helpers/scratch.js';
import { type DelayProxy, startDelayProxy } from './delay-proxy.js';
import {
  type CpuAccounting,
  type Endpoint,
  type Measurement,
  measure,
  type Tool,
  writeConfig,
} from './runner.js';

export interface PairOptions {
  /** Put the remote behind a delay proxy with this one-way delay, reached over TCP (type=imap). */
  remoteDelayMs?: number;
  cpu?: CpuAccounting;
  /** The side loaded with the corpus (default 'remote'); the other starts empty. */
  full?: 'local' | 'remote';
  /**
   * Where the tools' state databases go (a private directory made in it); default: with the rest,
   * on /dev/shm when there is one, where a commit's disk sync costs nothing.
   */
  dbDir?: string;
}

export interface RunOptions {
  /** false: compress=NO on both sides; undefined: the tools' defaults (remote compressed). */
  compress?: false;
  /** Reach the remote through its tunnel even when the pair has a proxy (for untimed setup runs). */
  direct?: boolean;
}

export interface RunResult extends Measurement {
  /** Client→server write bursts seen by the delay proxy (delayed pairs only). */
  bursts?: number;
}

/**
 * Variables that change how any Node program starts, not the tool: NODE_EXTRA_CA_CERTS makes every
 * Node process parse a CA bundle before its first line (30 ms on the machine of docs/performance.md,
 * `node -e 0` 51 ms instead of 21). Both tools run without them; sync-bench says when they were set.
 */
export const NODE_STARTUP_VARIABLES = ['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS'] as const;

function toolEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of NODE_STARTUP_VARIABLES) delete env[name];
  // Our command's #! line (`env node`) then finds the Node running the benchmark.
  env.PATH = [dirname(process.execPath), env.PATH].filter(Boolean).join(delimiter);
  return env;
}

export class ServerPair {
  private constructor(
    readonly local: Dovecot,
    readonly remote: Dovecot,
    readonly workDir: string,
    private readonly proxy: DelayProxy | undefined,
    private readonly cpu: CpuAccounting | undefined,
    /** The directory of the tools' state databases. */
    private readonly dbDir: string,
  ) {}

  static async create(corpus: Corpus, options: PairOptions = {}): Promise<ServerPair> {
    const workDir = makeScratchDir('interimap-bench');
    const delayed = options.remoteDelayMs !== undefined;
    const started: Dovecot[] = [];
    let proxy: DelayProxy | undefined;
    try {
      started.push(await startDovecot(), await startDovecot({ tcp: delayed }));
      const [local, remote] = started as [Dovecot, Dovecot];
      if (delayed) {
        proxy = await startDelayProxy({
          targetHost: remote.host,
          targetPort: remote.imapPort!,
          delayMs: options.remoteDelayMs!,
        });
      }
      await loadCorpus(options.full === 'local' ? local : remote, corpus);
      const dbDir =
        options.dbDir === undefined ? workDir : mkdtempSync(join(options.dbDir, 'interimap-bench-db-'));
      return new ServerPair(local, remote, workDir, proxy, options.cpu, dbDir);
    } catch (error) {
      await proxy?.close();
      await Promise.all(started.map((d) => d.stop()));
      removeScratchDir(workDir);
      throw error;
    }
  }

  private tunnel(server: Dovecot): Endpoint {
    const command = this.cpu ? this.cpu.wrapServer(server.tunnelCommand) : server.tunnelCommand;
    return { type: 'tunnel', command };
  }

  /** Runs `tool` once against the pair (same database every time) and measures it. */
  async run(tool: Tool, options: RunOptions = {}): Promise<RunResult> {
    const viaProxy = this.proxy !== undefined && !options.direct;
    const remote: Endpoint = viaProxy
      ? {
          type: 'imap',
          host: this.proxy!.host,
          port: this.proxy!.port,
          username: this.remote.user,
          password: this.remote.password,
        }
      : this.tunnel(this.remote);
    const config = writeConfig(this.workDir, {
      database: join(this.dbDir, `${tool.name}.db`),
      local: this.tunnel(this.local),
      remote,
      ...(options.compress === false && { compress: false as const }),
    });
    // Private HOME and XDG directories: nothing read from, or left in, the user's own.
    const env = {
      ...toolEnvironment(),
      HOME: this.workDir,
      XDG_CONFIG_HOME: join(this.workDir, 'config'),
      XDG_DATA_HOME: join(this.workDir, 'data'),
    };
    this.proxy?.resetCounters();
    const result: RunResult = await measure(tool.argv(config), {
      env,
      workDir: this.workDir,
      ...(this.cpu && { cpu: this.cpu }),
    });
    if (viaProxy) {
      result.bursts = this.proxy!.bursts();
      // The proxied remote is a daemon outside the accounting: the local side alone would mislead.
      delete result.serverCpuSeconds;
    }
    return result;
  }

  /** Differences between the two servers' mail (empty when identical). */
  async differences(): Promise<Difference[]> {
    const [local, remote] = await Promise.all([snapshotServer(this.local), snapshotServer(this.remote)]);
    return compareServers(local, remote);
  }

  async stop(): Promise<void> {
    await this.proxy?.close();
    await Promise.all([this.local.stop(), this.remote.stop()]);
    removeScratchDir(this.workDir);
    if (this.dbDir !== this.workDir) rmSync(this.dbDir, { recursive: true, force: true });
  }
}
