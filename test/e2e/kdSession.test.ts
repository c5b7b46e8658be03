/**
 * Issue 7, e2e (c): `windows-kd` against the KD simulator over a real socat pty, driven from the
 * workbench. The simulator plays a Windows Server 2003 booted with /break that then fails its iSCSI
 * boot (scenario bugcheck-7b with --initial-break). In a trusted throw-away copy of demo/ with a
 * launch.json whose port is the pty device: start it → the initial /break stop shows nt!DbgBreakPoint
 * in the Call Stack; F5 → the iSCSI boot lines reach the Debug Console and the 0x7B bugcheck stops
 * the session as an exception named INACCESSIBLE_BOOT_DEVICE (the Call Stack header: there is no
 * source for nt!KeBugCheckEx, so no editor with an exception widget); the transcript file is on disk with
 * those lines; "Show iSCSI Boot Report (live session)" opens. Screenshots in test-artifacts/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEMO_DIR, REPO_ROOT, copyFolder, e2eUnavailable, startE2e, waitFor, type E2eSession } from './harness';
import { debugConsoleLinesWith, waitForStoppedIn } from './editorHelpers';

const SIM_CLI = path.join(REPO_ROOT, 'out', 'test', 'kdsim', 'cli.js');
const unavailable = e2eUnavailable() ?? (spawnSync('socat', ['-V']).status === 0 ? null : 'socat is not installed (the simulator needs it for the pty)');
let session: E2eSession | undefined;
let sim: ChildProcess | undefined;
let workspace: string;
let transcript: string;

/** Starts the simulator; resolves with the pty device it printed in `READY <device>`. */
function startSimulator(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SIM_CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    sim = child;
    let out = '';
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /^READY (\S+)$/m.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`the KD simulator exited (${code}) before READY:\n${out}\n${err}`)));
    setTimeout(() => reject(new Error(`no READY from the KD simulator within 20 s:\n${out}\n${err}`)), 20000).unref();
  });
}

before(async () => {
  if (unavailable) return;
  const device = await startSimulator(['--scenario', 'bugcheck-7b', '--initial-break', '--pty', '--baud', '115200']);
  workspace = copyFolder(DEMO_DIR);
  transcript = path.join(workspace, '.bootdbg', 'transcripts', 'e2e.kdlog');
  fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
  fs.writeFileSync(path.join(workspace, '.vscode', 'launch.json'), JSON.stringify({
    version: '0.2.0',
    configurations: [{
      type: 'windows-kd', request: 'attach', name: 'KD simulator on a pty',
      port: device, baudRate: 115200, transcript: '${workspaceFolder}/.bootdbg/transcripts/e2e.kdlog',
    }],
  }, null, 2));
  session = await startE2e(workspace, { trustAllFolders: true });
}, { timeout: 180000 });

after(async () => {
  await session?.stop();
  if (sim && sim.exitCode === null) {
    sim.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    if (sim.exitCode === null) sim.kill('SIGKILL');
  }
});

test('windows-kd over a pty: /break stop at nt!DbgBreakPoint, continue → iSCSI lines and 0x7B INACCESSIBLE_BOOT_DEVICE, transcript on disk, boot report', { skip: unavailable ?? false, timeout: 180000 }, async () => {
  const wb = session!.workbench;
  await wb.startDebugging('KD simulator on a pty');
  const initial = await waitForStoppedIn(wb, /nt!DbgBreakPoint\b/);
  assert.match(initial, /Break instruction exception/i, `the Call Stack gives the reason:\n${initial}`);
  await wb.screenshot('kd-session-initial-break');

  await wb.page.keyboard.press('F5');
  // No source for nt!KeBugCheckEx, so no editor (and no exception widget): VS Code shows the
  // exception's description in the Call Stack header instead.
  const stack = await waitForStoppedIn(wb, /nt!KeBugCheckEx/, 60000);
  await wb.screenshot('kd-session-bugcheck');
  assert.match(stack, /Bugcheck 0x0*7B\b/i, `the Call Stack gives the bugcheck as the stop reason:\n${stack}`);
  assert.match(stack, /INACCESSIBLE_BOOT_DEVICE/, `…with its name:\n${stack}`);

  const iscsiLines = await debugConsoleLinesWith(wb, 'IscsiBP');
  assert.match(iscsiLines, /IscsiBP: iBF table found/, `iSCSI boot lines in the Debug Console:\n${iscsiLines}`);
  assert.match(iscsiLines, /ISCSI Boot Status 0xC0000034/i);
  assert.match(await debugConsoleLinesWith(wb, 'INACCESSIBLE_BOOT_DEVICE'), /0x0*7B/i);

  const saved = await waitFor(() => (fs.existsSync(transcript) && /IscsiBP: Timed out/.test(fs.readFileSync(transcript, 'utf8')) ? fs.readFileSync(transcript, 'utf8') : undefined), 10000, 'the transcript on disk');
  assert.match(saved, /Microsoft Windows XP/);

  await wb.runCommand('Show iSCSI Boot Report (live session)');
  const tab = wb.page.locator('.tab', { hasText: /live-session/i }).first();
  await tab.waitFor({ timeout: 20000 });
  // The preview is a webview: its rendered report is in a nested frame.
  const report = await waitFor(async () => {
    for (const f of wb.page.frames()) {
      if (f === wb.page.mainFrame()) continue;
      const body = await f.locator('body').innerText({ timeout: 1000 }).catch(() => '');
      if (/0x0*7B|INACCESSIBLE_BOOT_DEVICE/i.test(body) && /iBFT|iSCSI/i.test(body)) return body;
    }
    return undefined;
  }, 30000, 'the rendered iSCSI boot report').catch(async (err: Error) => {
    await wb.screenshot('kd-session-failed-boot-report');
    throw err;
  });
  assert.match(report, /10\.0\.2\.2|iqn\./, `the report shows the iBFT/target details:\n${report.slice(0, 2000)}`);
  await wb.screenshot('kd-session-boot-report');

  // The firmware's own table, read from the stopped target's physical memory over KD, next to what
  // Windows printed (issue 8: one iBFT decoder for both debuggers, compared with the live report).
  await wb.runCommand('Show iBFT (iSCSI Boot Firmware Table)');
  const ibft = await waitFor(async () => {
    for (const f of wb.page.frames()) {
      if (f === wb.page.mainFrame()) continue;
      const body = await f.locator('body').innerText({ timeout: 1000 }).catch(() => '');
      if (/iSCSI Boot Firmware Table/i.test(body) && /9e620/i.test(body)) return body;
    }
    return undefined;
  }, 30000, 'the decoded iBFT').catch(async (err: Error) => {
    await wb.screenshot('kd-session-failed-ibft');
    throw err;
  });
  assert.match(ibft, /iqn\./, `the decoded table names the initiator/target:\n${ibft.slice(0, 2000)}`);
  assert.match(ibft, /live KD session/, `…and is compared with the live session's report:\n${ibft.slice(0, 2000)}`);
  await wb.screenshot('kd-session-ibft');
});
