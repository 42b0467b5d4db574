// End-to-end harness for the mailbox sync runtime: two throw-away Dovecot servers, a state
// database, and one run of the real mailbox chart with the runtime's actors over one lane.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createActor, toPromise } from 'xstate';
import type { MailboxSyncOutput } from '../../machines/contracts.js';
import {
  type ConnectionOptions,
  type ImapConnection,
  type ImapLogger,
  openConnection,
} from '../../src/imap/connection.js';
import { StateStore } from '../../src/store/index.js';
import type { SyncContext, SyncLogger } from '../../src/sync/runtime/context.js';
import { mailboxSyncLogic } from '../../src/sync/runtime/mailbox-actors.js';
import { type Dovecot, startDovecot } from '../helpers/dovecot.js';
import { ImapPipe } from '../helpers/imap-pipe.js';
import { makeScratchDir, removeScratchDir } from '../helpers/scratch.js';

/** What a sync run needs: both servers' tunnels and the database file. */
export interface Endpoint {
  tunnelCommand: string;
  /** Connect over plain TCP (e.g. through a delay proxy) instead of the tunnel. */
  tcp?: { port: number; username: string; password: string };
}

export interface Endpoints {
  local: Endpoint;
  remote: Endpoint;
  dbPath: string;
}

export interface Pair extends Endpoints {
  local: Dovecot;
  remote: Dovecot;
  stop(): Promise<void>;
}

export async function startPair(): Promise<Pair> {
  const [local, remote] = await Promise.all([startDovecot(), startDovecot()]);
  const dir = makeScratchDir('interimap-sync-e2e');
  return {
    local,
    remote,
    dbPath: join(dir, 'state.db'),
    stop: async () => {
      await Promise.all([local.stop(), remote.stop()]);
      removeScratchDir(dir);
    },
  };
}

export interface RunResult {
  output: MailboxSyncOutput;
  /** Commands sent, per side, as logged (e.g. 'UID STORE 3 (UNCHANGEDSINCE 5) FLAGS.SILENT (\Seen)'). */
  commands: { local: string[]; remote: string[] };
  warnings: string[];
}

function tracingLogger(commands: string[]): ImapLogger {
  return {
    debug: (_component, message) => {
      const sent = /^C: \S+ (.*)$/.exec(message);
      if (sent) commands.push(sent[1]!);
    },
    info() {},
    warn() {},
  };
}

function transportFor(
  endpoint: Endpoint,
): Pick<ConnectionOptions, 'transport' | 'username' | 'password' | 'startTls'> {
  const tls = { verify: true };
  if (endpoint.tcp === undefined)
    return { transport: { type: 'tunnel', command: endpoint.tunnelCommand, tls } };
  const { port, username, password } = endpoint.tcp;
  return { transport: { type: 'imap', host: '127.0.0.1', port, tls }, username, password, startTls: false };
}

/** Connects to both servers (PREAUTH tunnels unless TCP is asked for). */
export async function connectPair(pair: Endpoints, commands: RunResult['commands']) {
  const connect = (side: 'local' | 'remote') =>
    openConnection(
      {
        name: side,
        ...transportFor(pair[side]),
        debug: 1,
        timeouts: { greeting: 10_000, command: 60_000 },
      },
      tracingLogger(commands[side]),
    );
  const [local, remote] = await Promise.all([connect('local'), connect('remote')]);
  return { local, remote };
}

/** The SyncContext of one lane for `mailbox` (named the same on both servers, '/' delimiter). */
export function contextFor(
  store: StateStore,
  lane: { local: ImapConnection; remote: ImapConnection },
  mailbox: string,
  warnings: string[],
): SyncContext<ImapConnection> {
  const dbName = mailbox.replaceAll('/', '\0');
  const name = Buffer.from(dbName);
  const idx = store.findMailbox(name)?.idx ?? store.addMailbox(name, true);
  const logger: SyncLogger = {
    debug() {},
    info() {},
    warn: (_c, _m, message) => warnings.push(message),
    error: (_c, _m, message) => warnings.push(message),
  };
  return {
    store,
    logger,
    lanes: [lane],
    mailboxes: new Map([[dbName, { dbName, idx, local: mailbox, remote: mailbox, reason: 'changed' }]]),
  };
}

/** One run of the mailbox chart on `mailbox`, with a fresh database handle and connections. */
export async function runSync(
  pair: Endpoints,
  options: { mailbox?: string; repair?: boolean } = {},
): Promise<RunResult> {
  const mailbox = options.mailbox ?? 'INBOX';
  const commands: RunResult['commands'] = { local: [], remote: [] };
  const warnings: string[] = [];
  const store = StateStore.open(pair.dbPath, { create: true });
  const lane = await connectPair(pair, commands);
  try {
    const ctx = contextFor(store, lane, mailbox, warnings);
    const actor = createActor(mailboxSyncLogic(ctx), {
      input: { mailbox: mailbox.replaceAll('/', '\0'), lane: 0, repair: options.repair ?? false, slot: 0 },
    });
    actor.start();
    const output = await toPromise(actor);
    return { output, commands, warnings };
  } finally {
    await Promise.all([lane.local.logout(), lane.remote.logout()]);
    store.close();
  }
}

/** Runs IMAP commands on a server over its own PREAUTH session (a third-party client). */
export async function onServer(server: Dovecot, commands: string[], mailbox = 'INBOX'): Promise<string[]> {
  const pipe = await ImapPipe.open(server.tunnelCommand);
  try {
    await pipe.command(`SELECT "${mailbox}"`);
    return await Promise.all(commands.map((c) => pipe.command(c)));
  } finally {
    await pipe.close();
  }
}

export interface ListedMessage {
  uid: number;
  /** Sorted, without \\Recent. */
  flags: string[];
  messageId: string | null;
}

/** UIDs of `mailbox` on a server with their flags and Message-ID, ascending. */
export async function listUids(server: Dovecot, mailbox = 'INBOX'): Promise<ListedMessage[]> {
  const pipe = await ImapPipe.open(server.tunnelCommand);
  const found: ListedMessage[] = [];
  try {
    await pipe.command(`EXAMINE "${mailbox}"`);
    await pipe.command('UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])', {
      onUntagged: (line) => {
        const m = /UID (\d+)/.exec(line);
        const f = /FLAGS \(([^)]*)\)/.exec(line);
        const id = /Message-ID:\s*(<[^>]*>)/i.exec(line);
        if (m && f) {
          const flags = f[1]!.split(' ').filter((x) => x !== '' && x !== '\\Recent');
          found.push({ uid: Number(m[1]), flags: flags.sort(), messageId: id?.[1] ?? null });
        }
      },
    });
  } finally {
    await pipe.close();
  }
  return found.sort((a, b) => a.uid - b.uid);
}

/** Commands of a run that write mail or flags. */
export function writes(result: RunResult): string[] {
  return [...result.commands.local, ...result.commands.remote].filter((c) =>
    /^(UID STORE|UID EXPUNGE|APPEND)\b/.test(c),
  );
}

/** A rerun right after a sync must find nothing to do: no write, no warning. */
export async function assertQuietRerun(pair: Endpoints, mailbox?: string): Promise<void> {
  const result = await runSync(pair, { mailbox });
  assert.equal(result.output.status, 'synced');
  assert.deepEqual(writes(result), []);
  assert.deepEqual(result.warnings, []);
}

/**
 * After a complete sync the database must hold each server's own UIDNEXT and HIGHESTMODSEQ:
 * otherwise the next run sees the mailbox as dirty (LIST-STATUS) and selects it for nothing.
 */
export async function assertCheckpointsMatchServers(pair: Pair, mailbox = 'INBOX'): Promise<void> {
  const store = StateStore.open(pair.dbPath, { create: false });
  let state: ReturnType<StateStore['getState']>;
  try {
    state = store.getState(store.findMailbox(Buffer.from(mailbox.replaceAll('/', '\0')))!.idx);
  } finally {
    store.close();
  }
  for (const side of ['local', 'remote'] as const) {
    const status = await pair[side].doveadm(['mailbox', 'status', 'uidnext highestmodseq', mailbox]);
    const uidNext = Number(/uidnext=(\d+)/.exec(status)?.[1]);
    const highestModseq = BigInt(/highestmodseq=(\d+)/.exec(status)?.[1] ?? -1);
    assert.deepEqual(
      { uidNext: state?.[side].uidNext, highestModseq: state?.[side].highestModseq },
      { uidNext, highestModseq },
      `${side} checkpoints`,
    );
  }
}

/** A third-party expunge: the UID EXPUNGE waits for its STORE (see expungeUids on Dovecot). */
export async function expungeOn(server: Dovecot, uids: number[], mailbox = 'INBOX'): Promise<void> {
  if (uids.length === 0) return;
  const pipe = await ImapPipe.open(server.tunnelCommand);
  try {
    await pipe.command(`SELECT "${mailbox}"`);
    await pipe.command(`UID STORE ${uids.join(',')} +FLAGS.SILENT (\\Deleted)`);
    await pipe.command(`UID EXPUNGE ${uids.join(',')}`);
  } finally {
    await pipe.close();
  }
}
