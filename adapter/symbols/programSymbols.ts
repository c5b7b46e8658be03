/**
 * Symbols and line information of one ELF program (linked executable or relocatable .o), indexed
 * for the debugger: address → source line / symbol / section, and source line / symbol name →
 * addresses. Every address here is a LINK-TIME address (ELF VMA); mapping to run-time linear
 * addresses (segment bases, relocation by iPXE's install) is the caller's job.
 *
 * In a relocatable object, and in iPXE's linked prefix, several sections share the same VMA
 * range (all start at 0). Where that matters the optional `section` argument/result names the
 * section, so a caller that knows which section is executing can disambiguate.
 *
 * Indexes are built once, lazily, as sorted typed arrays searched by bisection.
 */
import { readFileSync } from 'node:fs';
import * as posixPath from 'node:path/posix';
import { FormatError } from './byteReader';
import { LineTables, ROW_END_SEQUENCE, ROW_IS_STMT } from './dwarfLineTable';
import { readElfLineTables } from './elfLineTables';
import { addressKeyToBigInt, bigIntToAddressKey, ElfFile, ElfSection, ElfSymbol, SHF, SHN, SHT, STB, STT } from './elfFile';

export { FormatError };

export interface SectionInfo {
  name: string;
  /** Link-time start address (VMA). */
  address: bigint;
  size: number;
}

export interface LineAddress {
  address: bigint;
  line: number;
  /** Section the address belongs to, when it can be told. */
  section?: string;
}

export interface SourceLocation {
  path: string;
  line: number;
}

export interface SymbolLocation {
  name: string;
  offset: number;
}

export interface SymbolInfo {
  name: string;
  address: bigint;
  /** Undefined for absolute symbols. */
  section?: string;
  isFunction: boolean;
  isGlobal: boolean;
}

interface IndexedSymbol {
  name: string;
  key: number;
  shndx: number;
  rank: number;
}

/** How much a symbol is preferred when several share an address or a name (higher wins). */
function symbolRank(bind: number, type: number): number {
  const bindRank = bind === STB.GLOBAL ? 4 : bind === STB.WEAK ? 2 : 0;
  const typeRank = type === STT.FUNC ? 1 : 0;
  return bindRank + typeRank;
}

/** Last index i in [lo, hi) with arr[i] <= key, or lo - 1. */
function lastAtOrBelow(arr: ArrayLike<number>, lo: number, hi: number, key: number): number {
  let a = lo;
  let b = hi;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (arr[m] <= key) a = m + 1;
    else b = m;
  }
  return a - 1;
}

/** Path as compared for matching: forward slashes, normalised. */
function comparablePath(p: string): string {
  return posixPath.normalize(p.replace(/\\/g, '/'));
}

export class ProgramSymbols {
  /** True when the program has a DWARF line table with at least one row. */
  readonly hasLineInfo: boolean;
  /** Allocated sections with a size, in section-header order. */
  readonly sections: SectionInfo[];
  /** Non-fatal problems met while reading debug information (corrupt units are skipped). */
  readonly warnings: string[] = [];
  readonly isRelocatable: boolean;

  private readonly elf: ElfFile;
  private readonly allocSections: ElfSection[];
  private readonly lines: LineTables;
  private elfSymbolsCache?: ElfSymbol[];
  private symbolsBySection?: Map<number, IndexedSymbol[]>;
  private symbolsByName?: Map<string, IndexedSymbol>;
  private seqOrder?: Int32Array;
  private seqStartSorted?: Float64Array;
  private seqMaxEnd?: Float64Array;
  private lineIndex?: { fileStart: Int32Array; line: Uint32Array; row: Uint32Array };
  private seqSections?: ElfSection[][];

  /** Reads and indexes an ELF file. Throws FormatError (with the path) for unusable files. */
  static load(path: string): ProgramSymbols {
    let buf: Buffer;
    try {
      buf = readFileSync(path);
    } catch (e) {
      throw new FormatError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    return new ProgramSymbols(buf, path);
  }

  static fromBuffer(buf: Buffer, path = '<buffer>'): ProgramSymbols {
    return new ProgramSymbols(buf, path);
  }

  private constructor(buf: Buffer, readonly path: string) {
    this.elf = new ElfFile(buf, path);
    this.isRelocatable = this.elf.isRelocatable;
    this.allocSections = this.elf.sections.filter((s) => (s.flags & SHF.ALLOC) !== 0 && s.size > 0);
    this.sections = this.allocSections.map((s) => ({ name: s.name, address: this.toAddress(s.address), size: s.size }));
    this.lines = readElfLineTables(this.elf);
    this.warnings.push(...this.lines.errors);
    this.hasLineInfo = this.lines.rows.count > 0;
  }

  /** The symbol table, read on first use; a corrupt one becomes a warning and no symbols. */
  private get elfSymbols(): ElfSymbol[] {
    if (!this.elfSymbolsCache) {
      try {
        this.elfSymbolsCache = this.elf.symbols();
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
        this.warnings.push(e.message);
        this.elfSymbolsCache = [];
      }
    }
    return this.elfSymbolsCache;
  }

  private toAddress(key: number): bigint {
    return addressKeyToBigInt(key, this.elf.is64);
  }

  private toKey(addr: bigint): number {
    return bigIntToAddressKey(addr, this.elf.is64);
  }

  // ---------------------------------------------------------------- sections

  /** Allocated sections containing `key`, best first: executable, then with contents, then header order. */
  private sectionsAt(key: number): ElfSection[] {
    const found = this.allocSections.filter((s) => key >= s.address && key < s.address + s.size);
    const score = (s: ElfSection): number => ((s.flags & SHF.EXECINSTR) ? 2 : 0) + (s.type !== SHT.NOBITS ? 1 : 0);
    return found.sort((a, b) => score(b) - score(a) || a.index - b.index);
  }

  private sectionNamed(name: string): ElfSection | undefined {
    return this.allocSections.find((s) => s.name === name) ?? this.elf.sections.find((s) => s.name === name);
  }

  sectionForAddress(addr: bigint): SectionInfo | undefined {
    const s = this.sectionsAt(this.toKey(addr))[0];
    return s ? { name: s.name, address: this.toAddress(s.address), size: s.size } : undefined;
  }

  // ---------------------------------------------------------------- symbols

  private buildSymbolIndex(): void {
    const bySection = new Map<number, IndexedSymbol[]>();
    const byName = new Map<string, IndexedSymbol>();
    for (const s of this.elfSymbols) {
      if (!s.name || s.type === STT.SECTION || s.type === STT.FILE || s.shndx === SHN.UNDEF) continue;
      const sym: IndexedSymbol = { name: s.name, key: s.value, shndx: s.shndx, rank: symbolRank(s.bind, s.type) };
      const prev = byName.get(s.name);
      if (!prev || sym.rank > prev.rank) byName.set(s.name, sym);
      if (s.shndx >= SHN.LORESERVE) continue; // absolute/common: values, not code locations
      let list = bySection.get(s.shndx);
      if (!list) bySection.set(s.shndx, (list = []));
      list.push(sym);
    }
    for (const [shndx, list] of bySection) {
      // Address order; at equal addresses keep only the most preferred name.
      list.sort((a, b) => a.key - b.key || b.rank - a.rank);
      bySection.set(shndx, list.filter((s, i) => i === 0 || list[i - 1].key !== s.key));
    }
    this.symbolsBySection = bySection;
    this.symbolsByName = byName;
  }

  /** Nearest symbol at or below `addr` in the section holding it (or the named section). */
  symbolForAddress(addr: bigint, section?: string): SymbolLocation | undefined {
    if (!this.symbolsBySection) this.buildSymbolIndex();
    const key = this.toKey(addr);
    const candidates = section !== undefined ? [this.sectionNamed(section)].filter((s): s is ElfSection => !!s) : this.sectionsAt(key);
    let best: { sym: IndexedSymbol; offset: number } | undefined;
    for (const sec of candidates) {
      const list = this.symbolsBySection!.get(sec.index);
      if (!list) continue;
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const m = (lo + hi) >>> 1;
        if (list[m].key <= key) lo = m + 1;
        else hi = m;
      }
      if (lo === 0) continue;
      const sym = list[lo - 1];
      const offset = key - sym.key;
      if (!best || offset < best.offset) best = { sym, offset };
    }
    return best ? { name: best.sym.name, offset: best.offset } : undefined;
  }

  /** Link-time value of a symbol (functions, labels, data, absolute symbols). */
  lookupSymbol(name: string): bigint | undefined {
    if (!this.symbolsByName) this.buildSymbolIndex();
    const s = this.symbolsByName!.get(name);
    return s ? this.toAddress(s.key) : undefined;
  }

  /** Section a symbol is defined in (undefined for absolute symbols or unknown names). */
  sectionOfSymbol(name: string): string | undefined {
    if (!this.symbolsByName) this.buildSymbolIndex();
    const s = this.symbolsByName!.get(name);
    return s && s.shndx < SHN.LORESERVE ? this.elf.sections[s.shndx]?.name : undefined;
  }

  /** Every named symbol (one per name, the preferred binding), e.g. for completions. */
  symbols(): SymbolInfo[] {
    const out: SymbolInfo[] = [];
    const seen = new Set<string>();
    for (const s of this.elfSymbols) {
      if (!s.name || s.type === STT.SECTION || s.type === STT.FILE || s.shndx === SHN.UNDEF || seen.has(s.name)) continue;
      seen.add(s.name);
      const best = this.symbolsByName?.get(s.name);
      const shndx = best?.shndx ?? s.shndx;
      out.push({
        name: s.name,
        address: this.toAddress(best?.key ?? s.value),
        section: shndx < SHN.LORESERVE ? this.elf.sections[shndx]?.name : undefined,
        isFunction: s.type === STT.FUNC,
        isGlobal: s.bind !== STB.LOCAL,
      });
    }
    return out;
  }

  // ---------------------------------------------------------------- lines

  /** Resolved paths of all source files that have line rows. */
  sourceFiles(): string[] {
    const used = new Set<number>();
    const rows = this.lines.rows;
    for (let i = 0; i < rows.count; i++) used.add(rows.file[i]);
    return [...used].map((id) => this.lines.files[id]);
  }

  /** Compile units with line programs: name, DWARF version and compilation directory. */
  compileUnits(): { name: string; version: number; compDir?: string }[] {
    return this.lines.units.map((u) => ({ name: u.name, version: u.version, compDir: u.compDir }));
  }

  /** Sections a sequence may belong to, best first: the relocation's section when known (.o),
   *  else the allocated sections containing its address range — narrowed to one, when several
   *  share the range, by labels (see resolveSequenceSections). */
  private sequenceSections(seqIndex: number): ElfSection[] {
    if (!this.seqSections) this.seqSections = this.resolveSequenceSections();
    return this.seqSections[seqIndex];
  }

  /**
   * iPXE links .prefix, .text16 and .textdata all at VMA 0, so in the linked file a line
   * sequence's addresses fit several sections. Labels decide: a .S sequence has symbols exactly on
   * its row addresses in its own section. Sequences that fit one section only are settled first,
   * and the symbols they cover are "explained" and no longer count for the others; repeated
   * until nothing changes. A tie stays ambiguous (all candidates returned).
   */
  private resolveSequenceSections(): ElfSection[][] {
    const seqs = this.lines.sequences;
    const rows = this.lines.rows;
    const result = seqs.map((seq): ElfSection[] => {
      if (seq.sectionIndex >= 0) {
        const s = this.elf.sections[seq.sectionIndex];
        return s ? [s] : [];
      }
      return this.sectionsAt(seq.start).filter((s) => seq.end <= s.address + s.size);
    });
    const settled = new Map<number, [number, number][]>(); // section index → covered ranges
    const settle = (i: number): void => {
      const sec = result[i][0];
      let list = settled.get(sec.index);
      if (!list) settled.set(sec.index, (list = []));
      list.push([seqs[i].start, seqs[i].end]);
    };
    result.forEach((r, i) => r.length === 1 && settle(i));
    if (result.every((r) => r.length < 2)) return result;
    if (!this.symbolsBySection) this.buildSymbolIndex();
    const explained = (sec: number, key: number): boolean => (settled.get(sec) ?? []).some(([a, b]) => key >= a && key < b);
    for (let changed = true, pass = 0; changed && pass < 4; pass++) {
      changed = false;
      result.forEach((cands, i) => {
        if (cands.length < 2) return;
        const seq = seqs[i];
        const rowAddresses = new Set<number>();
        for (let r = seq.firstRow; r < seq.endRow; r++) rowAddresses.add(rows.address[r]);
        const scored = cands.map((sec) => {
          let hits = 0;
          for (const sym of this.symbolsBySection!.get(sec.index) ?? []) {
            if (rowAddresses.has(sym.key) && !explained(sec.index, sym.key)) hits++;
          }
          return { sec, hits };
        }).sort((x, y) => y.hits - x.hits);
        if (scored[0].hits > 0 && scored[0].hits > scored[1].hits) {
          result[i] = [scored[0].sec];
          settle(i);
          changed = true;
        }
      });
    }
    return result;
  }

  private buildSequenceIndex(): void {
    const seqs = this.lines.sequences;
    const order = Int32Array.from(seqs.keys()).sort((a, b) => seqs[a].start - seqs[b].start || a - b);
    const start = new Float64Array(order.length);
    const maxEnd = new Float64Array(order.length);
    let m = -Infinity;
    order.forEach((s, i) => {
      start[i] = seqs[s].start;
      m = Math.max(m, seqs[s].end);
      maxEnd[i] = m;
    });
    this.seqOrder = order;
    this.seqStartSorted = start;
    this.seqMaxEnd = maxEnd;
  }

  /** Source line of the row covering `addr` (gdb's choice: the last is_stmt row at the nearest address at or below). */
  lineForAddress(addr: bigint, section?: string): SourceLocation | undefined {
    if (!this.seqOrder) this.buildSequenceIndex();
    const key = this.toKey(addr);
    const seqs = this.lines.sequences;
    const rows = this.lines.rows;
    const wanted = section !== undefined ? this.sectionNamed(section) : undefined;
    if (section !== undefined && !wanted) return undefined;
    let bestRow = -1;
    let bestScore = -Infinity;
    // Sequences may overlap (sections sharing VMAs): walk back over every one that could contain key.
    for (let i = lastAtOrBelow(this.seqStartSorted!, 0, this.seqStartSorted!.length, key); i >= 0 && this.seqMaxEnd![i] > key; i--) {
      const si = this.seqOrder![i];
      const seq = seqs[si];
      if (key >= seq.end) continue;
      const secs = this.sequenceSections(si);
      if (wanted && secs.length && !secs.includes(wanted)) continue;
      const sec = wanted ?? secs[0];
      let r = lastAtOrBelow(rows.address, seq.firstRow, seq.endRow, key);
      if (r < seq.firstRow) continue;
      // Among rows at that address prefer the last is_stmt one.
      const at = rows.address[r];
      let pick = r;
      while (pick >= seq.firstRow && rows.address[pick] === at && (rows.flags[pick] & ROW_IS_STMT) === 0) pick--;
      if (pick < seq.firstRow || rows.address[pick] !== at) pick = r;
      r = pick;
      // Without a section to go by: code over data, a known section over a guess, then header order.
      const score = ((sec && (sec.flags & SHF.EXECINSTR) ? 2 : 0) + (secs.length === 1 ? 1 : 0)) * 1e6 - (sec?.index ?? 1e5);
      if (score > bestScore) {
        bestScore = score;
        bestRow = r;
      }
    }
    if (bestRow < 0) return undefined;
    return { path: this.lines.files[rows.file[bestRow]], line: rows.line[bestRow] };
  }

  /** Breakpoint candidates (is_stmt rows that are not sequence ends) ordered by (file, line):
   *  two stable counting sorts, linear in the rows — a comparator sort was most of the cost. */
  private buildLineIndex(): void {
    const rows = this.lines.rows;
    const nFiles = this.lines.files.length;
    let n = 0;
    let maxLine = 0;
    for (let i = 0; i < rows.count; i++) {
      if ((rows.flags[i] & (ROW_IS_STMT | ROW_END_SEQUENCE)) === ROW_IS_STMT) {
        n++;
        if (rows.line[i] > maxLine) maxLine = rows.line[i];
      }
    }
    const picked = new Uint32Array(n);
    for (let i = 0, k = 0; i < rows.count; i++) {
      if ((rows.flags[i] & (ROW_IS_STMT | ROW_END_SEQUENCE)) === ROW_IS_STMT) picked[k++] = i;
    }
    let byLine: Uint32Array;
    if (maxLine <= 4 * n + (1 << 20)) {
      const count = new Uint32Array(maxLine + 2);
      for (let k = 0; k < n; k++) count[rows.line[picked[k]] + 1]++;
      for (let l = 0; l <= maxLine; l++) count[l + 1] += count[l];
      byLine = new Uint32Array(n);
      for (let k = 0; k < n; k++) byLine[count[rows.line[picked[k]]]++] = picked[k];
    } else {
      // Absurd line numbers (corrupt tables): a comparison sort instead of a huge count array.
      byLine = picked.slice().sort((x, y) => rows.line[x] - rows.line[y] || x - y);
    }
    const fileStart = new Int32Array(nFiles + 1);
    for (let k = 0; k < n; k++) fileStart[rows.file[byLine[k]] + 1]++;
    for (let f = 0; f < nFiles; f++) fileStart[f + 1] += fileStart[f];
    const fill = fileStart.slice(0, nFiles);
    const idx = new Uint32Array(n);
    for (let k = 0; k < n; k++) idx[fill[rows.file[byLine[k]]]++] = byLine[k];
    const line = new Uint32Array(n);
    for (let k = 0; k < n; k++) line[k] = rows.line[idx[k]];
    this.lineIndex = { fileStart, line, row: idx };
  }

  /** Index of the sequence holding row `r` (sequences are stored in row order), or -1. */
  private sequenceOfRow(r: number): number {
    const seqs = this.lines.sequences;
    let lo = 0;
    let hi = seqs.length;
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      if (seqs[m].firstRow <= r) lo = m + 1;
      else hi = m;
    }
    const s = lo - 1;
    return s >= 0 && r <= seqs[s].endRow ? s : -1;
  }

  /** File ids whose path matches: exactly, else by the longest common trailing path components. */
  private matchFiles(file: string): number[] {
    const files = this.lines.files;
    const want = comparablePath(file);
    const exact = files.flatMap((f, i) => (comparablePath(f) === want ? [i] : []));
    if (exact.length) return exact;
    const wantParts = want.split('/').filter((p) => p && p !== '.');
    const score = (f: string, fold: boolean): number => {
      const parts = comparablePath(f).split('/');
      let n = 0;
      while (n < wantParts.length && n < parts.length) {
        const a = parts[parts.length - 1 - n];
        const b = wantParts[wantParts.length - 1 - n];
        if (fold ? a.toLowerCase() !== b.toLowerCase() : a !== b) break;
        n++;
      }
      return n;
    };
    for (const fold of [false, true]) {
      let best = 0;
      let ids: number[] = [];
      files.forEach((f, i) => {
        const s = score(f, fold);
        if (s > best) {
          best = s;
          ids = [i];
        } else if (s === best && s > 0) ids.push(i);
      });
      if (best > 0) return ids;
    }
    return [];
  }

  /**
   * Addresses where a breakpoint on `file:line` goes: the nearest line at or after `line` that has
   * code (like gdb), one address per sequence (the lowest), sorted by address.
   */
  addressesForLine(file: string, line: number): LineAddress[] {
    if (!this.hasLineInfo) return [];
    if (!this.lineIndex) this.buildLineIndex();
    const { fileStart, line: lines, row: rowIdx } = this.lineIndex!;
    const rows = this.lines.rows;
    const ids = this.matchFiles(file);
    // The nearest line with code across the matching files.
    let target = Infinity;
    for (const f of ids) {
      const lo = fileStart[f];
      const hi = fileStart[f + 1];
      const k = lastAtOrBelow(lines, lo, hi, line - 1) + 1;
      if (k < hi && lines[k] < target) target = lines[k];
    }
    if (target === Infinity) return [];
    const bySequence = new Map<number, number>();
    for (const f of ids) {
      const lo = fileStart[f];
      const hi = fileStart[f + 1];
      for (let k = lastAtOrBelow(lines, lo, hi, target - 1) + 1; k < hi && lines[k] === target; k++) {
        const r = rowIdx[k];
        const s = this.sequenceOfRow(r);
        const prev = bySequence.get(s);
        if (prev === undefined || rows.address[r] < rows.address[prev]) bySequence.set(s, r);
      }
    }
    const out: LineAddress[] = [];
    for (const [s, r] of bySequence) {
      const secs = s >= 0 ? this.sequenceSections(s) : [];
      // Name the section only when it is unambiguous.
      const sec = secs.length === 1 ? secs[0] : undefined;
      out.push({ address: this.toAddress(rows.address[r]), line: target, ...(sec ? { section: sec.name } : {}) });
    }
    return out.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  }
}
