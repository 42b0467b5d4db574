// The Node floor of a no-op run: only what a no-op must put on the wire, with raw child_process and
// string writes (no parser, no state database, no project module), against the two tunnel servers of
// an interimap configuration. Prints the wall time from process start, so `node` start-up counts.
//
//   node dist/bench/noop-floor.js CONFIG
//
// Per server, as our no-op does: greeting (PREAUTH), COMPRESS DEFLATE where the configuration's
// `compress` (default: remote only) asks for it, then ENABLE QRESYNC + LIST "" "" + LIST-STATUS
// pipelined, LOGOUT once the listing is read, and the tunnel's exit.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { createDeflateRaw, createInflateRaw, constants as zlib } from 'node:zlib';

interface Tunnel {
  name: string;
  command: string;
  compress: boolean;
}

/** The two tunnel sections of a configuration (only what this script needs: command, compress). */
function readTunnels(file: string): Tunnel[] {
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
    const compress = section.get('compress')?.toUpperCase() ?? (name === 'remote' ? 'YES' : 'NO');
    return { name, command, compress: compress === 'YES' };
  });
}

/** Resolves to the text received once `done` matches it; `input` may be swapped (COMPRESS). */
class Reader {
  private text = '';
  private waiting: { done: RegExp; resolve: () => void } | undefined;

  attach(input: Readable): void {
    input.on('data', (chunk: Buffer) => {
      this.text += chunk.toString('latin1');
      if (this.waiting?.done.test(this.text)) {
        const { resolve } = this.waiting;
        this.waiting = undefined;
        resolve();
      }
    });
  }

  until(done: RegExp): Promise<void> {
    if (done.test(this.text)) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiting = { done, resolve };
    });
  }
}

async function noop({ command, compress }: Tunnel): Promise<void> {
  const [file, ...args] = /[$&*(){}[\]'";\\|?<>~`]/.test(command)
    ? ['/bin/sh', '-c', command]
    : command.trim().split(/\s+/);
  const child = spawn(file!, args, { stdio: ['pipe', 'pipe', 'ignore'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // The server may close its stdin before the deflate stream's final block is written.
  child.stdin.on('error', () => {});
  const reader = new Reader();
  reader.attach(child.stdout);
  let output: Writable = child.stdin;
  await reader.until(/^\* PREAUTH .*\r\n/m);
  if (compress) {
    output.write('c COMPRESS DEFLATE\r\n');
    await reader.until(/^c OK .*\r\n/m);
    child.stdout.removeAllListeners('data');
    const deflate = createDeflateRaw({ flush: zlib.Z_SYNC_FLUSH });
    deflate.pipe(child.stdin);
    reader.attach(child.stdout.pipe(createInflateRaw()));
    output = deflate;
  }
  output.write(
    'e ENABLE QRESYNC\r\nl LIST "" ""\r\n' +
      's LIST "" ("*") RETURN (SUBSCRIBED CHILDREN STATUS (UIDVALIDITY UIDNEXT HIGHESTMODSEQ))\r\n',
  );
  await reader.until(/^s OK .*\r\n/m);
  output.end('z LOGOUT\r\n');
  await exited;
}

const config = process.argv[2];
if (config === undefined) {
  console.error('usage: node dist/bench/noop-floor.js CONFIG');
  process.exit(2);
}
await Promise.all(readTunnels(config).map(noop));
console.log(`no-op floor: ${performance.now().toFixed(1)} ms since process start`);
