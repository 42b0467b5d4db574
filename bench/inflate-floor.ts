// The CPU floor of COMPRESS=DEFLATE on scenario 1: what inflating the remote's stream costs when it
// is done in one zlib call, with no I/O, no parsing and nothing else. Any client syncing with the
// default configuration (the remote compressed) pays at least this much CPU on top of copying.
//
//   node dist/bench/inflate-floor.js [--scale=1] [--level=6]
//
// The stream is the corpus's messages, deflated at Dovecot's default level
// (imap_compress_deflate_level = 6); the FETCH responses around them add little.
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { makeCorpus, renderMessage } from '../test/helpers/corpus.js';

function option(name: string, fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  const value = arg === undefined ? fallback : Number(arg.slice(name.length + 3));
  if (!Number.isFinite(value) || value <= 0) throw new Error(`inflate-floor: bad --${name}: ${arg}`);
  return value;
}

/** CPU seconds (user + system) spent by `work`. */
function cpuSecondsOf(work: () => void): number {
  const before = process.cpuUsage();
  work();
  const spent = process.cpuUsage(before);
  return (spent.user + spent.system) / 1e6;
}

const scale = option('scale', 1);
const level = option('level', 6);
const corpus = makeCorpus({ seed: 1, messages: Math.round(10_000 * scale) });
const plain = Buffer.concat(corpus.mailboxes.flatMap((m) => m.messages.map(renderMessage)));
const deflated = deflateRawSync(plain, { level });
let inflated: Buffer | undefined;
const inflateCpu = cpuSecondsOf(() => {
  inflated = inflateRawSync(deflated, { chunkSize: 1 << 20 });
});
if (!inflated?.equals(plain)) throw new Error('inflate-floor: the inflated stream differs from the corpus');
const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
console.log(
  `corpus ${mib(plain.length)}, deflated at level ${level}: ${mib(deflated.length)}; ` +
    `one inflate call: ${inflateCpu.toFixed(3)} s of CPU`,
);
