// A small program using the progress API as the runtime does, for the terminal tests: run under a
// pseudo-terminal by `script`, or with stderr to a file. Two mailboxes, a log line in the middle.
import { createProgress } from '../../src/progress/progress.js';

const progress = createProgress({ stream: process.stderr, enabled: process.stderr.isTTY === true });
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

progress.mailboxStarted('INBOX', { messages: 40, bytes: 40_000 });
for (let i = 0; i < 40; i++) {
  progress.update('INBOX', { copied: { toLocal: 1 }, bytes: { toLocal: 1000 } });
  if (i === 20) progress.log('remote: a log line while copying\n');
  await pause(5);
}
progress.update('INBOX', { flags: 3, expunged: 2 });
progress.mailboxDone('INBOX', 'synced');
progress.mailboxStarted('Archive');
progress.update('Archive', { copied: { toRemote: 2 }, bytes: { toRemote: 5000 } });
await pause(150);
progress.mailboxDone('Archive', 'failed');
progress.finish();
process.stderr.write('after the summary\n');
