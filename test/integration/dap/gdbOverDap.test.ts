// The bundled adapter (dist/adapter.js, as VS Code runs it) over stdio DAP, against real QEMU:
// F5 → stopped on a source breakpoint in a .S file, frames with linear instruction references,
// registers, a step, and no QEMU left behind.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { bundledAdapter, repoRoot, type DapHarness } from '../../support/dapHarness';
import { buildBootSector, toolchainMissing, type BuiltBootSector } from '../gdb/bootsectorFixture';
import { BOOTSECTOR_SOURCE } from '../gdb/bootsectorFixture';
import * as path from 'node:path';

const skip = !existsSync('/usr/bin/qemu-system-i386')
  ? 'qemu-system-i386 is not installed'
  : !existsSync(path.join(repoRoot, 'dist', 'adapter.js'))
    ? 'dist/adapter.js is not built (npm run build)'
    : toolchainMissing();

function qemuPidsFor(image: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', image], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

describe('gdb-remote through the bundled adapter over stdio DAP', { skip, timeout: 120_000 }, () => {
  let built: BuiltBootSector;
  let h: DapHarness;

  before(() => {
    built = buildBootSector(true);
  });
  after(() => built?.cleanup());

  test('source breakpoint in the .S file hits; frame, registers, step, disconnect', async () => {
    h = await bundledAdapter('gdb-remote');
    try {
      await h.dc.initializeRequest({ adapterID: 'gdb-remote', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true, supportsProgressReporting: true });
      const initialized = h.dc.waitForEvent('initialized');
      await h.dc.launchRequest({ type: 'gdb-remote', request: 'launch', image: built.floppy, media: 'floppy', program: built.elf } as DebugProtocol.LaunchRequestArguments);
      await initialized;
      assert.equal(qemuPidsFor(built.floppy).length > 0, true, 'QEMU runs');

      const line = built.lineOf('incw\tcounter');
      const bps = await h.dc.setBreakpointsRequest({ source: { path: BOOTSECTOR_SOURCE }, breakpoints: [{ line }] });
      assert.equal(bps.body.breakpoints[0].verified, true, bps.body.breakpoints[0].message);
      const stopped = h.dc.waitForEvent('stopped', 60_000);
      await h.dc.configurationDoneRequest();
      const ev = (await stopped) as DebugProtocol.StoppedEvent;
      assert.equal(ev.body.reason, 'breakpoint');

      const st = await h.dc.stackTraceRequest({ threadId: 1 });
      const top = st.body.stackFrames[0];
      assert.equal(BigInt(top.instructionPointerReference!), built.linear('loop1'));
      assert.match(top.name, /^07C0:[0-9A-F]{4}/i);
      assert.equal(top.source?.path, BOOTSECTOR_SOURCE);
      assert.equal(top.line, line);

      const scopes = await h.dc.scopesRequest({ frameId: top.id });
      const regScope = scopes.body.scopes.find((s) => /regist/i.test(s.name));
      assert.ok(regScope, `a registers scope among ${scopes.body.scopes.map((s) => s.name).join(', ')}`);
      const regs = await h.dc.variablesRequest({ variablesReference: regScope.variablesReference });
      const flat = JSON.stringify(regs.body.variables);
      assert.match(flat, /07c0/i, 'CS 07C0 appears in the registers');

      const stepped = h.dc.waitForEvent('stopped', 30_000);
      await h.dc.stepInRequest({ threadId: 1, granularity: 'instruction' });
      await stepped;
      const st2 = await h.dc.stackTraceRequest({ threadId: 1 });
      assert.ok(BigInt(st2.body.stackFrames[0].instructionPointerReference!) > built.linear('loop1'), 'the step moved forward');

      const dis = await h.dc.customRequest('disassemble', { memoryReference: st2.body.stackFrames[0].instructionPointerReference, instructionCount: 4 });
      assert.equal(dis.body.instructions.length, 4);
      assert.match(dis.body.instructions.map((i: DebugProtocol.DisassembledInstruction) => i.instruction).join('\n'), /call/);

      await h.dc.disconnectRequest({ terminateDebuggee: true });
    } finally {
      await h.close();
    }
    for (let i = 0; i < 30 && qemuPidsFor(built.floppy).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(qemuPidsFor(built.floppy), [], 'no QEMU outlives the session');
  });
});
