/**
 * x86 target model: the register file (layout from QEMU's target.xml), CPU mode from CR0.PE and
 * EFLAGS.VM, hidden segment bases from `monitor info registers`, linear PC = CS.base + EIP,
 * EFLAGS/CR0 decoding and `seg:off` formatting. Pure data and functions; no I/O.
 */

export interface RegisterDef {
  name: string;
  bitsize: number;
  regnum: number;
  /** Byte offset in the `g` packet. */
  offset: number;
  type: string;
  group?: string;
}

/** Extracts `<reg>` elements in document order, following `xi:include`s; comments are ignored
 *  (QEMU's i386-32bit.xml has cs_base… commented out). */
export function parseTargetDescription(files: Map<string, string>, root = 'target.xml'): RegisterDef[] {
  const defs: RegisterDef[] = [];
  let regnum = 0;
  let offset = 0;
  const visit = (name: string, depth: number): void => {
    const text = files.get(name);
    if (text === undefined || depth > 8) return;
    const clean = text.replace(/<!--[\s\S]*?-->/g, '');
    for (const m of clean.matchAll(/<xi:include\s+href="([^"]+)"\s*\/>|<reg\s+([^>]*?)\/?>/g)) {
      if (m[1]) {
        visit(m[1], depth + 1);
        continue;
      }
      const attrs: Record<string, string> = {};
      for (const a of m[2].matchAll(/([\w:-]+)="([^"]*)"/g)) attrs[a[1]] = a[2];
      if (!attrs.name || !attrs.bitsize) continue;
      if (attrs.regnum !== undefined) regnum = Number(attrs.regnum);
      const bitsize = Number(attrs.bitsize);
      defs.push({ name: attrs.name, bitsize, regnum, offset, type: attrs.type ?? 'int', group: attrs.group });
      regnum++;
      offset += Math.ceil(bitsize / 8);
    }
  };
  visit(root, 0);
  return defs;
}

/** QEMU 7.2 qemu-system-i386's layout, used when a stub offers no target.xml. */
const I386_FALLBACK: [string, number][] = [
  ['eax', 32], ['ecx', 32], ['edx', 32], ['ebx', 32], ['esp', 32], ['ebp', 32], ['esi', 32], ['edi', 32],
  ['eip', 32], ['eflags', 32], ['cs', 32], ['ss', 32], ['ds', 32], ['es', 32], ['fs', 32], ['gs', 32],
];
export function fallbackRegisterDefs(): RegisterDef[] {
  let offset = 0;
  return I386_FALLBACK.map(([name, bitsize], regnum) => {
    const d = { name, bitsize, regnum, offset, type: 'int32' };
    offset += bitsize / 8;
    return d;
  });
}

/** A decoded `g` reply. Values are little-endian unsigned. */
/** Name index per layout, built once (a RegisterFile is made at every stop). */
const INDEX_CACHE = new WeakMap<RegisterDef[], Map<string, RegisterDef>>();
function indexOf(defs: RegisterDef[]): Map<string, RegisterDef> {
  let m = INDEX_CACHE.get(defs);
  if (!m) {
    m = new Map(defs.map((d) => [d.name, d]));
    INDEX_CACHE.set(defs, m);
  }
  return m;
}

export class RegisterFile {
  private readonly byName: Map<string, RegisterDef>;

  constructor(readonly defs: RegisterDef[], readonly raw: Buffer) {
    this.byName = indexOf(defs);
  }

  def(name: string): RegisterDef | undefined {
    return this.byName.get(name);
  }

  has(name: string): boolean {
    const d = this.byName.get(name);
    return d !== undefined && d.offset + d.bitsize / 8 <= this.raw.length;
  }

  /** Value as bigint (any width), undefined when the stub did not send it. */
  big(name: string): bigint | undefined {
    const d = this.byName.get(name);
    if (!d || d.offset + Math.ceil(d.bitsize / 8) > this.raw.length) return undefined;
    let v = 0n;
    for (let i = Math.ceil(d.bitsize / 8) - 1; i >= 0; i--) v = (v << 8n) | BigInt(this.raw[d.offset + i]);
    return v;
  }

  /** 32-bit (or smaller) register as a number; 0 when absent. */
  u32(name: string): number {
    const d = this.byName.get(name);
    if (d && d.bitsize === 32 && d.offset + 4 <= this.raw.length) return this.raw.readUInt32LE(d.offset);
    return Number((this.big(name) ?? 0n) & 0xffffffffn);
  }

  /** Encodes a new value for `name` in target byte order. */
  encode(name: string, value: bigint): Buffer {
    const d = this.byName.get(name);
    if (!d) throw new Error(`unknown register ${name}`);
    const bytes = Math.ceil(d.bitsize / 8);
    const out = Buffer.alloc(bytes);
    let v = value & ((1n << BigInt(bytes * 8)) - 1n);
    for (let i = 0; i < bytes; i++) {
      out[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    return out;
  }

  /** A copy of the `g` buffer with one register replaced (for `G`). */
  withValue(name: string, value: bigint): Buffer {
    const d = this.byName.get(name);
    if (!d) throw new Error(`unknown register ${name}`);
    const copy = Buffer.from(this.raw);
    this.encode(name, value).copy(copy, d.offset);
    return copy;
  }
}

export type SegmentName = 'ES' | 'CS' | 'SS' | 'DS' | 'FS' | 'GS' | 'LDT' | 'TR';
export interface SegmentState {
  selector: number;
  base: bigint;
  limit: number;
  /** Descriptor flags as QEMU prints them (bit 22 = D/B: 32-bit code). */
  flags: number;
}

export interface InfoRegisters {
  segments: Partial<Record<SegmentName, SegmentState>>;
  gdt?: { base: bigint; limit: number };
  idt?: { base: bigint; limit: number };
  cr0?: number;
  eip?: number;
  eflags?: number;
  a20?: number;
  halted?: boolean;
}

/** Parses QEMU's `info registers` text (`CS =07c0 00007c00 0000ffff 00009b00`, `GDT=  base limit`, …). */
export function parseInfoRegisters(text: string): InfoRegisters | undefined {
  const out: InfoRegisters = { segments: {} };
  let found = false;
  for (const m of text.matchAll(/^(ES|CS|SS|DS|FS|GS|LDT|TR)\s*=([0-9a-f]{4})\s+([0-9a-f]{8,16})\s+([0-9a-f]{8})\s+([0-9a-f]{8})/gim)) {
    out.segments[m[1].toUpperCase() as SegmentName] = {
      selector: parseInt(m[2], 16),
      base: BigInt('0x' + m[3]),
      limit: parseInt(m[4], 16),
      flags: parseInt(m[5], 16),
    };
    found = true;
  }
  const table = (name: string): { base: bigint; limit: number } | undefined => {
    const m = new RegExp(`^${name}=\\s*([0-9a-f]{8,16})\\s+([0-9a-f]{8})`, 'im').exec(text);
    return m ? { base: BigInt('0x' + m[1]), limit: parseInt(m[2], 16) } : undefined;
  };
  out.gdt = table('GDT');
  out.idt = table('IDT');
  const num = (re: RegExp): number | undefined => {
    const m = re.exec(text);
    return m ? parseInt(m[1], 16) : undefined;
  };
  out.cr0 = num(/CR0=([0-9a-f]{8})/i);
  out.eip = num(/EIP=([0-9a-f]{8})/i);
  out.eflags = num(/EFL=([0-9a-f]{8})/i);
  out.a20 = num(/A20=(\d)/);
  const hlt = num(/HLT=(\d)/);
  out.halted = hlt === undefined ? undefined : hlt === 1;
  return found ? out : undefined;
}

export type CpuMode = 'real' | 'v86' | 'protected16' | 'protected32';

const CR0_PE = 1;
const EFLAGS_VM = 1 << 17;
const DESC_DB = 1 << 22;

export function cpuMode(cr0: number, eflags: number, csFlags: number | undefined): CpuMode {
  if ((cr0 & CR0_PE) === 0) return 'real';
  if (eflags & EFLAGS_VM) return 'v86';
  return csFlags !== undefined && csFlags & DESC_DB ? 'protected32' : 'protected16';
}

export function bitnessOf(mode: CpuMode): 16 | 32 {
  return mode === 'protected32' ? 32 : 16;
}

export const CPU_MODE_LABEL: Record<CpuMode, string> = {
  real: 'real mode',
  v86: 'virtual-8086 mode',
  protected16: '16-bit protected mode',
  protected32: '32-bit protected mode',
};

export interface FlagField {
  name: string;
  bit: number;
  width: number;
  description: string;
}

export const EFLAGS_FIELDS: FlagField[] = [
  { name: 'CF', bit: 0, width: 1, description: 'carry' },
  { name: 'PF', bit: 2, width: 1, description: 'parity' },
  { name: 'AF', bit: 4, width: 1, description: 'auxiliary carry' },
  { name: 'ZF', bit: 6, width: 1, description: 'zero' },
  { name: 'SF', bit: 7, width: 1, description: 'sign' },
  { name: 'TF', bit: 8, width: 1, description: 'trap (single step)' },
  { name: 'IF', bit: 9, width: 1, description: 'interrupts enabled' },
  { name: 'DF', bit: 10, width: 1, description: 'direction (string ops count down)' },
  { name: 'OF', bit: 11, width: 1, description: 'overflow' },
  { name: 'IOPL', bit: 12, width: 2, description: 'I/O privilege level' },
  { name: 'NT', bit: 14, width: 1, description: 'nested task' },
  { name: 'RF', bit: 16, width: 1, description: 'resume' },
  { name: 'VM', bit: 17, width: 1, description: 'virtual-8086 mode' },
  { name: 'AC', bit: 18, width: 1, description: 'alignment check' },
  { name: 'VIF', bit: 19, width: 1, description: 'virtual interrupt' },
  { name: 'VIP', bit: 20, width: 1, description: 'virtual interrupt pending' },
  { name: 'ID', bit: 21, width: 1, description: 'CPUID available' },
];

export const CR0_FIELDS: FlagField[] = [
  { name: 'PE', bit: 0, width: 1, description: 'protection enable' },
  { name: 'MP', bit: 1, width: 1, description: 'monitor coprocessor' },
  { name: 'EM', bit: 2, width: 1, description: 'FPU emulation' },
  { name: 'TS', bit: 3, width: 1, description: 'task switched' },
  { name: 'ET', bit: 4, width: 1, description: 'extension type' },
  { name: 'NE', bit: 5, width: 1, description: 'numeric error' },
  { name: 'WP', bit: 16, width: 1, description: 'write protect' },
  { name: 'AM', bit: 18, width: 1, description: 'alignment mask' },
  { name: 'NW', bit: 29, width: 1, description: 'not write-through' },
  { name: 'CD', bit: 30, width: 1, description: 'cache disable' },
  { name: 'PG', bit: 31, width: 1, description: 'paging' },
];

export function fieldValue(value: number, f: FlagField): number {
  return (value >>> f.bit) & ((1 << f.width) - 1);
}

/** Replaces one field of a flags word (for setVariable on an EFLAGS child). */
export function withField(value: number, f: FlagField, fieldVal: number): number {
  const mask = ((1 << f.width) - 1) << f.bit;
  return ((value & ~mask) | ((fieldVal << f.bit) & mask)) >>> 0;
}

/** `[ IF ZF CF ]`-style summary of the set 1-bit flags. */
export function summarizeFlags(value: number, fields: FlagField[]): string {
  const set = fields.filter((f) => f.width === 1 && fieldValue(value, f) === 1).map((f) => f.name);
  return set.join(' ');
}

export const hex = (v: number | bigint, width: number): string => v.toString(16).padStart(width, '0');

/** `07c0:0005` in real/16-bit modes, `0008:00037437` for 32-bit code. */
export function formatSegOff(selector: number, offset: number, bitness: 16 | 32): string {
  return `${hex(selector, 4)}:${hex(offset, bitness === 32 || offset > 0xffff ? 8 : 4)}`;
}

/** The general registers shown with their 16-bit (and 8-bit) views. */
export const GENERAL_REGISTERS: { name: string; low16: string; bytes?: [string, string] }[] = [
  { name: 'eax', low16: 'ax', bytes: ['ah', 'al'] },
  { name: 'ebx', low16: 'bx', bytes: ['bh', 'bl'] },
  { name: 'ecx', low16: 'cx', bytes: ['ch', 'cl'] },
  { name: 'edx', low16: 'dx', bytes: ['dh', 'dl'] },
  { name: 'esi', low16: 'si' },
  { name: 'edi', low16: 'di' },
  { name: 'ebp', low16: 'bp' },
  { name: 'esp', low16: 'sp' },
  { name: 'eip', low16: 'ip' },
];

export const SEGMENT_REGISTERS: { name: string; seg: SegmentName; baseRegister?: string }[] = [
  { name: 'cs', seg: 'CS' },
  { name: 'ds', seg: 'DS' },
  { name: 'es', seg: 'ES' },
  { name: 'ss', seg: 'SS' },
  { name: 'fs', seg: 'FS', baseRegister: 'fs_base' },
  { name: 'gs', seg: 'GS', baseRegister: 'gs_base' },
];

/** Sub-register views: name → (full register, shift, width in bits). */
export const SUBREGISTERS: Record<string, { reg: string; shift: number; bits: number }> = Object.fromEntries(
  GENERAL_REGISTERS.flatMap((g) => [
    [g.low16, { reg: g.name, shift: 0, bits: 16 }],
    ...(g.bytes ? [[g.bytes[0], { reg: g.name, shift: 8, bits: 8 }], [g.bytes[1], { reg: g.name, shift: 0, bits: 8 }]] : []),
  ]),
);

/** The x86 reset vector: F000:FFF0 with CS.base FFFF0000 after a CPU reset. */
export const RESET_VECTOR_LINEAR = 0xfffffff0n;
/** Its real-mode alias: a `ljmp $0xf000,$0xfff0` (the classic software reboot) lands here. */
export const RESET_VECTOR_ALIAS = 0xffff0n;

/** A CPU state at a stop, with everything derived from it. */
export interface CpuSnapshot {
  regs: RegisterFile;
  /** `info registers`, when it was fetched for this stop. */
  info?: InfoRegisters;
  mode: CpuMode;
  bitness: 16 | 32;
  cs: number;
  eip: number;
  csBase: bigint;
  linearPc: bigint;
  /** True when the CS base came from `info registers` rather than selector×16. */
  csBaseExact: boolean;
}

/**
 * When selector×16 cannot be trusted for CS.base, and `info registers` must be asked
 * (see reference §1.5): protected or V86 mode, a selector that looks like a PM selector while PE=0
 * (iPXE's process_bytes leaves CS=0008 with base = prefix segment), the reset vector (F000 with base
 * FFFF0000), or when the previous stop was itself in such a state.
 */
export function needsSegmentInfo(regs: RegisterFile, previous: CpuSnapshot | undefined): boolean {
  const cr0 = regs.u32('cr0');
  const cs = regs.u32('cs');
  if (!regs.has('cr0')) return false;
  if (cr0 & CR0_PE) return true;
  if (cs < 0x100) return true;
  if (cs === 0xf000 && regs.u32('eip') === 0xfff0) return true;
  if (!previous) return true;
  if (previous.mode !== 'real') return true;
  if (previous.csBase !== BigInt(previous.cs) * 16n) return true;
  return false;
}

export function buildSnapshot(regs: RegisterFile, info: InfoRegisters | undefined): CpuSnapshot {
  const cr0 = regs.u32('cr0');
  const eflags = regs.u32('eflags');
  const cs = regs.u32('cs') & 0xffff;
  const eip = regs.u32('eip');
  const csInfo = info?.segments.CS;
  const mode = cpuMode(cr0, eflags, csInfo?.flags);
  const csBase = csInfo && csInfo.selector === cs ? csInfo.base : mode === 'real' || mode === 'v86' ? BigInt(cs) * 16n : 0n;
  const bitness = bitnessOf(mode);
  return {
    regs,
    info,
    mode,
    bitness,
    cs,
    eip,
    csBase,
    linearPc: (csBase + BigInt(eip)) & 0xffffffffn,
    csBaseExact: csInfo !== undefined,
  };
}

/** Base of a data segment: exact from `info registers` or fs_base/gs_base, else selector×16 in real mode. */
export function segmentBase(snap: CpuSnapshot, seg: SegmentName): bigint {
  const fromInfo = snap.info?.segments[seg];
  if (fromInfo) return fromInfo.base;
  if (seg === 'FS' && snap.regs.has('fs_base')) return snap.regs.big('fs_base')!;
  if (seg === 'GS' && snap.regs.has('gs_base')) return snap.regs.big('gs_base')!;
  if (seg === 'CS') return snap.csBase;
  return BigInt(snap.regs.u32(seg.toLowerCase()) & 0xffff) * 16n;
}
