// A sync of one mailbox in a process of its own, for the crash tests: argv[2] is the JSON of
// {local, remote, dbPath, mailbox}; prints the chart's output as JSON. The parent sets
// INTERIMAP_TEST_KILL_AFTER to have the runtime SIGKILL this process at a write event.
import { runSync } from './harness.js';

const { mailbox, ...endpoints } = JSON.parse(process.argv[2] ?? '{}');
const result = await runSync(endpoints, { mailbox });
process.stdout.write(
  `${JSON.stringify(result.output, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}\n`,
);
