/**
 * ELF32/ELF64 little-endian reader: header, section headers and names, symbol tables, section
 * contents (SHF_COMPRESSED zlib sections inflated) and relocation of debug sections in
 * relocatable objects (.o), which DWARF readers need because .debug_* in a .o refer to other
 * sections through relocations.
 *
 * Addresses are kept as "address keys": Numbers that are exact for every real address (see
 * ByteReader.i64Number). `addressKeyToBigInt` turns them back into unsigned bigints.
 */
import { inflateSync } from 'node:zlib';
import { ByteReader, FormatError, stringAt } from './byteReader';

export const SHT = { NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, RELA: 4, NOBITS: 8, REL: 9, DYNSYM: 11 } as const;
export const SHF = { WRITE: 0x1, ALLOC: 0x2, EXECINSTR: 0x4, COMPRESSED: 0x800 } as const;
export const SHN = { UNDEF: 0, LORESERVE: 0xff00, ABS: 0xfff1, COMMON: 0xfff2, XINDEX: 0xffff } as const;
export const STT = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4 } as const;
export const STB = { LOCAL: 0, GLOBAL: 1, WEAK: 2 } as const;
export const ET = { REL: 1, EXEC: 2, DYN: 3 } as const;
export const EM = { I386: 3, X86_64: 62 } as const;

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  /** Address key of the section's VMA. */
  address: number;
  /** File offset of the contents. */
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: number;
}

export interface ElfSymbol {
  name: string;
  /** Address key (st_value). */
  value: number;
  size: number;
  type: number;
  bind: number;
  /** Section index (SHN_* for special ones; extended indices resolved). */
  shndx: number;
}

type RawSection = Omit<ElfSection, 'name'> & { nameOffset: number };

/** How relocation types of a machine are applied to debug data: byte width of the field. */
const DEBUG_RELOCATION_WIDTH: Record<number, Record<number, number>> = {
  [EM.I386]: { 1: 4 /* R_386_32 */ },
  [EM.X86_64]: { 1: 8 /* R_X86_64_64 */, 10: 4 /* R_X86_64_32 */, 11: 4 /* R_X86_64_32S */ },
};

export class ElfFile {
  readonly is64: boolean;
  readonly type: number;
  readonly machine: number;
  readonly entry: number;
  readonly sections: ElfSection[] = [];
  private symbolsCache?: ElfSymbol[];

  constructor(readonly buf: Buffer, readonly path = '<buffer>') {
    if (buf.length < 16 || buf.readUInt32BE(0) !== 0x7f454c46) {
      throw new FormatError(`${path}: not an ELF file (bad magic)`);
    }
    const cls = buf[4];
    const data = buf[5];
    if (cls !== 1 && cls !== 2) throw new FormatError(`${path}: unknown ELF class ${cls}`);
    if (data !== 1) throw new FormatError(`${path}: only little-endian ELF is supported (EI_DATA=${data})`);
    this.is64 = cls === 2;
    const r = new ByteReader(buf, 16, buf.length, `${path}: ELF header`);
    this.type = r.u16('e_type');
    this.machine = r.u16('e_machine');
    r.u32('e_version');
    this.entry = this.is64 ? r.i64Number('e_entry') : r.u32('e_entry');
    const _phoff = this.is64 ? r.u64Number('e_phoff') : r.u32('e_phoff');
    const shoff = this.is64 ? r.u64Number('e_shoff') : r.u32('e_shoff');
    r.u32('e_flags');
    r.u16('e_ehsize');
    r.u16('e_phentsize');
    r.u16('e_phnum');
    const shentsize = r.u16('e_shentsize');
    let shnum = r.u16('e_shnum');
    let shstrndx = r.u16('e_shstrndx');
    if (shoff === 0) return; // no section headers (stripped to the bone): nothing to index
    const minEnt = this.is64 ? 64 : 40;
    if (shentsize < minEnt) throw new FormatError(`${path}: section header size ${shentsize} < ${minEnt}`);
    const headerAt = (i: number): RawSection => this.readSectionHeader(shoff + i * shentsize, i);
    if (shnum === 0 || shstrndx === SHN.XINDEX) {
      // Extended numbering: the real counts live in section header 0.
      const s0 = headerAt(0);
      if (shnum === 0) shnum = s0.size;
      if (shstrndx === SHN.XINDEX) shstrndx = s0.link;
    }
    if (shoff + shnum * shentsize > buf.length) {
      throw new FormatError(`${path}: section header table (${shnum} × ${shentsize} bytes at 0x${shoff.toString(16)}) runs past the end of the ${buf.length}-byte file`);
    }
    const raw: RawSection[] = [];
    for (let i = 0; i < shnum; i++) raw.push(headerAt(i));
    const strtab = raw[shstrndx];
    for (const s of raw) {
      let name = '';
      if (strtab && strtab.type !== SHT.NOBITS && s.index !== 0) {
        try {
          this.checkRange({ ...strtab, name: '.shstrtab' });
          name = stringAt(buf, strtab.offset, strtab.offset + strtab.size, s.nameOffset, `${path}: section names`);
        } catch (e) {
          if (!(e instanceof FormatError)) throw e;
          name = `<bad name ${s.index}>`;
        }
      }
      const { nameOffset: _nameOffset, ...rest } = s;
      this.sections.push({ ...rest, name });
    }
  }

  private readSectionHeader(at: number, index: number): RawSection {
    const r = new ByteReader(this.buf, 0, this.buf.length, `${this.path}: section header ${index}`);
    r.pos = at;
    r.need(this.is64 ? 64 : 40, 'section header');
    const nameOff = r.u32('sh_name');
    const type = r.u32('sh_type');
    const flags = this.is64 ? r.u64Number('sh_flags') : r.u32('sh_flags');
    const address = this.is64 ? r.i64Number('sh_addr') : r.u32('sh_addr');
    const offset = this.is64 ? r.u64Number('sh_offset') : r.u32('sh_offset');
    const size = this.is64 ? r.u64Number('sh_size') : r.u32('sh_size');
    const link = r.u32('sh_link');
    const info = r.u32('sh_info');
    if (this.is64) r.u64Number('sh_addralign');
    else r.u32('sh_addralign');
    const entsize = this.is64 ? r.u64Number('sh_entsize') : r.u32('sh_entsize');
    // The name offset is resolved by the constructor once the string table is known.
    return { index, nameOffset: nameOff, type, flags, address, offset, size, link, info, entsize };
  }

  private checkRange(s: ElfSection): void {
    if (s.offset + s.size > this.buf.length) {
      throw new FormatError(`${this.path}: section ${s.name || s.index} (0x${s.size.toString(16)} bytes at 0x${s.offset.toString(16)}) runs past the end of the file`);
    }
  }

  get isRelocatable(): boolean {
    return this.type === ET.REL;
  }

  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** Raw or decompressed contents of a section (empty for SHT_NOBITS). */
  contents(s: ElfSection): Buffer {
    if (s.type === SHT.NOBITS || s.type === SHT.NULL) return Buffer.alloc(0);
    this.checkRange(s);
    const raw = this.buf.subarray(s.offset, s.offset + s.size);
    if ((s.flags & SHF.COMPRESSED) === 0) return raw;
    const r = new ByteReader(raw, 0, raw.length, `${this.path}: ${s.name} compression header`);
    const chType = r.u32('ch_type');
    if (this.is64) r.u32('ch_reserved');
    const chSize = this.is64 ? r.u64Number('ch_size') : r.u32('ch_size');
    if (this.is64) r.u64Number('ch_addralign');
    else r.u32('ch_addralign');
    if (chType !== 1) throw new FormatError(`${this.path}: section ${s.name} uses compression type ${chType} (only zlib is supported)`);
    // zlib cannot expand by more than ~1032:1; a larger claimed size is corruption, not data.
    if (chSize > raw.length * 1100 + 4096) throw new FormatError(`${this.path}: section ${s.name} claims ${chSize} bytes uncompressed from ${raw.length}`);
    let out: Buffer;
    try {
      out = inflateSync(raw.subarray(r.pos), { maxOutputLength: Math.max(chSize, 1) });
    } catch (e) {
      throw new FormatError(`${this.path}: section ${s.name}: bad zlib data (${(e as Error).message})`);
    }
    if (out.length !== chSize) throw new FormatError(`${this.path}: section ${s.name} inflated to ${out.length} bytes, header says ${chSize}`);
    return out;
  }

  /** Symbols of .symtab (or .dynsym when there is no .symtab), without the null symbol. */
  symbols(): ElfSymbol[] {
    if (this.symbolsCache) return this.symbolsCache;
    const tab = this.sections.find((s) => s.type === SHT.SYMTAB) ?? this.sections.find((s) => s.type === SHT.DYNSYM);
    this.symbolsCache = tab ? this.readSymbolTable(tab) : [];
    return this.symbolsCache;
  }

  private readSymbolTable(tab: ElfSection): ElfSymbol[] {
    const strSec = this.sections[tab.link];
    if (!strSec) throw new FormatError(`${this.path}: ${tab.name} links to missing string table ${tab.link}`);
    const data = this.contents(tab);
    const strs = this.contents(strSec);
    // SHT_SYMTAB_SHNDX holds the real section index when st_shndx is SHN_XINDEX.
    const shndxSec = this.sections.find((s) => s.type === 18 && s.link === tab.index);
    const shndxData = shndxSec ? this.contents(shndxSec) : undefined;
    const entSize = this.is64 ? 24 : 16;
    const count = Math.floor(data.length / entSize);
    // Names: decode the string table once (latin1 keeps byte offsets = string indices) and slice;
    // per-symbol Buffer decoding dominated load time on large tables. Non-ASCII names fall back to UTF-8.
    const table = strs.toString('latin1');
    const nameAt = (off: number): string => {
      if (off <= 0 || off >= table.length) return '';
      const nul = table.indexOf('\0', off);
      const end = nul < 0 ? table.length : nul;
      const name = table.slice(off, end);
      // eslint-disable-next-line no-control-regex
      return /[^\x00-\x7f]/.test(name) ? strs.toString('utf8', off, end) : name;
    };
    const out: ElfSymbol[] = [];
    for (let i = 1; i < count; i++) {
      const at = i * entSize;
      let nameOff: number, value: number, size: number, info: number, shndx: number;
      if (this.is64) {
        nameOff = data.readUInt32LE(at);
        info = data[at + 4];
        shndx = data.readUInt16LE(at + 6);
        value = data.readUInt32LE(at + 8) + data.readInt32LE(at + 12) * 0x100000000;
        const hi = data.readUInt32LE(at + 20);
        size = hi > 0x1fffff ? Number.MAX_SAFE_INTEGER : data.readUInt32LE(at + 16) + hi * 0x100000000;
      } else {
        nameOff = data.readUInt32LE(at);
        value = data.readUInt32LE(at + 4);
        size = data.readUInt32LE(at + 8);
        info = data[at + 12];
        shndx = data.readUInt16LE(at + 14);
      }
      if (shndx === SHN.XINDEX && shndxData && shndxData.length >= (i + 1) * 4) shndx = shndxData.readUInt32LE(i * 4);
      const name = nameAt(nameOff);
      out.push({ name, value, size, type: info & 0xf, bind: info >> 4, shndx });
    }
    return out;
  }

  /**
   * Contents of `target` with the REL/RELA relocations of a relocatable object applied
   * (absolute data relocations only, which is all debug sections use). Also returns, for each
   * relocated offset, the section index the relocation's symbol lives in, so a DWARF address can
   * be attributed to its section. For linked files this is just the contents.
   */
  relocatedContents(target: ElfSection): { data: Buffer; sectionAt: Map<number, number> } {
    const sectionAt = new Map<number, number>();
    const original = this.contents(target);
    if (!this.isRelocatable) return { data: original, sectionAt };
    const relSecs = this.sections.filter((s) => (s.type === SHT.REL || s.type === SHT.RELA) && s.info === target.index);
    if (relSecs.length === 0) return { data: original, sectionAt };
    const widths = DEBUG_RELOCATION_WIDTH[this.machine] ?? {};
    const data = Buffer.from(original); // copy: never write into the caller's file buffer
    const syms = this.symbols();
    for (const rs of relSecs) {
      const isRela = rs.type === SHT.RELA;
      const rel = this.contents(rs);
      const entSize = this.is64 ? (isRela ? 24 : 16) : isRela ? 12 : 8;
      for (let at = 0; at + entSize <= rel.length; at += entSize) {
        let offset: number, symIndex: number, type: number, addend: number | undefined;
        if (this.is64) {
          offset = rel.readUInt32LE(at) + rel.readUInt32LE(at + 4) * 0x100000000;
          type = rel.readUInt32LE(at + 8);
          symIndex = rel.readUInt32LE(at + 12);
          if (isRela) addend = rel.readUInt32LE(at + 16) + rel.readInt32LE(at + 20) * 0x100000000;
        } else {
          offset = rel.readUInt32LE(at);
          const info = rel.readUInt32LE(at + 4);
          type = info & 0xff;
          symIndex = info >>> 8;
          if (isRela) addend = rel.readInt32LE(at + 8);
        }
        const width = widths[type];
        if (width === undefined || offset + width > data.length) continue;
        const sym = symIndex > 0 ? syms[symIndex - 1] : undefined;
        const s = sym ? sym.value : 0;
        if (sym && sym.shndx > 0 && sym.shndx < SHN.LORESERVE) sectionAt.set(offset, sym.shndx);
        if (width === 4) {
          const a = addend ?? data.readUInt32LE(offset);
          data.writeUInt32LE(((s + a) % 0x100000000 + 0x100000000) % 0x100000000, offset);
        } else {
          const a = addend ?? data.readUInt32LE(offset) + data.readInt32LE(offset + 4) * 0x100000000;
          data.writeBigUInt64LE(BigInt.asUintN(64, BigInt(s + a)), offset);
        }
      }
    }
    return { data, sectionAt };
  }
}

/** Converts an address key back to an unsigned address of the file's width. */
export function addressKeyToBigInt(key: number, is64: boolean): bigint {
  return BigInt.asUintN(is64 ? 64 : 32, BigInt(key));
}

/** Converts an unsigned address to the key used in the indexes (see ByteReader.i64Number). */
export function bigIntToAddressKey(addr: bigint, is64: boolean): number {
  if (addr < 0n || addr >= (is64 ? 1n << 64n : 1n << 32n)) return -1; // matches nothing in a 32-bit file
  return Number(is64 ? BigInt.asIntN(64, addr) : addr);
}
