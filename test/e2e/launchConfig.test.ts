/**
 * Issue 7 item 1, in the real workbench: launch.json help. In a copy of demo/ with the prefix built,
 * "Debug: Select and Start Debugging" offers BootDbg's folder-derived configurations (the floppy
 * image with its ELF → a gdb-remote launch), and "BootDbg: Select Serial Port" (the
 * `${command:bootdbg.pickSerialPort}` picker) lists the machine's serial ports plus TCP and pipe entry.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEMO_DIR, copyFolder, e2eUnavailable, startE2e, waitFor, type E2eSession } from './harness';

const unavailable = e2eUnavailable();
let session: E2eSession;

before(async () => {
  if (unavailable) return;
  const workspace = copyFolder(DEMO_DIR);
  const made = spawnSync('make', ['-C', workspace], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  assert.ok(fs.existsSync(path.join(workspace, 'build', 'prefix.img')));
  session = await startE2e(workspace, { trustAllFolders: true });
}, { timeout: 180000 });

after(async () => {
  await session?.stop();
});

function quickPickRows(s: E2eSession): Promise<string[]> {
  const rows = s.workbench.page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
  return rows.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? e.textContent ?? ''));
}

test('Select and Start Debugging offers a gdb-remote launch for the built floppy image', { skip: unavailable ?? false, timeout: 120000 }, async () => {
  const wb = session.workbench;
  await wb.runCommand('Debug: Select and Start Debugging');
  const provider = wb.page.locator('.quick-input-list .monaco-list-row', { hasText: 'BootDbg: GDB-remote' }).first();
  await provider.waitFor({ timeout: 15000 });
  await provider.click();
  const offered = await waitFor(async () => {
    const rows = await quickPickRows(session);
    return rows.some((r) => /QEMU: prefix\.img/.test(r)) ? rows : undefined;
  }, 20000, 'the folder-derived gdb-remote configurations');
  await wb.screenshot('launch-config-dynamic');
  assert.ok(offered.some((r) => /QEMU: prefix\.img/.test(r)), offered.join('\n'));
  await wb.page.keyboard.press('Escape');
});

test('the serial-port picker lists ports and offers TCP and pipe entry', { skip: unavailable ?? false, timeout: 120000 }, async () => {
  const wb = session.workbench;
  await wb.runCommand('Select Serial Port');
  await wb.page.locator('.quick-input-widget', { hasText: 'serial port of the Windows target' }).first().waitFor({ timeout: 15000 });
  const rows = await waitFor(async () => {
    const r = await quickPickRows(session);
    return r.some((x) => x.includes('TCP')) ? r : undefined;
  }, 15000, 'the serial-port picker rows');
  await wb.screenshot('launch-config-serial-picker');
  assert.ok(rows.some((r) => r.startsWith('TCP')), rows.join('\n'));
  assert.ok(rows.some((r) => /Named pipe or socket/.test(r)), rows.join('\n'));
  await wb.page.keyboard.press('Escape');
});
