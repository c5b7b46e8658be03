/**
 * DWARF .debug_line reader, versions 2–5: header (v5 entry formats included), the line-number
 * state machine (standard, extended and special opcodes) and file names resolved to absolute
 * paths through the directory table and the compile unit's DW_AT_comp_dir.
 *
 * Output is columnar (typed arrays) because a large program has millions of rows: one row per
 * state-machine emission, exactly the rows `objdump --dwarf=decodedline` prints, grouped into
 * sequences (runs that end with DW_LNE_end_sequence).
 */
import * as posixPath from 'node:path/posix';
import { ByteReader, FormatError } from './byteReader';
import { CompUnitInfo } from './dwarfCompUnits';
import { readForm, StringSections, UnitEncoding } from './dwarfForms';

export const ROW_IS_STMT = 1;
export const ROW_END_SEQUENCE = 2;

const DW_LNS = {
  copy: 1, advance_pc: 2, advance_line: 3, set_file: 4, set_column: 5, negate_stmt: 6, set_basic_block: 7,
  const_add_pc: 8, fixed_advance_pc: 9, set_prologue_end: 10, set_epilogue_begin: 11, set_isa: 12,
} as const;
const DW_LNE = { end_sequence: 1, set_address: 2, define_file: 3, set_discriminator: 4 } as const;
const DW_LNCT = { path: 1, directory_index: 2, timestamp: 3, size: 4, MD5: 5 } as const;

export interface LineSequence {
  /** Address key of the first row. */
  start: number;
  /** Address key of the end_sequence row (one past the last instruction). */
  end: number;
  /** Index of the first row; rows [firstRow, endRow] belong to the sequence, endRow included. */
  firstRow: number;
  endRow: number;
  /** ELF section index the sequence's addresses are relative to (relocatable objects), or -1. */
  sectionIndex: number;
  /** Index into LineTables.units. */
  unit: number;
}

export interface LineUnit {
  /** Offset of the line program in .debug_line. */
  offset: number;
  version: number;
  /** Compile unit name (DW_AT_name, or the v5 primary file) — what objdump prints as "CU:". */
  name: string;
  compDir?: string;
  /** Global ids of the files in the unit's file table. */
  fileIds: number[];
  /** Rows [rowStart, rowEnd) once decoded (a unit's rows are contiguous); both 0 before. */
  rowStart: number;
  rowEnd: number;
}

/** Columnar row store; the line-program decoder writes into the arrays directly after reserve(). */
export class LineRows {
  count = 0;
  /** Address keys: Uint32Array for 32-bit programs (half the memory, so fewer page faults when
   *  a million rows are decoded), Float64Array otherwise (see ByteReader.i64Number). */
  address: Float64Array | Uint32Array;
  line: Uint32Array;
  /** Ids into LineTables.files: Uint16Array while there are at most 65536 files (again fewer
   *  page faults), widened to Uint32Array by fitFileIds() when a program has more. */
  file: Uint16Array | Uint32Array;
  flags: Uint8Array;

  /** `capacity`: expected rows (a program emits at most one row per byte, so its size bounds it).
   *  `narrowAddresses`: every address fits in 32 bits (a 32-bit ELF). */
  constructor(capacity = 1024, narrowAddresses = false) {
    const n = Math.max(16, Math.min(capacity, 1 << 22));
    this.address = narrowAddresses ? new Uint32Array(n) : new Float64Array(n);
    this.line = new Uint32Array(n);
    this.file = new Uint16Array(n);
    this.flags = new Uint8Array(n);
  }

  /** Makes `file` wide enough for ids below `fileCount` and returns it. */
  fitFileIds(fileCount: number): Uint16Array | Uint32Array {
    if (fileCount > 0x10000 && this.file instanceof Uint16Array) {
      const f = new Uint32Array(this.file.length);
      f.set(this.file); // all of it: a decoder may be writing rows past `count`
      this.file = f;
    }
    return this.file;
  }

  /** Writes a zero into every memory page of rows [from, to) (see LineTableReader.decodeAll). */
  touch(from: number, to: number): void {
    for (const column of [this.address, this.line, this.file, this.flags]) {
      const step = 4096 / column.BYTES_PER_ELEMENT;
      for (let i = from; i < to; i += step) column[i] = 0;
    }
  }

  /** Makes room for at least `n` rows. */
  reserve(n: number): void {
    // Geometric growth: units are decoded one after another, so exact-size growth would copy
    // every earlier row once per unit.
    if (n > this.address.length) this.resize(Math.max(n, Math.min(this.address.length * 2, n + (1 << 22))));
  }

  private resize(n: number): void {
    const used = this.count;
    const a = this.address instanceof Uint32Array ? new Uint32Array(n) : new Float64Array(n);
    a.set(this.address.subarray(0, used));
    this.address = a;
    const l = new Uint32Array(n); l.set(this.line.subarray(0, used)); this.line = l;
    const f = this.file instanceof Uint16Array ? new Uint16Array(n) : new Uint32Array(n);
    f.set(this.file.subarray(0, used));
    this.file = f;
    const g = new Uint8Array(n); g.set(this.flags.subarray(0, used)); this.flags = g;
  }
}

export interface LineTables {
  rows: LineRows;
  sequences: LineSequence[];
  /** Resolved file paths; rows refer to them by index. */
  files: string[];
  units: LineUnit[];
  /** Problems met while reading (the readable parts are still returned). */
  errors: string[];
}

/** `C:\` or `C:/` (drive), or `\\` (UNC). Character tests, not a regular expression: this runs
 *  for every file of every unit at open, while the regexp engine is still cold. */
function isWindowsAbsolute(p: string): boolean {
  if (p.length < 2) return false;
  const c0 = p.charCodeAt(0);
  if (c0 === 0x5c /* \ */) return p.charCodeAt(1) === 0x5c;
  const letter = c0 | 0x20;
  const c2 = p.charCodeAt(2);
  return letter >= 0x61 && letter <= 0x7a && p.charCodeAt(1) === 0x3a /* : */ && (c2 === 0x5c || c2 === 0x2f /* / */);
}

export function isAbsolutePath(p: string): boolean {
  return p.charCodeAt(0) === 0x2f /* / */ || isWindowsAbsolute(p);
}

/** `dir/name`, normalised; `name` wins when absolute. Windows paths keep their separators. */
export function joinPath(dir: string | undefined, name: string): string {
  if (isAbsolutePath(name) || !dir) return isWindowsAbsolute(name) ? name : normalizePosix(name);
  if (isWindowsAbsolute(dir)) return `${dir.replace(/[\\/]+$/, '')}\\${name}`;
  return normalizePosix(`${dir}/${name}`);
}

/** posix normalize, skipped for the usual already-clean path: a unit's every file goes through
 *  here at open, and path.normalize is slow enough to cost a JIT compile on large programs. */
function normalizePosix(p: string): string {
  const clean = p !== '' && !p.includes('//') && !p.includes('/.') && !p.startsWith('.') && !p.endsWith('/');
  return clean ? p : posixPath.normalize(p);
}

/** File table entry as read from a header, before resolution. */
interface RawFileEntry {
  name: string;
  dir: number;
}

interface LineHeader {
  version: number;
  enc: UnitEncoding;
  minInstLength: number;
  defaultIsStmt: boolean;
  lineBase: number;
  lineRange: number;
  opcodeBase: number;
  /** Offset in .debug_line of standard_opcode_lengths[1] (operand counts of opcodes 1..opcodeBase-1). */
  opcodeLengthsAt: number;
  dirs: string[];
  files: RawFileEntry[];
  programStart: number;
  end: number;
}

/** Reads a v5 directory/file entry-format table and its entries. */
function readEntryTable(r: ByteReader, enc: UnitEncoding, strs: StringSections, what: string): Map<number, unknown>[] {
  const formatCount = r.u8(`${what} format count`);
  const formats: [number, number][] = [];
  for (let i = 0; i < formatCount; i++) formats.push([r.uleb(`${what} content type`), r.uleb(`${what} form`)]);
  const count = r.uleb(`${what} count`);
  if (count > r.remaining) throw new FormatError(`${r.what}: ${what} count ${count} exceeds the header size`);
  const entries: Map<number, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const e = new Map<number, unknown>();
    for (const [type, form] of formats) e.set(type, readForm(r, form, enc, strs));
    entries.push(e);
  }
  return entries;
}

function readHeader(r: ByteReader, unitStart: number, strs: StringSections): LineHeader {
  let length = r.u32('unit_length');
  let offsetSize: 4 | 8 = 4;
  if (length === 0xffffffff) {
    length = r.u64Number('unit_length');
    offsetSize = 8;
  } else if (length >= 0xfffffff0) {
    throw new FormatError(`.debug_line: reserved unit length 0x${length.toString(16)} at 0x${unitStart.toString(16)}`);
  }
  const end = r.pos + length;
  if (end > r.end) throw new FormatError(`.debug_line: unit at 0x${unitStart.toString(16)} (length 0x${length.toString(16)}) runs past the section end`);
  const version = r.u16('version');
  if (version < 2 || version > 5) throw new FormatError(`.debug_line: unsupported line table version ${version} at 0x${unitStart.toString(16)}`);
  let addressSize = 0;
  if (version >= 5) {
    addressSize = r.u8('address_size');
    r.u8('segment_selector_size');
  }
  const headerLength = r.uN(offsetSize, 'header_length');
  const programStart = r.pos + headerLength;
  if (programStart > end) throw new FormatError(`.debug_line: header of unit at 0x${unitStart.toString(16)} is longer than the unit`);
  const h = new ByteReader(r.buf, r.pos, programStart, '.debug_line header');
  const minInstLength = h.u8('minimum_instruction_length');
  if (version >= 4) h.u8('maximum_operations_per_instruction');
  const defaultIsStmt = h.u8('default_is_stmt') !== 0;
  const lineBase = h.i8('line_base');
  const lineRange = h.u8('line_range');
  const opcodeBase = h.u8('opcode_base');
  if (lineRange === 0) throw new FormatError(`.debug_line: line_range 0 in unit at 0x${unitStart.toString(16)}`);
  const opcodeLengthsAt = h.pos;
  if (opcodeBase > 0) h.skip(opcodeBase - 1, 'standard_opcode_lengths');
  const enc: UnitEncoding = { version, offsetSize, addressSize };
  const dirs: string[] = [];
  const files: RawFileEntry[] = [];
  if (version >= 5) {
    for (const e of readEntryTable(h, enc, strs, 'directory')) dirs.push(String(e.get(DW_LNCT.path) ?? ''));
    for (const e of readEntryTable(h, enc, strs, 'file name')) {
      files.push({ name: String(e.get(DW_LNCT.path) ?? ''), dir: Number(e.get(DW_LNCT.directory_index) ?? 0) });
    }
  } else {
    // v2–4: directory 0 (the comp dir) and file 0 are implicit; the tables start at index 1.
    dirs.push('');
    for (let d = h.cstring('include_directory'); d !== ''; d = h.cstring('include_directory')) dirs.push(d);
    files.push({ name: '', dir: 0 });
    for (let name = h.cstring('file_name'); name !== ''; name = h.cstring('file_name')) {
      const dir = h.uleb('directory index');
      h.uleb('mtime');
      h.uleb('length');
      files.push({ name, dir });
    }
  }
  return { version, enc, minInstLength, defaultIsStmt, lineBase, lineRange, opcodeBase, opcodeLengthsAt, dirs, files, programStart, end };
}

interface UnitProgram {
  header: LineHeader;
  /** File table entry → global file id (-1 for the unused v2–4 entry 0). */
  fileIdOf: number[];
  resolveFile: (f: RawFileEntry) => number;
  decoded: boolean;
}

/**
 * The line programs of a .debug_line section, decoded unit by unit on demand: opening reads
 * only the unit headers (file tables included), so a debugger pays for the compile units it
 * actually looks at. `sectionAt` maps offsets of relocated DW_LNE_set_address operands to
 * section indices (relocatable objects). Corrupt units are skipped when their length is
 * readable, and reported in `tables.errors`.
 */
export class LineTableReader {
  readonly tables: LineTables;
  private readonly programs: UnitProgram[] = [];
  private readonly unitByOffset = new Map<number, number>();

  constructor(
    private readonly debugLine: Buffer,
    private readonly sectionAt: Map<number, number>,
    compUnits: CompUnitInfo[],
    strs: StringSections,
    /** Addresses are 32-bit (ELFCLASS32): rows store them in a Uint32Array. */
    narrowAddresses = false,
  ) {
    const cuByStmtList = new Map<number, CompUnitInfo>();
    for (const cu of compUnits) if (cu.stmtList !== undefined) cuByStmtList.set(cu.stmtList, cu);
    const out: LineTables = { rows: new LineRows(Math.min(debugLine.length, 1 << 16), narrowAddresses), sequences: [], files: [], units: [], errors: [] };
    this.tables = out;
    const fileIds = new Map<string, number>();
    const fileId = (p: string): number => {
      let id = fileIds.get(p);
      if (id === undefined) {
        id = out.files.length;
        out.files.push(p);
        fileIds.set(p, id);
      }
      return id;
    };

    let at = 0;
    while (at < debugLine.length) {
      const r = new ByteReader(debugLine, at, debugLine.length, '.debug_line');
      let h: LineHeader;
      try {
        h = readHeader(r, at, strs);
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
        out.errors.push(e.message);
        break; // without a trustworthy length the next unit cannot be found
      }
      const cu = cuByStmtList.get(at);
      const compDir = cu?.compDir ?? (h.version >= 5 ? h.dirs[0] : undefined);
      const resolveDir = (i: number): string | undefined => {
        if (h.version < 5 && i === 0) return compDir;
        const d = h.dirs[i];
        if (d === undefined) return compDir;
        return isAbsolutePath(d) ? d : joinPath(compDir, d);
      };
      const resolveFile = (f: RawFileEntry): number => fileId(joinPath(resolveDir(f.dir), f.name));
      const primary = h.version >= 5 ? h.files[0]?.name : h.files[1]?.name;
      const fileIdOf: number[] = h.files.map((f) => (f.name === '' ? -1 : resolveFile(f)));
      this.unitByOffset.set(at, out.units.length);
      out.units.push({ offset: at, version: h.version, name: cu?.name ?? primary ?? '', compDir, fileIds: [...new Set(fileIdOf.filter((x) => x >= 0))], rowStart: 0, rowEnd: 0 });
      this.programs.push({ header: h, fileIdOf, resolveFile, decoded: false });
      at = h.end;
    }
  }

  get unitCount(): number {
    return this.programs.length;
  }

  /** Unit whose line program starts at `offset` in .debug_line (a CU's DW_AT_stmt_list). */
  unitAtOffset(offset: number): number | undefined {
    return this.unitByOffset.get(offset);
  }

  /** Whether the unit's program is non-empty (it may have rows). */
  hasProgram(unit: number): boolean {
    const h = this.programs[unit].header;
    return h.end > h.programStart;
  }

  isDecoded(unit: number): boolean {
    return this.programs[unit].decoded;
  }

  /** Decodes one unit's rows into `tables`; false when it was decoded already. */
  decode(unit: number): boolean {
    const p = this.programs[unit];
    if (!p || p.decoded) return false;
    p.decoded = true;
    // A program emits at most one row per byte: reserve that much once instead of growing.
    this.tables.rows.reserve(this.tables.rows.count + (p.header.end - p.header.programStart) + 1);
    const u = this.tables.units[unit];
    u.rowStart = this.tables.rows.count;
    try {
      runProgram(this.debugLine, p.header, unit, p.fileIdOf, p.resolveFile, this.sectionAt, this.tables);
    } catch (e) {
      if (!(e instanceof FormatError)) throw e;
      this.tables.errors.push(e.message);
    } finally {
      u.rowEnd = this.tables.rows.count;
    }
    return true;
  }

  /** Decodes every unit not decoded yet; false when there was none. */
  decodeAll(): boolean {
    // Size the row store once for everything (a row per program byte bounds it): growing it unit
    // by unit would allocate, page-fault and copy the rows about twice over.
    let bound = this.tables.rows.count;
    for (const p of this.programs) if (!p.decoded) bound += p.header.end - p.header.programStart + 1;
    this.tables.rows.reserve(bound);
    // The kernel maps the new rows' pages in on their first write, a few milliseconds for a
    // million rows. Taking those faults now, one write per page, instead of in the middle of
    // decoding costs nothing extra and gives V8 that much more time to finish compiling the
    // decoder (see primeLineDecoder) before the first row: when it is late, rows are decoded by
    // the interpreter and the decoder gets compiled a second time (on-stack replacement).
    this.tables.rows.touch(this.tables.rows.count, bound);
    let decoded = false;
    for (let i = 0; i < this.programs.length; i++) if (this.decode(i)) decoded = true;
    return decoded;
  }
}

/** Reads and decodes every line program in `debugLine` (see LineTableReader). */
export function readLineTables(
  debugLine: Buffer,
  sectionAt: Map<number, number>,
  compUnits: CompUnitInfo[],
  strs: StringSections,
): LineTables {
  const reader = new LineTableReader(debugLine, sectionAt, compUnits, strs);
  reader.decodeAll();
  return reader.tables;
}

/** File id for a file-table index; unknown indices map to one "<unknown file N>" entry. */
function fileIdFor(index: number, fileIdOf: number[], resolveFile: (f: RawFileEntry) => number): number {
  const id = fileIdOf[index];
  if (id !== undefined && id >= 0) return id;
  return resolveFile({ name: `<unknown file ${index}>`, dir: 0 });
}

function truncated(h: LineHeader, what: string, at: number): FormatError {
  return new FormatError(`.debug_line program at 0x${h.programStart.toString(16)}: truncated ${what} at offset 0x${at.toString(16)}`);
}

interface SpecialOpcodeTable {
  addrAdvance: Int32Array;
  lineAdvance: Int32Array;
}
const specialOpcodeTables = new Map<number, SpecialOpcodeTable>();

/** Address and line advance of every special opcode, computed once per distinct header (all the
 *  units of one compiler share it). Int32: small-integer arithmetic, no heap numbers while the
 *  decoder still runs in the interpreter. */
function specialOpcodeTable(opcodeBase: number, lineBase: number, lineRange: number, minInstLength: number): SpecialOpcodeTable {
  const key = opcodeBase + 256 * (lineBase + 128 + 256 * (lineRange + 256 * minInstLength)); // all bytes
  let t = specialOpcodeTables.get(key);
  if (!t) {
    t = { addrAdvance: new Int32Array(256), lineAdvance: new Int32Array(256) };
    for (let op = opcodeBase; op < 256; op++) {
      t.addrAdvance[op] = Math.floor((op - opcodeBase) / lineRange) * minInstLength;
      t.lineAdvance[op] = lineBase + ((op - opcodeBase) % lineRange);
    }
    specialOpcodeTables.set(key, t);
  }
  return t;
}

/**
 * The line-number state machine's registers between opcodes, plus the row count. A plain object
 * rather than a Float64Array: while the decoder still runs in the interpreter, every read of a
 * Float64Array element boxes a fresh heap number (and the arithmetic on it boxes more), which
 * cost a garbage collection or two per large program; small integers in fields stay unboxed.
 */
class MachineState {
  address = 0;
  line = 1;
  /** File-table index (DW_LNS_set_file operand) and the global file id it maps to. */
  file = 1;
  fileId = 0;
  /** ROW_IS_STMT or 0. */
  stmt = 0;
  /** Rows emitted so far: the next row's index. */
  row = 0;
}

/**
 * Runs the common opcodes of a line program from `pos` — special opcodes, copy, advance_pc,
 * advance_line, set_file, const_add_pc, negate_stmt, set_discriminator and the no-ops
 * (set_column included): nearly every byte of a real program — emitting rows, and returns where
 * it stopped: at the end, at an opcode it leaves to runProgram (other extended opcodes,
 * fixed_advance_pc, unknown ones, a set_file to an unknown index), or at an operand that runs
 * past the end (runProgram then reports it). Kept small on purpose: in a fresh process this is
 * the code the JIT compiles first (see primeLineDecoder), and that compile time, on a background
 * thread, counts in the CPU time like the decoding; opcodes are literals because a property load
 * from a table that a not-yet-taken branch has never run makes the optimised code bail out.
 */
function runCommonOps(
  buf: Buffer, pos: number, end: number, opcodeBase: number, addrAdvance: Int32Array, lineAdvance: Int32Array,
  constAddPc: number, minInstLength: number, fileIdOf: number[], st: MachineState,
  aArr: Float64Array | Uint32Array, lArr: Uint32Array, fArr: Uint16Array | Uint32Array, gArr: Uint8Array,
): number {
  let address = st.address;
  let line = st.line;
  let n = st.row;
  let stmt = st.stmt;
  let fileId = st.fileId;
  // File ids and flags change rarely: rows [fileFrom, n) and [stmtFrom, n) get theirs in one
  // fill() when the value changes or the run ends, which leaves two stores per row, not four.
  let fileFrom = n;
  let stmtFrom = n;
  scan: while (pos < end) {
    let op = buf[pos];
    if (op >= opcodeBase) {
      // A run of special opcodes: nearly every byte of a program, so a loop of its own.
      do {
        address += addrAdvance[op];
        line += lineAdvance[op];
        aArr[n] = address;
        lArr[n] = line;
        n++;
        pos++;
      } while (pos < end && (op = buf[pos]) >= opcodeBase);
      continue;
    }
    if (op !== 1 /* copy */) {
      if (op === 6 /* negate_stmt */) {
        if (stmtFrom < n) gArr.fill(stmt, stmtFrom, n);
        stmtFrom = n;
        stmt ^= 1 /* ROW_IS_STMT */;
        pos++;
        continue;
      }
      if (op === 8 /* const_add_pc */) {
        address += constAddPc;
        pos++;
        continue;
      }
      if (op === 7 /* set_basic_block */ || op === 10 /* set_prologue_end */ || op === 11 /* set_epilogue_begin */) {
        pos++;
        continue;
      }
      if (op !== 2 /* advance_pc */ && op !== 3 /* advance_line */ && op !== 5 /* set_column */ && op !== 4 /* set_file */ && op !== 0) break;
      // One LEB128 operand, read inline.
      let p = pos + 1;
      let v = 0;
      let mul = 1;
      let b = 0x80;
      while (b & 0x80) {
        if (p >= end) break scan; // truncated: runProgram reports it
        b = buf[p++];
        v += (b & 0x7f) * mul;
        if (mul < 2 ** 56) mul *= 128;
      }
      if (op === 2 /* advance_pc */) {
        address += v * minInstLength;
      } else if (op === 3 /* advance_line */) {
        line += b & 0x40 ? v - mul : v;
      } else if (op === 4 /* set_file */) {
        const id = fileIdOf[v];
        if (id === undefined || id < 0) break; // unknown index: runProgram names it
        if (id !== fileId) {
          if (fileFrom < n) fArr.fill(fileId, fileFrom, n);
          fileFrom = n;
          fileId = id;
        }
        st.file = v;
      } else if (op === 0) {
        // Extended opcode: only set_discriminator (and the empty one) is common enough for here.
        if (v !== 0 && (p + v > end || buf[p] !== 4 /* set_discriminator */)) break;
        p += v;
      }
      pos = p;
      continue;
    }
    aArr[n] = address;
    lArr[n] = line;
    n++;
    pos++;
  }
  fArr.fill(fileId, fileFrom, n);
  gArr.fill(stmt, stmtFrom, n);
  st.address = address;
  st.line = line;
  st.row = n;
  st.stmt = stmt;
  st.fileId = fileId;
  return pos;
}

/** A made-up program that takes every branch of runCommonOps (opcode_base 13, line_base -5,
 *  line_range 14): special, copy, negate_stmt, const_add_pc, the no-ops, a two-byte advance_pc,
 *  advance_line both ways, set_column, set_file, set_discriminator, an empty extended opcode,
 *  then end_sequence (where it stops); the second one stops in a truncated operand. */
const WARM_UP = Buffer.from([33, 1, 6, 8, 7, 10, 11, 2, 0x81, 0x01, 3, 0x7f, 3, 0x05, 5, 0x03, 4, 0x01, 0, 0x02, 0x04, 0x01, 0, 0x00, 0, 0x01, 0x01]);
const WARM_UP_TRUNCATED = Buffer.from([20, 2, 0x81]);
/** Enough runs for V8 to give runCommonOps its feedback vector (allocated lazily, after a few
 *  hundred bytecodes) and then record every branch in it. */
const FEEDBACK_RUNS = 40;
/** Enough runs (about 1.6 times what node 20's V8 needs) for V8 to decide runCommonOps is hot
 *  and compile it. Each run is short, so the compile is the normal one, not on-stack replacement. */
const OPTIMIZE_RUNS = 250;
/** Warm-up runs done so far, per address array type. */
const warmUpRuns = new Map<unknown, number>();

/**
 * Runs runCommonOps over WARM_UP, into scratch rows, until it has run `runs` times for this
 * address array type. Before the first real program: the JIT optimises runCommonOps while the
 * first unit is still running, from the branches it has seen so far; any branch first taken
 * later (a C unit's set_column after a hundred assembler units) throws the optimised code away
 * and compiles it again.
 */
function warmUp(addresses: Float64Array | Uint32Array, runs: number): void {
  const kind = addresses.constructor;
  const done = warmUpRuns.get(kind) ?? 0;
  if (done >= runs) return;
  warmUpRuns.set(kind, runs);
  const { addrAdvance, lineAdvance } = specialOpcodeTable(13, -5, 14, 1);
  const scratch = addresses instanceof Uint32Array ? new Uint32Array(64) : new Float64Array(64);
  const lines = new Uint32Array(64);
  const files = new Uint16Array(64); // the usual kind (see LineRows.file)
  const flags = new Uint8Array(64);
  const fileIdOf = [-1, 1]; // WARM_UP's set_file 1 changes the file id
  for (let i = done; i < runs; i++) {
    for (const prog of [WARM_UP, WARM_UP_TRUNCATED]) {
      runCommonOps(prog, 0, prog.length, 13, addrAdvance, lineAdvance, 17, 1, fileIdOf, new MachineState(), scratch, lines, files, flags);
    }
  }
}

/** Below this .debug_line size the interpreter decodes everything in less time than priming costs. */
const PRIME_MIN_BYTES = 64 * 1024;

/**
 * Call before opening a .debug_line of `size` bytes that will be decoded in full: when it is
 * large, warms the decoder up far enough that V8 compiles it right away, on a background
 * thread, while the caller reads the headers; the rows are then decoded by optimised code from
 * the first one, and the decoder is compiled once instead of twice (on-stack replacement, then
 * the normal entry). Costs about a millisecond; a lazy reader that decodes a unit or two is
 * better off without it.
 */
export function primeLineDecoder(narrowAddresses: boolean, size: number): void {
  if (size < PRIME_MIN_BYTES) return;
  warmUp(narrowAddresses ? new Uint32Array(0) : new Float64Array(0), OPTIMIZE_RUNS);
}

/** Reads a LEB128 operand at `pos` (throwing at the program's end) and returns where it ends.
 *  `out.value` gets the unsigned value; subtracting `out.sign` gives the signed one. */
function readUleb(buf: Buffer, pos: number, end: number, h: LineHeader, what: string, out: { value: number; sign: number }): number {
  let v = 0;
  let mul = 1;
  let b = 0x80;
  while (b & 0x80) {
    if (pos >= end) throw truncated(h, what, pos);
    b = buf[pos++];
    v += (b & 0x7f) * mul;
    if (mul < 2 ** 56) mul *= 128;
  }
  out.value = v;
  out.sign = b & 0x40 ? mul : 0;
  return pos;
}

/**
 * The line-number state machine of one unit. runCommonOps does nearly all the work; this loop
 * takes the opcodes it leaves (extended opcodes, define_file, fixed_advance_pc, unknown
 * opcodes, errors) one at a time. No closures, no per-row objects, no BigInt.
 */
function runProgram(
  buf: Buffer,
  h: LineHeader,
  unit: number,
  fileIdOf: number[],
  resolveFile: (f: RawFileEntry) => number,
  sectionAt: Map<number, number>,
  out: LineTables,
): void {
  const rows = out.rows;
  const sequences = out.sequences;
  const minInstLength = h.minInstLength;
  const opcodeBase = h.opcodeBase;
  const initialStmt = h.defaultIsStmt ? ROW_IS_STMT : 0;
  const { addrAdvance, lineAdvance } = specialOpcodeTable(opcodeBase, h.lineBase, h.lineRange, minInstLength);
  const constAddPc = Math.floor((255 - opcodeBase) / h.lineRange) * minInstLength;
  const end = h.end;
  let pos = h.programStart;

  // Every row costs at least one opcode byte, so a row per program byte is always enough and the
  // loops need no capacity checks.
  rows.reserve(rows.count + (end - pos) + 1);
  const aArr = rows.address;
  const lArr = rows.line;
  const gArr = rows.flags;
  warmUp(aArr, FEEDBACK_RUNS);

  const st = new MachineState();
  st.row = rows.count;
  st.stmt = initialStmt;
  st.fileId = fileIdFor(1, fileIdOf, resolveFile);
  // Ids of 65536 and up need the wide file column: checked again wherever a file id may be added.
  let fArr = rows.fitFileIds(out.files.length);
  let seqFirstRow = st.row;
  let seqSection = -1;
  const operand = { value: 0, sign: 0 };
  try {
    while (pos < end) {
      pos = runCommonOps(buf, pos, end, opcodeBase, addrAdvance, lineAdvance, constAddPc, minInstLength, fileIdOf, st, aArr, lArr, fArr, gArr);
      if (pos >= end) break;
      const op = buf[pos++];
      switch (op) {
        case DW_LNS.advance_pc:
          pos = readUleb(buf, pos, end, h, 'advance_pc operand', operand);
          st.address += operand.value * minInstLength;
          break;
        case DW_LNS.advance_line:
          pos = readUleb(buf, pos, end, h, 'advance_line operand', operand);
          st.line += operand.value - operand.sign;
          break;
        case DW_LNS.set_file:
          pos = readUleb(buf, pos, end, h, 'set_file operand', operand);
          st.file = operand.value;
          st.fileId = fileIdFor(st.file, fileIdOf, resolveFile);
          fArr = rows.fitFileIds(out.files.length); // "<unknown file N>" may have been added
          break;
        case DW_LNS.fixed_advance_pc:
          if (pos + 2 > end) throw truncated(h, 'fixed_advance_pc operand', pos);
          st.address += buf[pos] | (buf[pos + 1] << 8);
          pos += 2;
          break;
        case 0: {
          pos = readUleb(buf, pos, end, h, 'extended opcode length', operand);
          const len = operand.value;
          if (len === 0) break;
          if (pos + len > end) throw truncated(h, 'extended opcode', pos);
          const next = pos + len;
          const sub = buf[pos];
          if (sub === DW_LNE.end_sequence) {
            const n = st.row;
            aArr[n] = st.address;
            lArr[n] = st.line;
            fArr[n] = st.fileId;
            gArr[n] = ROW_END_SEQUENCE;
            sequences.push({ start: aArr[seqFirstRow], end: st.address, firstRow: seqFirstRow, endRow: n, sectionIndex: seqSection, unit });
            st.row = seqFirstRow = n + 1;
            seqSection = -1;
            st.address = 0;
            st.line = 1;
            st.file = 1;
            st.fileId = fileIdFor(1, fileIdOf, resolveFile);
            fArr = rows.fitFileIds(out.files.length);
            st.stmt = initialStmt;
          } else if (sub === DW_LNE.set_address) {
            st.address = len === 5 // the usual 4-byte address, read without a ByteReader
              ? (buf[pos + 1] | (buf[pos + 2] << 8) | (buf[pos + 3] << 16)) + buf[pos + 4] * 0x1000000
              : new ByteReader(buf, pos + 1, next, `.debug_line program at 0x${h.programStart.toString(16)}`).address(len - 1, 'DW_LNE_set_address operand');
            const sec = sectionAt.get(pos + 1);
            if (sec !== undefined) seqSection = sec;
          } else if (sub === DW_LNE.define_file) {
            const r = new ByteReader(buf, pos + 1, next, `.debug_line program at 0x${h.programStart.toString(16)}`);
            const name = r.cstring('DW_LNE_define_file name');
            const dir = r.uleb('directory index');
            fileIdOf.push(resolveFile({ name, dir }));
            st.fileId = fileIdFor(st.file, fileIdOf, resolveFile);
            fArr = rows.fitFileIds(out.files.length);
          }
          pos = next; // also skips set_discriminator and unknown extended opcodes
          break;
        }
        default: {
          // set_isa and opcodes this reader does not know: skip their ULEB operands.
          const count = op < h.opcodeBase ? buf[h.opcodeLengthsAt + op - 1] : 0;
          for (let i = 0; i < count; i++) pos = readUleb(buf, pos, end, h, 'standard opcode operand', operand);
        }
      }
    }
  } finally {
    rows.count = st.row; // rows of a unit cut short by corrupt data stay, outside any sequence
  }
  const n = st.row;
  if (n > seqFirstRow) {
    // A program that stops without DW_LNE_end_sequence: keep its rows, as a sequence ending at the last row.
    out.errors.push(`.debug_line: unit at 0x${h.programStart.toString(16)} ends without DW_LNE_end_sequence`);
    sequences.push({ start: rows.address[seqFirstRow], end: rows.address[n - 1], firstRow: seqFirstRow, endRow: n - 1, sectionIndex: seqSection, unit });
  }
}
