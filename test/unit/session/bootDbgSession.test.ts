import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { inProcessAdapter, type DapHarness } from '../../support/dapHarness';
import { ScriptedTarget } from './scriptedTarget';

describe('DAP session translates between DAP and a Target', () => {
  let h: DapHarness;
  let target: ScriptedTarget | undefined;

  beforeEach(async () => {
    target = undefined;
    h = await inProcessAdapter((config) => (target = new ScriptedTarget(config)));
  });
  afterEach(async () => {
    await h.close();
  });

  async function launchStopped(): Promise<void> {
    await h.dc.initializeRequest({ adapterID: 'gdb-remote', supportsProgressReporting: true });
    const stopped = h.dc.waitForEvent('stopped');
    await h.dc.launchRequest({ type: 'gdb-remote', image: 'x.img' } as DebugProtocol.LaunchRequestArguments);
    await h.dc.configurationDoneRequest();
    const ev = (await stopped) as DebugProtocol.StoppedEvent;
    assert.equal(ev.body.reason, 'entry');
  }

  test('a configuration error is shown to the user with its message', async () => {
    await h.dc.initializeRequest();
    await assert.rejects(h.dc.launchRequest({ type: 'gdb-remote', image: 'bad' } as DebugProtocol.LaunchRequestArguments), /image "bad" does not exist/);
  });

  test('a start failure is reported and the target is torn down', async () => {
    await h.dc.initializeRequest();
    await assert.rejects(h.dc.launchRequest({ failStart: true } as DebugProtocol.LaunchRequestArguments), /could not open disk image/);
    assert.equal(target?.disconnected, true);
  });

  test('launch → initialized → configurationDone → stopped on entry; frames carry linear instruction references', async () => {
    await h.dc.initializeRequest();
    const initialized = h.dc.waitForEvent('initialized');
    const stopped = h.dc.waitForEvent('stopped');
    await h.dc.launchRequest({ type: 'gdb-remote', image: 'x.img' } as DebugProtocol.LaunchRequestArguments);
    await initialized;
    await h.dc.configurationDoneRequest();
    await stopped;
    assert.deepEqual(target?.calls.slice(0, 2), ['start', 'configurationDone']);
    const st = await h.dc.stackTraceRequest({ threadId: 1 });
    assert.equal(st.body.stackFrames[0].instructionPointerReference, '0xfffffff0');
    assert.equal(st.body.stackFrames[0].name, 'F000:FFF0');
    assert.equal(st.body.stackFrames[1].instructionPointerReference, '0x00007c05');
    assert.equal(st.body.stackFrames[1].source?.path, '/src/prefix.S');
    assert.equal(st.body.stackFrames[1].line, 12);
    assert.equal(st.body.totalFrames, 2);
    const page = await h.dc.stackTraceRequest({ threadId: 1, startFrame: 1, levels: 1 });
    assert.equal(page.body.stackFrames.length, 1);
    assert.equal(page.body.stackFrames[0].name, '07C0:0005 go');
  });

  test('registers: nested children, setVariable by path, and invalid handles after a step', async () => {
    await launchStopped();
    const st = await h.dc.stackTraceRequest({ threadId: 1 });
    const scopes = await h.dc.scopesRequest({ frameId: st.body.stackFrames[0].id });
    assert.equal(scopes.body.scopes[0].name, 'Registers');
    assert.equal(scopes.body.scopes[0].presentationHint, 'registers');
    const regs = await h.dc.variablesRequest({ variablesReference: scopes.body.scopes[0].variablesReference });
    const eflags = regs.body.variables.find((v) => v.name === 'eflags');
    assert.ok(eflags && eflags.variablesReference > 0);
    const flags = await h.dc.variablesRequest({ variablesReference: eflags.variablesReference });
    assert.deepEqual(flags.body.variables.map((v) => v.name), ['CF', 'ZF']);
    const dssi = regs.body.variables.find((v) => v.name === 'ds:si');
    assert.equal(dssi?.memoryReference, '0x00007c10');

    const set = await h.dc.setVariableRequest({ variablesReference: scopes.body.scopes[0].variablesReference, name: 'eax', value: '0xbeef' });
    assert.equal(set.body.value, '0x0000beef');
    assert.ok(target?.calls.includes('set Registers/eax=0xbeef'));
    await assert.rejects(h.dc.setVariableRequest({ variablesReference: eflags.variablesReference, name: 'CF', value: '1' }), /Registers\/eflags\/CF is read-only/);

    const stepped = h.dc.waitForEvent('stopped');
    await h.dc.nextRequest({ threadId: 1, granularity: 'instruction' });
    await stepped;
    assert.ok(target?.calls.includes('stepOver instruction'));
    const stale = await h.dc.variablesRequest({ variablesReference: eflags.variablesReference });
    assert.deepEqual(stale.body.variables, []);
  });

  test('readMemory/writeMemory: base64, offsets and unreadable bytes', async () => {
    await launchStopped();
    target!.memory.write('hello', 0x10);
    const r = await h.dc.customRequest('readMemory', { memoryReference: '0x7c00', offset: 0x10, count: 5 });
    assert.equal(Buffer.from(r.body.data, 'base64').toString(), 'hello');
    assert.equal(r.body.address, '0x00007c10');
    const tail = await h.dc.customRequest('readMemory', { memoryReference: '0x7cf0', count: 0x20 });
    assert.equal(Buffer.from(tail.body.data, 'base64').length, 0x10);
    assert.equal(tail.body.unreadableBytes, 0x10);
    const w = await h.dc.customRequest('writeMemory', { memoryReference: '07c0:0020', data: Buffer.from('AB').toString('base64') });
    assert.equal(w.body.bytesWritten, 2);
    assert.equal(target!.memory.subarray(0x20, 0x22).toString(), 'AB');
    await assert.rejects(h.dc.customRequest('readMemory', { memoryReference: 'zz', count: 1 }), /not an address/);
  });

  test('breakpoints of every kind map both ways, pending ones report unverified', async () => {
    await launchStopped();
    const src = await h.dc.setBreakpointsRequest({ source: { path: '/src/prefix.S' }, breakpoints: [{ line: 5 }, { line: 99 }] });
    assert.equal(src.body.breakpoints[0].verified, true);
    assert.equal(src.body.breakpoints[0].line, 6, 'moved to the next line with code');
    assert.equal(src.body.breakpoints[0].instructionReference, '0x00007c05');
    assert.equal(src.body.breakpoints[1].verified, false);
    assert.equal(src.body.breakpoints[1].reason, 'pending');
    const fn = await h.dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'install' }, { name: 'nope' }] });
    assert.deepEqual(fn.body.breakpoints.map((b) => b.verified), [true, false]);
    assert.match(fn.body.breakpoints[1].message ?? '', /no symbol nope/);
    const ins = await h.dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: '0x10200', offset: 2 }] });
    assert.ok(target!.calls.includes('ibps 10202'));
    assert.equal(ins.body.breakpoints[0].instructionReference, '0x00010202');
    const info = await h.dc.dataBreakpointInfoRequest({ name: 'ds:si' });
    assert.equal(info.body.dataId, '0x00007c10:2');
    await h.dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: 'readWrite' }] });
    assert.ok(target!.calls.includes('dbps 7c10/2/readWrite'));
    const none = await h.dc.dataBreakpointInfoRequest({ name: 'nothing' });
    assert.equal(none.body.dataId, null);
  });

  test('disassemble, evaluate and custom requests', async () => {
    await launchStopped();
    const d = await h.dc.customRequest('disassemble', { memoryReference: '0x7c00', instructionCount: 3 });
    assert.equal(d.body.instructions.length, 3);
    assert.equal(d.body.instructions[0].address, '0x00007c00');
    assert.equal(d.body.instructions[0].location.path, '/src/prefix.S');
    assert.equal(d.body.instructions[1].location, undefined, 'same source as the previous one is left out');
    assert.equal(d.body.instructions[2].line, 12);
    const ev = await h.dc.evaluateRequest({ expression: '$eax', context: 'watch' });
    assert.equal(ev.body.result, '0x1234');
    await assert.rejects(h.dc.evaluateRequest({ expression: 'bogus{1}', context: 'repl' }), /cannot evaluate "bogus\(1\)"/);
    const c = await h.dc.customRequest('bootdbg.where', {});
    assert.deepEqual(c.body, { linear: '0x00007c00' });
    await assert.rejects(h.dc.customRequest('frobnicate', {}), /Unknown request "frobnicate"/);
  });

  test('exceptions: stopped event text and exceptionInfo', async () => {
    await launchStopped();
    const stopped = h.dc.waitForEvent('stopped');
    target!.fireException();
    const ev = (await stopped) as DebugProtocol.StoppedEvent;
    assert.equal(ev.body.reason, 'exception');
    assert.match(ev.body.text ?? '', /80000003 \(first chance\)/);
    const info = await h.dc.customRequest('exceptionInfo', { threadId: 1 });
    assert.equal(info.body.exceptionId, '0x80000003');
    assert.equal(info.body.breakMode, 'always');
  });

  test('continue emits continued; target loss emits terminated once', async () => {
    await launchStopped();
    const cont = h.dc.waitForEvent('continued');
    await h.dc.continueRequest({ threadId: 1 });
    await cont;
    const term = h.dc.waitForEvent('terminated');
    target!.fireTerminated();
    target!.fireTerminated();
    await term;
  });

  test('disconnect after launch terminates the debuggee; requests without a target fail clearly', async () => {
    await launchStopped();
    const t = target!;
    await h.dc.disconnectRequest({});
    assert.equal(t.disconnected, true);
    await assert.rejects(h.dc.stackTraceRequest({ threadId: 1 }), /No target/);
  });
});

describe('DAP session capabilities follow the target', () => {
  test('a capabilities event narrows conditional, hit-count and logpoint support to what the target does', async () => {
    const h = await inProcessAdapter((config) => {
      const t = new ScriptedTarget(config);
      (t.capabilities as { conditionalBreakpoints: boolean }).conditionalBreakpoints = false;
      return t;
    });
    try {
      const init = await h.dc.initializeRequest();
      assert.equal(init.body?.supportsLogPoints, true, 'advertised before the target is known');
      const caps = h.dc.waitForEvent('capabilities');
      await h.dc.launchRequest({ type: 'gdb-remote' } as DebugProtocol.LaunchRequestArguments);
      const ev = (await caps) as DebugProtocol.CapabilitiesEvent;
      assert.equal(ev.body.capabilities.supportsConditionalBreakpoints, false);
      assert.equal(ev.body.capabilities.supportsHitConditionalBreakpoints, false);
      assert.equal(ev.body.capabilities.supportsLogPoints, false);
    } finally {
      await h.close();
    }
  });
});
