/**
 * In the real VS Code workbench (code-server + Chromium) with the packaged .vsix installed:
 * opening a boot.ini activates BootDbg — the editor's language mode becomes boot.ini and the
 * extension's output channel exists — each demo file gets its language, and the language server's
 * diagnostics reach the Problems panel. Screenshots are kept in test-artifacts/.
 * Expectations come from test/vscode/scenarios.ts, shared with the in-editor tests.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { OPEN_FILE_SCENARIOS } from '../vscode/scenarios';
import { DEMO_DIR, copyFolder, e2eUnavailable, startE2e, waitFor, type E2eSession } from './harness';

const unavailable = e2eUnavailable();
let session: E2eSession;

before(async () => {
  if (unavailable) return;
  session = await startE2e(copyFolder(DEMO_DIR));
}, { timeout: 180000 });

after(async () => {
  await session?.stop();
});

function withExtensionHostLog(err: Error): never {
  throw new Error(`${err.message}\n--- extension host log ---\n${session.server.extensionHostLog()}`);
}

test('opening boot.ini activates BootDbg: boot.ini language mode and the BootDbg output channel', { skip: unavailable ?? false, timeout: 120000 }, async () => {
  const wb = session.workbench;
  const channelsBefore = await wb.outputChannels();
  assert.ok(!channelsBefore.includes('BootDbg'), `BootDbg must not be active before a boot.ini is opened (channels: ${channelsBefore.join(', ')})`);
  await wb.quickOpen('boot.ini');
  assert.equal(await wb.languageMode(), 'boot.ini');
  await waitFor(async () => ((await wb.outputChannels()).includes('BootDbg') ? true : undefined), 30000, 'the BootDbg output channel').catch(withExtensionHostLog);
  const shot = await wb.screenshot('activation-boot-ini');
  assert.ok(fs.statSync(shot).size > 10000, 'a real screenshot');
});

for (const s of OPEN_FILE_SCENARIOS) {
  test(`demo/${s.file} opens in language mode "${s.modeLabel}"`, { skip: unavailable ?? false, timeout: 60000 }, async () => {
    await session.workbench.quickOpen(s.file);
    assert.equal(await session.workbench.languageMode(), s.modeLabel);
  });
}

for (const s of OPEN_FILE_SCENARIOS.filter((x) => x.diagnostics.length > 0)) {
  test(`the language server's diagnostics for demo/${s.file} are in the Problems panel`, { skip: unavailable ?? false, timeout: 120000 }, async () => {
    const wb = session.workbench;
    await wb.quickOpen(s.file);
    const [first, ...rest] = s.diagnostics;
    const rows = await wb.waitForProblem(first, 60000).catch(withExtensionHostLog);
    for (const re of rest) assert.ok(rows.some((r) => re.test(r)), `no problem matching ${re} in:\n${rows.join('\n')}`);
    await wb.screenshot(`problems-${s.file}`);
  });
}
