/**
 * windows-kd through the bundled adapter (dist/adapter.js over stdio DAP, as VS Code runs it)
 * against the KD simulator on a loopback TCP port: attach, DbgPrint output events, the /break stop
 * with exceptionInfo, top frame nt!DbgBreakPoint, modules, registers, evaluate, memory,
 * disassembly, a function breakpoint on nt!KeBugCheckEx and the 0x7B bugcheck's exceptionInfo.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { bundledAdapter, repoRoot } from '../../support/dapHarness';
import { listenTcp } from '../../kdsim/kdSimTransports';
import type { Scenario } from '../../kdsim/kdSimulator';

const skip = existsSync(path.join(repoRoot, 'dist', 'adapter.js')) ? false : 'dist/adapter.js is not built (npm run build)';

const SCRIPT: Scenario = {
  name: 'dap',
  *steps() {
    yield { kind: 'print', text: 'IscsiBP: Initiator name iqn.1991-05.com.microsoft:xpclient\n', from: 'msiscsi' };
    yield { kind: 'break' };
    yield { kind: 'print', text: 'IscsiBP: Timed out waiting for boot disk, ISCSI Boot Status 0xC0000034\n', from: 'msiscsi' };
    yield { kind: 'bugcheck', code: 0x7b, params: [0xf78a6a94, 0xc0000034, 0, 0] };
  },
};

describe('windows-kd through the bundled adapter over stdio DAP', { skip, timeout: 60_000 }, () => {
  test('attach, output, initial break, exceptionInfo, modules, registers, evaluate, memory, disassembly, bp on nt!KeBugCheckEx, bugcheck 0x7B', async () => {
    const sim = await listenTcp({ scenario: SCRIPT });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kddap-'));
    const transcript = path.join(dir, 'boot.kdlog');
    const h = await bundledAdapter('windows-kd');
    const output: string[] = [];
    h.dc.on('output', (e: DebugProtocol.OutputEvent) => output.push(e.body.output));
    try {
      await h.dc.initializeRequest({ adapterID: 'windows-kd', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true, supportsProgressReporting: true });
      const initialized = h.dc.waitForEvent('initialized');
      await h.dc.attachRequest({ type: 'windows-kd', request: 'attach', port: `tcp:127.0.0.1:${sim.port}`, transcript } as DebugProtocol.AttachRequestArguments);
      await initialized;
      const stopped = h.dc.waitForEvent('stopped', 20_000);
      await h.dc.configurationDoneRequest();
      const ev = (await stopped) as DebugProtocol.StoppedEvent;
      assert.equal(ev.body.reason, 'exception');
      assert.match(ev.body.text ?? ev.body.description ?? '', /80000003/);
      const info = await h.dc.exceptionInfoRequest({ threadId: ev.body.threadId ?? 1 });
      assert.equal(info.body.exceptionId, '0x80000003');
      assert.match(info.body.description ?? '', /Break instruction exception - code 80000003 \(first chance\)/);
      assert.ok(output.some((o) => o.includes('IscsiBP: Initiator name')), 'DbgPrint line in the Debug Console');

      const st = await h.dc.stackTraceRequest({ threadId: 1 });
      assert.equal(st.body.stackFrames[0].name, 'nt!DbgBreakPoint');
      const ip = st.body.stackFrames[0].instructionPointerReference!;

      const mods = await h.dc.customRequest('modules', {});
      assert.ok((mods.body.modules as DebugProtocol.Module[]).some((m) => m.name === 'nt'));

      const scopes = await h.dc.scopesRequest({ frameId: st.body.stackFrames[0].id });
      const regs = await h.dc.variablesRequest({ variablesReference: scopes.body.scopes[0].variablesReference });
      const eip = regs.body.variables.find((v) => v.name === 'eip');
      assert.equal(BigInt(eip!.value), BigInt(ip));
      // Registers are editable (SetContext): change eax, then flip ZF inside efl.
      const setEax = await h.dc.setVariableRequest({ variablesReference: scopes.body.scopes[0].variablesReference, name: 'eax', value: '0x1234' });
      assert.equal(setEax.body.value, '0x00001234');
      const efl = regs.body.variables.find((v) => v.name === 'efl')!;
      const flags = await h.dc.variablesRequest({ variablesReference: efl.variablesReference });
      const zf = flags.body.variables.find((v) => v.name === 'ZF')!;
      const flipped = zf.value === '1' ? '0' : '1';
      const setZf = await h.dc.setVariableRequest({ variablesReference: efl.variablesReference, name: 'ZF', value: flipped });
      assert.equal(setZf.body.value, flipped);
      const again = await h.dc.evaluateRequest({ expression: '$eax', context: 'watch', frameId: st.body.stackFrames[0].id });
      assert.match(again.body.result, /^0x00001234/);
      const ev2 = await h.dc.evaluateRequest({ expression: 'nt!KeBugCheckEx', context: 'watch', frameId: st.body.stackFrames[0].id });
      assert.match(ev2.body.result, /\(nt!KeBugCheckEx\)/);

      const mem = await h.dc.customRequest('readMemory', { memoryReference: ip, count: 2 });
      assert.equal(Buffer.from(mem.body.data, 'base64').toString('hex'), 'ccc3', 'int 3; ret at nt!DbgBreakPoint');
      const dis = await h.dc.customRequest('disassemble', { memoryReference: ip, instructionCount: 2, resolveSymbols: true });
      assert.equal(dis.body.instructions[0].instruction, 'int3');

      const fbp = await h.dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'nt!KeBugCheckEx' }] });
      assert.equal(fbp.body.breakpoints[0].verified, true);
      let next = h.dc.waitForEvent('stopped', 20_000);
      await h.dc.continueRequest({ threadId: 1 });
      const hit = (await next) as DebugProtocol.StoppedEvent;
      assert.equal(hit.body.reason, 'function breakpoint');
      next = h.dc.waitForEvent('stopped', 20_000);
      await h.dc.continueRequest({ threadId: 1 });
      const bug = (await next) as DebugProtocol.StoppedEvent;
      assert.equal(bug.body.reason, 'exception');
      const bi = await h.dc.exceptionInfoRequest({ threadId: 1 });
      assert.equal(bi.body.exceptionId, '0x0000007B');
      assert.equal(bi.body.description, '0x0000007B INACCESSIBLE_BOOT_DEVICE');
      assert.match(bi.body.details?.message ?? '', /Arg2: 0xc0000034/);
      assert.match(bi.body.details?.message ?? '', /iBFT/);

      const tp = await h.dc.customRequest('bootdbg.transcriptPath', {});
      assert.equal(tp.body.path, transcript);
      await h.dc.disconnectRequest({});
      const text = readFileSync(transcript, 'utf8');
      assert.match(text, /^BootDbg transcript/);
      assert.match(text, /ISCSI Boot Status 0xC0000034/);
      assert.match(text, /INACCESSIBLE_BOOT_DEVICE/);
    } finally {
      await h.close();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
