/**
 * The disassembler against objdump on code assembled here: 16-bit real-mode (`-m i8086`) and
 * 32-bit (`-m i386`) — instruction boundaries and bytes must match exactly, the text after a
 * small table of known spelling differences. Plus control-flow classification, truncated and
 * random input, and finding the instruction N before an address.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { disassemble, instructionStartBefore, isDisassemblerLoaded, DecodedInstruction } from '../../../adapter/disasm/x86Disassembler';
import { fixture, missingTools, objdumpBinary, prng, run, tempDir } from '../symbols/toolchain';

test('iced-x86 is loaded lazily, on the first disassembly', () => {
  // First test of this file (own process): nothing has disassembled yet.
  assert.equal(isDisassemblerLoaded(), false);
  disassemble(Buffer.from([0x90]), 0n, 16, 1);
  assert.equal(isDisassemblerLoaded(), true);
});

/** Spelling differences between objdump and iced's GNU formatter that carry no meaning. */
const SPELLING: [RegExp, string][] = [
  [/%[de]s:(\(%[er]?[sd]i\))/g, '$1'], // objdump names the implied segment of string operands
  [/\(%dx\)/g, '%dx'], // outs/ins port operand
  [/^repnz /, 'repne '],
  [/^repz /, 'repe '],
  [/^(lgdt|lidt|sgdt|sidt)[wl] /, '$1 '], // operand-size suffix of descriptor-table ops
  [/^(call|jmp)[wl] \*/, '$1 *'], // suffix on indirect memory branches
  [/%db(\d)/g, '%dr$1'], // objdump's old debug-register names
];

function normalise(text: string): string {
  let t = text.trim().replace(/\s+/g, ' ');
  for (const [re, to] of SPELLING) t = t.replace(re, to);
  return t;
}

function compareWithObjdump(bin: string, machine: string, bitness: 16 | 32): DecodedInstruction[] {
  const bytes = readFileSync(bin);
  const ours = disassemble(bytes, 0n, bitness, 100000);
  const oracle = objdumpBinary(bin, machine);
  // Lengths cover the input exactly.
  assert.equal(ours.reduce((n, i) => n + i.length, 0), bytes.length);
  const byIp = new Map(ours.map((i) => [Number(i.ip), i]));
  let compared = 0;
  for (const o of oracle) {
    const i = byIp.get(o.address);
    assert.ok(i, `an instruction starts at 0x${o.address.toString(16)} (${o.text})`);
    if (o.text === '(bad)') {
      assert.equal(i.invalid, true);
      continue;
    }
    assert.equal(i.bytes, o.bytes, `bytes at 0x${o.address.toString(16)}`);
    assert.equal(normalise(i.text), normalise(o.text), `text at 0x${o.address.toString(16)}`);
    compared++;
  }
  assert.ok(compared > 40, `compared ${compared} instructions`);
  return ours;
}

describe('against objdump', { skip: missingTools('as', 'objcopy', 'objdump') }, () => {
  const tmp = tempDir('bootdbg-disasm-');
  const bin16 = join(tmp.dir, 'bs.bin');
  const bin32 = join(tmp.dir, 'c32.bin');
  before(() => {
    run('as', ['--32', '-o', join(tmp.dir, 'bs.o'), fixture('bootsector.S')]);
    run('objcopy', ['-O', 'binary', '-j', '.text', join(tmp.dir, 'bs.o'), bin16]);
    run('as', ['--32', '-o', join(tmp.dir, 'c32.o'), fixture('code32.S')]);
    run('objcopy', ['-O', 'binary', '-j', '.text', join(tmp.dir, 'c32.o'), bin32]);
  });
  after(() => tmp.dispose());

  test('16-bit real-mode boot sector (objdump -m i8086)', () => {
    const ins = compareWithObjdump(bin16, 'i8086', 16);
    const at = (ip: number): DecodedInstruction => ins.find((i) => i.ip === BigInt(ip))!;
    assert.deepEqual(at(0), { ip: 0n, length: 5, bytes: 'ea 05 00 c0 07', text: 'ljmp $0x7c0,$0x5', flow: 'jump', farTarget: { selector: 0x7c0, offset: 5n } });
    const call = ins.find((i) => i.text.startsWith('call'))!;
    assert.equal(call.flow, 'call');
    assert.ok(call.target !== undefined && call.target < 0x200n);
    assert.equal(ins.find((i) => i.text.startsWith('int $0x12'))!.flow, 'int');
    assert.equal(ins.find((i) => i.text.startsWith('loop'))!.flow, 'cjump');
    assert.equal(ins.find((i) => i.text === 'hlt')!.flow, 'hlt');
    assert.equal(ins.find((i) => i.text === 'lret')!.flow, 'ret');
    assert.equal(ins.find((i) => i.text === 'ret')!.flow, 'ret');
  });

  test('32-bit code (objdump -m i386)', () => {
    const ins = compareWithObjdump(bin32, 'i386', 32);
    const flow = (t: string): string => ins.find((i) => i.text.startsWith(t))!.flow;
    assert.equal(flow('iret'), 'iret');
    assert.equal(flow('int3'), 'int');
    assert.equal(flow('into'), 'int');
    assert.equal(flow('jecxz'), 'cjump');
    assert.equal(flow('ud2'), 'other');
    const indirect = ins.find((i) => i.text === 'call *%eax')!;
    assert.equal(indirect.flow, 'call');
    assert.equal(indirect.target, undefined);
    assert.equal(ins.find((i) => i.text.startsWith('ljmp *'))!.farTarget, undefined);
    assert.deepEqual(ins.find((i) => i.text.startsWith('lcall $'))!.farTarget, { selector: 0x18, offset: 0x100n });
  });

  test('instructionStartBefore finds the real boundary N instructions back', () => {
    for (const [bin, bitness] of [[bin16, 16], [bin32, 32]] as const) {
      const bytes = readFileSync(bin);
      const all = disassemble(bytes, 0n, bitness, 100000);
      // Only the code part: the boot sector's tail is data/zeros.
      const code = all.filter((i) => i.ip < (bitness === 16 ? 0x50n : BigInt(bytes.length)));
      let checked = 0;
      for (let k = 1; k < code.length; k++) {
        for (const n of [1, 3, 7]) {
          if (k - n < 0) continue;
          const target = code[k].ip;
          // Window: up to 15 bytes per instruction before the target, clipped at the start of the code.
          const from = target - BigInt(Math.min(Number(target), n * 15 + 15));
          const window = bytes.subarray(Number(from), Number(target));
          const r = instructionStartBefore(window, from, target, n, bitness);
          if (from === 0n || r.count === n) {
            assert.equal(r.count, n, `${bitness}-bit: ${n} back from 0x${target.toString(16)}`);
            assert.equal(r.ip, code[k - n].ip, `${bitness}-bit: ${n} back from 0x${target.toString(16)}`);
            checked++;
          }
        }
      }
      assert.ok(checked > 30, `checked ${checked}`);
    }
  });
});

describe('bad and edge input', () => {
  test('an instruction cut off by the end of the buffer is one invalid entry', () => {
    const r = disassemble(Buffer.from([0x90, 0x66, 0xb8, 0x01]), 0x7c00n, 16, 10);
    assert.equal(r.length, 2);
    assert.deepEqual(r[1], { ip: 0x7c01n, length: 3, bytes: '66 b8 01', text: '(bad)', flow: 'other', invalid: true });
  });

  test('maxInstructions, empty input, and IP wrapping in 16-bit code', () => {
    assert.deepEqual(disassemble(Buffer.alloc(0), 0n, 16, 5), []);
    assert.equal(disassemble(Buffer.alloc(100, 0x90), 0n, 16, 7).length, 7);
    const w = disassemble(Buffer.from([0x90, 0x90, 0xeb, 0xfc]), 0xfffen, 16, 3);
    assert.deepEqual(w.map((i) => i.ip), [0xfffen, 0xffffn, 0n]);
    assert.equal(w[2].target, 0xfffen); // jmp back across the segment wrap
  });

  test('random bytes in every mode never throw and cover the input (seeded fuzz)', () => {
    const rnd = prng(0xb007);
    for (let round = 0; round < 200; round++) {
      const len = 1 + Math.floor(rnd() * 64);
      const bytes = Buffer.alloc(len);
      for (let i = 0; i < len; i++) bytes[i] = Math.floor(rnd() * 256);
      for (const bitness of [16, 32, 64] as const) {
        const r = disassemble(bytes, BigInt(Math.floor(rnd() * 0x10000)), bitness, 1000);
        assert.equal(r.reduce((n, i) => n + i.length, 0), len, `round ${round}`);
        for (const i of r) assert.equal(i.bytes.split(' ').length, i.length);
        const back = instructionStartBefore(bytes, 0n, BigInt(len), 5, bitness);
        assert.ok(back.count >= 0 && back.count <= 5 && back.ip <= BigInt(len));
      }
    }
  });

  test('instructionStartBefore outside the window returns the target itself', () => {
    assert.deepEqual(instructionStartBefore(Buffer.from([0x90]), 0x100n, 0x50n, 3, 16), { ip: 0x50n, count: 0 });
    assert.deepEqual(instructionStartBefore(Buffer.from([0x90, 0x90]), 0n, 2n, 0, 16), { ip: 2n, count: 0 });
  });
});
