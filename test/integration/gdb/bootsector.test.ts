// The test prefix (test/fixtures/gdb/bootsector.S, built here with as --32 -g) booted from a
// floppy under real QEMU: CS normalisation, step over call/int, step out of near/far calls,
// continue off a breakpoint, data breakpoints with the hit address, pause on `jmp $`, serial
// console, and QEMU killed mid-run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { qemuMissing, startTarget, assertProcessGone, type Harness } from './gdbTestSupport';
import { buildBootSector, toolchainMissing, type BuiltBootSector } from './bootsectorFixture';

const skip = qemuMissing() ?? toolchainMissing();
let bs: BuiltBootSector;

before(() => {
  if (!skip) bs = buildBootSector();
});
after(() => bs?.cleanup());

async function atLabel(label: string): Promise<Harness> {
  const h = await startTarget({ request: 'launch', image: bs.floppy, media: 'floppy', stopOnEntry: true });
  await h.target.configurationDone();
  assert.equal((await h.nextStop()).reason, 'entry');
  const [bp] = await h.target.setInstructionBreakpoints([{ address: bs.linear(label) }]);
  assert.equal(bp.verified, true);
  await h.target.continue();
  const stop = await h.nextStop(30000);
  assert.equal(stop.reason, 'instruction breakpoint', `expected to stop at ${label}`);
  await h.target.setInstructionBreakpoints([]);
  return h;
}

async function pc(h: Harness): Promise<{ address: bigint; name: string }> {
  const { frames } = await h.target.stackTrace(0, 1);
  return frames[0];
}

test('boot sector: 0000:7C00, then the far jump normalises CS to 07C0:0005', { skip, timeout: 60000 }, async () => {
  const h = await atLabel('_start');
  try {
    let f = await pc(h);
    assert.equal(f.address, 0x7c00n);
    assert.match(f.name, /^0000:7c00/);
    const dis = await h.target.disassemble(0x7c00n, 0, 2, false);
    assert.match(dis[0].instruction, /^ljmp/);
    assert.equal(dis[1].address, 0x7c05n);
    await h.target.stepIn('instruction');
    assert.equal((await h.nextStop()).reason, 'step');
    f = await pc(h);
    assert.equal(f.address, 0x7c05n);
    assert.match(f.name, /^07c0:0005/);
  } finally {
    await h.dispose();
  }
});

test('step over a near call; pause on the jmp $ self-loop notes it', { skip, timeout: 90000 }, async () => {
  const h = await atLabel('loop1');
  try {
    // incw counter; then the call
    await h.target.stepIn('instruction');
    await h.nextStop();
    assert.equal((await pc(h)).address, bs.linear('loop1') + 4n);
    await h.target.stepOver('instruction');
    assert.equal((await h.nextStop()).reason, 'step');
    assert.equal((await pc(h)).address, bs.linear('loop1') + 7n, 'step over the call lands after it');
    // Into the call, then step out.
    await h.target.continue();
    // (no breakpoints: runs to spin) -> pause
    await new Promise((r) => setTimeout(r, 300));
    await h.target.pause();
    const p = await h.nextStop();
    assert.equal(p.reason, 'pause');
    assert.equal((await pc(h)).address, bs.linear('spin'));
    assert.ok(h.outputs.some((o) => /jmp \$/.test(o)), 'a note about the jmp $ self-loop');
  } finally {
    await h.dispose();
  }
});

test('step into a near call, then step out returns after the call', { skip, timeout: 60000 }, async () => {
  const h = await atLabel('loop1');
  try {
    await h.target.stepIn('instruction'); // incw
    await h.nextStop();
    await h.target.stepIn('instruction'); // call putc
    await h.nextStop();
    assert.equal((await pc(h)).address, bs.linear('putc'));
    const { frames } = await h.target.stackTrace(0, 10);
    assert.equal(frames.length, 2, 'the shadow call stack shows the caller');
    assert.equal(frames[1].address, bs.linear('loop1') + 7n);
    await h.target.stepIn('instruction'); // push ax, inside putc
    await h.nextStop();
    await h.target.stepOut();
    assert.equal((await h.nextStop()).reason, 'step');
    assert.equal((await pc(h)).address, bs.linear('loop1') + 7n);
  } finally {
    await h.dispose();
  }
});

test('step out of a far call found at function entry; step over int', { skip, timeout: 60000 }, async () => {
  const h = await atLabel('farfunc');
  try {
    const f = await pc(h);
    assert.match(f.name, /^07c0:0039/);
    await h.target.stepOut();
    assert.equal((await h.nextStop()).reason, 'step');
    assert.equal((await pc(h)).address, bs.linear('farfunc') - 0x39n + 0x27n, 'returns after the lcall (to int $0x12)');
    const bx = await h.target.evaluate('$bx', 0, 'watch');
    assert.match(bx.result, /^0x1234/);
    await h.target.stepOver('instruction'); // int $0x12 runs the BIOS handler entirely
    assert.equal((await h.nextStop()).reason, 'step');
    assert.equal((await pc(h)).address, bs.linear('spin') - 3n);
    const ax = await h.target.evaluate('$ax', 0, 'watch');
    assert.ok(Number(BigInt(ax.result.split(' ')[0])) >= 600, `int 0x12 returned base memory KiB in AX: ${ax.result}`);
  } finally {
    await h.dispose();
  }
});

test('continue off a breakpoint re-stops on the next loop iteration, not at once', { skip, timeout: 60000 }, async () => {
  const h = await atLabel('_start');
  try {
    const [bp] = await h.target.setInstructionBreakpoints([{ address: bs.linear('loop1') }]);
    const counters: number[] = [];
    for (let i = 0; i < 3; i++) {
      await h.target.continue();
      const s = await h.nextStop();
      assert.equal(s.reason, 'instruction breakpoint');
      assert.deepEqual(s.hitBreakpointIds, [bp.id]);
      const c = await h.target.evaluate(`*(u16*)${bs.linear('counter')}`, 0, 'watch');
      counters.push(Number(BigInt(c.result.split(' ')[0])));
    }
    assert.deepEqual(counters, [0, 1, 2]);
  } finally {
    await h.dispose();
  }
});

test('data breakpoint on the counter reports the hit address', { skip, timeout: 60000 }, async () => {
  const h = await atLabel('go');
  try {
    const info = await h.target.dataBreakpointInfo('07c0:003d');
    assert.ok('address' in info);
    assert.equal(info.address, bs.linear('counter'));
    const [bp] = await h.target.setDataBreakpoints([{ address: info.address, length: 2, accessType: 'write' }]);
    assert.equal(bp.verified, true);
    await h.target.continue();
    const s = await h.nextStop();
    assert.equal(s.reason, 'data breakpoint');
    assert.equal(s.dataAddress, bs.linear('counter'));
    assert.deepEqual(s.hitBreakpointIds, [bp.id]);
    // QEMU reports after the writing instruction (movw $0, counter at go+9): PC is loop1.
    assert.equal((await pc(h)).address, bs.linear('loop1'));
    await h.target.continue();
    const s2 = await h.nextStop();
    assert.equal(s2.reason, 'data breakpoint');
    assert.equal((await pc(h)).address, bs.linear('loop1') + 4n, 'after incw counter');
  } finally {
    await h.dispose();
  }
});

test('serial console output streams as output events; memory write and register edit', { skip, timeout: 60000 }, async () => {
  const h = await atLabel('spin');
  try {
    const deadline = Date.now() + 5000;
    while (!h.outputs.join('').includes('AAA') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(h.outputs.join('').includes('AAA'), `COM1 output: ${JSON.stringify(h.outputs.join('').slice(0, 200))}`);
    const counter = bs.linear('counter');
    assert.equal(await h.target.writeMemory(counter, Buffer.from([0x34, 0x12])), 2);
    const mem = await h.target.readMemory(counter, 2);
    assert.equal(mem.data.readUInt16LE(0), 0x1234);
    await h.target.setVariable(0, ['eax', 'ax'], '0xbeef');
    assert.match((await h.target.evaluate('$ax', 0, 'watch')).result, /^0xbeef/);
    await assert.rejects(h.target.setVariable(0, ['cs', 'base'], '0x1234'), /cs\.base cannot be changed/);
    await h.target.setVariable(0, ['ds'], '0x1000');
    assert.match((await h.target.evaluate('ds:0', 0, 'watch')).result, /linear 0x00010000/);
    await h.target.setVariable(0, ['eflags', 'CF'], '1');
    assert.match((await h.target.evaluate('$eflags & 1', 0, 'watch')).result, /^0x1 /);
  } finally {
    await h.dispose();
  }
});

test('QEMU killed while running -> terminated within 2 s, no QEMU left', { skip, timeout: 60000 }, async () => {
  const h = await atLabel('go');
  const pid = h.target.qemuProcess!.pid!;
  await h.target.continue();
  const t0 = Date.now();
  process.kill(pid, 'SIGKILL');
  const term = await h.next('terminated', 2000);
  assert.ok(Date.now() - t0 < 2000);
  assert.match(term.reason, /QEMU|connection/);
  await assertProcessGone(pid);
  await h.target.disconnect(true);
});

test('QEMU killed while a step is in flight -> terminated within 2 s and the step fails', { skip, timeout: 60000 }, async () => {
  const h = await atLabel('go');
  const pid = h.target.qemuProcess!.pid!;
  process.kill(pid, 'SIGSTOP'); // the step request cannot be answered now
  const step = h.target.stepIn('instruction');
  const stepResult = step.then(() => 'resolved', (e: Error) => e.message);
  await new Promise((r) => setTimeout(r, 100));
  const t0 = Date.now();
  process.kill(pid, 'SIGKILL');
  await h.next('terminated', 2000);
  assert.ok(Date.now() - t0 < 2000);
  assert.match(await stepResult, /closed|killed|connection|exited/);
  await assertProcessGone(pid);
  await h.target.disconnect(true);
});

test('VGA text screen shows the BIOS banner when the boot sector starts', { skip, timeout: 60000 }, async () => {
  const h = await atLabel('_start');
  try {
    const r = (await h.target.customRequest!('bootdbg.vgaText', {})) as { text: string };
    assert.match(r.text, /Booting from Floppy/);
    assert.equal(r.text.split('\n').length, 25);
    const mon = (await h.target.customRequest!('bootdbg.monitor', { command: 'info registers' })) as { output: string };
    assert.match(mon.output, /CS =0000 00000000/);
    const phys = (await h.target.customRequest!('bootdbg.readPhysical', { address: '0x7dfe', length: 2 })) as { data: string };
    assert.equal(Buffer.from(phys.data, 'base64').toString('hex'), '55aa');
    await assert.rejects(h.target.customRequest!('bootdbg.nope', {}), /does not know the request bootdbg\.nope/);
  } finally {
    await h.dispose();
  }
});

for (const [what, bytes, expectLinear] of [
  ['a far jump to F000:FFF0', 'eaf0ff00f0', 0xffff0n],
  ['a triple fault (IDT limit 0, then int3)', '0f011e0001cc', 0xfffffff0n],
] as const) {
  test(`stopOnReset: ${what} stops with "the prefix rebooted"`, { skip, timeout: 60000 }, async () => {
    const h = await startTarget({ request: 'launch', image: bs.floppy, media: 'floppy', stopOnEntry: true, stopOnReset: true });
    try {
      await h.target.configurationDone();
      await h.nextStop();
      await h.target.setInstructionBreakpoints([{ address: bs.linear('spin') }]);
      await h.target.continue();
      assert.equal((await h.nextStop()).reason, 'instruction breakpoint');
      await h.target.setInstructionBreakpoints([]);
      await h.target.writeMemory(bs.linear('spin'), Buffer.from(bytes, 'hex'));
      await h.target.continue();
      const s = await h.nextStop();
      assert.equal(s.reason, 'exception');
      assert.equal(s.exception?.exceptionId, 'reset');
      assert.equal((await h.target.stackTrace(0, 1)).frames[0].address, expectLinear);
      assert.ok(h.outputs.some((o) => /prefix rebooted/.test(o)));
    } finally {
      await h.dispose();
    }
  });
}

test('breakpoints set while the CPU runs are inserted (quiet pause, insert, resume) and hit', { skip, timeout: 60000 }, async () => {
  const h = await atLabel('go');
  try {
    await h.target.continue();
    await new Promise((r) => setTimeout(r, 200)); // spinning on `jmp spin` now
    const [bp] = await h.target.setInstructionBreakpoints([{ address: bs.linear('spin') }]);
    assert.equal(bp.verified, true);
    const s = await h.nextStop();
    assert.equal(s.reason, 'instruction breakpoint');
    assert.deepEqual(s.hitBreakpointIds, [bp.id]);
    assert.equal((await pc(h)).address, bs.linear('spin'));
  } finally {
    await h.dispose();
  }
});

test('restart: system_reset stops at the reset vector again, breakpoints kept', { skip, timeout: 60000 }, async () => {
  const h = await atLabel('spin');
  try {
    const [bp] = await h.target.setInstructionBreakpoints([{ address: bs.linear('loop1') }]);
    await h.target.restart!();
    const s = await h.nextStop();
    assert.equal(s.reason, 'entry');
    assert.equal((await pc(h)).address, 0xfffffff0n);
    await h.target.continue();
    const again = await h.nextStop(30000);
    assert.deepEqual(again.hitBreakpointIds, [bp.id]);
  } finally {
    await h.dispose();
  }
});

test('step out from the middle of a function with an unknown caller walks to its return', { skip, timeout: 60000 }, async () => {
  const h = await startTarget({ request: 'launch', image: bs.floppy, media: 'floppy', stopOnEntry: true });
  try {
    await h.target.configurationDone();
    await h.nextStop();
    // putc+2: after its two pushes, so [SS:SP] is not a return address.
    await h.target.setInstructionBreakpoints([{ address: bs.linear('putc') + 2n }]);
    await h.target.continue();
    await h.nextStop();
    await h.target.setInstructionBreakpoints([]);
    assert.equal((await h.target.stackTrace(0, 5)).frames.length, 1);
    await h.target.stepOut();
    assert.equal((await h.nextStop()).reason, 'step');
    assert.equal((await pc(h)).address, bs.linear('loop1') + 7n);
  } finally {
    await h.dispose();
  }
});

test('disassembly before the PC resynchronises on instruction boundaries; reads past 4 GiB are partial', { skip, timeout: 60000 }, async () => {
  const h = await atLabel('loop1');
  try {
    const dis = await h.target.disassemble(bs.linear('loop1'), -3, 6, false);
    assert.deepEqual(dis.map((d) => Number(d.address - 0x7c00n)), [0x9, 0xb, 0xe, 0x14, 0x18, 0x1b]);
    assert.match(dis[1].instruction, /^mov\s+\$0x7000,\s*%sp/);
    assert.match(dis[4].instruction, /^call\s+(0x)?2e\b/);
    const tail = await h.target.readMemory(0xfffffff8n, 16);
    assert.equal(tail.data.length, 8);
    assert.equal(tail.unreadableBytes, 8);
  } finally {
    await h.dispose();
  }
});

test('a step over `hlt` with interrupts off never finishes in QEMU: interrupted after the step timeout, with a note', { skip, timeout: 60000 }, async () => {
  const h = await atLabel('spin');
  try {
    await h.target.writeMemory(bs.linear('spin'), Buffer.from('faf4ebfd', 'hex')); // cli; hlt; jmp back
    await h.target.stepIn('instruction'); // cli
    await h.nextStop();
    const t0 = Date.now();
    await h.target.stepIn('instruction'); // hlt
    const s = await h.nextStop(10000);
    assert.equal(s.reason, 'step');
    assert.ok(Date.now() - t0 >= 1000, 'waited for the step timeout');
    assert.ok(h.outputs.some((o) => /did not finish .* hlt/.test(o)), h.outputs.join(''));
    // The debugger is still in control afterwards.
    const regs = await h.target.evaluate('$eflags & 0x200', 0, 'watch');
    assert.match(regs.result, /^0x0 /, 'IF is clear');
  } finally {
    await h.dispose();
  }
});

test('conditional and hit-count breakpoints', { skip, timeout: 60000 }, async () => {
  const h = await atLabel('go');
  try {
    const counter = bs.linear('counter');
    const [cond] = await h.target.setInstructionBreakpoints([{ address: bs.linear('loop1'), condition: `*(u16*)${counter} == 2` }]);
    await h.target.continue();
    let s = await h.nextStop();
    assert.deepEqual(s.hitBreakpointIds, [cond.id]);
    assert.match((await h.target.evaluate(`*(u16*)${counter}`, 0, 'watch')).result, /^0x0002/);
    await h.target.setInstructionBreakpoints([]);
    await h.target.restart!();
    await h.nextStop();
    const [hit] = await h.target.setInstructionBreakpoints([{ address: bs.linear('loop1'), hitCondition: '>= 2' }]);
    await h.target.continue();
    s = await h.nextStop();
    assert.deepEqual(s.hitBreakpointIds, [hit.id]);
    assert.match((await h.target.evaluate(`*(u16*)${counter}`, 0, 'watch')).result, /^0x0001/, 'the second hit');
  } finally {
    await h.dispose();
  }
});

test('step over a `rep stosb` runs all iterations (QEMU single-steps one at a time)', { skip, timeout: 60000 }, async () => {
  const h = await atLabel('spin');
  try {
    const at = bs.linear('spin');
    // mov $0x6000,%di; mov $5,%cx; rep stosb; jmp $
    await h.target.writeMemory(at, Buffer.from('bf0060b90500f3aaebfe', 'hex'));
    await h.target.setVariable(0, ['es'], '0');
    for (let i = 0; i < 2; i++) {
      await h.target.stepIn('instruction');
      await h.nextStop();
    }
    await h.target.stepIn('instruction');
    await h.nextStop();
    assert.equal((await pc(h)).address, at + 6n, 'one iteration: still on the rep');
    assert.match((await h.target.evaluate('$cx', 0, 'watch')).result, /^0x4 /);
    await h.target.stepOver('instruction');
    assert.equal((await h.nextStop()).reason, 'step');
    assert.equal((await pc(h)).address, at + 8n);
    assert.match((await h.target.evaluate('$cx', 0, 'watch')).result, /^0x0 /);
  } finally {
    await h.dispose();
  }
});

test('console "debugcon": bytes written to port 0xE9 stream into the output', { skip, timeout: 60000 }, async () => {
  const h = await startTarget({ request: 'launch', image: bs.floppy, media: 'floppy', stopOnEntry: true, console: 'debugcon' });
  try {
    await h.target.configurationDone();
    await h.nextStop();
    await h.target.setInstructionBreakpoints([{ address: bs.linear('spin') }]);
    await h.target.continue();
    await h.nextStop();
    await h.target.setInstructionBreakpoints([]);
    assert.ok(!h.outputs.join('').includes('AAA'), 'COM1 is not connected with debugcon');
    // mov $'B',%al; out %al,$0xe9; mov $'\n',%al; out %al,$0xe9; jmp $
    await h.target.writeMemory(bs.linear('spin'), Buffer.from('b042e6e9b00ae6e9ebfe', 'hex'));
    await h.target.continue();
    const deadline = Date.now() + 5000;
    while (!h.outputs.join('').includes('B\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(h.outputs.join('').includes('B\n'), JSON.stringify(h.outputs.join('').slice(-200)));
  } finally {
    await h.dispose();
  }
});

test('pause while stepping over a BIOS call that waits for a key (int 0x16) stops inside the BIOS and drops the temporary breakpoint', { skip, timeout: 60000 }, async () => {
  const h = await atLabel('spin');
  try {
    const at = bs.linear('spin');
    await h.target.writeMemory(at, Buffer.from('b400cd16ebfe', 'hex')); // mov $0,%ah; int $0x16; jmp $
    await h.target.stepIn('instruction');
    await h.nextStop();
    await h.target.stepOver('instruction'); // never returns: no key is pressed
    await new Promise((r) => setTimeout(r, 300));
    await h.target.pause();
    const s = await h.nextStop();
    assert.equal(s.reason, 'pause');
    const f = (await h.target.stackTrace(0, 1)).frames[0];
    assert.ok(f.address >= 0xf0000n && f.address < 0x100000n, `in the BIOS: ${f.name}`);
    assert.deepEqual(h.target.cpu.breakpointLocations().filter((b) => b.owners.some((o) => o < 0 && o !== -1)), [], 'no temporary breakpoint left');
  } finally {
    await h.dispose();
  }
});
