/**
 * x86 disassembly (16/32/64-bit) on top of iced-x86, in GNU as (AT&T) syntax, lower case — the
 * syntax of the .S sources being debugged and of `objdump`.
 *
 * iced-x86 is a WebAssembly module that compiles ~0.8 MB of wasm synchronously when first
 * required, so it is loaded lazily on the first disassembly, not when the adapter starts.
 *
 * `ip` is the instruction pointer as the CPU sees it (IP/EIP, the offset within CS), not the
 * linear address: near branch targets wrap inside the 64 KiB segment in 16-bit code, which only
 * works on offsets. Callers add the CS base themselves.
 */
import type * as IcedTypes from 'iced-x86';

export type Bitness = 16 | 32 | 64;

/** Where control goes after the instruction; the debugger's step-over/step-out logic keys on this. */
export type FlowKind = 'next' | 'call' | 'int' | 'jump' | 'cjump' | 'ret' | 'iret' | 'hlt' | 'other';

export interface DecodedInstruction {
  ip: bigint;
  length: number;
  /** Hex bytes separated by spaces, e.g. "eb 1e". */
  bytes: string;
  /** AT&T syntax, lower case, e.g. "ljmp $0x7c0,$0x5". "(bad)" when invalid. */
  text: string;
  flow: FlowKind;
  /** Near branch/call target (an IP in the same segment), when it is encoded in the instruction. */
  target?: bigint;
  /** Far direct branch/call target (`ljmp $sel,$off`, `lcall $sel,$off`). */
  farTarget?: { selector: number; offset: bigint };
  /** Set for undecodable bytes and for an instruction cut off by the end of the buffer. */
  invalid?: true;
}

type Iced = typeof IcedTypes;

let icedModule: Iced | undefined;
let formatter: IcedTypes.Formatter | undefined;

/** Loads iced-x86 (compiles its wasm) on first use. */
function iced(): Iced {
  if (!icedModule) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    icedModule = require('iced-x86') as Iced;
  }
  return icedModule;
}

function gasFormatter(): IcedTypes.Formatter {
  if (!formatter) {
    const m = iced();
    const f = new m.Formatter(m.FormatterSyntax.Gas);
    // Match objdump's spelling: 0x-prefixed hex everywhere, no zero padding of branch targets.
    f.uppercaseAll = false;
    f.uppercaseHex = false;
    f.hexPrefix = '0x';
    f.hexSuffix = '';
    f.smallHexNumbersInDecimal = false;
    f.branchLeadingZeros = false;
    f.leadingZeros = false;
    f.displacementLeadingZeros = false;
    f.addLeadingZeroToHexNumbers = false;
    f.spaceAfterOperandSeparator = false;
    formatter = f;
  }
  return formatter;
}

/** Whether the wasm module has been loaded (for tests of the lazy loading). */
export function isDisassemblerLoaded(): boolean {
  return icedModule !== undefined;
}

function hexBytes(bytes: Uint8Array, start: number, length: number): string {
  const parts: string[] = [];
  for (let i = start; i < start + length; i++) parts.push(bytes[i].toString(16).padStart(2, '0'));
  return parts.join(' ');
}

function flowOf(m: Iced, instr: IcedTypes.Instruction): FlowKind {
  const FC = m.FlowControl;
  const mn = instr.mnemonic;
  switch (instr.flowControl) {
    case FC.Next:
      return mn === m.Mnemonic.Hlt ? 'hlt' : 'next';
    case FC.UnconditionalBranch:
    case FC.IndirectBranch:
      return 'jump';
    case FC.ConditionalBranch:
      return 'cjump';
    case FC.Return:
      return mn === m.Mnemonic.Iret || mn === m.Mnemonic.Iretd || mn === m.Mnemonic.Iretq ? 'iret' : 'ret';
    case FC.Call:
    case FC.IndirectCall:
      return 'call';
    case FC.Interrupt:
      return 'int';
    default:
      return 'other';
  }
}

const ipMask = (bitness: Bitness): bigint => (bitness === 64 ? (1n << 64n) - 1n : bitness === 32 ? 0xffffffffn : 0xffffn);

/**
 * Decodes up to `maxInstructions` instructions from `bytes`, the first at `ip`. Never throws on
 * bad bytes: an undecodable byte yields a 1-byte `(bad)` entry, and an instruction cut off by the
 * end of the buffer yields one final invalid entry covering the remaining bytes.
 */
export function disassemble(bytes: Uint8Array, ip: bigint, bitness: Bitness, maxInstructions: number): DecodedInstruction[] {
  const out: DecodedInstruction[] = [];
  if (bytes.length === 0 || maxInstructions <= 0) return out;
  const m = iced();
  const fmt = gasFormatter();
  const data = bytes instanceof Buffer ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length) : bytes;
  const decoder = new m.Decoder(bitness, data, m.DecoderOptions.None);
  const instr = new m.Instruction();
  const mask = ipMask(bitness);
  try {
    let pos = 0;
    while (pos < data.length && out.length < maxInstructions) {
      const at = (ip + BigInt(pos)) & mask;
      decoder.position = pos;
      decoder.ip = at;
      decoder.decodeOut(instr);
      if (instr.isInvalid) {
        const truncated = decoder.lastError === m.DecoderError.NoMoreBytes;
        const length = truncated ? data.length - pos : 1;
        out.push({ ip: at, length, bytes: hexBytes(data, pos, length), text: '(bad)', flow: 'other', invalid: true });
        pos += length;
        continue;
      }
      const d: DecodedInstruction = {
        ip: at,
        length: instr.length,
        bytes: hexBytes(data, pos, instr.length),
        text: fmt.format(instr),
        flow: flowOf(m, instr),
      };
      if (instr.isJmpFar || instr.isCallFar) {
        d.farTarget = { selector: instr.farBranchSelector, offset: BigInt(bitness === 16 ? instr.farBranch16 : instr.farBranch32) };
      } else if ((d.flow === 'jump' || d.flow === 'cjump' || d.flow === 'call') && !instr.isJmpNearIndirect && !instr.isCallNearIndirect &&
                 !instr.isJmpFarIndirect && !instr.isCallFarIndirect && instr.flowControl !== m.FlowControl.IndirectBranch &&
                 instr.flowControl !== m.FlowControl.IndirectCall) {
        d.target = instr.nearBranchTarget;
      }
      out.push(d);
      pos += instr.length;
    }
  } finally {
    instr.free();
    decoder.free();
  }
  return out;
}

/**
 * Finds where the instruction `count` instructions before `targetIp` starts, for disassembly
 * requests with a negative instruction offset. `bytes` must hold the memory just before (and
 * may extend past) `targetIp`, starting at `bytesIp`.
 *
 * x86 cannot be decoded backwards, so this decodes once at every byte offset of the window and
 * follows the chain of valid instructions from the earliest offset that lands exactly on
 * `targetIp`: decoding falls into step with the real instruction stream within a few
 * instructions, so give a window with slack (about 15 bytes per instruction plus 15).
 * Returns the start and how many instructions back it really is (fewer when the window is short
 * or nothing decodes cleanly).
 */
export function instructionStartBefore(bytes: Uint8Array, bytesIp: bigint, targetIp: bigint, count: number, bitness: Bitness): { ip: bigint; count: number } {
  const target = Number(targetIp - bytesIp);
  if (count <= 0 || target <= 0 || target > bytes.length) return { ip: targetIp, count: 0 };
  const m = iced();
  const data = bytes instanceof Buffer ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length) : bytes;
  const decoder = new m.Decoder(bitness, data, m.DecoderOptions.None);
  const instr = new m.Instruction();
  const mask = ipMask(bitness);
  // next[o]: offset after a valid instruction at o, or -1 when invalid / past the target.
  const next = new Int32Array(target).fill(-1);
  try {
    for (let o = 0; o < target; o++) {
      decoder.position = o;
      decoder.ip = (bytesIp + BigInt(o)) & mask;
      decoder.decodeOut(instr);
      if (!instr.isInvalid && o + instr.length <= target) next[o] = o + instr.length;
    }
  } finally {
    instr.free();
    decoder.free();
  }
  // reaches[o]: a chain of valid instructions from o lands exactly on target.
  const reaches = new Uint8Array(target + 1);
  reaches[target] = 1;
  for (let o = target - 1; o >= 0; o--) reaches[o] = next[o] >= 0 && reaches[next[o]] ? 1 : 0;
  // The chain from the earliest offset that reaches the target: the further back decoding
  // starts, the more instructions it has had to fall into step with the real stream.
  let start = 0;
  while (start < target && !reaches[start]) start++;
  if (start >= target) return { ip: targetIp, count: 0 };
  const chain: number[] = [];
  for (let o = start; o < target; o = next[o]) chain.push(o);
  const back = Math.min(count, chain.length);
  const cur = chain[chain.length - back];
  return { ip: (bytesIp + BigInt(cur)) & mask, count: back };
}
