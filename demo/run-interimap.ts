// Runs the real `interimap` command (this checkout's dist/cli/interimap.cjs) on the demo's config file,
// collecting what it prints; a run that hangs is killed, and a Ctrl-C kills the run in progress.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** dist/demo/demo.js → dist/cli/interimap.cjs (the bundle), whatever the current directory. */
export const CLI = fileURLToPath(new URL('../cli/interimap.cjs', import.meta.url));
const RUN_TIMEOUT_MS = 60_000;

export interface ToolRun {
  code: number | null;
  /** stdout and stderr interleaved as they came, split into lines. */
  lines: string[];
}

const running = new Set<ChildProcess>();

/** Kills the runs still going (for the interrupt handler). */
export function killRuns(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** `node CLI --config=CONFIG ARGS` with `env`; resolves when it exits. */
export function runInterimap(config: string, args: string[], env: NodeJS.ProcessEnv): Promise<ToolRun> {
  const child = spawn(process.execPath, [CLI, `--config=${config}`, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let text = '';
  const collect = (chunk: Buffer) => {
    text += chunk.toString();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      text += `(killed after ${RUN_TIMEOUT_MS / 1000} s)\n`;
      child.kill('SIGKILL');
    }, RUN_TIMEOUT_MS);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, lines: text.split('\n').filter((line) => line !== '') });
    });
  });
}
