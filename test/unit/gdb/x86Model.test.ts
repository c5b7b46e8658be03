// The x86 target model on recorded QEMU data: `g` at reset, `info registers` text, CPU modes,
// hidden CS bases (reset vector, CS=0008 while PE=0), EFLAGS/CR0 decoding, seg:off formatting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  RegisterFile, buildSnapshot, cpuMode, fallbackRegisterDefs, formatSegOff, needsSegmentInfo, parseInfoRegisters,
  parseTargetDescription, summarizeFlags, withField, EFLAGS_FIELDS, CR0_FIELDS, segmentBase,
} from '../../../adapter/gdb/x86Model';
import { TRANSCRIPT_DIR, transcriptsMissing } from './transcripts';

const skip = transcriptsMissing();

function defs(): ReturnType<typeof parseTargetDescription> {
  const files = new Map<string, string>();
  for (const f of ['target.xml', 'i386-32bit.xml']) files.set(f, readFileSync(path.join(TRANSCRIPT_DIR, f), 'utf8'));
  return parseTargetDescription(files);
}

function resetRegs(): RegisterFile {
  const hex = readFileSync(path.join(TRANSCRIPT_DIR, 'g-at-reset.hex'), 'utf8').replace(/[^0-9a-f]/gi, '');
  return new RegisterFile(defs(), Buffer.from(hex, 'hex'));
}

test('g at reset decodes with the target.xml layout: EDX=0x663, CR0=0x60000010, CS=F000, EIP=FFF0', { skip }, () => {
  const r = resetRegs();
  assert.equal(r.raw.length, 344);
  assert.equal(r.u32('edx'), 0x663);
  assert.equal(r.u32('cr0'), 0x60000010);
  assert.equal(r.u32('cs'), 0xf000);
  assert.equal(r.u32('eip'), 0xfff0);
  assert.equal(r.u32('mxcsr'), 0x1f80);
  assert.equal(r.u32('fctrl'), 0x37f);
});

test('info registers at reset: CS base FFFF0000 → linear PC 0xFFFFFFF0 in real mode', { skip }, () => {
  const info = parseInfoRegisters(readFileSync(path.join(TRANSCRIPT_DIR, 'monitor-info-registers-reset.txt'), 'utf8'))!;
  assert.equal(info.segments.CS!.base, 0xffff0000n);
  assert.equal(info.segments.CS!.selector, 0xf000);
  assert.equal(info.gdt!.limit, 0xffff);
  assert.equal(info.cr0, 0x60000010);
  assert.equal(info.halted, false);
  const r = resetRegs();
  assert.equal(needsSegmentInfo(r, undefined), true);
  const snap = buildSnapshot(r, info);
  assert.equal(snap.mode, 'real');
  assert.equal(snap.bitness, 16);
  assert.equal(snap.linearPc, 0xfffffff0n);
  assert.equal(formatSegOff(snap.cs, snap.eip, snap.bitness), 'f000:fff0');
});

test('CS=0008 with base 7C00 while PE=0 (after a PM round trip): the hidden base wins over selector×16', { skip }, () => {
  const base = resetRegs();
  const raw = base.withValue('cs', 8n);
  const r0 = new RegisterFile(base.defs, raw);
  const r = new RegisterFile(base.defs, r0.withValue('eip', 0x4bn));
  assert.equal(needsSegmentInfo(r, undefined), true, 'CS < 0x100 in real mode needs info registers');
  const info = parseInfoRegisters('CS =0008 00007c00 0000ffff 00009b00\nDS =0010 00012340 ffffffff 00009300\n')!;
  const snap = buildSnapshot(r, info);
  assert.equal(snap.linearPc, 0x7c4bn);
  assert.equal(segmentBase(snap, 'DS'), 0x12340n);
  const guessed = buildSnapshot(r, undefined);
  assert.equal(guessed.linearPc, 0xcbn, 'without info registers selector×16 would be wrong');
});

test('normal real mode after a validated stop needs no info registers (fast steps)', { skip }, () => {
  const base = resetRegs();
  const r = new RegisterFile(base.defs, new RegisterFile(base.defs, base.withValue('cs', 0x7c0n)).withValue('eip', 5n));
  const prev = buildSnapshot(r, parseInfoRegisters('CS =07c0 00007c00 0000ffff 00009b00')!);
  assert.equal(needsSegmentInfo(r, prev), false);
  assert.equal(buildSnapshot(r, undefined).linearPc, 0x7c05n);
});

test('CPU modes from CR0.PE, EFLAGS.VM and the CS descriptor D bit', () => {
  assert.equal(cpuMode(0x10, 0x2, undefined), 'real');
  assert.equal(cpuMode(0x11, 0x20002, 0x9b00), 'v86');
  assert.equal(cpuMode(0x11, 0x2, 0x009b00), 'protected16');
  assert.equal(cpuMode(0x11, 0x2, 0xcf9b00), 'protected32');
});

test('EFLAGS and CR0 decoding and editing', () => {
  assert.equal(summarizeFlags(0x246, EFLAGS_FIELDS), 'PF ZF IF');
  const iopl = EFLAGS_FIELDS.find((f) => f.name === 'IOPL')!;
  assert.equal(withField(0x202, iopl, 3), 0x3202);
  const cf = EFLAGS_FIELDS.find((f) => f.name === 'CF')!;
  assert.equal(withField(0x203, cf, 0), 0x202);
  assert.equal(summarizeFlags(0x60000011, CR0_FIELDS), 'PE ET NW CD');
});

test('fallback layout without target.xml covers the 16 core registers', () => {
  const d = fallbackRegisterDefs();
  assert.equal(d.length, 16);
  assert.equal(d.find((x) => x.name === 'gs')!.offset, 60);
  assert.equal(parseInfoRegisters('nothing useful'), undefined);
});
