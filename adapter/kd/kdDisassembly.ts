/**
 * Disassembly for KD stops through the shared x86 disassembler (adapter/disasm/x86Disassembler.ts):
 * 32-bit for x86 targets, 64-bit for x64. Kernel code runs flat (CS base 0), so the EIP the
 * disassembler wants is the linear address.
 */
import { DecodedInstruction, disassemble } from '../disasm/x86Disassembler';
import type { Arch } from './kdStructs';

export type KdInstruction = DecodedInstruction;

/** Decodes up to `max` instructions from `bytes` at `ip`; never throws. */
export function disassembleForKd(bytes: Buffer, ip: bigint, max: number, arch: Arch = 'x86'): KdInstruction[] {
  if (bytes.length === 0 || max <= 0) return [];
  try {
    return disassemble(bytes, ip, arch === 'x64' ? 64 : 32, max);
  } catch {
    return [];
  }
}
