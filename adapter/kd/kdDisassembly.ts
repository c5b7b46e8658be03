/**
 * 32/64-bit disassembly for KD stops, through the shared x86 disassembler
 * (adapter/disasm/x86Disassembler.ts). Loaded lazily so the KD core still works (without
 * disassembly) in a build that lacks it.
 */
import type { Arch } from './kdStructs';

export interface KdInstruction {
  ip: bigint;
  length: number;
  bytes: Buffer;
  text: string;
  /** e.g. 'call', 'jump', 'ret', … as the shared disassembler classifies control flow. */
  flow?: string;
  target?: bigint;
}

type DisassembleFn = (bytes: Buffer, ip: bigint, bitness: 16 | 32 | 64, maxInstructions: number) => KdInstruction[];

let cached: DisassembleFn | null | undefined;

function load(): DisassembleFn | null {
  if (cached !== undefined) return cached;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('../disasm/x86Disassembler') as { disassemble?: DisassembleFn };
    cached = typeof mod.disassemble === 'function' ? mod.disassemble : null;
  } catch {
    cached = null;
  }
  return cached;
}

export function disassemblerAvailable(): boolean {
  return load() !== null;
}

/** Decodes up to `max` instructions from `bytes` at `ip`; [] when no disassembler is available. */
export function disassembleForKd(bytes: Buffer, ip: bigint, max: number, arch: Arch = 'x86'): KdInstruction[] {
  const fn = load();
  if (!fn || bytes.length === 0) return [];
  try {
    return fn(bytes, ip, arch === 'x64' ? 64 : 32, max);
  } catch {
    return [];
  }
}
