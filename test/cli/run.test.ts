// runCli hands the engine a validated Invocation, Config and Logger, and returns its exit code.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { RunEngine } from '../../src/cli/invocation.js';
import { runCli } from '../../src/cli/run.js';

const home = mkdtempSync(join(tmpdir(), 'interimap-run-'));
after(() => rmSync(home, { recursive: true, force: true }));
mkdirSync(join(home, 'interimap'));
writeFileSync(
  join(home, 'interimap', 'config'),
  '[local]\ntype = tunnel\ncommand = imapd\n[remote]\nhost = mail.example\n',
  {
    mode: 0o600,
  },
);

test('the engine receives what the command line and the file say, and decides the exit code', async () => {
  let seen: Parameters<RunEngine> | undefined;
  const engine: RunEngine = async (...args) => {
    seen = args;
    return 3;
  };
  assert.equal(await runCli(['--watch=5', '--debug', 'INBOX'], { XDG_CONFIG_HOME: home }, engine), 3);
  const [inv, config, logger] = seen!;
  assert.deepEqual(
    { command: inv.command, mailboxes: inv.mailboxes, watch: inv.watch, debug: inv.debug },
    { command: 'sync', mailboxes: ['INBOX'], watch: 5, debug: 1 },
  );
  assert.equal(inv.configPath, join(home, 'interimap', 'config'));
  assert.equal(config.local.type === 'tunnel' && config.local.command, 'imapd');
  assert.equal(config.remote.type === 'imaps' && config.remote.host, 'mail.example');
  assert.equal(logger.debugEnabled, true);
});

test('the engine is not called on bad input', async () => {
  let called = false;
  const engine: RunEngine = async () => {
    called = true;
    return 0;
  };
  assert.equal(await runCli(['--config=absent'], { XDG_CONFIG_HOME: home }, engine), 1);
  assert.equal(await runCli(['--rename', 'a'], { XDG_CONFIG_HOME: home }, engine), 1);
  assert.equal(called, false);
});
