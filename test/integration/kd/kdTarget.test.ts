/**
 * The windows-kd Target against the KD target simulator (test/kdsim) over TCP and Unix sockets:
 * attach/handshake, DbgPrint output + transcript, the /break stop, execution control,
 * breakpoints, registers, memory, stack, modules, disassembly, evaluate, bugcheck analysis.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { listenTcp, listenUnix } from '../../kdsim/kdSimTransports';
import type { KdSimOptions, Scenario } from '../../kdsim/kdSimulator';
import { Harness } from './kdHarness';

async function attachTcp(opts: KdSimOptions, extra: Record<string, unknown> = {}): Promise<{ h: Harness; sim: Awaited<ReturnType<typeof listenTcp>> }> {
  const sim = await listenTcp(opts);
  const h = new Harness(`tcp:127.0.0.1:${sim.port}`, extra);
  await h.target.start();
  await h.target.configurationDone();
  return { h, sim };
}

test('attach → initial break: progress, link states, DbgPrint output + transcript, exception 80000003 at nt!DbgBreakPoint', async () => {
  const { h, sim } = await attachTcp({ scenario: 'initial-break' });
  const lines: string[] = [];
  sim.sim.on('line', (l: string) => lines.push(l));
  try {
    const progress = await h.waitFor('progressStart');
    assert.match(progress.title, /^Waiting for target on tcp:127\.0\.0\.1:\d+…$/);
    assert.equal(progress.cancellable, true);
    const stop = await h.waitFor('stopped');
    assert.equal(stop.reason, 'exception');
    assert.match(stop.text ?? '', /80000003/);
    assert.match(stop.text ?? '', /first chance/);
    assert.equal(stop.exception?.exceptionId, '0x80000003');
    await h.waitFor('progressEnd');
    const states = h.events.filter((e) => e.event === 'linkState').map((e) => (e.payload as { state: string }).state);
    assert.deepEqual(states.slice(0, 3), ['waiting', 'connected', 'running']);
    assert.equal(states[states.length - 1], 'stopped');
    const { frames } = await h.target.stackTrace(0, 20);
    assert.equal(frames[0].name, 'nt!DbgBreakPoint');
    assert.ok(frames.length >= 2, 'EBP chain gives callers');
    // Every line the target printed is in the Debug Console and in the transcript.
    assert.ok(lines.length >= 3);
    for (const l of lines) {
      assert.ok(h.outputText().includes(l), `output has ${JSON.stringify(l)}`);
      assert.ok(h.transcriptText().includes(l), `transcript has ${JSON.stringify(l)}`);
    }
    const t = h.transcriptText();
    assert.match(t.split('\n')[0], /^BootDbg transcript/);
    assert.match(t, /Break instruction exception - code 80000003 \(first chance\)/);
    assert.match(t, /Connected to Windows XP 2600 x86 compatible target, ptr64 FALSE/);
    // Continue: the iSCSI boot output flows.
    await h.target.continue();
    await h.waitForOutput(/IscsiBP: ISCSI Boot Status 0/);
    await h.waitFor('continued');
  } finally {
    await h.dispose();
    await sim.close();
  }
});

test('registers, EFLAGS, editable eax, memory read/write/partial, evaluate, modules, disassembly, physical memory', async () => {
  const { h, sim } = await attachTcp({ scenario: 'initial-break' });
  try {
    await h.waitFor('stopped');
    const t = h.target;
    const scopes = await t.scopes(0);
    assert.deepEqual(scopes.map((s) => s.name), ['Registers', 'Segment registers', 'Debug registers', 'Control registers']);
    const regs = scopes[0].variables as { name: string; value: string; children?: unknown }[];
    const eip = regs.find((r) => r.name === 'eip')!;
    const frames = (await t.stackTrace(0, 1)).frames;
    assert.equal(BigInt(eip.value), frames[0].address);
    const efl = regs.find((r) => r.name === 'efl')!;
    assert.ok(Array.isArray(efl.children) && (efl.children as { name: string }[]).some((c) => c.name === 'IF'));
    const segs = scopes[1].variables as { name: string; value: string }[];
    assert.equal(segs.find((r) => r.name === 'cs')?.value, '0x0008');
    const ctrl = await (scopes[3].variables as () => Promise<{ name: string; value: string }[]>)();
    assert.ok(ctrl.some((r) => r.name === 'cr0' && BigInt(r.value) !== 0n), 'cr0 read through ReadControlSpace');
    // Edit eax (SetContext) and read it back through evaluate.
    const set = await t.setVariable(0, ['Registers', 'eax'], '0x1234');
    assert.equal(set.value, '0x00001234');
    assert.match((await t.evaluate('$eax', 0, 'watch')).result, /^0x00001234/);
    assert.match((await t.evaluate('@eax+0n16', 0, 'watch')).result, /^0x00001244/);
    // module!symbol, poi()
    const kbc = await t.evaluate('nt!KeBugCheckEx', 0, 'watch');
    assert.match(kbc.result, /\(nt!KeBugCheckEx\)$/);
    const espVal = BigInt((regs.find((r) => r.name === 'esp')!).value);
    const top = await t.readMemory(espVal, 4);
    assert.equal((await t.evaluate('poi(esp)', 0, 'watch')).result.slice(0, 10), '0x' + top.data.readUInt32LE(0).toString(16).padStart(8, '0'));
    await assert.rejects(t.evaluate('nt!NoSuchSymbol', 0, 'watch'), /unknown symbol/);
    // Memory: large read in max-size chunks, write + read back.
    const big = await t.readMemory(0x804d7000n, 10000);
    assert.equal(big.data.length + big.unreadableBytes, 10000);
    assert.equal(big.data.readUInt16LE(0), 0x5a4d, 'MZ at the kernel base');
    // A read running off the end of the KPCR page (0xFFDFF000 on a UP XP): the readable prefix
    // plus the unreadable rest.
    const edge = await t.readMemory(0xffdffff0n, 64);
    assert.equal(edge.data.length, 16);
    assert.equal(edge.unreadableBytes, 48);
    const none = await t.readMemory(0x10n, 32);
    assert.deepEqual([none.data.length, none.unreadableBytes], [0, 32]);
    const scratch = espVal - 0x100n;
    assert.equal(await t.writeMemory(scratch, Buffer.from('BootDbg')), 7);
    assert.equal((await t.readMemory(scratch, 7)).data.toString(), 'BootDbg');
    // Modules from PsLoadedModuleList, names from the export tables.
    const mods = await t.modules!();
    assert.equal(mods[0].name, 'nt');
    assert.ok(mods.some((m) => m.name === 'hal'));
    // 32-bit disassembly at the stop: int3 at nt!DbgBreakPoint.
    const dis = await t.disassemble(frames[0].address, 0, 3, true);
    assert.equal(dis.length, 3);
    assert.equal(dis[0].instruction, 'int3');
    assert.equal(dis[0].symbol, 'nt!DbgBreakPoint');
    // Backwards: the requested address lands at index 2, the instructions before it end exactly there.
    const back = await t.disassemble(frames[0].address, -2, 4, false);
    assert.equal(back.length, 4);
    assert.equal(back[2].address, frames[0].address);
    assert.equal(back[2].instruction, 'int3');
    if (!back[1].invalid) assert.equal(back[1].address + BigInt(back[1].instructionBytes.split(' ').length), frames[0].address);
    const ahead = await t.disassemble(frames[0].address, 1, 2, false);
    assert.equal(ahead[0].address, frames[0].address + 1n, 'offset +1 starts at the instruction after int3');
    const unreadable = await t.disassemble(0x10n, -1, 3, false);
    assert.equal(unreadable.length, 3);
    assert.ok(unreadable.every((i) => i.invalid));
    // Physical memory.
    const phys = (await t.customRequest!('bootdbg.readPhysical', { address: '0x9e620', length: 4 })) as { data: string; unreadableBytes: number };
    assert.equal(Buffer.from(phys.data, 'base64').toString('latin1'), 'iBFT');
    assert.equal((await t.customRequest!('bootdbg.transcriptPath', {})) as unknown as { path: string }['path'] === undefined, false);
    await assert.rejects(t.customRequest!('bootdbg.nope', {}), /does not know/);
    // The kernel's DbgPrint ring buffer (!dbgprint) holds what was printed so far.
    const ring = (await t.evaluate('!dbgprint', 0, 'repl')).result;
    assert.match(ring, /KD: COM1 at 115200 baud[\s\S]*Phase1Initialization/);
    const viaRequest = (await t.customRequest!('bootdbg.dbgprintBuffer', {})) as { text: string };
    assert.equal(viaRequest.text, ring);
    assert.match((await t.evaluate('lm', 0, 'repl')).result, /804d7000 .* nt +ntoskrnl\.exe/);
    assert.match((await t.evaluate('k', 0, 'repl')).result, /nt!DbgBreakPoint/);
  } finally {
    await h.dispose();
    await sim.close();
  }
});

test('bugcheck 0x7B: exception stop with code, name, parameters and iSCSI advice', async () => {
  const { h, sim } = await attachTcp({ scenario: 'bugcheck-7b' });
  try {
    const stop = await h.waitFor('stopped', () => true, 20000);
    assert.equal(stop.reason, 'exception');
    assert.equal(stop.exception?.exceptionId, '0x0000007B');
    assert.equal(stop.exception?.description, '0x0000007B INACCESSIBLE_BOOT_DEVICE');
    const msg = stop.exception?.details?.message ?? '';
    assert.match(msg, /Arg1: 0xf78a6a94/);
    assert.match(msg, /Arg2: 0xc0000034 \(STATUS_OBJECT_NAME_NOT_FOUND\)/);
    assert.match(msg, /Arg3: 0x00000000/);
    assert.match(msg, /iBFT/);
    assert.match(h.transcriptText(), /\*\*\* Fatal System Error: 0x0000007b/);
    assert.match(h.transcriptText(), /Bugcheck Analysis/);
  } finally {
    await h.dispose();
    await sim.close();
  }
});

/** A script for this test: the /break stop, two calls of vDbgPrintEx, a DbgPrompt, a file query, a 0x7B. */
const BREAKPOINT_SCRIPT: Scenario = {
  name: 'breakpoints',
  *steps() {
    yield { kind: 'print', text: 'breakpoint script\n' };
    yield { kind: 'break' };
    yield { kind: 'call', symbol: 'nt!vDbgPrintEx' };
    yield { kind: 'call', symbol: 'nt!vDbgPrintEx' };
    yield { kind: 'prompt', text: 'Break, Ignore, Terminate Process or Terminate Thread (bipt)? ' };
    yield { kind: 'fileOpen', path: '\\SystemRoot\\system32\\drivers\\msiscsi.sys' };
    yield { kind: 'bugcheck', code: 0x7b, params: [0xf78a6a94, 0xc0000034, 0, 0] };
  },
};

test('Unix socket: instruction breakpoint hit twice (restore-step-reinsert), single step, prompt/file I/O answered, nt!KeBugCheckEx, bugcheck', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kdsock-'));
  const sim = await listenUnix({ scenario: BREAKPOINT_SCRIPT }, path.join(dir, 'com1.sock'));
  const fileIo: { status: number }[] = [];
  const answers: string[] = [];
  sim.sim.on('fileIo', (f: { status: number }) => fileIo.push(f));
  sim.sim.on('promptAnswer', (a: string) => answers.push(a));
  const h = new Harness(sim.path);
  try {
    await h.target.start();
    await h.target.configurationDone();
    const first = await h.waitFor('stopped');
    assert.equal(first.reason, 'exception');
    const target = BigInt((await h.target.evaluate('nt!vDbgPrintEx', 0, 'watch')).result.split(' ')[0]);
    const [ibp] = await h.target.setInstructionBreakpoints([{ address: target }]);
    const [fbp] = await h.target.setFunctionBreakpoints([{ name: 'nt!KeBugCheckEx' }]);
    assert.equal(ibp.verified, true);
    assert.equal(fbp.verified, true);
    for (let i = 0; i < 2; i++) {
      await h.target.continue();
      const hit = await h.nextStop();
      assert.equal(hit.reason, 'instruction breakpoint', `hit ${i + 1}`);
      assert.deepEqual(hit.hitBreakpointIds, [ibp.id]);
      assert.equal((await h.target.stackTrace(0, 1)).frames[0].name, 'nt!vDbgPrintEx');
    }
    // Single step off the breakpoint (the trace flag), then on to the next stop.
    await h.target.stepIn('instruction');
    const step = await h.nextStop();
    assert.equal(step.reason, 'step');
    const [insn] = await h.target.disassemble(target, 0, 1, false);
    const len = insn.instructionBytes.split(' ').length;
    assert.equal((await h.target.stackTrace(0, 1)).frames[0].address, target + BigInt(len), 'one instruction further');
    await h.target.continue();
    const kbc = await h.nextStop();
    assert.equal(kbc.reason, 'function breakpoint');
    assert.deepEqual(kbc.hitBreakpointIds, [fbp.id]);
    assert.equal((await h.target.stackTrace(0, 1)).frames[0].name, 'nt!KeBugCheckEx');
    assert.deepEqual(fileIo.map((f) => f.status), [0xc000000f]);
    assert.equal(answers.length, 1);
    await h.target.continue();
    const bug = await h.nextStop();
    assert.equal(bug.exception?.exceptionId, '0x0000007B');
  } finally {
    await h.dispose();
    await sim.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('step over a call runs the callee without stopping in it', async () => {
  const script: Scenario = {
    name: 'step-over',
    *steps() {
      yield { kind: 'break' };
      yield { kind: 'call', symbol: 'nt!DbgPrint' };
      yield { kind: 'idle', ms: Infinity };
    },
  };
  const { h, sim } = await attachTcp({ scenario: script });
  try {
    await h.waitFor('stopped');
    await h.target.setFunctionBreakpoints([{ name: 'nt!DbgPrint' }]);
    await h.target.continue();
    assert.equal((await h.nextStop()).reason, 'function breakpoint');
    const top = async (): Promise<string> => (await h.target.stackTrace(0, 1)).frames[0].name;
    const seen: string[] = [];
    let sawCall = false;
    for (let i = 0; i < 12 && !(await top()).startsWith('nt!DbgPrint+0x13'); i++) {
      const ip = (await h.target.stackTrace(0, 1)).frames[0].address;
      const [insn] = await h.target.disassemble(ip, 0, 1, false);
      if (/^call/.test(insn.instruction)) sawCall = true;
      await h.target.stepOver('instruction');
      assert.equal((await h.nextStop()).reason, 'step');
      seen.push(await top());
    }
    assert.ok(sawCall, `stepped over a call (${seen.join(', ')})`);
    assert.ok(seen.every((n) => n.startsWith('nt!DbgPrint')), `never stopped inside the callee: ${seen.join(', ')}`);
    assert.equal(await top(), 'nt!DbgPrint+0x13');
  } finally {
    await h.dispose();
    await sim.close();
  }
});
