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
 * Line programs are decoded per compile unit when a lookup needs them (.debug_aranges say which
 * unit holds an address, file tables which units mention a file); indexes over the decoded rows
 * are built lazily as sorted typed arrays searched by bisection, and rebuilt only when another
 * unit gets decoded.
 */
import { readFileSync } from 'node:fs';
import * as posixPath from 'node:path/posix';
import { FormatError } from './byteReader';
import { LineRows, LineTables, primeLineDecoder, ROW_END_SEQUENCE, ROW_IS_STMT } from './dwarfLineTable';
import { ElfLineInfo, openElfLineTables } from './elfLineTables';
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
  private readonly lineInfo: ElfLineInfo;
  /** How many of `lines.errors` have been copied into `warnings`. */
  private errorsSeen = 0;
  private elfSymbolsCache?: ElfSymbol[];
  private symbolsBySection?: Map<number, IndexedSymbol[]>;
  private symbolsByName?: Map<string, IndexedSymbol>;
  private seqOrder?: Int32Array;
  private seqStartSorted?: Float64Array;
  private seqMaxEnd?: Float64Array;
  private readonly fileLineCache = new Map<number, { line: Uint32Array; row: Uint32Array }>();
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
    // Where sections share addresses in a linked file, telling them apart needs every sequence
    // (resolveSequenceSections), so everything is decoded now; otherwise units are decoded on demand.
    const decodeEverything = !this.isRelocatable && this.hasOverlappingSections();
    if (decodeEverything) primeLineDecoder(!this.elf.is64, this.elf.section('.debug_line')?.size ?? 0);
    this.lineInfo = openElfLineTables(this.elf);
    const reader = this.lineInfo.reader;
    this.lines = reader?.tables ?? { rows: new LineRows(), sequences: [], files: [], units: [], errors: [] };
    this.warnings.push(...this.lineInfo.errors.map((e) => this.withPath(e)));
    this.syncWarnings();
    this.hasLineInfo = !!reader && Array.from({ length: reader.unitCount }, (_, u) => reader.hasProgram(u)).some((x) => x);
    if (decodeEverything) this.decodeAllUnits();
  }

  private withPath(e: string): string {
    return e.startsWith(this.path) ? e : `${this.path}: ${e}`;
  }

  private syncWarnings(): void {
    const errs = this.lines.errors;
    for (; this.errorsSeen < errs.length; this.errorsSeen++) this.warnings.push(this.withPath(errs[this.errorsSeen]));
  }

  private hasOverlappingSections(): boolean {
    const secs = [...this.allocSections].sort((a, b) => a.address - b.address);
    for (let i = 1; i < secs.length; i++) if (secs[i].address < secs[i - 1].address + secs[i - 1].size) return true;
    return false;
  }

  /** Decodes the given line units if needed; indexes over decoded rows are rebuilt when any was new. */
  private decodeUnits(units: Iterable<number>): void {
    const reader = this.lineInfo.reader;
    if (!reader) return;
    let changed = false;
    for (const u of units) if (reader.decode(u)) changed = true;
    if (changed) this.rowsChanged();
  }

  /** Decodes every line unit not decoded yet, all at once (LineTableReader.decodeAll). */
  private decodeAllUnits(): void {
    if (this.lineInfo.reader?.decodeAll()) this.rowsChanged();
  }

  /** Indexes over the decoded rows are rebuilt on next use. */
  private rowsChanged(): void {
    this.syncWarnings();
    this.seqOrder = undefined;
    this.seqStartSorted = undefined;
    this.seqMaxEnd = undefined;
    this.seqSections = undefined;
    this.fileLineCache.clear();
  }

  /** Line units that may have rows for `key`: those whose address ranges contain it, plus those without ranges. */
  private unitsForAddress(key: number): number[] {
    const out = new Set(this.lineInfo.unitsWithoutRanges);
    for (const r of this.lineInfo.ranges) if (key >= r.start && key < r.end) out.add(r.unit);
    return [...out];
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
    this.decodeAllUnits();
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
    if (!this.hasLineInfo) return undefined;
    const key = this.toKey(addr);
    this.decodeUnits(this.unitsForAddress(key));
    if (!this.seqOrder) this.buildSequenceIndex();
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

  /** Breakpoint candidates of one file (is_stmt rows that are not sequence ends), ordered by
   *  line then row, with their lines: one pass over the rows of the units that name the file,
   *  built when the file is first asked about. */
  private fileLines(f: number): { line: Uint32Array; row: Uint32Array } {
    let cached = this.fileLineCache.get(f);
    if (cached) return cached;
    const rows = this.lines.rows;
    const flags = rows.flags;
    const files = rows.file;
    const lines = rows.line;
    const units = this.lines.units.filter((u) => u.fileIds.includes(f));
    let row = new Uint32Array(units.reduce((t, u) => t + (u.rowEnd - u.rowStart), 0));
    let k = 0;
    for (const u of units) {
      for (let i = u.rowStart; i < u.rowEnd; i++) {
        if (files[i] === f && (flags[i] & (ROW_IS_STMT | ROW_END_SEQUENCE)) === ROW_IS_STMT) row[k++] = i;
      }
    }
    row = row.subarray(0, k);
    let sorted = true;
    for (let j = 1; j < k && sorted; j++) sorted = lines[row[j - 1]] <= lines[row[j]];
    // Assembly sources are usually already in line order; compiled code is not.
    if (!sorted) row = row.slice().sort((x, y) => lines[x] - lines[y] || x - y);
    const line = new Uint32Array(k);
    for (let j = 0; j < k; j++) line[j] = lines[row[j]];
    cached = { line, row };
    this.fileLineCache.set(f, cached);
    return cached;
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
    const ids = this.matchFiles(file);
    if (ids.length === 0) return [];
    const wanted = new Set(ids);
    this.decodeUnits(this.lines.units.flatMap((u, i) => (u.fileIds.some((f) => wanted.has(f)) ? [i] : [])));
    const rows = this.lines.rows;
    // The nearest line with code across the matching files.
    let target = Infinity;
    for (const f of ids) {
      const { line: lines } = this.fileLines(f);
      const k = lastAtOrBelow(lines, 0, lines.length, line - 1) + 1;
      if (k < lines.length && lines[k] < target) target = lines[k];
    }
    if (target === Infinity) return [];
    const bySequence = new Map<number, number>();
    for (const f of ids) {
      const { line: lines, row: rowIdx } = this.fileLines(f);
      for (let k = lastAtOrBelow(lines, 0, lines.length, target - 1) + 1; k < lines.length && lines[k] === target; k++) {
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
