/**
 * The harness can drive a debug session the way a person does: in a trusted copy of demo/, F9 on
 * a line of prefix.S, start "Demo prefix in QEMU" (its preLaunchTask runs make), stop on entry,
 * continue to the breakpoint (the editor marks that line as the top stack frame, the Call Stack says
 * why, Variables shows CS:IP, the banner the prefix wrote to port 0xE9 is in the Debug Console), stop debugging —
 * and QEMU is gone afterwards. And the demo's windows-kd attach against the KD simulator streams the
 * simulated iSCSI boot into the Debug Console.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEMO_DIR, REPO_ROOT, copyFolder, e2eUnavailable, startE2e, waitFor, type E2eSession } from './harness';

const unavailable = e2eUnavailable();
let session: E2eSession;
let workspace: string;

before(async () => {
  if (unavailable) return;
  workspace = copyFolder(DEMO_DIR);
  session = await startE2e(workspace, { trustAllFolders: true });
}, { timeout: 180000 });

after(async () => {
  await session?.stop();
});

/** Offset of the first `call <fn>` in the ELF's .text (the prefix is linked at 0). */
function callOffset(elf: string, fn: string): number {
  const dump = spawnSync('objdump', ['-d', '-m', 'i8086', elf], { encoding: 'utf8' }).stdout;
  const m = new RegExp(`^\\s*([0-9a-f]+):.*\\bcall\\b.*<${fn}>`, 'm').exec(dump);
  assert.ok(m, `no call to ${fn} in ${elf}`);
  return parseInt(m[1], 16);
}

/** Node processes running the installed extension's adapter bundle as their own process. */
function adapterProcesses(): string[] {
  const ps = spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).stdout;
  return ps.split('\n').filter((l) => /[\\/]dist[\\/]adapter\.js(\s|$)/.test(l) && !l.includes('qemu-system'));
}

function qemuFor(dir: string): string[] {
  const ps = spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).stdout;
  return ps.split('\n').filter((l) => l.includes('qemu-system') && l.includes(dir));
}

test('F9 in prefix.S, start the demo launch, continue to the breakpoint, stop: no QEMU left', { skip: unavailable ?? false, timeout: 180000 }, async () => {
  const wb = session.workbench;
  const source = fs.readFileSync(path.join(workspace, 'prefix.S'), 'utf8').split('\n');
  const line = source.findIndex((l) => /^\s*call\s+print_digit/.test(l)) + 1;
  assert.ok(line > 0, 'prefix.S calls print_digit');

  await wb.quickOpen('prefix.S');
  await wb.toggleBreakpoint(line);
  await wb.startDebugging('Demo prefix in QEMU');
  const entry = await wb.waitForPaused(90000);
  await wb.screenshot('debug-smoke-entry');
  assert.match(entry, /paused/i);
  assert.ok(qemuFor(workspace).length > 0, 'QEMU runs the workspace image');
  // gdb-remote's adapter runs inline in the extension host (bootdbg.debugAdapter.host: auto).
  assert.deepEqual(adapterProcesses(), [], 'no separate adapter process for gdb-remote');

  await wb.page.keyboard.press('F5');
  const atLine = await waitFor(async () => ((await wb.topStackFrameLine()) === line ? line : undefined), 30000, `the top stack frame on prefix.S:${line}`);
  assert.equal(atLine, line);
  assert.match(await wb.waitForPaused(10000), /breakpoint/i);
  // Registers as seg:off: CS = 07C0 and IP = the offset of that call in the ELF the task built.
  const offset = callOffset(path.join(workspace, 'build', 'prefix.elf'), 'print_digit');
  const csip = `07c0:${offset.toString(16).padStart(4, '0')}`;
  const variables = await waitFor(async () => {
    const text = await wb.variablesText();
    return text.toLowerCase().includes(csip) ? text : undefined;
  }, 20000, `CS:IP ${csip} in the Variables view`);
  assert.match(variables, new RegExp(`linear 0x0*${(0x7c00 + offset).toString(16)}`, 'i'));
  // The prefix printed its banner to port 0xE9 before the countdown: debugcon → Debug Console.
  assert.match(await wb.debugConsoleText(), /BootDbg demo prefix: counting down/);
  await wb.screenshot('debug-smoke-breakpoint');

  await wb.page.keyboard.press('Shift+F5');
  await waitFor(() => (qemuFor(workspace).length === 0 ? true : undefined), 15000, 'QEMU to exit after Stop');
});

test('the demo windows-kd attach shows a simulated iSCSI boot in the Debug Console and the link state in the status bar', { skip: unavailable ?? false, timeout: 180000 }, async () => {
  const wb = session.workbench;
  // The same KD simulator `npm start` runs for this configuration (tcp:127.0.0.1:50001).
  const sim = spawn(process.execPath, [path.join(REPO_ROOT, 'out', 'test', 'kdsim', 'cli.js'), '--scenario', 'iscsi-boot', '--tcp', '50001'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let simOut = '';
    sim.stdout.on('data', (c: Buffer) => (simOut += c.toString()));
    await waitFor(() => (/^READY /m.test(simOut) ? true : undefined), 20000, 'the KD simulator to listen');
    await wb.startDebugging('Windows Server 2003 over KD (TCP)');
    // breakOnConnect may stop the target (nt!DbgBreakPointWithStatus) before or after the boot
    // lines: continue whenever it is stopped until they have all arrived.
    const text = await waitFor(async () => {
      const t = await wb.debugConsoleText().catch(() => '');
      if (/iSCSI boot complete/.test(t)) return t;
      if (await wb.page.locator('.debug-toolbar .codicon-debug-continue').first().isVisible().catch(() => false)) await wb.page.keyboard.press('F5');
      return undefined;
    }, 90000, 'the iSCSI boot lines in the Debug Console').catch(async (err: Error) => {
      await wb.screenshot('failed-debug-smoke-kd');
      throw new Error(`${err.message}; simulator output: ${simOut}`);
    });
    assert.match(text, /IscsiBP: Target 10\.0\.2\.2:3260/);
    // windows-kd keeps its adapter (and the serial-port binding) in a process of its own.
    assert.equal(adapterProcesses().length, 1, 'one adapter process for the windows-kd session');
    assert.match(await wb.statusBarText(), /KD: .*tcp:127\.0\.0\.1:50001/);
    await wb.screenshot('debug-smoke-kd');
    await wb.page.keyboard.press('Shift+F5');
    await wb.page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 15000 });
  } finally {
    sim.kill('SIGKILL');
  }
});
