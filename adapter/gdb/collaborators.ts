/**
 * The two modules the gdb target uses from helper areas: the x86 disassembler
 * (adapter/disasm/x86Disassembler.ts) and ELF/DWARF program symbols (adapter/symbols/programSymbols.ts).
 * They are written in parallel; this file pins the API we rely on and loads them at run time.
 * Until the disassembler exists, a minimal iced-x86 decoder stands in for it.
 */
import { Decoder, DecoderOptions, Formatter, FormatterSyntax, FlowControl } from 'iced-x86';

export type InstructionFlow = 'next' | 'call' | 'int' | 'jump' | 'cjump' | 'ret' | 'iret' | 'hlt' | 'other';

export interface DecodedInstruction {
  ip: bigint;
  length: number;
  bytes: string;
  text: string;
  flow: InstructionFlow;
  target?: bigint;
}

export type DisassembleFn = (bytes: Buffer, ip: bigint, bitness: 16 | 32 | 64, maxInstructions: number) => DecodedInstruction[];

export interface ProgramSection {
  name: string;
  address: bigint;
  size: number;
}

export interface ProgramSymbolsApi {
  hasLineInfo: boolean;
  sections: ProgramSection[];
  addressesForLine(file: string, line: number): { address: bigint; line: number }[];
  lineForAddress(addr: bigint): { path: string; line: number } | undefined;
  symbolForAddress(addr: bigint): { name: string; offset: number } | undefined;
  lookupSymbol(name: string): bigint | undefined;
  sectionForAddress?(addr: bigint): ProgramSection | { name: string } | string | undefined;
}

/** A loaded optional module: require() inside try so bundling does not need it to exist yet. */
function tryRequire<T>(load: () => T): T | undefined {
  try {
    return load();
  } catch {
    return undefined;
  }
}

const FLOW_BY_ICED: Record<number, InstructionFlow> = {
  [FlowControl.Next]: 'next',
  [FlowControl.UnconditionalBranch]: 'jump',
  [FlowControl.IndirectBranch]: 'jump',
  [FlowControl.ConditionalBranch]: 'cjump',
  [FlowControl.Return]: 'ret',
  [FlowControl.Call]: 'call',
  [FlowControl.IndirectCall]: 'call',
  [FlowControl.Interrupt]: 'int',
  [FlowControl.XbeginXabortXend]: 'other',
  [FlowControl.Exception]: 'other',
};

/** Stand-in decoder (GNU as syntax, like the .S sources). */
const icedDisassemble: DisassembleFn = (bytes, ip, bitness, maxInstructions) => {
  const decoder = new Decoder(bitness, new Uint8Array(bytes), DecoderOptions.None);
  const formatter = new Formatter(FormatterSyntax.Gas);
  decoder.ip = ip;
  const out: DecodedInstruction[] = [];
  try {
    while (decoder.canDecode && out.length < maxInstructions) {
      const pos = decoder.position;
      const instr = decoder.decode();
      const length = instr.length;
      const text = formatter.format(instr);
      let flow = FLOW_BY_ICED[instr.flowControl] ?? 'other';
      const mnemonic = text.split(/\s+/)[0];
      if (/^iret/.test(mnemonic)) flow = 'iret';
      else if (mnemonic === 'hlt') flow = 'hlt';
      const target = flow === 'call' || flow === 'jump' || flow === 'cjump' ? safeTarget(instr) : undefined;
      out.push({ ip: instr.ip, length, bytes: bytes.subarray(pos, pos + length).toString('hex').replace(/(..)(?!$)/g, '$1 '), text, flow, target });
      instr.free();
    }
  } finally {
    decoder.free();
    formatter.free();
  }
  return out;
};

function safeTarget(instr: { nearBranchTarget: bigint }): bigint | undefined {
  const t = instr.nearBranchTarget;
  return t === 0n ? undefined : t;
}

let disasmCache: DisassembleFn | undefined;
export function getDisassembler(): DisassembleFn {
  if (disasmCache) return disasmCache;
  const mod = tryRequire(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('../disasm/x86Disassembler') as { disassemble?: DisassembleFn };
  });
  disasmCache = typeof mod?.disassemble === 'function' ? mod.disassemble : icedDisassemble;
  return disasmCache;
}

/** Loads ELF symbols/DWARF lines through helper "symbols"' ProgramSymbols, if available. */
export function loadProgramSymbols(path: string): ProgramSymbolsApi {
  const mod = tryRequire(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('../symbols/programSymbols') as { ProgramSymbols?: { load(p: string): ProgramSymbolsApi } };
  });
  if (!mod?.ProgramSymbols) throw new Error('the ELF symbol reader (adapter/symbols/programSymbols) is not available in this build');
  return mod.ProgramSymbols.load(path);
}
