/**
 * Issue 7, e2e (a), the parts debugSmoke.test.ts does not cover: set the breakpoint by clicking the
 * gutter of prefix.S, F5 runs straight to it (a launch without stopOnEntry, in a trusted throw-away
 * copy of demo/), Variables shows CS:IP as seg:off, the Disassembly view opens on 16-bit code, and
 * F11 steps into print_digit. Screenshots in test-artifacts/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEMO_DIR, copyFolder, e2eUnavailable, startE2e, waitFor, type E2eSession } from './harness';
import { clickGutter } from './editorHelpers';

const unavailable = e2eUnavailable() ?? (spawnSync('qemu-system-i386', ['--version']).status === 0 ? null : 'qemu-system-i386 is not installed');
let session: E2eSession;
let workspace: string;

before(async () => {
  if (unavailable) return;
  workspace = copyFolder(DEMO_DIR);
  fs.writeFileSync(path.join(workspace, '.vscode', 'launch.json'), JSON.stringify({
    version: '0.2.0',
    configurations: [{
      type: 'gdb-remote', request: 'launch', name: 'Prefix to the breakpoint', preLaunchTask: 'make demo',
      image: '${workspaceFolder}/build/prefix.img', media: 'floppy', program: '${workspaceFolder}/build/prefix.elf', console: 'debugcon', stopOnEntry: false,
    }],
  }, null, 2));
  session = await startE2e(workspace, { trustAllFolders: true });
}, { timeout: 180000 });

after(async () => {
  await session?.stop();
});

test('gutter click in prefix.S, F5 to the breakpoint, CS:IP in Variables, 16-bit Disassembly view, F11 into print_digit', { skip: unavailable ?? false, timeout: 180000 }, async () => {
  const wb = session.workbench;
  const source = fs.readFileSync(path.join(workspace, 'prefix.S'), 'utf8').split('\n');
  const line = source.findIndex((l) => /^\s*call\s+print_digit/.test(l)) + 1;
  const digitLabel = source.findIndex((l) => /^print_digit:/.test(l)) + 1;
  assert.ok(line > 0 && digitLabel > 0);

  await wb.quickOpen('prefix.S');
  await clickGutter(wb, line);
  await wb.startDebugging('Prefix to the breakpoint');
  await waitFor(async () => ((await wb.topStackFrameLine()) === line ? true : undefined), 90000, `the top frame on prefix.S:${line}`).catch(async (err: Error) => {
    await wb.screenshot('prefix-stepping-failed-breakpoint');
    throw err;
  });
  const variables = await waitFor(async () => {
    const text = await wb.variablesText();
    if (/07c0:[0-9a-f]{4}/i.test(text)) return text;
    // The Registers scope may come up collapsed: open it as a person would, with a click.
    const scope = wb.page.locator('.debug-variables .monaco-list-row[aria-expanded="false"]', { hasText: 'Registers' }).first();
    if (await scope.isVisible().catch(() => false)) await scope.click();
    return undefined;
  }, 20000, 'CS:IP as 07C0:xxxx in Variables').catch(async (err: Error) => {
    await wb.screenshot('prefix-stepping-failed-variables');
    throw new Error(`${err.message}\n${await wb.variablesText().catch(() => '')}`);
  });
  assert.match(variables, /linear 0x/i);
  await wb.screenshot('prefix-stepping-breakpoint');

  await wb.runCommand('Open Disassembly View');
  const disasm = wb.page.locator('.disassembly-view');
  const text = await waitFor(async () => {
    const t = await disasm.innerText().catch(() => '');
    return /\bcall\b/i.test(t) ? t : undefined;
  }, 20000, 'instructions in the Disassembly view').catch(async (err: Error) => {
    await wb.screenshot('prefix-stepping-failed-disassembly');
    throw err;
  });
  // 16-bit decoding: the countdown's loop uses CX and AL/CL; 32-bit decoding would show ecx/eax.
  assert.match(text, /\b(cx|cl|al|si)\b/i, `16-bit registers in the disassembly:\n${text.slice(0, 1500)}`);
  assert.doesNotMatch(text.split('\n').slice(0, 40).join('\n'), /\b(ecx|esi)\b/i);
  await wb.screenshot('prefix-stepping-disassembly');

  await wb.quickOpen('prefix.S');
  await wb.page.keyboard.press('F11');
  const into = await waitFor(async () => {
    const l = await wb.topStackFrameLine();
    return l !== undefined && l > digitLabel && l < digitLabel + 8 ? l : undefined;
  }, 30000, 'F11 to step into print_digit').catch(async (err: Error) => {
    await wb.screenshot('prefix-stepping-failed-step');
    throw err;
  });
  assert.match(source[into - 1], /pushw\s+%ax/, 'the first instruction of print_digit');
  await wb.screenshot('prefix-stepping-step-into');
  await wb.page.keyboard.press('Shift+F5');
});
