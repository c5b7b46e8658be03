/**
 * The simulated x86 processor: CONTEXT and KSPECIAL_REGISTERS (control space, kd-protocol.md §3.3/§5.1),
 * the 32-entry breakpoint table, and "scripted execution": the machine walks lists of real
 * instructions (see kdSimImage), so a planted 0xCC hits when execution reaches it and a single
 * step moves EIP to the next instruction on the path.
 */
import { Arch, buildKernelImage, Insn, KernelImage, LAYOUTS } from './kdSimImage';
import { X86_CONTEXT_SIZE, X86_SPECIAL_REGISTERS_SIZE } from './kdSimStructs';

export const X64_CONTEXT_SIZE = 0x4d0;
export const X64_SPECIAL_REGISTERS_SIZE = 0xe0;

/** CONTEXT (x86) field offsets (§5.1). */
export const Ctx = {
  ContextFlags: 0x00, Dr0: 0x04, Dr1: 0x08, Dr2: 0x0c, Dr3: 0x10, Dr6: 0x14, Dr7: 0x18,
  SegGs: 0x8c, SegFs: 0x90, SegEs: 0x94, SegDs: 0x98, Edi: 0x9c, Esi: 0xa0, Ebx: 0xa4, Edx: 0xa8,
  Ecx: 0xac, Eax: 0xb0, Ebp: 0xb4, Eip: 0xb8, SegCs: 0xbc, EFlags: 0xc0, Esp: 0xc4, SegSs: 0xc8,
} as const;

export const CONTEXT_FULL_X86 = 0x0001003f;
export const CONTEXT_FULL_X64 = 0x0010001f;

type RegName = keyof typeof Ctx;

/** x64 CONTEXT (§5.2) under the x86 names the rest of the simulator uses (Eip = Rip, …). */
const X64_REGS: Record<RegName, { off: number; size: 2 | 4 | 8 }> = {
  ContextFlags: { off: 0x30, size: 4 }, SegCs: { off: 0x38, size: 2 }, SegDs: { off: 0x3a, size: 2 },
  SegEs: { off: 0x3c, size: 2 }, SegFs: { off: 0x3e, size: 2 }, SegGs: { off: 0x40, size: 2 },
  SegSs: { off: 0x42, size: 2 }, EFlags: { off: 0x44, size: 4 }, Dr0: { off: 0x48, size: 8 },
  Dr1: { off: 0x50, size: 8 }, Dr2: { off: 0x58, size: 8 }, Dr3: { off: 0x60, size: 8 }, Dr6: { off: 0x68, size: 8 },
  Dr7: { off: 0x70, size: 8 }, Eax: { off: 0x78, size: 8 }, Ecx: { off: 0x80, size: 8 }, Edx: { off: 0x88, size: 8 },
  Ebx: { off: 0x90, size: 8 }, Esp: { off: 0x98, size: 8 }, Ebp: { off: 0xa0, size: 8 }, Esi: { off: 0xa8, size: 8 },
  Edi: { off: 0xb0, size: 8 }, Eip: { off: 0xf8, size: 8 },
};
export const BREAKPOINT_TABLE_SIZE = 32;

/** One executed instruction, with the call chain (outermost first) that reached it. */
export interface PathItem {
  insn: Insn;
  stack: string[];
}

export interface PathAction {
  kind: 'path';
  items: PathItem[];
  idx: number;
  /** Callers below the path's first function (outermost first). */
  base: string[];
  /** Value `mov eax,[esp+4]` loads in DbgBreakPointWithStatus. */
  status?: number;
  /** Stack arguments of functions on the path (function name → args). */
  args?: Record<string, number[]>;
}

export interface EffectAction {
  kind: 'effect';
  run: () => Promise<void>;
}

export interface IdleAction {
  kind: 'idle';
  until: number;
}

export type Action = PathAction | EffectAction | IdleAction;

export class SimMachine {
  image: KernelImage;
  readonly context: Buffer;
  readonly special: Buffer;
  readonly breakpoints: Array<{ addr: number; original: number } | undefined> = new Array(BREAKPOINT_TABLE_SIZE).fill(undefined);
  readonly buildNumber: number;

  constructor(buildNumber?: number, readonly arch: Arch = 'x86') {
    this.buildNumber = buildNumber ?? LAYOUTS[arch].defaultBuild;
    this.context = Buffer.alloc(arch === 'x64' ? X64_CONTEXT_SIZE : X86_CONTEXT_SIZE);
    this.special = Buffer.alloc(arch === 'x64' ? X64_SPECIAL_REGISTERS_SIZE : X86_SPECIAL_REGISTERS_SIZE);
    this.image = buildKernelImage(this.buildNumber, arch);
    this.resetCpu();
  }

  get ptrSize(): 4 | 8 {
    return this.image.memory.ptrSize;
  }

  /** Power-on: fresh memory image, empty breakpoint table, registers at KiSystemStartup. */
  reset(): void {
    this.image = buildKernelImage(this.buildNumber, this.arch);
    this.breakpoints.fill(undefined);
    this.resetCpu();
  }

  private resetCpu(): void {
    if (this.arch === 'x64') return this.resetCpuX64();
    const L = this.image.layout;
    const c = this.context;
    c.fill(0);
    c.writeUInt32LE(CONTEXT_FULL_X86, Ctx.ContextFlags);
    c.writeUInt32LE(0x400, Ctx.Dr7);
    c.writeUInt32LE(0x08, Ctx.SegCs);
    c.writeUInt32LE(0x10, Ctx.SegSs);
    c.writeUInt32LE(0x23, Ctx.SegDs);
    c.writeUInt32LE(0x23, Ctx.SegEs);
    c.writeUInt32LE(0x30, Ctx.SegFs);
    c.writeUInt32LE(0x246, Ctx.EFlags);
    c.writeUInt32LE(L.kprcb, Ctx.Ebx);
    c.writeUInt32LE(L.initialThread, Ctx.Esi);
    c.writeUInt32LE(0x027f, 0x1c); // FloatSave.ControlWord
    c.writeUInt32LE(0x027f, 0xcc); // FXSAVE control word
    this.setReg('Eip', this.image.sym('nt!KiSystemStartup'));
    this.setReg('Esp', L.stackTop - 0x40);
    const s = this.special;
    s.fill(0);
    s.writeUInt32LE(0x8001003b, 0x00); // Cr0
    s.writeUInt32LE(0x00039000, 0x08); // Cr3
    s.writeUInt32LE(0x000006d9, 0x0c); // Cr4
    s.writeUInt16LE(0x03ff, 0x2a); // Gdtr.Limit
    s.writeUInt32LE(0x8003f000, 0x2c); // Gdtr.Base
    s.writeUInt16LE(0x07ff, 0x32); // Idtr.Limit
    s.writeUInt32LE(0x8003f400, 0x34); // Idtr.Base
    s.writeUInt16LE(0x28, 0x38); // Tr
  }

  private resetCpuX64(): void {
    const L = this.image.layout;
    const c = this.context;
    c.fill(0);
    this.setReg('ContextFlags', CONTEXT_FULL_X64);
    c.writeUInt32LE(0x1f80, 0x34); // MxCsr
    this.setReg('SegCs', 0x10);
    this.setReg('SegDs', 0x2b);
    this.setReg('SegEs', 0x2b);
    this.setReg('SegFs', 0x53);
    this.setReg('SegGs', 0x2b);
    this.setReg('SegSs', 0x18);
    this.setReg('EFlags', 0x246);
    this.setReg('Dr7', 0x400);
    this.setReg('Ebx', L.kprcb);
    this.setReg('Esi', L.initialThread);
    this.setReg('Eip', this.image.sym('nt!KiSystemStartup'));
    this.setReg('Esp', L.stackTop - 0x40);
    const s = this.special;
    s.fill(0);
    const w = (off: number, v: bigint): void => void s.writeBigUInt64LE(v, off);
    w(0x00, 0x80050033n); // Cr0
    w(0x10, 0x187000n); // Cr3
    w(0x18, 0x6f8n); // Cr4
    s.writeUInt16LE(0x7f, 0x56); // Gdtr.Limit
    w(0x58, this.image.memory.toWire(L.kpcr - 0x1000 + 0x100)); // Gdtr.Base
    s.writeUInt16LE(0xfff, 0x66); // Idtr.Limit
    w(0x68, this.image.memory.toWire(L.kpcr - 0x1000 + 0x200)); // Idtr.Base
    s.writeUInt16LE(0x40, 0x70); // Tr
    s.writeUInt32LE(0x1f80, 0x74); // MxCsr
    w(0xa8, this.image.memory.toWire(L.kpcr)); // MsrGsBase
  }

  reg(name: RegName): number {
    if (this.arch === 'x86') return this.context.readUInt32LE(Ctx[name]);
    const r = X64_REGS[name];
    if (r.size === 2) return this.context.readUInt16LE(r.off);
    if (r.size === 4) return this.context.readUInt32LE(r.off);
    return this.image.memory.fromWire(this.context.readBigUInt64LE(r.off));
  }

  setReg(name: RegName, value: number): void {
    if (this.arch === 'x86') return void this.context.writeUInt32LE(value >>> 0, Ctx[name]);
    const r = X64_REGS[name];
    if (r.size === 2) this.context.writeUInt16LE(value & 0xffff, r.off);
    else if (r.size === 4) this.context.writeUInt32LE(value >>> 0, r.off);
    else this.context.writeBigUInt64LE(this.image.memory.toWire(value), r.off);
  }

  /** KPROCESSOR_STATE = CONTEXT followed by KSPECIAL_REGISTERS (x86 control space). */
  processorState(): Buffer {
    return Buffer.concat([this.context, this.special]);
  }

  writeProcessorState(offset: number, data: Buffer): number {
    const state = this.processorState();
    const n = Math.max(0, Math.min(data.length, state.length - offset));
    if (n === 0) return 0;
    data.copy(state, offset, 0, n);
    state.copy(this.context, 0, 0, X86_CONTEXT_SIZE);
    state.copy(this.special, 0, X86_CONTEXT_SIZE);
    return n;
  }

  // ---- breakpoints (KdpAddBreakpoint / KdpDeleteBreakpoint) ----
  addBreakpoint(addr: number): number | undefined {
    const a = addr;
    const existing = this.breakpoints.findIndex((b) => b?.addr === a);
    if (existing >= 0) return existing + 1;
    const slot = this.breakpoints.findIndex((b) => b === undefined);
    if (slot < 0) return undefined;
    const original = this.image.memory.u8(a);
    if (original === undefined) return undefined;
    if (this.image.memory.write(a, Buffer.from([0xcc])) !== 1) return undefined;
    this.breakpoints[slot] = { addr: a, original };
    return slot + 1;
  }

  removeBreakpoint(handle: number): boolean {
    const bp = this.breakpoints[handle - 1];
    if (handle < 1 || handle > BREAKPOINT_TABLE_SIZE || !bp) return false;
    this.image.memory.write(bp.addr, Buffer.from([bp.original]));
    this.breakpoints[handle - 1] = undefined;
    return true;
  }

  /** Bytes at `addr` as the program sees them, with our own 0xCC replaced by the saved bytes. */
  readWithoutBreakpoints(addr: number, len: number): Buffer {
    const b = this.image.memory.read(addr, len);
    for (const bp of this.breakpoints) {
      if (bp && bp.addr >= addr && bp.addr < addr + b.length) b[bp.addr - addr] = bp.original;
    }
    return b;
  }

  // ---- scripted execution ----
  /**
   * The instructions executed by one call of `func`, descending into callees, ending at its return
   * (or at `to`, a label in `func`, exclusive). `from` is a label in `func` to start at.
   */
  tracePath(func: string, opts: { from?: string; to?: string; stack?: string[] } = {}): PathItem[] {
    const list = this.image.functions.get(func);
    if (!list) throw new Error(`kdsim: unknown function ${func}`);
    const stack = [...(opts.stack ?? []), func];
    const startAddr = opts.from ? this.image.sym(`${func}.${opts.from}`) : list[0].addr;
    const endAddr = opts.to ? this.image.sym(`${func}.${opts.to}`) : undefined;
    const out: PathItem[] = [];
    for (let i = list.findIndex((x) => x.addr === startAddr); i >= 0 && i < list.length; i++) {
      const insn = list[i];
      if (endAddr !== undefined && insn.addr === endAddr) break;
      out.push({ insn, stack });
      if (insn.callTarget && stack.length < 12) out.push(...this.tracePath(insn.callTarget, { stack }));
      if (insn.isReturn && endAddr === undefined) break;
    }
    return out;
  }

  /**
   * Lays out an EBP-chained stack for a stop at `item` and sets ESP/EBP: each caller frame holds
   * the saved EBP of the frame below it and the return address after its call to the next function.
   */
  buildStack(action: PathAction, item: PathItem): void {
    const chain = [...action.base, ...item.stack];
    const mem = this.image.memory;
    const p = mem.ptrSize;
    const ebp = this.image.layout.stackTop - 0x40;
    mem.pokePtr(ebp, 0);
    mem.pokePtr(ebp + p, 0);
    let frame = ebp;
    for (let i = 1; i < chain.length; i++) {
      const ret = this.returnAddress(chain[i - 1], chain[i]);
      const args = action.args?.[chain[i]] ?? [];
      if (i === chain.length - 1) {
        // Innermost function: at its entry ESP points at the return address, args above it.
        const esp = frame - 0x20 - p * args.length - p;
        mem.pokePtr(esp, ret);
        args.forEach((a, k) => mem.pokePtr(esp + p + p * k, a));
        this.setReg('Esp', esp);
        this.setReg('Ebp', frame);
        return;
      }
      const next = frame - 0x30 - p * args.length;
      mem.pokePtr(next, frame);
      mem.pokePtr(next + p, ret);
      args.forEach((a, k) => mem.pokePtr(next + 2 * p + p * k, a));
      frame = next;
    }
    this.setReg('Esp', frame - 0x20);
    this.setReg('Ebp', frame);
  }

  /** The address after `caller`'s call to `callee` (or a point inside `caller` if it has none). */
  returnAddress(caller: string, callee: string): number {
    const list = this.image.functions.get(caller);
    if (!list) return 0;
    const call = list.find((i) => i.callTarget === callee);
    return call ? call.addr + call.len : list[Math.min(1, list.length - 1)].addr;
  }
}
