// The raw FETCH→APPEND copier behind scenario 6 (`node dist/bench/raw-copy.js --config=FILE`): copies
// every mailbox of the fuller server to the empty one over one connection per side, with one
// pipelined EXAMINE + `UID FETCH 1:* (FLAGS INTERNALDATE BODY.PEEK[])` per mailbox whose bodies
// stream straight into pipelined APPENDs. No state, no checks: the floor a sync tool cannot beat.
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load.js';
import { type ImapConnection, type MessageBody, openConnection } from '../src/imap/connection.js';
import type { StatusAttributes } from '../src/protocol/types.js';
import { connectionOptions } from '../src/run/connection-options.js';

interface Mailbox {
  name: string;
  messages: number;
}

/** Selectable mailboxes with their message counts, parents before children. */
async function mailboxes(conn: ImapConnection): Promise<Mailbox[]> {
  const entries = await conn.commands.list('', ['*'], { status: ['MESSAGES'] });
  return entries
    .filter((e) => !e.attributes.some((a) => /^\\(noselect|nonexistent)$/i.test(a)))
    .map((e) => ({ name: e.mailbox, messages: (e.status as StatusAttributes | undefined)?.messages ?? 0 }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

const total = (list: Mailbox[]) => list.reduce((n, m) => n + m.messages, 0);

/**
 * All EXAMINEs and FETCHes go out at once; the server answers them in order, so the k-th body
 * belongs to the mailbox whose message counts add up past k.
 */
async function copy(source: ImapConnection, target: ImapConnection, list: Mailbox[]): Promise<void> {
  // COMPRESS where the configuration asks for it, as interimap starts it before its first SELECT.
  await Promise.all([source.compress(), target.compress()]);
  const owners = list.flatMap((m) => Array<string>(m.messages).fill(m.name));
  const appends: Promise<unknown>[] = [];
  let next = 0;
  const onBody = (body: MessageBody, flags: string[] | undefined, date: string | undefined) => {
    const mailbox = owners[next++];
    if (mailbox === undefined) throw new Error(`raw-copy: more bodies than STATUS MESSAGES announced`);
    appends.push(
      target.commands.append(mailbox, [
        {
          flags: (flags ?? []).filter((f) => f.toLowerCase() !== '\\recent'),
          ...(date !== undefined && { internalDate: date }),
          size: body.size,
          body: body.chunks,
        },
      ]),
    );
  };
  const creates = list
    .filter((m) => m.name.toUpperCase() !== 'INBOX')
    // An existing mailbox (NO [ALREADYEXISTS]) is as good as a created one.
    .map((m) => target.session.command('CREATE', [target.commands.args.string(m.name)]).catch(() => {}));
  const stop = source.streamAllBodies((body, a) => onBody(body, a.flags, a.internalDate));
  const fetches = list
    .filter((m) => m.messages > 0)
    .flatMap((m) => [
      source.commands.select(m.name, { readOnly: true }),
      // The FETCH responses are not kept: only their streamed bodies matter.
      source.commands.uidFetch('1:*', ['UID', 'FLAGS', 'INTERNALDATE', 'BODY.PEEK[]'], {
        onUntagged: () => {},
      }),
    ]);
  await Promise.all([...creates, ...fetches]);
  stop();
  await Promise.all(appends);
}

/** RAW_COPY_DEBUG=1 traces the traffic to stderr. */
const debug = process.env.RAW_COPY_DEBUG === '1' ? 1 : 0;
const stderrLogger = {
  debug: (side: string, text: string) => process.stderr.write(`${side}: ${text}\n`),
  info: (side: string, text: string) => process.stderr.write(`${side}: ${text}\n`),
  warn: (side: string, text: string) => process.stderr.write(`${side}: ${text}\n`),
};

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string' } } });
  if (values.config === undefined) throw new Error('usage: raw-copy --config=FILE');
  const { config } = loadConfig(values.config);
  const [local, remote] = await Promise.all(
    (['local', 'remote'] as const).map((side) =>
      openConnection(
        connectionOptions(config[side], { debug, watch: false }),
        debug ? stderrLogger : undefined,
      ),
    ),
  );
  const [localList, remoteList] = await Promise.all([mailboxes(local!), mailboxes(remote!)]);
  const toLocal = total(remoteList) >= total(localList);
  await (toLocal ? copy(remote!, local!, remoteList) : copy(local!, remote!, localList));
  await Promise.all([local!.logout(), remote!.logout()]);
}

main().catch((error: Error) => {
  process.stderr.write(`raw-copy: ${error.message}\n`);
  process.exitCode = 1;
});
