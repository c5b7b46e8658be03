/**
 * In the real VS Code workbench (code-server + Chromium) with the packaged .vsix installed:
 * opening a boot.ini activates BootDbg — the editor's language mode becomes boot.ini and the
 * extension's output channel exists — and the workbench screenshot is kept as an artifact.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEMO_DIR, REPO_ROOT, copyFolder, e2eUnavailable, startE2e, waitFor, type E2eSession } from './harness';

const unavailable = e2eUnavailable();
let session: E2eSession;

before(async () => {
  if (unavailable) return;
  session = await startE2e(copyFolder(DEMO_DIR));
}, { timeout: 180000 });

after(async () => {
  await session?.stop();
});

test('opening boot.ini activates BootDbg: boot.ini language mode and the BootDbg output channel', { skip: unavailable ?? false, timeout: 120000 }, async () => {
  const wb = session.workbench;
  const before = await wb.outputChannels();
  assert.ok(!before.some((c) => /^BootDbg/.test(c)), `BootDbg must not be active before a boot.ini is opened (channels: ${before.join(', ')})`);
  await wb.quickOpen('boot.ini');
  assert.equal(await wb.languageMode(), 'boot.ini');
  const channels = await waitFor(async () => {
    const names = await wb.outputChannels();
    return names.includes('BootDbg') ? names : undefined;
  }, 30000, 'the BootDbg output channel').catch((err: Error) => {
    throw new Error(`${err.message}\n--- extension host log ---\n${session.server.extensionHostLog()}`);
  });
  assert.ok(channels.includes('BootDbg'));
  const shot = await wb.screenshot('activation-boot-ini');
  assert.ok(fs.statSync(shot).size > 10000, 'a real screenshot');
});

/** The language server is written in parallel; until its bundle exists this check cannot run. */
const serverPending = fs.readFileSync(path.join(REPO_ROOT, 'language-server', 'main.ts'), 'utf8').includes('not built yet')
  ? 'the language server is still a placeholder in this build'
  : false;

test('the language server lints boot.ini: the wrong default= and the bad baud rate are in Problems', { skip: unavailable ?? serverPending, timeout: 120000 }, async () => {
  const wb = session.workbench;
  await wb.quickOpen('boot.ini');
  const rows = await wb.waitForProblem(/115201/, 60000).catch((err: Error) => {
    throw new Error(`${err.message}\n--- extension host log ---\n${session.server.extensionHostLog()}`);
  });
  assert.ok(rows.some((r) => /default/i.test(r)), `Problems: ${rows.join('\n')}`);
  await wb.screenshot('activation-boot-ini-problems');
});
