/**
 * The simulated machine's memory image: an x86 XP-like kernel (ntoskrnl.exe) plus HAL, KDCOM and
 * the NIC / iSCSI boot drivers, each with a real PE header and export directory; the loaded-module
 * list (LDR_DATA_TABLE_ENTRY x86), the debugger data block (KDDEBUGGER_DATA64), KiBugcheckData, the
 * KPCR, KUSER_SHARED_DATA, a kernel stack and an iBFT in base memory. Layouts: kd-protocol.md §5.
 *
 * Code is real x86 machine code (hand-encoded, see FUNCTIONS) so a debugger's disassembler shows
 * sensible instructions; the simulator "executes" it by walking instruction lists (see kdSimMachine).
 */
import { SparseMemory } from './kdSimMemory';

export const KERNEL_BASE = 0x804d7000;
export const KPCR_ADDRESS = 0xffdff000;
export const KPRCB_ADDRESS = 0xffdff120;
export const KUSER_SHARED_DATA = 0xffdf0000;
export const INITIAL_THREAD = 0x80558c20;
export const STACK_TOP = 0xf8a50000;
export const STACK_SIZE = 0x3000;
/** x86 XP maps low physical memory at 0x80000000 (so PA = VA - 0x80000000 for the kernel image). */
export const PHYS_WINDOW_BASE = 0x80000000;
export const PHYS_WINDOW_SIZE = 0x10000000;
export const IBFT_PHYS = 0x9e620;
const POOL_BASE = 0x81200000;

/** One instruction: encoded bytes, or a near call (E8 rel32) to a `module!symbol`. */
export type InsnSpec =
  | { b: number[]; label?: string; eaxFromArg?: true }
  | { call: string; label?: string };

export interface FunctionSpec {
  name: string;
  exported: boolean;
  body: InsnSpec[];
}

export interface ModuleSpec {
  baseName: string;
  fullName: string;
  base: number;
  size: number;
  timeDateStamp: number;
  checksum: number;
  characteristics: number;
  functions: FunctionSpec[];
  /** Exported data symbols (name → size in bytes), laid out in .data. */
  data: Array<{ name: string; size: number; exported: boolean }>;
}

/** An assembled instruction in memory. */
export interface Insn {
  addr: number;
  len: number;
  bytes: number[];
  /** Fully-qualified function name (`nt!DbgPrint`). */
  func: string;
  callTarget?: string;
  isReturn: boolean;
  eaxFromArg: boolean;
}

// ---- code (hand-encoded x86; `call` operands are resolved at layout time) ----
const PROLOGUE: InsnSpec[] = [{ b: [0x8b, 0xff] }, { b: [0x55] }, { b: [0x8b, 0xec] }];
const EPILOGUE_RET = (pop: number): InsnSpec[] =>
  pop ? [{ b: [0x5d] }, { b: [0xc2, pop & 0xff, pop >> 8] }] : [{ b: [0x5d] }, { b: [0xc3] }];

/** A function that calls each callee once, with a plausible argument push before each call. */
function caller(name: string, callees: string[], exported = false, pop = 0): FunctionSpec {
  const body: InsnSpec[] = [...PROLOGUE, { b: [0x83, 0xec, 0x10] }];
  for (const c of callees) body.push({ b: [0xff, 0x75, 0x08] }, { call: c }, { b: [0x85, 0xc0] });
  body.push({ b: [0x33, 0xc0] }, { b: [0xc9] }, { b: pop ? [0xc2, pop & 0xff, pop >> 8] : [0xc3] });
  return { name, exported, body };
}

function stub(name: string, pop: number, exported = true): FunctionSpec {
  return { name, exported, body: [...PROLOGUE, { b: [0x33, 0xc0] }, ...EPILOGUE_RET(pop)] };
}

const NT_FUNCTIONS: FunctionSpec[] = [
  { name: 'DbgBreakPoint', exported: true, body: [{ b: [0xcc] }, { b: [0xc3] }] },
  {
    name: 'DbgBreakPointWithStatus',
    exported: true,
    body: [{ b: [0x8b, 0x44, 0x24, 0x04], eaxFromArg: true }, { b: [0xcc], label: 'RtlpBreakWithStatusInstruction' }, { b: [0xc2, 0x04, 0x00] }],
  },
  {
    name: 'DbgPrint',
    exported: true,
    body: [
      { b: [0x55] }, { b: [0x8b, 0xec] }, { b: [0x8d, 0x45, 0x0c] }, { b: [0x50] }, { b: [0xff, 0x75, 0x08] },
      { b: [0x6a, 0x00] }, { b: [0x6a, 0x65] }, { call: 'nt!vDbgPrintEx' }, { b: [0x5d] }, { b: [0xc3] },
    ],
  },
  {
    name: 'DbgPrintEx',
    exported: true,
    body: [
      ...PROLOGUE, { b: [0x8d, 0x45, 0x14] }, { b: [0x50] }, { b: [0xff, 0x75, 0x10] }, { b: [0xff, 0x75, 0x0c] },
      { b: [0xff, 0x75, 0x08] }, { call: 'nt!vDbgPrintEx' }, ...EPILOGUE_RET(0),
    ],
  },
  { name: 'vDbgPrintEx', exported: true, body: [...PROLOGUE, { b: [0xff, 0x75, 0x14] }, { b: [0x33, 0xc0] }, ...EPILOGUE_RET(0x10)] },
  {
    name: 'KeBugCheckEx',
    exported: true,
    body: [
      ...PROLOGUE, { b: [0x6a, 0x00] }, { b: [0xff, 0x75, 0x18] }, { b: [0xff, 0x75, 0x14] }, { b: [0xff, 0x75, 0x10] },
      { b: [0xff, 0x75, 0x0c] }, { b: [0xff, 0x75, 0x08] }, { call: 'nt!KeBugCheck2' }, ...EPILOGUE_RET(0x14),
    ],
  },
  {
    name: 'KeBugCheck',
    exported: true,
    body: [
      ...PROLOGUE, { b: [0x6a, 0x00] }, { b: [0x6a, 0x00] }, { b: [0x6a, 0x00] }, { b: [0x6a, 0x00] },
      { b: [0xff, 0x75, 0x08] }, { call: 'nt!KeBugCheckEx' }, ...EPILOGUE_RET(4),
    ],
  },
  stub('ExAllocatePoolWithTag', 0x0c),
  stub('ExFreePool', 4),
  stub('IoCreateDevice', 0x1c),
  stub('IofCompleteRequest', 0),
  stub('KeInitializeEvent', 0x0c),
  stub('RtlInitUnicodeString', 8),
  stub('ZwOpenKey', 0x0c),
  stub('ZwQueryValueKey', 0x18),
  stub('MmMapIoSpace', 0x10),
  // Internal (not exported): what the scripted execution and the stack frames refer to.
  {
    name: 'KeBugCheck2',
    exported: false,
    body: [
      ...PROLOGUE, { b: [0x83, 0xec, 0x10] }, { b: [0x6a, 0x03], label: 'firstBreak' }, { call: 'nt!DbgBreakPointWithStatus' },
      { b: [0x6a, 0x04], label: 'secondBreak' }, { call: 'nt!DbgBreakPointWithStatus' }, { b: [0xeb, 0xf7] },
    ],
  },
  { name: 'KiIdleLoop', exported: false, body: [{ b: [0xf3, 0x90] }, { b: [0xf4] }, { b: [0xeb, 0xfb] }] },
  caller('KeUpdateSystemTime', ['nt!DbgBreakPointWithStatus']),
  caller('KdInitSystem', ['nt!DbgBreakPoint']),
  caller('KiInitializeKernel', ['nt!KdInitSystem']),
  caller('IopLoadDriver', ['msiscsi!DriverEntry', 'sanbootconf!DriverEntry', 'E1000325!DriverEntry']),
  caller('IopMarkBootPartition', ['nt!KeBugCheckEx']),
  caller('IoInitSystem', ['nt!IopLoadDriver', 'nt!IopMarkBootPartition']),
  caller('Phase1Initialization', ['nt!IoInitSystem', 'nt!DbgPrint']),
  caller('KiSystemStartup', ['nt!KiInitializeKernel', 'nt!Phase1Initialization', 'nt!KiIdleLoop']),
];

const driverEntry = (): FunctionSpec => ({
  name: 'DriverEntry',
  exported: true,
  body: [
    ...PROLOGUE, { b: [0x68, 0x00, 0x00, 0x00, 0x00], label: 'print' }, { call: 'nt!DbgPrint' }, { b: [0x59] },
    { b: [0x33, 0xc0] }, ...EPILOGUE_RET(8),
  ],
});

export const MODULE_SPECS: ModuleSpec[] = [
  {
    baseName: 'ntoskrnl.exe', fullName: '\\WINDOWS\\system32\\ntoskrnl.exe', base: KERNEL_BASE, size: 0x214600,
    timeDateStamp: 0x41108004, checksum: 0x21a0b2, characteristics: 0x010e, functions: NT_FUNCTIONS,
    data: [
      { name: 'PsLoadedModuleList', size: 8, exported: true },
      { name: 'KiBugcheckData', size: 20, exported: true },
      { name: 'KdDebuggerEnabled', size: 1, exported: true },
      { name: 'KdDebuggerNotPresent', size: 1, exported: true },
      { name: 'NtBuildNumber', size: 4, exported: true },
      { name: 'KeServiceDescriptorTable', size: 16, exported: true },
      { name: 'PsInitialSystemProcess', size: 4, exported: true },
      { name: 'InitSafeBootMode', size: 4, exported: true },
      { name: 'KdpDebuggerDataListHead', size: 8, exported: false },
      { name: 'KdDebuggerDataBlock', size: 0x290, exported: false },
      { name: 'KdVersionBlock', size: 0x28, exported: false },
      { name: 'PsActiveProcessHead', size: 8, exported: false },
      { name: 'MmHighestUserAddress', size: 4, exported: false },
      { name: 'KdPrintCircularBuffer', size: 0x1000, exported: false },
      { name: 'KdPrintWritePointer', size: 4, exported: false },
      { name: 'KdPrintRolloverCount', size: 4, exported: false },
      { name: 'NtBuildLab', size: 0x40, exported: false },
      { name: 'KiProcessorBlock', size: 0x80, exported: false },
      { name: 'CmNtCSDVersion', size: 4, exported: false },
    ],
  },
  {
    baseName: 'hal.dll', fullName: '\\WINDOWS\\system32\\hal.dll', base: 0x806ec000, size: 0x20380,
    timeDateStamp: 0x41107b2d, checksum: 0x2a9c6, characteristics: 0x210e,
    functions: [
      stub('HalReturnToFirmware', 4), stub('KeStallExecutionProcessor', 4), stub('HalMakeBeep', 4),
      stub('KfRaiseIrql', 0), stub('KfLowerIrql', 0), stub('READ_PORT_UCHAR', 4), stub('WRITE_PORT_UCHAR', 8),
    ],
    data: [],
  },
  {
    baseName: 'KDCOM.DLL', fullName: '\\WINDOWS\\system32\\KDCOM.DLL', base: 0xf8aa0000, size: 0x2000,
    timeDateStamp: 0x3b7d8346, checksum: 0x5f1c, characteristics: 0x210e,
    functions: [stub('KdSendPacket', 0x10), stub('KdReceivePacket', 0x14), stub('KdD0Transition', 0), stub('KdDebuggerInitialize0', 4)],
    data: [],
  },
  {
    baseName: 'E1000325.sys', fullName: '\\WINDOWS\\system32\\DRIVERS\\E1000325.sys', base: 0xf7a10000, size: 0x2a000,
    timeDateStamp: 0x43a7c25b, checksum: 0x2e0b1, characteristics: 0x010e, functions: [driverEntry()], data: [],
  },
  {
    baseName: 'msiscsi.sys', fullName: '\\WINDOWS\\system32\\DRIVERS\\msiscsi.sys', base: 0xf7a40000, size: 0x3c000,
    timeDateStamp: 0x45d4c1e2, checksum: 0x3fa51, characteristics: 0x010e, functions: [driverEntry()], data: [],
  },
  {
    baseName: 'sanbootconf.sys', fullName: '\\WINDOWS\\system32\\DRIVERS\\sanbootconf.sys', base: 0xf7a80000, size: 0x8000,
    timeDateStamp: 0x4a1e3c10, checksum: 0x9b2d, characteristics: 0x010e, functions: [driverEntry()], data: [],
  },
];

/** Short module names as debuggers show them (`nt`, `hal`, `msiscsi`). */
export function shortModuleName(baseName: string): string {
  const stem = baseName.replace(/\.[^.]+$/, '');
  return stem.toLowerCase() === 'ntoskrnl' ? 'nt' : stem;
}

export interface LoadedModule {
  spec: ModuleSpec;
  short: string;
  ldrEntry: number;
  entryPoint: number;
}

export interface KernelImage {
  memory: SparseMemory;
  modules: LoadedModule[];
  /** `module!name` (and `module!function.label`) → address. */
  symbols: Map<string, number>;
  /** Address → instruction, for every assembled instruction. */
  instructions: Map<number, Insn>;
  /** Function name → its instructions in order. */
  functions: Map<string, Insn[]>;
  sym(name: string): number;
  psLoadedModuleList: number;
  debuggerDataList: number;
  kdDebuggerDataBlock: number;
  kiBugcheckData: number;
  versionBlock: number;
}

const ASCII = (s: string): Buffer => Buffer.from(s + '\0', 'latin1');

function insnLength(spec: InsnSpec): number {
  return 'call' in spec ? 5 : spec.b.length;
}

export function buildKernelImage(buildNumber = 2600): KernelImage {
  const memory = new SparseMemory();
  const symbols = new Map<string, number>();
  const instructions = new Map<number, Insn>();
  const functions = new Map<string, Insn[]>();
  const layouts: Array<{ spec: ModuleSpec; short: string; code: Map<string, number>; dataAt: Map<string, number>; exportDir: number }> = [];

  // Pass 1: addresses of every function, label and data symbol.
  for (const spec of MODULE_SPECS) {
    const short = shortModuleName(spec.baseName);
    const code = new Map<string, number>();
    let rva = 0x1000;
    for (const f of spec.functions) {
      rva = (rva + 15) & ~15;
      code.set(f.name, rva);
      symbols.set(`${short}!${f.name}`, spec.base + rva);
      let off = rva;
      for (const i of f.body) {
        if (i.label) symbols.set(`${short}!${f.name}.${i.label}`, spec.base + off);
        off += insnLength(i);
      }
      rva = off;
    }
    let dataRva = (rva + 0xfff) & ~0xfff;
    const dataAt = new Map<string, number>();
    for (const d of spec.data) {
      dataRva = (dataRva + 7) & ~7;
      dataAt.set(d.name, dataRva);
      symbols.set(`${short}!${d.name}`, spec.base + dataRva);
      dataRva += d.size;
    }
    const exportDir = (dataRva + 0xfff) & ~0xfff;
    layouts.push({ spec, short, code, dataAt, exportDir });
  }
  const sym = (name: string): number => {
    const a = symbols.get(name);
    if (a === undefined) throw new Error(`kdsim: unknown symbol ${name}`);
    return a;
  };

  // Pass 2: bytes.
  for (const { spec, short, code, dataAt, exportDir } of layouts) {
    memory.map(spec.base, spec.size);
    for (const f of spec.functions) {
      let addr = spec.base + (code.get(f.name) as number);
      const list: Insn[] = [];
      for (const i of f.body) {
        let bytes: number[];
        let callTarget: string | undefined;
        if ('call' in i) {
          callTarget = i.call;
          const rel = (sym(i.call) - (addr + 5)) | 0;
          bytes = [0xe8, rel & 0xff, (rel >>> 8) & 0xff, (rel >>> 16) & 0xff, (rel >>> 24) & 0xff];
        } else {
          bytes = i.b;
        }
        const insn: Insn = {
          addr, len: bytes.length, bytes, func: `${short}!${f.name}`, callTarget,
          isReturn: bytes[0] === 0xc3 || bytes[0] === 0xc2, eaxFromArg: 'b' in i && i.eaxFromArg === true,
        };
        memory.write(addr, Buffer.from(bytes));
        instructions.set(addr, insn);
        list.push(insn);
        addr += bytes.length;
      }
      functions.set(`${short}!${f.name}`, list);
    }
    const exported = [
      ...spec.functions.filter((f) => f.exported).map((f) => ({ name: f.name, rva: code.get(f.name) as number })),
      ...spec.data.filter((d) => d.exported).map((d) => ({ name: d.name, rva: dataAt.get(d.name) as number })),
    ];
    writePe(memory, spec, exported, exportDir);
  }

  const image: KernelImage = {
    memory, modules: [], symbols, instructions, functions, sym,
    psLoadedModuleList: sym('nt!PsLoadedModuleList'),
    debuggerDataList: sym('nt!KdpDebuggerDataListHead'),
    kdDebuggerDataBlock: sym('nt!KdDebuggerDataBlock'),
    kiBugcheckData: sym('nt!KiBugcheckData'),
    versionBlock: sym('nt!KdVersionBlock'),
  };
  writeModuleList(image);
  writeKernelData(image, buildNumber);
  writeProcessorBlocks(image);
  writeIbft(memory);
  memory.map(STACK_TOP - STACK_SIZE, STACK_SIZE);
  return image;
}

function writePe(memory: SparseMemory, spec: ModuleSpec, exported: Array<{ name: string; rva: number }>, exportRva: number): void {
  const base = spec.base;
  const h = Buffer.alloc(0x400);
  h.write('MZ', 0, 'latin1');
  h.writeUInt32LE(0x80, 0x3c);
  const pe = 0x80;
  h.write('PE\0\0', pe, 'latin1');
  const coff = pe + 4;
  h.writeUInt16LE(0x014c, coff);
  h.writeUInt16LE(3, coff + 2);
  h.writeUInt32LE(spec.timeDateStamp, coff + 4);
  h.writeUInt16LE(0xe0, coff + 16);
  h.writeUInt16LE(spec.characteristics, coff + 18);
  const opt = coff + 20;
  h.writeUInt16LE(0x10b, opt);
  h[opt + 2] = 7;
  h[opt + 3] = 10;
  h.writeUInt32LE(0x1000, opt + 0x14); // BaseOfCode
  h.writeUInt32LE(base, opt + 0x1c); // ImageBase
  h.writeUInt32LE(0x1000, opt + 0x20); // SectionAlignment
  h.writeUInt32LE(0x200, opt + 0x24); // FileAlignment
  h.writeUInt16LE(5, opt + 0x28);
  h.writeUInt16LE(1, opt + 0x2a);
  h.writeUInt16LE(5, opt + 0x30);
  h.writeUInt16LE(1, opt + 0x32);
  h.writeUInt32LE(spec.size, opt + 0x38); // SizeOfImage
  h.writeUInt32LE(0x400, opt + 0x3c); // SizeOfHeaders
  h.writeUInt32LE(spec.checksum, opt + 0x40);
  h.writeUInt16LE(1, opt + 0x44); // native subsystem
  h.writeUInt32LE(16, opt + 0x5c); // NumberOfRvaAndSizes

  // Export directory: header, function RVAs, name RVAs (sorted names), ordinals, strings.
  const sorted = [...exported].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const n = sorted.length;
  const dirSize = 40;
  const funcsOff = dirSize;
  const namesOff = funcsOff + 4 * n;
  const ordsOff = namesOff + 4 * n;
  let strOff = ordsOff + 2 * n;
  const ed = Buffer.alloc(strOff + 64 + sorted.reduce((s, e) => s + e.name.length + 1, 0) + spec.baseName.length + 1);
  ed.writeUInt32LE(spec.timeDateStamp, 4);
  const nameRva = exportRva + strOff;
  ASCII(spec.baseName).copy(ed, strOff);
  strOff += spec.baseName.length + 1;
  ed.writeUInt32LE(nameRva, 12);
  ed.writeUInt32LE(1, 16); // ordinal base
  ed.writeUInt32LE(n, 20);
  ed.writeUInt32LE(n, 24);
  ed.writeUInt32LE(exportRva + funcsOff, 28);
  ed.writeUInt32LE(exportRva + namesOff, 32);
  ed.writeUInt32LE(exportRva + ordsOff, 36);
  sorted.forEach((e, i) => {
    ed.writeUInt32LE(e.rva, funcsOff + 4 * i);
    ed.writeUInt32LE(exportRva + strOff, namesOff + 4 * i);
    ed.writeUInt16LE(i, ordsOff + 2 * i);
    ASCII(e.name).copy(ed, strOff);
    strOff += e.name.length + 1;
  });
  const edSize = strOff;
  h.writeUInt32LE(exportRva, opt + 0x60);
  h.writeUInt32LE(edSize, opt + 0x64);

  const sections: Array<[string, number, number, number]> = [
    ['.text', 0x1000, exportRva - 0x1000, 0x68000020],
    ['.edata', exportRva, edSize, 0x40000040],
    ['.data', exportRva + ((edSize + 0xfff) & ~0xfff), 0x1000, 0xc8000040],
  ];
  let s = opt + 0xe0;
  for (const [name, va, vsize, ch] of sections) {
    h.write(name, s, 'latin1');
    h.writeUInt32LE(vsize, s + 8);
    h.writeUInt32LE(va, s + 12);
    h.writeUInt32LE((vsize + 0x1ff) & ~0x1ff, s + 16);
    h.writeUInt32LE(va, s + 20);
    h.writeUInt32LE(ch, s + 36);
    s += 40;
  }
  memory.write(base, h);
  memory.write(base + exportRva, ed.subarray(0, edSize));
}

function utf16(s: string): Buffer {
  return Buffer.from(s, 'utf16le');
}

/** PsLoadedModuleList → LDR_DATA_TABLE_ENTRY (x86) for each module, in load order. */
function writeModuleList(image: KernelImage): void {
  const m = image.memory;
  const ENTRY_SIZE = 0x50;
  let pool = POOL_BASE;
  m.map(POOL_BASE, 0x3000);
  const entries: number[] = [];
  for (const spec of MODULE_SPECS) {
    const entry = pool;
    pool += ENTRY_SIZE;
    const full = utf16(spec.fullName);
    const fullAt = pool;
    m.write(fullAt, Buffer.concat([full, Buffer.alloc(2)]));
    pool += (full.length + 2 + 7) & ~7;
    const baseName = utf16(spec.baseName);
    const baseAt = pool;
    m.write(baseAt, Buffer.concat([baseName, Buffer.alloc(2)]));
    pool += (baseName.length + 2 + 7) & ~7;
    const short = shortModuleName(spec.baseName);
    const entryPoint = short === 'nt' ? image.sym('nt!KiSystemStartup') : image.symbols.get(`${short}!DriverEntry`) ?? spec.base + 0x1000;
    m.pokeU32(entry + 0x18, spec.base);
    m.pokeU32(entry + 0x1c, entryPoint);
    m.pokeU32(entry + 0x20, spec.size);
    m.pokeU16(entry + 0x24, full.length);
    m.pokeU16(entry + 0x26, full.length + 2);
    m.pokeU32(entry + 0x28, fullAt);
    m.pokeU16(entry + 0x2c, baseName.length);
    m.pokeU16(entry + 0x2e, baseName.length + 2);
    m.pokeU32(entry + 0x30, baseAt);
    m.pokeU32(entry + 0x34, 0x09104000); // Flags
    m.pokeU16(entry + 0x38, 1); // LoadCount
    m.pokeU32(entry + 0x44, spec.timeDateStamp);
    entries.push(entry);
    image.modules.push({ spec, short, ldrEntry: entry, entryPoint });
  }
  const head = image.psLoadedModuleList;
  const all = [head, ...entries];
  for (let i = 0; i < all.length; i++) {
    m.pokeU32(all[i], all[(i + 1) % all.length]); // Flink
    m.pokeU32(all[i] + 4, all[(i - 1 + all.length) % all.length]); // Blink
  }
}

/** DBGKD_GET_VERSION64 as GetVersion returns it and as KPCR.KdVersionBlock points at it (§5.3). */
export function versionBlockBytes(image: Pick<KernelImage, 'psLoadedModuleList' | 'debuggerDataList'>, buildNumber: number): Buffer {
  const v = Buffer.alloc(0x28);
  v.writeUInt16LE(0x000f, 0); // NT, free build
  v.writeUInt16LE(buildNumber, 2);
  v[4] = 6; // DBGKD_64BIT_PROTOCOL_VERSION2
  v[5] = 0;
  v.writeUInt16LE(0x0002, 6); // DBGKD_VERS_FLAG_DATA
  v.writeUInt16LE(0x014c, 8); // i386
  v[0x0a] = 0x0c; // MaxPacketType
  v[0x0b] = 0x02; // MaxStateChange (Exception, LoadSymbols)
  v[0x0c] = 0x2d; // MaxManipulate (0x3130..0x315C)
  v[0x0d] = 0;
  v.writeBigUInt64LE(signExtendBig(KERNEL_BASE), 0x10);
  v.writeBigUInt64LE(signExtendBig(image.psLoadedModuleList), 0x18);
  v.writeBigUInt64LE(signExtendBig(image.debuggerDataList), 0x20);
  return v;
}

function signExtendBig(v: number): bigint {
  const u = v >>> 0;
  return u >= 0x80000000 ? BigInt(u) | 0xffffffff00000000n : BigInt(u);
}

function writeKernelData(image: KernelImage, buildNumber: number): void {
  const m = image.memory;
  const sym = image.sym;
  const kdbg = image.kdDebuggerDataBlock;
  // Debugger data list: head ⇄ KdDebuggerDataBlock.Header.List.
  m.pokeU32(image.debuggerDataList, kdbg);
  m.pokeU32(image.debuggerDataList + 4, kdbg);
  m.pokePtr64(kdbg + 0x00, image.debuggerDataList);
  m.pokePtr64(kdbg + 0x08, image.debuggerDataList);
  m.pokeU32(kdbg + 0x10, 0x4742444b); // 'KDBG'
  m.pokeU32(kdbg + 0x14, 0x290);
  m.pokePtr64(kdbg + 0x18, KERNEL_BASE);
  m.pokePtr64(kdbg + 0x20, sym('nt!DbgBreakPointWithStatus.RtlpBreakWithStatusInstruction'));
  m.pokePtr64(kdbg + 0x48, image.psLoadedModuleList);
  m.pokePtr64(kdbg + 0x50, sym('nt!PsActiveProcessHead'));
  m.pokePtr64(kdbg + 0x88, image.kiBugcheckData);
  m.pokePtr64(kdbg + 0x1c8, sym('nt!MmHighestUserAddress'));
  m.pokePtr64(kdbg + 0x1e0, sym('nt!KdPrintCircularBuffer'));
  m.pokePtr64(kdbg + 0x1e8, sym('nt!KdPrintCircularBuffer') + 0x1000);
  m.pokePtr64(kdbg + 0x1f0, sym('nt!KdPrintWritePointer'));
  m.pokePtr64(kdbg + 0x1f8, sym('nt!KdPrintRolloverCount'));
  m.pokePtr64(kdbg + 0x208, sym('nt!NtBuildLab'));
  m.pokePtr64(kdbg + 0x218, sym('nt!KiProcessorBlock'));
  m.pokePtr64(kdbg + 0x268, sym('nt!CmNtCSDVersion'));
  const psActive = sym('nt!PsActiveProcessHead');
  m.pokeU32(psActive, psActive);
  m.pokeU32(psActive + 4, psActive);
  m.pokeU32(sym('nt!MmHighestUserAddress'), 0x7ffeffff);
  m.pokeU32(sym('nt!KdPrintWritePointer'), sym('nt!KdPrintCircularBuffer'));
  m.poke(sym('nt!NtBuildLab'), ASCII(`${buildNumber}.xpsp_sp2_rtm.040803-2158`));
  m.pokeU32(sym('nt!KiProcessorBlock'), KPRCB_ADDRESS);
  m.pokeU32(sym('nt!CmNtCSDVersion'), 0x0200);
  m.pokeU32(sym('nt!NtBuildNumber'), (0xf0000000 | buildNumber) >>> 0);
  m.poke(sym('nt!KdDebuggerEnabled'), Buffer.from([1]));
  m.poke(image.versionBlock, versionBlockBytes(image, buildNumber));
}

function writeProcessorBlocks(image: KernelImage): void {
  const m = image.memory;
  m.map(KPCR_ADDRESS, 0x1000);
  m.pokeU32(KPCR_ADDRESS + 0x1c, KPCR_ADDRESS); // SelfPcr
  m.pokeU32(KPCR_ADDRESS + 0x20, KPRCB_ADDRESS); // Prcb
  m.pokeU32(KPCR_ADDRESS + 0x34, image.versionBlock); // KdVersionBlock
  m.pokeU16(KPCR_ADDRESS + 0x120, 1); // KPRCB.MinorVersion
  m.pokeU32(KPRCB_ADDRESS + 4, INITIAL_THREAD); // CurrentThread
  m.map(INITIAL_THREAD & ~0xfff, 0x1000);
  m.map(KUSER_SHARED_DATA, 0x1000);
  m.pokeU32(KUSER_SHARED_DATA + 0x264, 1); // NtProductType: WinNt
  m.pokeU32(KUSER_SHARED_DATA + 0x26c, 5); // NtMajorVersion
  m.pokeU32(KUSER_SHARED_DATA + 0x270, 1); // NtMinorVersion
  m.poke(KUSER_SHARED_DATA + 0x30, utf16('C:\\WINDOWS\0'));
}

/** A minimal valid iBFT header in base memory, where iPXE leaves it (../shared/reference/iscsi). */
function writeIbft(memory: SparseMemory): void {
  const t = Buffer.alloc(0x30);
  t.write('iBFT', 0, 'latin1');
  t.writeUInt32LE(t.length, 4);
  t[8] = 1;
  t.write('FENSYS', 10, 'latin1');
  t.write('iPXE', 16, 'latin1');
  let sum = 0;
  for (const b of t) sum = (sum + b) & 0xff;
  t[9] = (0x100 - sum) & 0xff;
  memory.map(PHYS_WINDOW_BASE, 0xa0000); // base memory
  memory.write(PHYS_WINDOW_BASE + IBFT_PHYS, t);
}
