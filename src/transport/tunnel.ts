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

/** Tunnels started by startTunnelEarly that no connection has taken yet. */
const early: Array<{ command: string; nullStderr: boolean; child: Promise<TunnelProcess> }> = [];

/**
 * Starts the command with piped stdin/stdout; resolves once it runs, rejects if it cannot start.
 * Takes over a tunnel startTunnelEarly started for the same command, if there is one.
 */
export function spawnTunnel(command: string, nullStderr: boolean): Promise<TunnelProcess> {
  const i = early.findIndex((e) => e.command === command && e.nullStderr === nullStderr);
  return i >= 0 ? early.splice(i, 1)[0]!.child : spawnCommand(command, nullStderr);
}

function spawnCommand(command: string, nullStderr: boolean): Promise<TunnelProcess> {
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

/**
 * Starts a tunnel before the connection that will use it is created, so that the server starts
 * while the rest of the program loads; the next spawnTunnel of the same command takes it over (its
 * output waits in the pipe); two early starts of one command are two tunnels. Returns a function
 * that stops it if no connection took it.
 */
export function startTunnelEarly(command: string, nullStderr: boolean): () => void {
  const entry = { command, nullStderr, child: spawnCommand(command, nullStderr) };
  // A failure to start is reported by the spawnTunnel that takes it over, if any.
  entry.child.catch(() => {});
  early.push(entry);
  return () => {
    const i = early.indexOf(entry);
    if (i < 0) return;
    early.splice(i, 1);
    entry.child.then(
      (child) => child.kill(),
      () => {},
    );
  };
}
