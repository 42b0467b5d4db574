// A small run recorded with the real charts and fake actors: the orchestrator syncs INBOX (fine) and
// Archive (fails while copying after a progress note), plus two connection roots, one closed by a
// BYE. A secret is planted in event payloads, actor outputs and credentials: it must never reach the trace.
import { createActor, fromPromise, toPromise, waitFor } from 'xstate';
import { type AuthRequest, connectionMachine } from '../../machines/connection.js';
import type {
  MailboxActorContracts,
  OrchestratorActorContracts,
  SelectOutcome,
  SyncError,
} from '../../machines/contracts.js';
import { mailboxSyncMachine } from '../../machines/mailbox-sync.js';
import { orchestratorMachine } from '../../machines/orchestrator.js';
import { connectionActorName, mailboxActorName } from '../../src/viz/actor-names.js';
import { createTraceRecorder } from '../../src/viz/trace.js';
import { fakeActors } from '../machines/fakes.js';

export const SECRET = 'hunter2-Sekr3t';

export const ARCHIVE_FAILURE: SyncError = {
  kind: 'connection',
  message: 'remote: BYE server shutting down',
  mailbox: 'Archive',
};

const FULL_CAPS = ['IMAP4REV1', 'AUTH=PLAIN', 'QRESYNC', 'LIST-EXTENDED', 'UIDPLUS', 'LIST-STATUS'];

function selectOutcome(): SelectOutcome & { secret: string } {
  const side = { uidValidity: 1, uidNext: 10, highestModseq: 5n, exists: 9 };
  return { local: side, remote: side, uidValidityChanged: [], interrupted: false, secret: SECRET };
}

/** Records the sample run into `file` (the recorder creates it). */
export async function recordSampleRun(file: string): Promise<void> {
  const recorder = createTraceRecorder(file);
  const calls: string[] = [];
  let release!: () => void;
  const listed = new Promise<void>((resolve) => {
    release = resolve;
  });
  const mailboxSteps = fakeActors<MailboxActorContracts>(
    {
      selectMailbox: () => selectOutcome(),
      fullSync: () => ({ counts: {} }),
      propagateExpunges: () => ({ counts: { toRemote: { expunged: 1 } } }),
      propagateFlags: () => ({ counts: { toLocal: { flagsUpdated: 2 } }, pendingUpdates: false }),
      checkpointModseq: () => undefined,
      appendNew: async ({ mailbox }) => {
        if (mailbox === 'Archive') {
          recorder.note(mailboxActorName(mailbox), { copied: 312, total: 500, bytes: 1_234_567 });
          throw { ...ARCHIVE_FAILURE, body: `Subject: ${SECRET}` };
        }
        const outcome = { counts: { toLocal: { copied: 2 } }, pendingUpdates: false, newMessages: false };
        return { ...outcome, message: SECRET } as typeof outcome;
      },
      checkpointUidnext: () => undefined,
    },
    calls,
  );
  const orchestrator = orchestratorMachine.provide({
    actors: {
      ...fakeActors<OrchestratorActorContracts>(
        {
          openDatabase: () => undefined,
          connectServers: () => undefined,
          listMailboxes: async () => {
            await listed;
            return { abort: null, changes: [], toSync: ['INBOX', 'Archive'] };
          },
          reconcileMailboxes: () => undefined,
          keepAlive: () => undefined,
          deleteMailboxes: () => ({ deleted: 0 }),
          findRenameConflicts: () => ({ existsOn: [] }),
          renameMailbox: () => ({ renamed: 0 }),
        },
        calls,
      ),
      mailboxSync: mailboxSyncMachine.provide({ actors: mailboxSteps }),
    },
  });
  const connection = connectionMachine.provide({
    actors: {
      openTransport: fromPromise<void, { server: string }>(async () => {}),
      authenticate: fromPromise<string[] | undefined, AuthRequest>(async () => FULL_CAPS),
      enable: fromPromise<string[], { extensions: string[] }>(async () => ['QRESYNC']),
    },
  });

  const connect = (side: 'local' | 'remote') =>
    createActor(connection, {
      input: {
        server: side,
        startTls: false,
        compress: false,
        credentials: { username: 'me', password: SECRET },
      },
      inspect: recorder.inspect,
      systemId: connectionActorName(side, 0),
    }).start();
  const local = connect('local');
  const remote = connect('remote');
  for (const c of [local, remote]) {
    await waitFor(c, (s) => s.matches('greeting'));
    c.send({
      type: 'imap.greeting',
      status: 'OK',
      text: `welcome ${SECRET}`,
      capabilities: ['IMAP4REV1', 'AUTH=PLAIN'],
    });
    await waitFor(c, (s) => s.matches({ authenticated: 'ready' }));
  }

  const run = createActor(orchestrator, {
    input: { command: { name: 'sync', mailboxes: [] } },
    inspect: recorder.inspect,
  }).start();
  await waitFor(run, (s) => s.matches('listing'));
  // An event whose payload carries the secret: only its type may be recorded.
  run.send({ type: 'notify.changed', password: SECRET } as { type: 'notify.changed' });
  release();
  await toPromise(run);

  remote.send({ type: 'imap.bye', text: 'server shutting down' });
  local.send({ type: 'connection.logout' });
  await Promise.all([toPromise(remote), toPromise(local)]);
  await recorder.close();
}
