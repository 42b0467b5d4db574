// Throw-away Dovecot 2.3 servers for tests and benchmarks: one isolated instance (config, store, logs,
// users) per call in a scratch directory, reachable through a PREAUTH tunnel command and, when asked,
// through a `dovecot -F` master listening on 127.0.0.1 (imap, and imaps/STARTTLS with a test CA).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { configText, opensslConfText } from './dovecot-conf.js';
import { freePorts } from './ports.js';
import { makeScratchDir, removeScratchDir } from './scratch.js';
import { type ServerCert, sharedTestCa } from './tls-ca.js';

export interface DovecotOptions {
  /** Listen on TCP (plain imap port) even without TLS. Implied by `tls`. */
  tcp?: boolean;
  /** Serve imaps and STARTTLS with a certificate for localhost, 127.0.0.1 and 127.0.0.2 (shared test CA). */
  tls?: boolean;
  /** Replace the default server certificate (e.g. one for another name, or from another CA). */
  certificate?: ServerCert;
  /** `ssl = required`: no authentication at all before TLS. */
  sslRequired?: boolean;
  /** Cap the server at TLS 1.2 (through an OPENSSL_CONF: Dovecot 2.3 has no ssl_max_protocol). */
  tlsMaxProtocol?: 'TLSv1.2';
  /** `disable_plaintext_auth = yes`: LOGINDISABLED on the plain port until STARTTLS. */
  loginDisabledPlaintext?: boolean;
  /** Hierarchy separator of the inbox namespace (default '/'). */
  delimiter?: '/' | '.';
  /** mail_plugins zlib notify + imap_zlib (default true); false drops COMPRESS=DEFLATE (NOTIFY stays). */
  plugins?: boolean;
  /** Mail users (default one: test/secret). The first one is `user`/`password`. */
  users?: { name: string; password: string }[];
  /** Appended verbatim to dovecot.conf. */
  extraConf?: string;
  /** Keep Dovecot's fsync calls (default false: `mail_fsync = never`, for speed). */
  fsync?: boolean;
}

export interface DoveadmOptions {
  /** Mail user whose store to act on (default: the first user). */
  user?: string;
  /** Bytes for doveadm's stdin (e.g. a message for `save`). */
  input?: string | Buffer;
}

export interface Dovecot {
  dir: string;
  user: string;
  password: string;
  /** Shell command running a PREAUTH imap for `user` on stdin/stdout (privileges dropped). */
  tunnelCommand: string;
  /** The same for another configured user. */
  tunnelCommandFor(user: string): string;
  host: '127.0.0.1';
  /** Also listened on. Dovecot counts a client whose IP equals the server's as secured (no LOGINDISABLED,
   * no ssl=required); from 127.0.0.1 to this address it is an ordinary remote client. */
  remoteHost: '127.0.0.2';
  imapPort?: number;
  imapsPort?: number;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** Lower-case hex SHA-256 of the server certificate's SubjectPublicKeyInfo. */
  spkiSha256?: string;
  logFile: string;
  readLog(): Promise<string>;
  /** Polls the log until `pattern` matches (login lines record `sni=<NAME>` and the TLS protocol). */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Runs `doveadm -c CONF ARGS` as the mail user; resolves with stdout, rejects with stderr. */
  doveadm(args: string[], options?: DoveadmOptions): Promise<string>;
  /** Stops the master (if any) and removes the directory. Idempotent. */
  stop(): Promise<void>;
}

interface MailAccount {
  uid: number;
  gid: number;
  /** Prefix that runs a command as the mail account (empty when we already are it). */
  runAs: string[];
}

const MAIL_ACCOUNT = 'interimap-test';
const IMAP_BINARY = '/usr/lib/dovecot/imap';
const STARTUP_TIMEOUT_MS = 10_000;
const POLL_MS = 5;

const runFile = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let mailAccount: Promise<MailAccount> | undefined;

/** Dovecot refuses mail access as root: as root, use (and create once) an unprivileged system account. */
function ensureMailAccount(): Promise<MailAccount> {
  mailAccount ??= (async () => {
    if (process.getuid?.() !== 0) {
      const me = userInfo();
      return { uid: me.uid, gid: me.gid, runAs: [] };
    }
    const ids = async () => {
      const uid = Number((await runFile('id', ['-u', MAIL_ACCOUNT])).stdout);
      const gid = Number((await runFile('id', ['-g', MAIL_ACCOUNT])).stdout);
      return { uid, gid, runAs: ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups'] };
    };
    try {
      return await ids();
    } catch {
      // Several test processes may race here: "already exists" (exit 9) is success.
      const home = ['--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin'];
      await runFile('useradd', ['--system', '--user-group', ...home, MAIL_ACCOUNT]).catch(
        (e: { code?: number }) => {
          if (e.code !== 9) throw e;
        },
      );
      return await ids();
    }
  })();
  return mailAccount;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const master of running) master.kill('SIGKILL');
});

/** Resolves once the master's imap-login sends a greeting (it waits for auth to be ready). */
async function waitForGreeting(port: number, master: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (master.exitCode !== null || master.signalCode !== null) {
      throw new Error(`dovecot master exited during startup: ${output().trim()}`);
    }
    const greeted = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk.toString('latin1');
        if (text.includes('\r\n')) {
          socket.destroy();
          resolve(text.startsWith('* OK'));
        }
      });
      socket.on('error', () => resolve(false));
      socket.on('close', () => resolve(false));
    });
    if (greeted) return;
    if (Date.now() > deadline) throw new Error(`dovecot did not greet on port ${port}: ${output().trim()}`);
    await sleep(POLL_MS);
  }
}

/** SIGKILL: a SIGTERMed master waits about a second for its children; they exit on their own as soon
 * as the master is gone, and the store is thrown away anyway. */
function stopMaster(master: ChildProcess): Promise<void> {
  if (master.exitCode !== null || master.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    master.once('exit', () => resolve());
    master.kill('SIGKILL');
  });
}

/** Runs `dovecot -F` (killed with us: parent-death signal) and resolves once it greets on `port`. */
async function startMaster(conf: string, port: number): Promise<ChildProcess> {
  let output = '';
  const master = spawn('setpriv', ['--pdeathsig', 'SIGKILL', 'dovecot', '-F', '-c', conf], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(master);
  master.on('exit', () => running.delete(master));
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  master.stdout!.on('data', collect);
  master.stderr!.on('data', collect);
  try {
    await waitForGreeting(port, master, () => output);
  } catch (error) {
    await stopMaster(master);
    throw error;
  }
  return master;
}

export async function startDovecot(options: DovecotOptions = {}): Promise<Dovecot> {
  const account = await ensureMailAccount();
  const users = options.users ?? [{ name: 'test', password: 'secret' }];
  if (users.length === 0) throw new Error('startDovecot: users must not be empty');
  const badUser = users.find((u) => !/^[A-Za-z0-9._-]+$/.test(u.name) || /[:\n]/.test(u.password));
  if (badUser)
    throw new Error(
      `startDovecot: user '${badUser.name}': name must be [A-Za-z0-9._-]+, no ':' in passwords`,
    );
  const first = users[0]!;
  const tls = options.tls === true || options.certificate !== undefined;
  const tcp = tls || options.tcp === true;
  if (tcp && account.runAs.length === 0) {
    throw new Error('startDovecot: TCP/TLS servers need root (a master, login and internal users)');
  }

  const dir = makeScratchDir('interimap-dovecot');
  let master: ChildProcess | undefined;
  try {
    chmodSync(dir, 0o755); // login and internal services run as other users
    for (const sub of ['mail', 'index', 'home', ...users.map((u) => `home/${u.name}`)]) {
      mkdirSync(join(dir, sub), { recursive: true });
      chownSync(join(dir, sub), account.uid, account.gid);
    }
    const logFile = join(dir, 'dovecot.log');
    writeFileSync(logFile, '');
    chownSync(logFile, account.uid, account.gid); // the standalone imap writes it itself
    writeFileSync(join(dir, 'passwd'), users.map((u) => `${u.name}:{PLAIN}${u.password}\n`).join(''));

    const ca = tls ? await sharedTestCa() : undefined;
    const cert = ca ? (options.certificate ?? (await defaultServerCert())) : undefined;
    if (options.tlsMaxProtocol)
      writeFileSync(join(dir, 'openssl.cnf'), opensslConfText(options.tlsMaxProtocol));
    const conf = join(dir, 'dovecot.conf');
    const writeConf = (ports?: number[]) =>
      writeFileSync(
        conf,
        configText({
          dir,
          account,
          options,
          ...(ports && { ports: { imap: ports[0]!, imaps: tls ? ports[1]! : 0 } }),
          ...(cert && { cert }),
        }),
      );
    let ports: number[] | undefined;
    if (tcp) {
      // Another test process may take a port between freePorts() and Dovecot's bind: retry then.
      for (let attempt = 1; ; attempt++) {
        ports = await freePorts(2);
        writeConf(ports);
        try {
          master = await startMaster(conf, ports[0]!);
          break;
        } catch (error) {
          if (attempt === 3 || !/Address already in use/.test((error as Error).message)) throw error;
        }
      }
    } else {
      writeConf();
    }

    const envFor = (user: string) => ['env', `USER=${user}`, `HOME=${dir}/home/${user}`];
    const knownUser = (user: string) => {
      if (!users.some((u) => u.name === user)) throw new Error(`dovecot: no such test user '${user}'`);
      return user;
    };
    const tunnelCommandFor = (user: string) =>
      [...account.runAs, ...envFor(knownUser(user)), IMAP_BINARY, '-c', conf].join(' ');

    let stopped: Promise<void> | undefined;
    const instance: Dovecot = {
      dir,
      user: first.name,
      password: first.password,
      tunnelCommand: tunnelCommandFor(first.name),
      tunnelCommandFor,
      host: '127.0.0.1',
      remoteHost: '127.0.0.2',
      logFile,
      readLog: () => readFile(logFile, 'utf8'),
      async waitForLog(pattern, timeoutMs = 5_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const match = (await readFile(logFile, 'utf8')).match(pattern);
          if (match) return match;
          if (Date.now() > deadline)
            throw new Error(`dovecot log: no line matched ${pattern} in ${timeoutMs} ms`);
          await sleep(POLL_MS);
        }
      },
      doveadm(args, { user = first.name, input } = {}) {
        const argv = [...account.runAs, ...envFor(knownUser(user)), 'doveadm', '-c', conf, ...args];
        return new Promise((resolve, reject) => {
          const options = { encoding: 'buffer' as const, maxBuffer: 1 << 30 };
          const child = execFile(argv[0]!, argv.slice(1), options, (error, stdout, stderr) => {
            if (error)
              reject(new Error(`doveadm ${args.join(' ')}: ${stderr.toString().trim() || error.message}`));
            else resolve(stdout.toString());
          });
          child.stdin!.end(input);
        });
      },
      stop() {
        stopped ??= (async () => {
          if (master) await stopMaster(master);
          removeScratchDir(dir);
        })();
        return stopped;
      },
    };
    if (ports) {
      instance.imapPort = ports[0]!;
      if (tls) instance.imapsPort = ports[1]!;
    }
    if (ca && cert) {
      instance.caFile = ca.caFile;
      instance.certFile = cert.certFile;
      instance.keyFile = cert.keyFile;
      instance.spkiSha256 = cert.spkiSha256;
    }
    return instance;
  } catch (error) {
    if (master) await stopMaster(master);
    removeScratchDir(dir);
    throw error;
  }
}

let serverCert: Promise<ServerCert> | undefined;

/** One certificate for localhost, 127.0.0.1 and 127.0.0.2 per process, shared by every TLS instance. */
function defaultServerCert(): Promise<ServerCert> {
  serverCert ??= sharedTestCa().then((ca) =>
    ca.issue({ dnsNames: ['localhost'], ips: ['127.0.0.1', '127.0.0.2'] }),
  );
  return serverCert;
}
