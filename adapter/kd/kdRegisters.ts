/**
 * Register layouts as data (kd-protocol.md §3.3, §5.1, §5.2): where each register lives in the
 * x86 / x64 CONTEXT and in the x86 KSPECIAL_REGISTERS block read through ReadControlSpace, and the
 * EFLAGS bits. Read/write helpers work from these tables only.
 */
import type { Arch } from './kdStructs';

export type RegisterGroup = 'General' | 'Segments' | 'Debug';

export interface RegisterDef {
  name: string;
  offset: number;
  size: 2 | 4 | 8;
  group: RegisterGroup;
}

export const X86_CONTEXT_SIZE = 0x2cc;
export const X64_CONTEXT_SIZE = 0x4d0;

export const X86_CONTEXT_REGISTERS: readonly RegisterDef[] = [
  { name: 'eax', offset: 0xb0, size: 4, group: 'General' },
  { name: 'ebx', offset: 0xa4, size: 4, group: 'General' },
  { name: 'ecx', offset: 0xac, size: 4, group: 'General' },
  { name: 'edx', offset: 0xa8, size: 4, group: 'General' },
  { name: 'esi', offset: 0xa0, size: 4, group: 'General' },
  { name: 'edi', offset: 0x9c, size: 4, group: 'General' },
  { name: 'ebp', offset: 0xb4, size: 4, group: 'General' },
  { name: 'esp', offset: 0xc4, size: 4, group: 'General' },
  { name: 'eip', offset: 0xb8, size: 4, group: 'General' },
  { name: 'efl', offset: 0xc0, size: 4, group: 'General' },
  { name: 'cs', offset: 0xbc, size: 4, group: 'Segments' },
  { name: 'ds', offset: 0x98, size: 4, group: 'Segments' },
  { name: 'es', offset: 0x94, size: 4, group: 'Segments' },
  { name: 'fs', offset: 0x90, size: 4, group: 'Segments' },
  { name: 'gs', offset: 0x8c, size: 4, group: 'Segments' },
  { name: 'ss', offset: 0xc8, size: 4, group: 'Segments' },
  { name: 'dr0', offset: 0x04, size: 4, group: 'Debug' },
  { name: 'dr1', offset: 0x08, size: 4, group: 'Debug' },
  { name: 'dr2', offset: 0x0c, size: 4, group: 'Debug' },
  { name: 'dr3', offset: 0x10, size: 4, group: 'Debug' },
  { name: 'dr6', offset: 0x14, size: 4, group: 'Debug' },
  { name: 'dr7', offset: 0x18, size: 4, group: 'Debug' },
];

export const X64_CONTEXT_REGISTERS: readonly RegisterDef[] = [
  { name: 'rax', offset: 0x78, size: 8, group: 'General' },
  { name: 'rbx', offset: 0x90, size: 8, group: 'General' },
  { name: 'rcx', offset: 0x80, size: 8, group: 'General' },
  { name: 'rdx', offset: 0x88, size: 8, group: 'General' },
  { name: 'rsi', offset: 0xa8, size: 8, group: 'General' },
  { name: 'rdi', offset: 0xb0, size: 8, group: 'General' },
  { name: 'rbp', offset: 0xa0, size: 8, group: 'General' },
  { name: 'rsp', offset: 0x98, size: 8, group: 'General' },
  ...[8, 9, 10, 11, 12, 13, 14, 15].map((n): RegisterDef => ({ name: `r${n}`, offset: 0xb8 + 8 * (n - 8), size: 8, group: 'General' })),
  { name: 'rip', offset: 0xf8, size: 8, group: 'General' },
  { name: 'efl', offset: 0x44, size: 4, group: 'General' },
  { name: 'cs', offset: 0x38, size: 2, group: 'Segments' },
  { name: 'ds', offset: 0x3a, size: 2, group: 'Segments' },
  { name: 'es', offset: 0x3c, size: 2, group: 'Segments' },
  { name: 'fs', offset: 0x3e, size: 2, group: 'Segments' },
  { name: 'gs', offset: 0x40, size: 2, group: 'Segments' },
  { name: 'ss', offset: 0x42, size: 2, group: 'Segments' },
  { name: 'dr0', offset: 0x48, size: 8, group: 'Debug' },
  { name: 'dr1', offset: 0x50, size: 8, group: 'Debug' },
  { name: 'dr2', offset: 0x58, size: 8, group: 'Debug' },
  { name: 'dr3', offset: 0x60, size: 8, group: 'Debug' },
  { name: 'dr6', offset: 0x68, size: 8, group: 'Debug' },
  { name: 'dr7', offset: 0x70, size: 8, group: 'Debug' },
];

export function contextRegisters(arch: Arch): readonly RegisterDef[] {
  return arch === 'x64' ? X64_CONTEXT_REGISTERS : X86_CONTEXT_REGISTERS;
}

/** Names of the instruction pointer, stack pointer and frame pointer per architecture. */
export const ARCH_REGS: Readonly<Record<Arch, { ip: string; sp: string; bp: string; ax: string }>> = {
  x86: { ip: 'eip', sp: 'esp', bp: 'ebp', ax: 'eax' },
  x64: { ip: 'rip', sp: 'rsp', bp: 'rbp', ax: 'rax' },
};

/** x86 control space: KSPECIAL_REGISTERS right after the CONTEXT in KPROCESSOR_STATE (§3.3). */
export const X86_SPECIAL_REGISTERS_OFFSET = 0x2cc;
export const X86_SPECIAL_REGISTERS_SIZE = 0x54;

export interface SpecialRegisterDef {
  name: string;
  offset: number;
  size: 2 | 4;
}

export const X86_SPECIAL_REGISTERS: readonly SpecialRegisterDef[] = [
  { name: 'cr0', offset: 0x00, size: 4 },
  { name: 'cr2', offset: 0x04, size: 4 },
  { name: 'cr3', offset: 0x08, size: 4 },
  { name: 'cr4', offset: 0x0c, size: 4 },
  { name: 'gdtr', offset: 0x2c, size: 4 },
  { name: 'gdtl', offset: 0x2a, size: 2 },
  { name: 'idtr', offset: 0x34, size: 4 },
  { name: 'idtl', offset: 0x32, size: 2 },
  { name: 'tr', offset: 0x38, size: 2 },
  { name: 'ldtr', offset: 0x3a, size: 2 },
];

export interface FlagDef {
  bit: number;
  /** WinDbg's short name (the `r` display: iopl, nv up ei pl zr na pe nc). */
  name: string;
  description: string;
  width?: number;
}

export const EFLAGS_BITS: readonly FlagDef[] = [
  { bit: 0, name: 'CF', description: 'carry' },
  { bit: 2, name: 'PF', description: 'parity' },
  { bit: 4, name: 'AF', description: 'auxiliary carry' },
  { bit: 6, name: 'ZF', description: 'zero' },
  { bit: 7, name: 'SF', description: 'sign' },
  { bit: 8, name: 'TF', description: 'trap (single step)' },
  { bit: 9, name: 'IF', description: 'interrupts enabled' },
  { bit: 10, name: 'DF', description: 'direction' },
  { bit: 11, name: 'OF', description: 'overflow' },
  { bit: 12, name: 'IOPL', description: 'I/O privilege level', width: 2 },
  { bit: 14, name: 'NT', description: 'nested task' },
  { bit: 16, name: 'RF', description: 'resume' },
  { bit: 17, name: 'VM', description: 'virtual-8086 mode' },
  { bit: 18, name: 'AC', description: 'alignment check' },
  { bit: 19, name: 'VIF', description: 'virtual interrupt' },
  { bit: 20, name: 'VIP', description: 'virtual interrupt pending' },
  { bit: 21, name: 'ID', description: 'CPUID available' },
];

export function flagValue(eflags: number, f: FlagDef): number {
  return (eflags >>> f.bit) & ((1 << (f.width ?? 1)) - 1);
}

/** "ZF IF" style summary of the set flags. */
export function describeEflags(eflags: number): string {
  return EFLAGS_BITS.filter((f) => f.width === undefined && flagValue(eflags, f))
    .map((f) => f.name)
    .concat(`IOPL=${flagValue(eflags, EFLAGS_BITS.find((f) => f.name === 'IOPL')!)}`)
    .join(' ');
}

export function findRegister(arch: Arch, name: string): RegisterDef | undefined {
  const n = name.toLowerCase() === 'eflags' || name.toLowerCase() === 'rflags' ? 'efl' : name.toLowerCase();
  return contextRegisters(arch).find((r) => r.name === n);
}

export function readRegister(ctx: Buffer, r: RegisterDef): bigint {
  if (r.offset + r.size > ctx.length) return 0n;
  if (r.size === 8) return ctx.readBigUInt64LE(r.offset);
  if (r.size === 4) return BigInt(ctx.readUInt32LE(r.offset));
  return BigInt(ctx.readUInt16LE(r.offset));
}

export function writeRegister(ctx: Buffer, r: RegisterDef, value: bigint): void {
  if (r.size === 8) ctx.writeBigUInt64LE(BigInt.asUintN(64, value), r.offset);
  else if (r.size === 4) ctx.writeUInt32LE(Number(BigInt.asUintN(32, value)), r.offset);
  else ctx.writeUInt16LE(Number(BigInt.asUintN(16, value)), r.offset);
}

export function formatHex(v: bigint, size: number): string {
  return '0x' + v.toString(16).padStart(size * 2, '0');
}
