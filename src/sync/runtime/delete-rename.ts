// --delete and --rename on each chosen target: the servers (DELETE / RENAME where the mailbox
// exists; not recursive / recursive per RFC 3501 §6.3.4-5) and the database rows.
import type { DeleteInput, RenameInput, Side, Target } from '../../../machines/contracts.js';
import type { ImapConnection } from '../../imap/connection.js';
import { CommandFailed } from '../../session/errors.js';
import { argumentsToDb, displayName, isInbox, type Namespace, toWireName } from '../names.js';
import { type PerSide, SIDES } from '../side.js';
import type { SyncContext } from './context.js';
import { RuntimeError, runtimeError } from './errors.js';
import { dbCell, rootDelimiter } from './listing.js';
import { bothSides } from './servers.js';

/** Each server's namespace, from `LIST ref ""` on both at once. */
export async function namespacesOf(
  lane: PerSide<ImapConnection>,
  references: PerSide<string>,
): Promise<PerSide<Namespace>> {
  return bothSides(async (side) => {
    try {
      return { reference: references[side], delimiter: await rootDelimiter(lane[side], references[side]) };
    } catch (error) {
      throw runtimeError(error, side);
    }
  });
}

function serverTargets(targets: readonly Target[]): Side[] {
  return SIDES.filter((side) => targets.includes(side));
}

/**
 * Runs `COMMAND NAMES...` for each mailbox on one server, pipelined; a NO [NONEXISTENT] (RFC 5530)
 * means the mailbox is not there, which is fine. Resolves with how many succeeded.
 */
async function onServer(
  ctx: SyncContext<ImapConnection>,
  connection: ImapConnection,
  command: 'DELETE' | 'RENAME',
  names: string[][],
  done: (names: string[]) => string,
): Promise<number> {
  const b = connection.commands.args;
  const results = names.map((args) =>
    connection.session
      .command(
        command,
        args.map((name) => b.string(name)),
      )
      .then(
        () => {
          ctx.logger.info(connection.name, args[0]!, done(args));
          return 1;
        },
        (error: unknown) => {
          if (error instanceof CommandFailed && error.result.code?.name === 'NONEXISTENT') {
            ctx.logger.debug(connection.name, args[0]!, `${command} ${args[0]}: no such mailbox`);
            return 0;
          }
          throw runtimeError(error, connection.name);
        },
      ),
  );
  const counts = await Promise.allSettled(results);
  const failed = counts.find((c): c is PromiseRejectedResult => c.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return counts.reduce((n, c) => n + (c.status === 'fulfilled' ? c.value : 0), 0);
}

export async function deleteMailboxes(
  ctx: SyncContext<ImapConnection>,
  lane: PerSide<ImapConnection>,
  references: PerSide<string>,
  input: DeleteInput,
): Promise<{ deleted: number }> {
  const ns = await namespacesOf(lane, references);
  const names = argumentsToDb(input.mailboxes, ns.local.delimiter);
  // RFC 3501 §6.3.4: deleting INBOX is an error.
  if (names.some(isInbox)) throw new RuntimeError('mailbox-list', 'INBOX cannot be deleted');
  const counts = await Promise.all(
    serverTargets(input.targets).map((side) =>
      onServer(
        ctx,
        lane[side],
        'DELETE',
        names.map((name) => [wire(name, ns, side)]),
        ([name]) => `Deleted mailbox ${name}`,
      ),
    ),
  );
  let deleted = counts.reduce((a, b) => a + b, 0);
  if (input.targets.includes('database')) {
    for (const name of names) {
      const row = ctx.store.findMailbox(dbCell(name));
      if (row === undefined || !ctx.store.deleteMailbox(row.idx)) continue;
      deleted++;
      ctx.logger.info('database', null, `Removed mailbox ${displayName(name, ns.local.delimiter)}`);
    }
  }
  return { deleted };
}

function wire(dbName: string, ns: PerSide<Namespace>, side: Side): string {
  try {
    return toWireName(dbName, ns[side], side);
  } catch (error) {
    throw new RuntimeError('mailbox-list', (error as Error).message);
  }
}

/** The targets where DEST exists already (listed and not \NonExistent, or a database row). */
export async function findRenameConflicts(
  ctx: SyncContext<ImapConnection>,
  lane: PerSide<ImapConnection>,
  references: PerSide<string>,
  input: RenameInput,
): Promise<{ existsOn: Target[] }> {
  const ns = await namespacesOf(lane, references);
  const [dest] = argumentsToDb([input.dest], ns.local.delimiter);
  const existsOn: Target[] = [];
  const listed = await bothSides(async (side) => {
    if (!input.targets.includes(side)) return false;
    const entries = await lane[side].commands
      .list('', [wire(dest!, ns, side)])
      .catch((error: unknown) => Promise.reject(runtimeError(error, side)));
    return entries.some((e) => !e.attributes.some((a) => a.toLowerCase() === '\\nonexistent'));
  });
  for (const side of SIDES) if (listed[side]) existsOn.push(side);
  if (input.targets.includes('database') && ctx.store.findMailbox(dbCell(dest!)) !== undefined) {
    existsOn.push('database');
  }
  return { existsOn };
}

export async function renameMailbox(
  ctx: SyncContext<ImapConnection>,
  lane: PerSide<ImapConnection>,
  references: PerSide<string>,
  input: RenameInput,
): Promise<{ renamed: number }> {
  const ns = await namespacesOf(lane, references);
  const [from, to] = argumentsToDb([input.source, input.dest], ns.local.delimiter) as [string, string];
  const counts = await Promise.all(
    serverTargets(input.targets).map((side) =>
      onServer(
        ctx,
        lane[side],
        'RENAME',
        [[wire(from, ns, side), wire(to, ns, side)]],
        ([a, b]) => `Renamed mailbox ${a} to ${b}`,
      ),
    ),
  );
  let renamed = counts.reduce((a, b) => a + b, 0);
  if (input.targets.includes('database') && ctx.store.renameMailbox(dbCell(from), dbCell(to)) > 0) {
    renamed++;
    const show = (name: string) => displayName(name, ns.local.delimiter);
    ctx.logger.info('database', null, `Renamed mailbox ${show(from)} to ${show(to)}`);
  }
  return { renamed };
}
