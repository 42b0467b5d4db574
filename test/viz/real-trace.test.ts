// `interimap --trace=FILE` on a real sync between two Dovecot servers (the remote one over imaps
// with a password): the trace keeps no password and no body byte, the chart page generated with
// `--statechart=… --trace-in=…` highlights in Chromium the states the run went through, and a
// mailbox whose UIDVALIDITY changed is marked failed with its reason.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { readTrace } from '../../src/viz/trace-read.js';
import { MAIN, Pair, saveMessage } from '../cli-e2e/harness.js';
import { openOffline } from './browser.js';
import { assertPrivateTrace, checkRealSyncTrace } from './trace-checks.js';

/** Planted in a message body: it must never reach the trace. */
const BODY_SECRET = 'body-only-7f3a9c1e-never-in-trace';
const PASSWORD = 'Tr4ce-s3cret-pw';

describe('--trace on a real sync', { timeout: 60_000 }, () => {
  let pair: Pair;
  const browsers: Browser[] = [];
  const trace = () => join(pair.dir, 'run.trace');

  /** `interimap --statechart=NAME --trace-in=TRACE`, opened offline in Chromium. */
  async function openTracePage(traceFile: string, name: string): Promise<Page> {
    const html = join(pair.dir, name);
    const made = spawnSync(process.execPath, [MAIN, `--statechart=${html}`, `--trace-in=${traceFile}`], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(made.status, 0, made.stderr);
    const offline = await openOffline(html, { width: 1300, height: 900 });
    browsers.push(offline.browser);
    assert.deepEqual(offline.refused, [], 'no request leaves the file');
    return offline.page;
  }

  before(async () => {
    pair = await Pair.start({ remote: { tls: true, users: [{ name: 'tracer', password: PASSWORD }] } });
    const { remote } = pair;
    pair.writeConfig({
      remote: [
        'type = imaps',
        `host = ${remote.host}`,
        `port = ${remote.imapsPort}`,
        `username = ${remote.user}`,
        `password = ${PASSWORD}`,
        'SSL_verify = NO',
        `SSL_fingerprint = sha256$${remote.spkiSha256}`,
      ],
    });
    await pair.local.doveadm(['mailbox', 'create', 'Work']);
    await saveMessage(pair.local, 'INBOX', 'hello');
    await pair.local.doveadm(['save', '-m', 'Work'], {
      input: `From: a@example.org\r\nSubject: plain\r\nMessage-ID: <s@e2e>\r\n\r\n${BODY_SECRET}\r\n`,
    });
    await saveMessage(pair.remote, 'INBOX', 'from-remote');
  });
  after(async () => {
    await Promise.all(browsers.map((b) => b.close()));
    await pair?.stop();
  });

  test('the trace holds every actor of the run and neither the password nor a body', async () => {
    const run = await pair.run([`--trace=${trace()}`]);
    assert.equal(run.code, 0, run.stderr);
    const recorded = checkRealSyncTrace({
      trace: trace(),
      secrets: [PASSWORD, `\0${pair.remote.user}\0${PASSWORD}`, BODY_SECRET],
      mailboxes: ['INBOX', 'Work'],
    });
    // The copies were noted on their mailbox actor: figures only.
    const notes = readFileSync(trace(), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"note"'));
    assert.ok(
      notes.some((l) => /"actor":"mailbox:Work".*"copied":1/.test(l)),
      `a copy note for Work: ${notes.join('\n')}`,
    );
    const remoteConnection = recorded.runs.find((r) => r.actor === 'connection:remote#0');
    assert.ok(
      remoteConnection?.entries.some((e) => e.state.startsWith('authenticat')),
      'logged in',
    );
  });

  test('the chart page with the trace highlights the states the run went through, offline', async () => {
    const page = await openTracePage(trace(), 'out.html');
    const classOf = async (state: string) =>
      (await page.locator(`[data-state="${state}"]`).first().getAttribute('class')) ?? '';
    for (const state of ['orchestrator.done', 'mailboxSync.done', 'connection.closed']) {
      assert.match(await classOf(state), /\bhl-visited\b/, state);
    }
    const actors = [
      'orchestrator',
      'mailbox:INBOX',
      'mailbox:Work',
      'connection:local#0',
      'connection:remote#0',
    ];
    for (const actor of actors) {
      assert.ok((await page.locator(`.timeline[data-actor="${actor}"] li`).count()) > 1, actor);
    }
    assert.equal(await page.locator('#run-trace li.failed').count(), 0);
  });

  test('a mailbox whose UIDVALIDITY changed is marked failed with its reason', async () => {
    await pair.remote.doveadm(['mailbox', 'update', '--uid-validity', '12345', 'Work']);
    const failing = join(pair.dir, 'failing.trace');
    const run = await pair.run([`--trace=${failing}`]);
    assert.notEqual(run.code, 0, 'the run reports the failed mailbox');
    assertPrivateTrace(failing, [PASSWORD, BODY_SECRET]);
    const recorded = readTrace(readFileSync(failing, 'utf8'), failing);
    const work = recorded.runs.find((r) => r.actor === 'mailbox:Work');
    assert.equal(work?.outcome, 'failed');
    assert.match(work.error ?? '', /^uidvalidity-changed: UIDVALIDITY changed on remote/);
    assert.equal(recorded.runs.find((r) => r.actor === 'orchestrator')?.outcome, 'done');
    const failedPage = await openTracePage(failing, 'failing.html');
    const line = await failedPage.locator('#run-trace li.failed[data-actor="mailbox:Work"]').textContent();
    assert.match(line ?? '', /UIDVALIDITY changed on remote/);
    assert.match(
      (await failedPage.locator('[data-state="mailboxSync.failed"]').first().getAttribute('class')) ?? '',
      /\bhl-failed\b/,
    );
  });
});
