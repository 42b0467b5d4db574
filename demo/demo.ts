// `npm run demo`: interimap between two throw-away Dovecot servers. Fills them with generated mail,
// synchronizes, changes flags and deletes, adds messages on both sides, synchronizes again, then checks
// that both servers hold the same mail. Everything lives in temp directories, removed at the end.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyChanges, planChanges } from '../bench/changes.js';
import { type Corpus, corpusMessageCount, loadCorpus, makeCorpus } from '../test/helpers/corpus.js';
import { type Dovecot, startDovecot } from '../test/helpers/dovecot.js';
import {
  compareServers,
  formatDifferences,
  type Snapshot,
  snapshotServer,
} from '../test/helpers/mail-compare.js';
import { makeScratchDir, removeScratchDir } from '../test/helpers/scratch.js';
import { type ChangeSummary, messagesAfter, summarizeChanges } from './change-summary.js';
import { configText, type RemoteTls } from './config-file.js';
import { ensureDovecot } from './ensure-dovecot.js';
import { killRuns, runInterimap, type ToolRun } from './run-interimap.js';

/** The local side's mail: INBOX … 'Work/Réunions' (hierarchical, non-ASCII names). */
const LOCAL_CORPUS = { seed: 2026, mailboxes: 11, messages: 300, medianSize: 2000, largeFraction: 0 };
/** The remote's own few messages, one mailbox more ('Projets'), so mailboxes get created both ways. */
const REMOTE_CORPUS = { seed: 7, mailboxes: 12, messages: 12, medianSize: 1500, largeFraction: 0 };
/** Share of the messages whose flags change, that are deleted, and of new ones, on each side. */
const CHANGE_FRACTION = 0.02;
/** Tool output lines shown in full up to this many; longer outputs show their head and tail. */
const SHOWN_LINES = 60;

const say = (line = '') => process.stdout.write(`${line}\n`);
// Piped into `head`: stop printing, but still finish and clean up.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});
const step = (n: number, text: string) => say(`\n[${n}/6] ${text}`);
const indented = (lines: string[], mark = '│') => {
  for (const line of lines) say(`      ${mark} ${line}`.trimEnd());
};

// Everything to undo, in one place: Ctrl-C, an error and the normal end all go through `cleanUp`.
const servers: Dovecot[] = [];
let workDir: string | undefined;
let cleaned: Promise<void> | undefined;
let interrupted = false;

function cleanUp(): Promise<void> {
  cleaned ??= (async () => {
    killRuns();
    await Promise.allSettled(servers.map((s) => s.stop()));
    if (workDir) removeScratchDir(workDir);
  })();
  return cleaned;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    say(`\nInterrupted: stopping the servers and removing ${workDir ?? 'the temp directory'} ...`);
    void cleanUp().then(() => process.exit(130));
  });
}

function showRun(run: ToolRun): void {
  const { lines } = run;
  if (lines.length <= SHOWN_LINES) indented(lines);
  else {
    const half = SHOWN_LINES / 2;
    indented(lines.slice(0, half));
    say(`      ┆ … ${lines.length - SHOWN_LINES} more lines …`);
    indented(lines.slice(-half));
  }
  if (run.code !== 0) throw new Error(`interimap exited with code ${run.code}`);
}

/** planChanges toggles \Seen on the local side and \Flagged on the remote one. */
function describeChanges(summary: ChangeSummary): void {
  for (const [side, counts, flag] of [
    ['local ', summary.local, '\\Seen'],
    ['remote', summary.remote, '\\Flagged'],
  ] as const) {
    say(
      `      ${side}: ${counts.flagged} messages get ${flag} toggled, ` +
        `${counts.expunged} are deleted, ${counts.appended} new ones arrive`,
    );
  }
  say(
    `      ${summary.conflicts} messages are changed on both sides: interimap warns and gives them the union ` +
      'of both flag lists.',
  );
}

function messageTotal(snapshot: Snapshot): number {
  let n = 0;
  for (const messages of snapshot.values()) n += messages.length;
  return n;
}

function mailboxNames(...corpora: Corpus[]): Set<string> {
  return new Set(corpora.flatMap((c) => c.mailboxes.map((m) => m.mutf7)));
}

async function verify(expectedMailboxes: number, expectedMessages: number): Promise<void> {
  const [local, remote] = await Promise.all(servers.map((s) => snapshotServer(s)));
  const differences = compareServers(local!, remote!);
  if (differences.length > 0) throw new Error(formatDifferences(differences, ['local', 'remote']));
  const found = `${local!.size} mailboxes, ${messageTotal(local!)} messages`;
  if (local!.size !== expectedMailboxes || messageTotal(local!) !== expectedMessages) {
    throw new Error(
      `both servers agree, but hold ${found} instead of ${expectedMailboxes} mailboxes, ${expectedMessages} messages`,
    );
  }
  say(`      Verified: local and remote hold identical mail (${found} on each side).`);
}

async function demo(): Promise<void> {
  const started = Date.now();
  say('interimap demo: two throw-away Dovecot servers, synchronized both ways by this checkout.');
  const missing = ensureDovecot(say);
  if (missing) throw new Error(missing);

  const root = process.getuid?.() === 0;
  workDir = makeScratchDir('interimap-demo');
  step(1, 'Starting two Dovecot servers');
  servers.push(await startDovecot());
  servers.push(await startDovecot({ tls: root }));
  const [local, remote] = servers as [Dovecot, Dovecot];
  const tls: RemoteTls | undefined = root
    ? { host: remote.remoteHost, port: remote.imapsPort!, spkiSha256: remote.spkiSha256! }
    : undefined;
  say('      local : IMAP over a pipe to /usr/lib/dovecot/imap (type = tunnel, pre-authenticated)');
  say(`              store in ${local.dir}`);
  say(
    tls
      ? `      remote: IMAPS on ${tls.host}:${tls.port}, password login, pinned certificate key`
      : '      remote: a tunnel too (not root: no network listener)',
  );
  say(`              store in ${remote.dir}`);
  say(`      The configuration file and the state database go to ${workDir}`);

  const localCorpus = makeCorpus(LOCAL_CORPUS);
  const remoteCorpus = makeCorpus(REMOTE_CORPUS);
  step(2, 'Filling them with generated mail');
  await Promise.all([loadCorpus(local, localCorpus), loadCorpus(remote, remoteCorpus)]);
  const names = mailboxNames(localCorpus, remoteCorpus);
  const remoteOnly = [...mailboxNames(remoteCorpus)].filter((name) => !mailboxNames(localCorpus).has(name));
  say(
    `      local : ${corpusMessageCount(localCorpus)} messages in ${localCorpus.mailboxes.length} mailboxes`,
  );
  say(
    `      remote: ${corpusMessageCount(remoteCorpus)} messages in ${remoteCorpus.mailboxes.length} mailboxes ` +
      `(${remoteOnly.join(', ')} only there)`,
  );

  const config = join(workDir, 'config');
  const text = configText(join(workDir, 'interimap.db'), local, remote, tls);
  writeFileSync(config, text, { mode: 0o600 }); // it holds a password
  step(3, `The configuration file (${config}, mode 0600)`);
  indented(text.trimEnd().split('\n'), '┃');
  // A private HOME and XDG directories: nothing is read from, or left in, the user's own.
  const env = {
    ...process.env,
    HOME: workDir,
    XDG_CONFIG_HOME: join(workDir, 'config.d'),
    XDG_DATA_HOME: join(workDir, 'data'),
  };

  step(4, `First run: interimap --config=${config}`);
  say('      Every mailbox is created where it is missing and every message copied to the other side.');
  showRun(await runInterimap(config, [], env));

  const plan = planChanges(localCorpus, CHANGE_FRACTION);
  const summary = summarizeChanges(plan);
  step(5, 'Changes on both sides, then a second run');
  describeChanges(summary);
  await Promise.all([applyChanges(local, plan.local), applyChanges(remote, plan.remote)]);
  showRun(await runInterimap(config, [], env));

  step(6, 'Comparing both servers message by message (body, flags, internal date)');
  const before = corpusMessageCount(localCorpus) + corpusMessageCount(remoteCorpus);
  await verify(names.size, messagesAfter(before, summary));
  await cleanUp();
  say(`\nServers stopped, ${workDir} removed. Done in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
}

try {
  await demo();
} catch (error) {
  // After Ctrl-C the steps under way fail as their servers go: that is no news.
  if (!interrupted) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`\ninterimap demo FAILED: ${message}\n`);
    process.exitCode = 1;
  }
} finally {
  await cleanUp();
}
