// Debian's real ipxe.lkrn booted with media "kernel" under real QEMU: reset vector entry,
// instruction breakpoint at the bzImage setup entry, 16-bit disassembly, stepping, registers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IPXE_LKRN, lkrnMissing, startTarget } from './gdbTestSupport';
import type { TargetVariable } from '../../../adapter/target/target';

async function vars(v: TargetVariable[] | (() => Promise<TargetVariable[]>)): Promise<TargetVariable[]> {
  return typeof v === 'function' ? v() : v;
}

test('stopOnEntry stops at F000:FFF0 = linear 0xFFFFFFF0 with reason entry', { skip: lkrnMissing(), timeout: 60000 }, async () => {
  const h = await startTarget({ request: 'launch', image: IPXE_LKRN, media: 'kernel', stopOnEntry: true });
  try {
    await h.target.configurationDone();
    const stop = await h.nextStop();
    assert.equal(stop.reason, 'entry');
    const { frames } = await h.target.stackTrace(0, 20);
    assert.equal(frames[0].address, 0xfffffff0n);
    assert.match(frames[0].name, /^f000:fff0/);
    const dis = await h.target.disassemble(0xfffffff0n, 0, 1, false);
    assert.match(dis[0].instruction, /^ljmp/);
    assert.equal(dis[0].instructionBytes.replace(/ /g, '').slice(0, 10), 'ea5be000f0');
  } finally {
    await h.dispose();
  }
});

test('ipxe.lkrn: breakpoint at 0x10200 stops at 1020:0000, 16-bit jmp, step follows the CPU, registers', { skip: lkrnMissing(), timeout: 90000 }, async () => {
  const h = await startTarget({ request: 'launch', image: IPXE_LKRN, media: 'kernel', stopOnEntry: true });
  try {
    await h.target.configurationDone();
    assert.equal((await h.nextStop()).reason, 'entry');
    const [bp] = await h.target.setInstructionBreakpoints([{ address: 0x10200n }]);
    assert.equal(bp.verified, true);
    await h.target.continue();
    const stop = await h.nextStop(60000);
    assert.equal(stop.reason, 'instruction breakpoint');
    assert.deepEqual(stop.hitBreakpointIds, [bp.id]);
    const { frames } = await h.target.stackTrace(0, 1);
    assert.equal(frames[0].address, 0x10200n);
    assert.match(frames[0].name, /^1020:0000/);
    const dis = await h.target.disassemble(0x10200n, 0, 3, false);
    assert.equal(dis[0].address, 0x10200n);
    assert.equal(dis[0].instructionBytes, 'eb 65');
    // 16-bit: `eb 65` is a 2-byte short jmp to offset 0x67 (32-bit decoding would be the same length, but
    // the next instruction `48 64 …` must not swallow the 16-bit operand size).
    assert.match(dis[0].instruction, /^jmp\s+(0x)?0*67\b/);
    await h.target.stepIn('instruction');
    const s2 = await h.nextStop();
    assert.equal(s2.reason, 'step');
    const after = await h.target.stackTrace(0, 1);
    assert.equal(after.frames[0].address, 0x10267n);
    assert.match(after.frames[0].name, /^1020:0067/);
    const [scope] = await h.target.scopes(0);
    const regs = await vars(scope.variables);
    const eip = regs.find((v) => v.name === 'eip')!;
    assert.equal(eip.value, '0x00000067');
    const cs = regs.find((v) => v.name === 'cs')!;
    assert.match(cs.value, /^0x1020 \(base 0x00010200\)/);
    const eax = regs.find((v) => v.name === 'eax')!;
    const ax = (await vars(eax.children!)).find((v) => v.name === 'ax')!;
    assert.equal(parseInt(ax.value, 16), parseInt(eax.value, 16) & 0xffff);
    const evalCs = await h.target.evaluate('$cs', 0, 'watch');
    assert.match(evalCs.result, /^0x1020\b/);
    const evalLinear = await h.target.evaluate('cs:ip', 0, 'watch');
    assert.match(evalLinear.result, /linear 0x00010267/);
    const bytes = await h.target.evaluate('*(u16*)0x10267', 0, 'watch');
    assert.match(bytes.result, /^0x681e/);
  } finally {
    await h.dispose();
  }
});

test('ipxe.lkrn: a large disassembly window around the PC is contiguous and contains the PC', { skip: lkrnMissing(), timeout: 90000 }, async () => {
  const h = await startTarget({ request: 'launch', image: IPXE_LKRN, media: 'kernel', stopOnEntry: true });
  try {
    await h.target.configurationDone();
    await h.nextStop();
    await h.target.setInstructionBreakpoints([{ address: 0x1041en }]);
    await h.target.continue();
    await h.nextStop(60000);
    const list = await h.target.disassemble(0x1041en, -100, 300, true);
    assert.equal(list.length, 300);
    assert.equal(list[100].address, 0x1041en, 'the requested address is at index -offset');
    assert.equal(list[100].instructionBytes.replace(/ /g, '').slice(0, 4), '6660', 'pushal (66 60) at install_prealloc');
    for (let i = 1; i < list.length; i++) assert.ok(list[i].address > list[i - 1].address, `monotonic at ${i}`);
    assert.ok(list.filter((d) => d.invalid).length < 10, 'readable code decodes, not padding');
  } finally {
    await h.dispose();
  }
});
