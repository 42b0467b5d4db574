// The state charts interimap draws: each machine with the file stem its generated docs use and a
// one-line title, in the order they appear on the page.
import type { AnyStateMachine } from 'xstate';
import { connectionMachine } from '../../machines/connection.js';
import { mailboxSyncMachine } from '../../machines/mailbox-sync.js';
import { orchestratorMachine } from '../../machines/orchestrator.js';

export interface ChartSource {
  /** File stem under docs/charts/. */
  name: string;
  title: string;
  machine: AnyStateMachine;
}

export const CHARTS: readonly ChartSource[] = [
  { name: 'orchestrator', title: 'Orchestrator: the root actor of a run', machine: orchestratorMachine },
  { name: 'mailbox-sync', title: "Mailbox sync: one mailbox's sync", machine: mailboxSyncMachine },
  { name: 'connection', title: 'Connection: the IMAP connection protocol', machine: connectionMachine },
];
