// Makes the README's screenshots from real runs between two throw-away Dovecot servers:
// docs/screenshots/trace-page.png (the chart page with the run's --trace drawn over it) and
// docs/screenshots/progress.png (what the terminal showed during and at the end of a sync).
// Run: npm run build && node dist/test/viz/readme-screenshots.js
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAIN, Pair, saveMessage } from '../cli-e2e/harness.js';
import { appendMessages, makeMessage } from '../helpers/corpus.js';
import { ImapPipe } from '../helpers/imap-pipe.js';
import { runOnTerminal } from '../progress/terminal.js';
import { openOffline } from './browser.js';
import { screenshotTracePage } from './trace-checks.js';

const OUT = 'docs/screenshots';

async function tracePage(): Promise<void> {
  const pair = await Pair.start();
  try {
    for (const server of [pair.local, pair.remote]) await server.doveadm(['mailbox', 'create', 'Work']);
    await saveMessage(pair.local, 'INBOX', 'hello');
    await saveMessage(pair.remote, 'Work', 'report');
    pair.writeConfig();
    const trace = join(pair.dir, 'run.trace');
    const run = await pair.run([`--trace=${trace}`]);
    if (run.code !== 0) throw new Error(run.stderr);
    await screenshotTracePage(trace, join(OUT, 'trace-page.png'));
  } finally {
    await pair.stop();
  }
}

/**
 * The screens a terminal showed, from what was written to it: one halfway through with the status line
 * drawn, and the final one. Only what the progress line uses: CR LF, and CR + erase line.
 */
function screens(output: string): { during: string[]; end: string[] } {
  const lines: string[] = [];
  let current = '';
  const frames: string[][] = [];
  for (const piece of output.split(/(\r\n|\r\x1b\[2K)/)) {
    if (piece === '\r\n') {
      lines.push(current);
      current = '';
    } else if (piece === '\r\x1b[2K') {
      if (current !== '') frames.push([...lines, current]);
      current = '';
    } else current += piece;
  }
  // Halfway through: the counts and the rate while they still grow.
  const during = frames[Math.floor(frames.length / 2)] ?? [];
  return { during, end: current === '' ? lines : [...lines, current] };
}

async function progress(): Promise<void> {
  const pair = await Pair.start();
  try {
    const pipe = await ImapPipe.open(pair.local.tunnelCommand);
    const messages = Array.from({ length: 3000 }, (_, i) => makeMessage(i + 1, `<m${i}@shot>`));
    await appendMessages(pipe, 'INBOX', messages).finally(() => pipe.close());
    const config = pair.writeConfig();
    const run = runOnTerminal([process.execPath, MAIN, `--config=${config}`], {
      ...process.env,
      HOME: pair.dir,
      COLUMNS: '100',
    });
    if (run.status !== 0) throw new Error(run.output);
    const { during, end } = screens(run.output);
    const escaped = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
    // The last lines of each screen: the status line (or summary) under the latest log lines.
    const block = (title: string, text: string[]) =>
      `<p>${title}</p><pre>$ interimap\n…\n${escaped(text.slice(-4).join('\n'))}</pre>`;
    const page = join(pair.dir, 'progress.html');
    writeFileSync(
      page,
      `<!doctype html><meta charset="utf-8"><style>
body{margin:0;padding:12px;background:#1e1e1e;color:#9a9a9a;font:13px sans-serif}
pre{margin:4px 0 14px;padding:10px;background:#111;color:#e6e6e6;font:13px/1.35 monospace;white-space:pre}
</style><body>${block('during the sync', during)}${block('at the end', end)}</body>`,
    );
    const offline = await openOffline(page, { width: 1000, height: 100 });
    try {
      await offline.page.screenshot({ path: join(OUT, 'progress.png'), fullPage: true });
    } finally {
      await offline.browser.close();
    }
  } finally {
    await pair.stop();
  }
}

mkdirSync(OUT, { recursive: true });
await tracePage();
await progress();
