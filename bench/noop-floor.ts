// The Node floor of a no-op run: only what a no-op must put on the wire, with raw child_process and
// string writes (no parser, no state database, no project module), against the two tunnel servers of
// an interimap configuration. Prints the wall time from process start, so `node` start-up counts.
//
//   node dist/bench/noop-floor.js CONFIG
//
// Per server, as our no-op does: greeting (PREAUTH), then ENABLE QRESYNC + LIST "" "" + LIST-STATUS
// pipelined, LOGOUT once the listing is read, and the tunnel's exit. No COMPRESS: it waits for a
// SELECT, which a no-op never sends.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The tunnel commands of a configuration's two sections. */
function readTunnels(file: string): string[] {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const header = /^\s*\[(\w+)\]\s*$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1]!, current);
    }
    const option = /^\s*([\w-]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (option && current) current.set(option[1]!, option[2]!);
  }
  return ['local', 'remote'].map((name) => {
    const section = sections.get(name);
    const command = section?.get('command');
    if (section?.get('type') !== 'tunnel' || command === undefined)
      throw new Error(`${file}: [${name}] must be type = tunnel with a command`);
    return command;
  });
}

async function noop(command: string): Promise<void> {
  const [file, ...args] = /[$&*(){}[\]'";\\|?<>~`]/.test(command)
    ? ['/bin/sh', '-c', command]
    : command.trim().split(/\s+/);
  const child = spawn(file!, args, { stdio: ['pipe', 'pipe', 'ignore'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let received = '';
  const until = (done: RegExp) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (!done.test(received)) return;
        child.stdout.off('data', read);
        resolve();
      };
      const read = (chunk: Buffer) => {
        received += chunk.toString('latin1');
        check();
      };
      child.stdout.on('data', read);
      check();
    });
  await until(/^\* PREAUTH .*\r\n/m);
  child.stdin.write(
    'e ENABLE QRESYNC\r\nl LIST "" ""\r\n' +
      's LIST "" ("*") RETURN (SUBSCRIBED CHILDREN STATUS (UIDVALIDITY UIDNEXT HIGHESTMODSEQ))\r\n',
  );
  await until(/^s OK .*\r\n/m);
  child.stdin.end('z LOGOUT\r\n');
  await exited;
}

const config = process.argv[2];
if (config === undefined) {
  console.error('usage: node dist/bench/noop-floor.js CONFIG');
  process.exit(2);
}
await Promise.all(readTunnels(config).map(noop));
console.log(`no-op floor: ${performance.now().toFixed(1)} ms since process start`);
