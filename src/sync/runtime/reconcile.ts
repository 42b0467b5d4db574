// Applies a mailbox-list plan: CREATE then SUBSCRIBE, then UNSUBSCRIBE (pipelined on each server,
// both servers concurrently), then the database inserts and subscription flags in one transaction.
import type { MailboxChange } from '../../../machines/contracts.js';
import type { ImapConnection } from '../../imap/connection.js';
import type { MailboxAction, MailboxListPlan } from '../mailbox-list.js';
import { displayName } from '../names.js';
import type { PerSide, Side } from '../side.js';
import type { SyncContext } from './context.js';
import { runtimeError } from './errors.js';
import { dbCell } from './listing.js';
import { bothSides } from './servers.js';

/** The plan's changes as the chart counts them. */
export function planChanges(plan: MailboxListPlan): MailboxChange[] {
  const onServer = (action: MailboxChange['action'], list: MailboxAction[]): MailboxChange[] =>
    list.map((a) => ({ action, mailbox: a.dbName, target: a.side }));
  return [
    ...onServer('create', plan.create),
    ...onServer('subscribe', plan.subscribe),
    ...onServer('unsubscribe', plan.unsubscribe),
    ...plan.dbInsert.map((r): MailboxChange => ({ action: 'record', mailbox: r.name, target: 'database' })),
    ...plan.dbSetSubscribed.map(
      (r): MailboxChange => ({ action: 'record', mailbox: r.name, target: 'database' }),
    ),
  ];
}

const VERBS = { CREATE: 'Created mailbox', SUBSCRIBE: 'Subscribed to', UNSUBSCRIBE: 'Unsubscribed from' };

export async function applyPlan(
  ctx: SyncContext<ImapConnection>,
  lane: PerSide<ImapConnection>,
  plan: MailboxListPlan,
): Promise<void> {
  await bothSides(async (side: Side) => {
    const connection = lane[side];
    const mine = (list: MailboxAction[]) => list.filter((a) => a.side === side);
    const steps: Array<[keyof typeof VERBS, MailboxAction]> = [
      ...mine(plan.create).map((a): [keyof typeof VERBS, MailboxAction] => ['CREATE', a]),
      ...mine(plan.subscribe).map((a): [keyof typeof VERBS, MailboxAction] => ['SUBSCRIBE', a]),
      ...mine(plan.unsubscribe).map((a): [keyof typeof VERBS, MailboxAction] => ['UNSUBSCRIBE', a]),
    ];
    const b = connection.commands.args;
    // Pipelined: the server runs them in order, so a CREATE precedes its SUBSCRIBE.
    const results = steps.map(([command, action]) =>
      connection.session.command(command, [b.string(action.name)]).then(() => {
        ctx.logger.info(side, action.name, `${VERBS[command]} ${action.name}`);
      }),
    );
    try {
      await Promise.all(results);
    } catch (error) {
      await Promise.allSettled(results);
      throw runtimeError(error, side);
    }
  });
  // A run with nothing to record writes nothing (the store starts its log on the first write).
  if (plan.dbInsert.length > 0 || plan.dbSetSubscribed.length > 0) {
    ctx.store.transaction(() => {
      for (const row of plan.dbInsert) {
        const idx = ctx.store.addMailbox(dbCell(row.name), row.subscribed);
        const target = ctx.mailboxes.get(row.name);
        if (target !== undefined) target.idx = idx;
      }
      for (const row of plan.dbSetSubscribed) ctx.store.setSubscribed(row.idx, row.subscribed);
    });
  }
  for (const row of plan.dbInsert) {
    ctx.logger.info(
      'database',
      null,
      `Added mailbox ${displayName(row.name, plan.namespaces.local.delimiter)}`,
    );
  }
}
