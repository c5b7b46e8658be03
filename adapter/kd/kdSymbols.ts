/**
 * Kernel modules and their names, read from target memory (kd-protocol.md §5.4): walk
 * PsLoadedModuleList (LDR_DATA_TABLE_ENTRY), read each image's PE export table, and resolve
 * addresses to `module!symbol+0x…` and back. No PDBs: exports are what a stripped kernel offers,
 * and they name the places that matter here (DbgBreakPoint, KeBugCheckEx, IoCreateDevice…).
 */
import type { Arch } from './kdStructs';

export interface MemoryReader {
  readonly arch: Arch;
  readVirtual(address: bigint, length: number): Promise<{ data: Buffer; partial: boolean }>;
}

export interface ExportSymbol {
  name: string;
  address: bigint;
}

export interface KernelModule {
  /** Base name as the kernel lists it, e.g. `ntoskrnl.exe`. */
  fileName: string;
  /** Name used in `module!symbol`, e.g. `nt`, `hal`, `iscsiprt`. */
  name: string;
  path?: string;
  base: bigint;
  size: number;
  timeDateStamp?: number;
  /** Sorted by address; undefined until loaded. */
  exports?: ExportSymbol[];
}

/** LDR_DATA_TABLE_ENTRY offsets (§5.4). */
const LDR_LAYOUT: Readonly<Record<Arch, { dllBase: number; sizeOfImage: number; fullName: number; baseName: number; entrySize: number; ptr: number }>> = {
  x86: { dllBase: 0x18, sizeOfImage: 0x20, fullName: 0x24, baseName: 0x2c, entrySize: 0x34, ptr: 4 },
  x64: { dllBase: 0x30, sizeOfImage: 0x40, fullName: 0x48, baseName: 0x58, entrySize: 0x68, ptr: 8 },
};

/** WinDbg's short names for the kernel images. */
const MODULE_ALIASES: Readonly<Record<string, string>> = {
  'ntoskrnl.exe': 'nt',
  'ntkrnlpa.exe': 'nt',
  'ntkrnlmp.exe': 'nt',
  'ntkrpamp.exe': 'nt',
  'hal.dll': 'hal',
  'halaacpi.dll': 'hal',
  'halacpi.dll': 'hal',
  'halmacpi.dll': 'hal',
  'halapic.dll': 'hal',
  'kdcom.dll': 'kdcom',
};

export function moduleShortName(fileName: string, index: number): string {
  const lower = fileName.toLowerCase();
  if (index === 0) return 'nt';
  return MODULE_ALIASES[lower] ?? lower.replace(/\.[^.]*$/, '');
}

function readPtr(buf: Buffer, off: number, arch: Arch): bigint {
  return arch === 'x64' ? buf.readBigUInt64LE(off) : BigInt(buf.readUInt32LE(off));
}

async function readUnicodeString(mem: MemoryReader, entry: Buffer, off: number): Promise<string | undefined> {
  const len = entry.readUInt16LE(off);
  const ptr = readPtr(entry, off + (mem.arch === 'x64' ? 8 : 4), mem.arch);
  if (len === 0 || len > 1024 || ptr === 0n) return undefined;
  const r = await mem.readVirtual(ptr, len);
  return r.data.toString('utf16le');
}

/** Walks the loaded-module list; stops at the head, a null link, a loop or `limit` entries. */
export async function walkModuleList(mem: MemoryReader, listHead: bigint, limit = 512): Promise<KernelModule[]> {
  const L = LDR_LAYOUT[mem.arch];
  const modules: KernelModule[] = [];
  const head = await mem.readVirtual(listHead, L.ptr);
  if (head.partial) return modules;
  let link = readPtr(head.data, 0, mem.arch);
  const seen = new Set<bigint>();
  while (link !== 0n && link !== listHead && !seen.has(link) && modules.length < limit) {
    seen.add(link);
    const e = await mem.readVirtual(link, L.entrySize);
    if (e.partial) break;
    const fileName = (await readUnicodeString(mem, e.data, L.baseName)) ?? `module_${modules.length}`;
    const path = await readUnicodeString(mem, e.data, L.fullName).catch(() => undefined);
    modules.push({
      fileName,
      name: moduleShortName(fileName, modules.length),
      path,
      base: readPtr(e.data, L.dllBase, mem.arch),
      size: e.data.readUInt32LE(L.sizeOfImage),
    });
    link = readPtr(e.data, 0, mem.arch);
  }
  return modules;
}

export interface PeInfo {
  timeDateStamp: number;
  sizeOfImage: number;
  exports: ExportSymbol[];
}

/** Reads the PE headers and export directory of an image mapped at `base`. */
export async function readPeExports(mem: MemoryReader, base: bigint, maxExportBytes = 512 * 1024): Promise<PeInfo | undefined> {
  const hdr = (await mem.readVirtual(base, 0x400)).data;
  if (hdr.length < 0x40 || hdr.readUInt16LE(0) !== 0x5a4d) return undefined;
  const lfanew = hdr.readUInt32LE(0x3c);
  if (lfanew + 0x18 + 0x70 > hdr.length || hdr.readUInt32LE(lfanew) !== 0x4550) return undefined;
  const timeDateStamp = hdr.readUInt32LE(lfanew + 8);
  const opt = lfanew + 0x18;
  const magic = hdr.readUInt16LE(opt);
  const sizeOfImage = hdr.readUInt32LE(opt + 56);
  const dataDir = opt + (magic === 0x20b ? 112 : 96);
  if (dataDir + 8 > hdr.length) return { timeDateStamp, sizeOfImage, exports: [] };
  const expRva = hdr.readUInt32LE(dataDir);
  const expSize = hdr.readUInt32LE(dataDir + 4);
  if (expRva === 0 || expSize < 40 || expSize > maxExportBytes) return { timeDateStamp, sizeOfImage, exports: [] };
  const dir = (await mem.readVirtual(base + BigInt(expRva), expSize)).data;
  if (dir.length < 40) return { timeDateStamp, sizeOfImage, exports: [] };
  const at = (rva: number): number => rva - expRva; // offset inside `dir`
  const numFunctions = dir.readUInt32LE(0x14);
  const numNames = dir.readUInt32LE(0x18);
  const funcs = at(dir.readUInt32LE(0x1c));
  const names = at(dir.readUInt32LE(0x20));
  const ords = at(dir.readUInt32LE(0x24));
  const exports: ExportSymbol[] = [];
  const inside = (off: number, len: number): boolean => off >= 0 && off + len <= dir.length;
  for (let i = 0; i < numNames && i < 65536; i++) {
    if (!inside(names + 4 * i, 4) || !inside(ords + 2 * i, 2)) break;
    const nameOff = at(dir.readUInt32LE(names + 4 * i));
    const ord = dir.readUInt16LE(ords + 2 * i);
    if (ord >= numFunctions || !inside(funcs + 4 * ord, 4) || !inside(nameOff, 1)) continue;
    const end = dir.indexOf(0, nameOff);
    if (end < 0) continue;
    const fnRva = dir.readUInt32LE(funcs + 4 * ord);
    if (fnRva >= expRva && fnRva < expRva + expSize) continue; // forwarder string, not code
    exports.push({ name: dir.subarray(nameOff, end).toString('latin1'), address: base + BigInt(fnRva) });
  }
  exports.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  return { timeDateStamp, sizeOfImage, exports };
}

export interface ResolvedAddress {
  module: KernelModule;
  symbol?: ExportSymbol;
  offset: bigint;
}

/** Modules plus lazily loaded export tables. */
export class SymbolTable {
  modules: KernelModule[] = [];
  constructor(private readonly mem: MemoryReader) {}

  setModules(modules: KernelModule[]): void {
    this.modules = modules;
  }

  moduleAt(address: bigint): KernelModule | undefined {
    return this.modules.find((m) => address >= m.base && address < m.base + BigInt(Math.max(m.size, 1)));
  }

  findModule(name: string): KernelModule | undefined {
    const n = name.toLowerCase();
    return this.modules.find((m) => m.name.toLowerCase() === n || m.fileName.toLowerCase() === n || m.fileName.toLowerCase().replace(/\.[^.]*$/, '') === n);
  }

  async loadExports(m: KernelModule): Promise<ExportSymbol[]> {
    if (m.exports) return m.exports;
    try {
      const pe = await readPeExports(this.mem, m.base);
      m.exports = pe?.exports ?? [];
      if (pe) m.timeDateStamp = pe.timeDateStamp;
    } catch {
      m.exports = [];
    }
    return m.exports;
  }

  async resolve(address: bigint): Promise<ResolvedAddress | undefined> {
    const m = this.moduleAt(address);
    if (!m) return undefined;
    const exps = await this.loadExports(m);
    let lo = 0;
    let hi = exps.length - 1;
    let best: ExportSymbol | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (exps[mid].address <= address) {
        best = exps[mid];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best ? { module: m, symbol: best, offset: address - best.address } : { module: m, offset: address - m.base };
  }

  /** `nt!DbgBreakPoint`, `nt!KeBugCheckEx+0x1a`, `iscsiprt+0x1234`, or undefined outside modules. */
  async format(address: bigint): Promise<string | undefined> {
    const r = await this.resolve(address);
    if (!r) return undefined;
    const base = r.symbol ? `${r.module.name}!${r.symbol.name}` : r.module.name;
    return r.offset === 0n ? base : `${base}+0x${r.offset.toString(16)}`;
  }

  /** Address of `module!symbol` (or of a bare module name), undefined when unknown. */
  async lookup(qualified: string): Promise<bigint | undefined> {
    const bang = qualified.indexOf('!');
    const modName = bang >= 0 ? qualified.slice(0, bang) : qualified;
    const sym = bang >= 0 ? qualified.slice(bang + 1) : '';
    const m = this.findModule(modName);
    if (!m) return undefined;
    if (!sym) return m.base;
    const exps = await this.loadExports(m);
    return exps.find((e) => e.name === sym)?.address ?? exps.find((e) => e.name.toLowerCase() === sym.toLowerCase())?.address;
  }
}
