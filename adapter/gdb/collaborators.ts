/**
 * What the gdb target uses from the symbols area: the x86 disassembler (16/32-bit by CPU mode)
 * and ELF/DWARF program symbols (link-time addresses; the target maps them onto stage bases).
 */
import { disassemble as disassembleX86, type DecodedInstruction } from '../disasm/x86Disassembler';
import { ProgramSymbols, type SectionInfo } from '../symbols/programSymbols';

export type { DecodedInstruction };
export type ProgramSection = SectionInfo;
export type ProgramSymbolsApi = ProgramSymbols;

export type DisassembleFn = (bytes: Buffer, ip: bigint, bitness: 16 | 32 | 64, maxInstructions: number) => DecodedInstruction[];

export function getDisassembler(): DisassembleFn {
  return (bytes, ip, bitness, max) => disassembleX86(bytes, ip, bitness, max);
}

export function loadProgramSymbols(path: string): ProgramSymbols {
  return ProgramSymbols.load(path);
}
