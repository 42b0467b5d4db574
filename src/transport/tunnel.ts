// type=tunnel: how the `command` option is run (through /bin/sh or exec'd directly, by the rule Perl's
// one-string exec follows) and the child process whose stdin/stdout carry the IMAP stream.

import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { TransportError } from './errors.js';

export type TunnelCommand = { file: string; args: string[] } | { shell: string };

// Characters that need a shell; a command without them is split on white space and executed directly.
const SHELL_METACHARACTERS = /[$&*(){}[\]'";\\|?<>~`\n]/;
// A leading VAR=value assignment also needs a shell.
const LEADING_ASSIGNMENT = /^\s*[A-Za-z_][A-Za-z0-9_]*=/;

export function splitTunnelCommand(command: string): TunnelCommand {
  if (command.trim() === '') throw new TransportError('tunnel command is empty');
  if (SHELL_METACHARACTERS.test(command) || LEADING_ASSIGNMENT.test(command)) return { shell: command };
  const [file, ...args] = command.trim().split(/\s+/);
  return { file: file!, args };
}

export type TunnelProcess = ChildProcessByStdio<Writable, Readable, null>;

/** Starts the command with piped stdin/stdout; resolves once it runs, rejects if it cannot start. */
export function spawnTunnel(command: string, nullStderr: boolean): Promise<TunnelProcess> {
  const split = splitTunnelCommand(command);
  const [file, args] = 'shell' in split ? ['/bin/sh', ['-c', split.shell]] : [split.file, split.args];
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', nullStderr ? 'ignore' : 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('spawn', () => resolve(child as TunnelProcess));
    child.once('error', (error) =>
      reject(new TransportError(`cannot run tunnel command '${command}': ${error.message}`)),
    );
  });
}
