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

export type Arch = 'x86' | 'x64';

/** Where things live on each architecture (x64 addresses as their low 48 bits, see kdSimMemory). */
export interface ArchLayout {
  arch: Arch;
  addressBits: 32 | 48;
  machineType: number;
  defaultBuild: number;
  moduleBases: Record<string, number>;
  poolBase: number;
  kpcr: number;
  kprcb: number;
  kuserSharedData: number;
  initialThread: number;
  stackTop: number;
  stackSize: number;
  /** Low physical memory is visible at physBase + PA (x86 XP: 0x80000000, like the kernel image). */
  physBase: number;
  physSize: number;
  /** Where 0x7B's first parameter (the ARC name UNICODE_STRING) lives. */
  arcNameAddress: number;
  /** LDR_DATA_TABLE_ENTRY field offsets (§5.4). */
  ldr: { size: number; dllBase: number; entryPoint: number; sizeOfImage: number; fullName: number; baseName: number; flags: number; loadCount: number; timeDateStamp: number };
  kdbgSize: number;
}

export const LAYOUTS: Record<Arch, ArchLayout> = {
  x86: {
    arch: 'x86', addressBits: 32, machineType: 0x014c, defaultBuild: 2600,
    moduleBases: {
      'ntoskrnl.exe': 0x804d7000, 'hal.dll': 0x806ec000, 'KDCOM.DLL': 0xf8aa0000,
      'E1000325.sys': 0xf7a10000, 'msiscsi.sys': 0xf7a40000, 'sanbootconf.sys': 0xf7a80000,
    },
    poolBase: 0x81200000, kpcr: 0xffdff000, kprcb: 0xffdff120, kuserSharedData: 0xffdf0000,
    initialThread: 0x80558c20, stackTop: 0xf8a50000, stackSize: 0x3000,
    physBase: 0x80000000, physSize: 0x10000000, arcNameAddress: 0xf78a6a94,
    ldr: { size: 0x50, dllBase: 0x18, entryPoint: 0x1c, sizeOfImage: 0x20, fullName: 0x24, baseName: 0x2c, flags: 0x34, loadCount: 0x38, timeDateStamp: 0x44 },
    kdbgSize: 0x290,
  },
  x64: {
    arch: 'x64', addressBits: 48, machineType: 0x8664, defaultBuild: 3790,
    moduleBases: {
      'ntoskrnl.exe': 0xf80002a00000, 'hal.dll': 0xf80002c1b000, 'KDCOM.DLL': 0xf80000bb4000,
      'E1000325.sys': 0xf88000e00000, 'msiscsi.sys': 0xf88000f00000, 'sanbootconf.sys': 0xf88001000000,
    },
    poolBase: 0xfa8001200000, kpcr: 0xf80002bf0d00, kprcb: 0xf80002bf0e80, kuserSharedData: 0xf78000000000,
    initialThread: 0xf80002bfecc0, stackTop: 0xf88002fa0000, stackSize: 0x6000,
    physBase: 0xf80000000000, physSize: 0x10000000, arcNameAddress: 0xf880009a6a90,
    ldr: { size: 0xa0, dllBase: 0x30, entryPoint: 0x38, sizeOfImage: 0x40, fullName: 0x48, baseName: 0x58, flags: 0x68, loadCount: 0x6c, timeDateStamp: 0x80 },
    kdbgSize: 0x318,
  },
};

// x86 names kept for existing users.
export const KERNEL_BASE = LAYOUTS.x86.moduleBases['ntoskrnl.exe'];
export const IBFT_PHYS = 0x9e620;

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

// ---- x64 code (hand-encoded; no frame pointers in real x64 code, but the simulator still lays out an
// RBP chain for its stacks) ----
const X64_STUB = (name: string, exported = true): FunctionSpec => ({
  name, exported, body: [{ b: [0x48, 0x83, 0xec, 0x28] }, { b: [0x33, 0xc0] }, { b: [0x48, 0x83, 0xc4, 0x28] }, { b: [0xc3] }],
});

function x64Caller(name: string, callees: string[], exported = false): FunctionSpec {
  const body: InsnSpec[] = [{ b: [0x48, 0x89, 0x5c, 0x24, 0x08] }, { b: [0x48, 0x83, 0xec, 0x20] }];
  for (const c of callees) body.push({ b: [0x48, 0x8b, 0xcb] }, { call: c }, { b: [0x85, 0xc0] });
  body.push({ b: [0x33, 0xc0] }, { b: [0x48, 0x83, 0xc4, 0x20] }, { b: [0xc3] });
  return { name, exported, body };
}

const NT_FUNCTIONS_X64: FunctionSpec[] = [
  { name: 'DbgBreakPoint', exported: true, body: [{ b: [0xcc] }, { b: [0xc3] }] },
  {
    name: 'DbgBreakPointWithStatus',
    exported: true,
    body: [{ b: [0x48, 0x8b, 0xc1], eaxFromArg: true }, { b: [0xcc], label: 'RtlpBreakWithStatusInstruction' }, { b: [0xc3] }],
  },
  {
    name: 'DbgPrint',
    exported: true,
    body: [
      { b: [0x48, 0x89, 0x4c, 0x24, 0x08] }, { b: [0x48, 0x89, 0x54, 0x24, 0x10] }, { b: [0x48, 0x83, 0xec, 0x38] },
      { b: [0x4c, 0x8b, 0xc1] }, { b: [0x33, 0xd2] }, { b: [0xb9, 0x65, 0x00, 0x00, 0x00] }, { call: 'nt!vDbgPrintEx' },
      { b: [0x48, 0x83, 0xc4, 0x38] }, { b: [0xc3] },
    ],
  },
  {
    name: 'DbgPrintEx',
    exported: true,
    body: [{ b: [0x48, 0x83, 0xec, 0x38] }, { call: 'nt!vDbgPrintEx' }, { b: [0x48, 0x83, 0xc4, 0x38] }, { b: [0xc3] }],
  },
  X64_STUB('vDbgPrintEx'),
  {
    name: 'KeBugCheckEx',
    exported: true,
    body: [
      { b: [0x48, 0x89, 0x4c, 0x24, 0x08] }, { b: [0x48, 0x83, 0xec, 0x28] }, { call: 'nt!KeBugCheck2' },
      { b: [0x48, 0x83, 0xc4, 0x28] }, { b: [0xc3] },
    ],
  },
  {
    name: 'KeBugCheck',
    exported: true,
    body: [{ b: [0x48, 0x83, 0xec, 0x28] }, { b: [0x33, 0xd2] }, { call: 'nt!KeBugCheckEx' }, { b: [0x48, 0x83, 0xc4, 0x28] }, { b: [0xc3] }],
  },
  X64_STUB('ExAllocatePoolWithTag'),
  X64_STUB('ExFreePool'),
  X64_STUB('IoCreateDevice'),
  X64_STUB('IofCompleteRequest'),
  X64_STUB('KeInitializeEvent'),
  X64_STUB('RtlInitUnicodeString'),
  X64_STUB('ZwOpenKey'),
  X64_STUB('ZwQueryValueKey'),
  X64_STUB('MmMapIoSpace'),
  {
    name: 'KeBugCheck2',
    exported: false,
    body: [
      { b: [0x48, 0x89, 0x5c, 0x24, 0x08] }, { b: [0x48, 0x83, 0xec, 0x20] },
      { b: [0xb9, 0x03, 0x00, 0x00, 0x00], label: 'firstBreak' }, { call: 'nt!DbgBreakPointWithStatus' },
      { b: [0xb9, 0x04, 0x00, 0x00, 0x00], label: 'secondBreak' }, { call: 'nt!DbgBreakPointWithStatus' }, { b: [0xeb, 0xf4] },
    ],
  },
  { name: 'KiIdleLoop', exported: false, body: [{ b: [0xf3, 0x90] }, { b: [0xf4] }, { b: [0xeb, 0xfb] }] },
  x64Caller('KeUpdateSystemTime', ['nt!DbgBreakPointWithStatus']),
  x64Caller('KdInitSystem', ['nt!DbgBreakPoint']),
  x64Caller('KiInitializeKernel', ['nt!KdInitSystem']),
  x64Caller('IopLoadDriver', ['msiscsi!DriverEntry', 'sanbootconf!DriverEntry', 'E1000325!DriverEntry']),
  x64Caller('IopMarkBootPartition', ['nt!KeBugCheckEx']),
  x64Caller('IoInitSystem', ['nt!IopLoadDriver', 'nt!IopMarkBootPartition']),
  x64Caller('Phase1Initialization', ['nt!IoInitSystem', 'nt!DbgPrint']),
  x64Caller('KiSystemStartup', ['nt!KiInitializeKernel', 'nt!Phase1Initialization', 'nt!KiIdleLoop']),
];

const driverEntryX64 = (): FunctionSpec => ({
  name: 'DriverEntry',
  exported: true,
  body: [
    { b: [0x48, 0x83, 0xec, 0x28] }, { b: [0x48, 0x8d, 0x0d, 0x00, 0x00, 0x00, 0x00], label: 'print' }, { call: 'nt!DbgPrint' },
    { b: [0x33, 0xc0] }, { b: [0x48, 0x83, 0xc4, 0x28] }, { b: [0xc3] },
  ],
});

/** The modules of the image for `arch`: same names and order, that architecture's bases and code. */
export function moduleSpecs(layout: ArchLayout): ModuleSpec[] {
  const x64 = layout.arch === 'x64';
  return MODULE_SPECS.map((m) => {
    const base = layout.moduleBases[m.baseName];
    if (!x64) return { ...m, base };
    const functions = m.baseName === 'ntoskrnl.exe'
      ? NT_FUNCTIONS_X64
      : m.functions.map((f) => (f.name === 'DriverEntry' ? driverEntryX64() : X64_STUB(f.name, f.exported)));
    // Pointer-sized data doubles (LIST_ENTRY, KiBugcheckData's five ULONG_PTRs, plain pointers).
    const data = m.data.map((d) => (d.name === 'KdDebuggerDataBlock' ? { ...d, size: layout.kdbgSize } : d.size > 1 && d.size <= 20 ? { ...d, size: d.size * 2 } : d));
    return {
      ...m, base, functions, data,
      characteristics: m.characteristics === 0x210e ? 0x2022 : 0x0022,
    };
  });
}

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
  layout: ArchLayout;
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

export function buildKernelImage(buildNumber?: number, arch: Arch = 'x86'): KernelImage {
  const layout = LAYOUTS[arch];
  const build = buildNumber ?? layout.defaultBuild;
  const specs = moduleSpecs(layout);
  const memory = new SparseMemory(layout.addressBits);
  const symbols = new Map<string, number>();
  const instructions = new Map<number, Insn>();
  const functions = new Map<string, Insn[]>();
  const layouts: Array<{ spec: ModuleSpec; short: string; code: Map<string, number>; dataAt: Map<string, number>; exportDir: number }> = [];

  // Pass 1: addresses of every function, label and data symbol.
  for (const spec of specs) {
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
    writePe(memory, spec, exported, exportDir, layout);
  }

  const image: KernelImage = {
    layout, memory, modules: [], symbols, instructions, functions, sym,
    psLoadedModuleList: sym('nt!PsLoadedModuleList'),
    debuggerDataList: sym('nt!KdpDebuggerDataListHead'),
    kdDebuggerDataBlock: sym('nt!KdDebuggerDataBlock'),
    kiBugcheckData: sym('nt!KiBugcheckData'),
    versionBlock: sym('nt!KdVersionBlock'),
  };
  writeModuleList(image, specs);
  writeKernelData(image, build);
  writeProcessorBlocks(image);
  writeIbft(image);
  memory.map(layout.stackTop - layout.stackSize, layout.stackSize);
  return image;
}

function writePe(memory: SparseMemory, spec: ModuleSpec, exported: Array<{ name: string; rva: number }>, exportRva: number, layout: ArchLayout): void {
  const base = spec.base;
  const pe32plus = layout.arch === 'x64';
  const h = Buffer.alloc(0x400);
  h.write('MZ', 0, 'latin1');
  h.writeUInt32LE(0x80, 0x3c);
  const pe = 0x80;
  h.write('PE\0\0', pe, 'latin1');
  const coff = pe + 4;
  h.writeUInt16LE(layout.machineType, coff);
  h.writeUInt16LE(3, coff + 2);
  h.writeUInt32LE(spec.timeDateStamp, coff + 4);
  h.writeUInt16LE(pe32plus ? 0xf0 : 0xe0, coff + 16);
  h.writeUInt16LE(spec.characteristics, coff + 18);
  const opt = coff + 20;
  h.writeUInt16LE(pe32plus ? 0x20b : 0x10b, opt);
  h[opt + 2] = pe32plus ? 8 : 7;
  h[opt + 3] = 10;
  h.writeUInt32LE(0x1000, opt + 0x14); // BaseOfCode
  if (pe32plus) h.writeBigUInt64LE(memory.toWire(base), opt + 0x18); // ImageBase (PE32+)
  else h.writeUInt32LE(base, opt + 0x1c); // ImageBase
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
  // PE32+ widens the four stack/heap sizes to 8 bytes, moving the data directories by 0x10.
  const dirs = pe32plus ? opt + 0x70 : opt + 0x60;
  h.writeUInt32LE(16, dirs - 4); // NumberOfRvaAndSizes

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
  h.writeUInt32LE(exportRva, dirs);
  h.writeUInt32LE(edSize, dirs + 4);

  const sections: Array<[string, number, number, number]> = [
    ['.text', 0x1000, exportRva - 0x1000, 0x68000020],
    ['.edata', exportRva, edSize, 0x40000040],
    ['.data', exportRva + ((edSize + 0xfff) & ~0xfff), 0x1000, 0xc8000040],
  ];
  let s = opt + (pe32plus ? 0xf0 : 0xe0);
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
function writeModuleList(image: KernelImage, specs: ModuleSpec[]): void {
  const m = image.memory;
  const L = image.layout.ldr;
  const ptr = m.ptrSize;
  let pool = image.layout.poolBase;
  m.map(pool, 0x4000);
  const entries: number[] = [];
  /** UNICODE_STRING: Length, MaximumLength, (x64: 4 bytes padding), Buffer. */
  const unicodeString = (at: number, length: number, buffer: number): void => {
    m.pokeU16(at, length);
    m.pokeU16(at + 2, length + 2);
    m.pokePtr(at + ptr, buffer);
  };
  for (const spec of specs) {
    const entry = pool;
    pool += L.size;
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
    m.pokePtr(entry + L.dllBase, spec.base);
    m.pokePtr(entry + L.entryPoint, entryPoint);
    m.pokeU32(entry + L.sizeOfImage, spec.size);
    unicodeString(entry + L.fullName, full.length, fullAt);
    unicodeString(entry + L.baseName, baseName.length, baseAt);
    m.pokeU32(entry + L.flags, 0x09104000);
    m.pokeU16(entry + L.loadCount, 1);
    m.pokeU32(entry + L.timeDateStamp, spec.timeDateStamp);
    entries.push(entry);
    image.modules.push({ spec, short, ldrEntry: entry, entryPoint });
  }
  const head = image.psLoadedModuleList;
  const all = [head, ...entries];
  for (let i = 0; i < all.length; i++) {
    m.pokePtr(all[i], all[(i + 1) % all.length]); // Flink
    m.pokePtr(all[i] + ptr, all[(i - 1 + all.length) % all.length]); // Blink
  }
}

/** DBGKD_GET_VERSION64 as GetVersion returns it and as KPCR.KdVersionBlock points at it (§5.3). */
export function versionBlockBytes(image: Pick<KernelImage, 'psLoadedModuleList' | 'debuggerDataList' | 'layout' | 'memory'>, buildNumber: number): Buffer {
  const x64 = image.layout.arch === 'x64';
  const v = Buffer.alloc(0x28);
  v.writeUInt16LE(0x000f, 0); // NT, free build
  v.writeUInt16LE(buildNumber, 2);
  v[4] = 6; // DBGKD_64BIT_PROTOCOL_VERSION2
  v[5] = x64 ? 2 : 0; // KD_SECONDARY_VERSION_AMD64_CONTEXT
  v.writeUInt16LE(x64 ? 0x0006 : 0x0002, 6); // DATA (+ PTR64)
  v.writeUInt16LE(image.layout.machineType, 8);
  v[0x0a] = 0x0c; // MaxPacketType
  v[0x0b] = 0x02; // MaxStateChange (Exception, LoadSymbols)
  v[0x0c] = 0x2d; // MaxManipulate (0x3130..0x315C)
  v[0x0d] = 0;
  v.writeBigUInt64LE(image.memory.toWire(image.layout.moduleBases['ntoskrnl.exe']), 0x10);
  v.writeBigUInt64LE(image.memory.toWire(image.psLoadedModuleList), 0x18);
  v.writeBigUInt64LE(image.memory.toWire(image.debuggerDataList), 0x20);
  return v;
}

function writeKernelData(image: KernelImage, buildNumber: number): void {
  const m = image.memory;
  const sym = image.sym;
  const ptr = m.ptrSize;
  const kdbg = image.kdDebuggerDataBlock;
  // Debugger data list: head ⇄ KdDebuggerDataBlock.Header.List.
  m.pokePtr(image.debuggerDataList, kdbg);
  m.pokePtr(image.debuggerDataList + ptr, kdbg);
  m.pokePtr64(kdbg + 0x00, image.debuggerDataList);
  m.pokePtr64(kdbg + 0x08, image.debuggerDataList);
  m.pokeU32(kdbg + 0x10, 0x4742444b); // 'KDBG'
  m.pokeU32(kdbg + 0x14, image.layout.kdbgSize);
  m.pokePtr64(kdbg + 0x18, image.layout.moduleBases['ntoskrnl.exe']);
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
  m.pokePtr(psActive, psActive);
  m.pokePtr(psActive + ptr, psActive);
  m.pokePtr(sym('nt!MmHighestUserAddress'), ptr === 4 ? 0x7ffeffff : 0x7fffffeffff);
  m.pokePtr(sym('nt!KdPrintWritePointer'), sym('nt!KdPrintCircularBuffer'));
  m.poke(sym('nt!NtBuildLab'), ASCII(`${buildNumber}.${ptr === 4 ? 'xpsp_sp2_rtm.040803-2158' : 'srv03_sp2_rtm.070216-1710'}`));
  m.pokePtr(sym('nt!KiProcessorBlock'), image.layout.kprcb);
  m.pokeU32(sym('nt!CmNtCSDVersion'), 0x0200);
  m.pokeU32(sym('nt!NtBuildNumber'), (0xf0000000 | buildNumber) >>> 0);
  m.poke(sym('nt!KdDebuggerEnabled'), Buffer.from([1]));
  m.poke(image.versionBlock, versionBlockBytes(image, buildNumber));
}

function writeProcessorBlocks(image: KernelImage): void {
  const m = image.memory;
  const L = image.layout;
  m.map(L.kpcr, 0x1000);
  if (L.arch === 'x86') {
    m.pokeU32(L.kpcr + 0x1c, L.kpcr); // SelfPcr
    m.pokeU32(L.kpcr + 0x20, L.kprcb); // Prcb
    m.pokeU32(L.kpcr + 0x34, image.versionBlock); // KdVersionBlock
    m.pokeU16(L.kpcr + 0x120, 1); // KPRCB.MinorVersion
    m.pokeU32(L.kprcb + 4, L.initialThread); // CurrentThread
  } else {
    m.pokePtr(L.kpcr + 0x18, L.kpcr); // Self
    m.pokePtr(L.kpcr + 0x20, L.kprcb); // CurrentPrcb
    m.pokePtr(L.kprcb + 8, L.initialThread); // CurrentThread
  }
  m.map(L.initialThread - (L.initialThread % 0x1000), 0x1000);
  const kuser = L.kuserSharedData;
  m.map(kuser, 0x1000);
  m.pokeU32(kuser + 0x264, 1); // NtProductType: WinNt
  m.pokeU32(kuser + 0x26c, 5); // NtMajorVersion
  m.pokeU32(kuser + 0x270, L.arch === 'x86' ? 1 : 2); // NtMinorVersion
  m.poke(kuser + 0x30, utf16('C:\\WINDOWS\0'));
}

/**
 * The iBFT iPXE leaves in base memory (../shared/reference/iscsi/loopback-iscsi-boot.md): ACPI-style
 * header, control structure, initiator at +0x50, NIC 0 at +0xA0, target 0 at +0x180, strings after;
 * byte sum 0. The same values sanbootconf prints in the iscsi-boot scenario.
 */
export function buildIbft(): Buffer {
  const t = Buffer.alloc(0x240);
  t.write('iBFT', 0, 'latin1');
  t[8] = 1; // revision
  t.write('FENSYS', 10, 'latin1');
  t.write('iPXE', 16, 'latin1');
  const header = (at: number, id: number, length: number, flags: number): void => {
    t[at] = id;
    t[at + 1] = 1; // version
    t.writeUInt16LE(length, at + 2);
    t[at + 4] = 0; // index
    t[at + 5] = flags;
  };
  const ipv4 = (at: number, ip: string): void => {
    t.writeUInt16LE(0xffff, at + 10); // IPv4-mapped IPv6
    ip.split('.').forEach((o, i) => (t[at + 12 + i] = Number(o)));
  };
  let strings = 0x1b8;
  const str = (at: number, value: string): void => {
    t.writeUInt16LE(value.length, at);
    t.writeUInt16LE(value.length ? strings : 0, at + 2);
    t.write(value, strings, 'latin1');
    strings += value.length + 1;
  };
  // Control: initiator, NIC 0, target 0 (NIC 1 / target 1 absent).
  header(0x30, 1, 0x12, 0);
  t.writeUInt16LE(0x50, 0x38);
  t.writeUInt16LE(0xa0, 0x3a);
  t.writeUInt16LE(0x180, 0x3c);
  // Initiator.
  header(0x50, 2, 0x4a, 3);
  str(0x50 + 0x46, 'iqn.2010-04.org.ipxe:xpclient');
  // NIC 0: 10.0.2.15/24, DHCP, gateway 10.0.2.2, DNS 10.0.2.3, MAC 52:54:00:12:34:56, PCI 00:03.0.
  header(0xa0, 3, 0x66, 3);
  ipv4(0xa0 + 0x06, '10.0.2.15');
  t[0xa0 + 0x16] = 24;
  t[0xa0 + 0x17] = 3;
  ipv4(0xa0 + 0x18, '10.0.2.2');
  ipv4(0xa0 + 0x28, '10.0.2.3');
  ipv4(0xa0 + 0x48, '10.0.2.2');
  Buffer.from([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]).copy(t, 0xa0 + 0x5a);
  t.writeUInt16LE((0 << 8) | (3 << 3) | 0, 0xa0 + 0x60);
  str(0xa0 + 0x62, 'xpclient');
  // Target 0: 10.0.2.2:3260, LUN bytes 00 01 00…, no CHAP, NIC 0.
  header(0x180, 4, 0x36, 3);
  ipv4(0x180 + 0x06, '10.0.2.2');
  t.writeUInt16LE(3260, 0x180 + 0x16);
  t[0x180 + 0x19] = 1;
  str(0x180 + 0x22, 'iqn.2010-04.org.example:disk1');
  const length = strings;
  t.writeUInt32LE(length, 4);
  let sum = 0;
  for (let i = 0; i < length; i++) sum = (sum + t[i]) & 0xff;
  t[9] = (0x100 - sum) & 0xff;
  return t.subarray(0, length);
}

function writeIbft(image: KernelImage): void {
  const base = image.layout.physBase;
  image.memory.map(base, 0xa0000); // base memory
  image.memory.write(base + IBFT_PHYS, buildIbft());
}
