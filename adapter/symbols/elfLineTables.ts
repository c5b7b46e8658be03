/**
 * Glue between the ELF reader and the DWARF readers: gathers .debug_line, .debug_info,
 * .debug_abbrev, .debug_aranges and the string sections (relocated in .o files). Problems never
 * throw: they come back in `errors`, with whatever was readable.
 */
import { FormatError } from './byteReader';
import { ArangeEntry, readAranges } from './dwarfAranges';
import { readCompUnits } from './dwarfCompUnits';
import { LineRows, LineTableReader, LineTables, primeLineDecoder } from './dwarfLineTable';
import { ElfFile } from './elfFile';

export interface ElfLineInfo {
  /** Undefined when there is no (readable) .debug_line. */
  reader?: LineTableReader;
  /** Address ranges mapped to line units (empty when the file has no .debug_aranges). */
  ranges: { start: number; end: number; unit: number }[];
  /** Line units no range points at: an address lookup must decode them to be sure. */
  unitsWithoutRanges: number[];
  errors: string[];
}

/** Opens the line tables without decoding any program (see LineTableReader). */
export function openElfLineTables(elf: ElfFile): ElfLineInfo {
  const lineSec = elf.section('.debug_line');
  if (!lineSec) return { ranges: [], unitsWithoutRanges: [], errors: [] };
  const errors: string[] = [];
  try {
    const optional = (name: string): Buffer | undefined => {
      const s = elf.section(name);
      return s ? elf.relocatedContents(s).data : undefined;
    };
    const strs = { str: optional('.debug_str'), lineStr: optional('.debug_line_str') };
    const info = optional('.debug_info');
    const units = info ? readCompUnits(info, optional('.debug_abbrev'), strs, errors) : [];
    const { data, sectionAt } = elf.relocatedContents(lineSec);
    const reader = new LineTableReader(data, sectionAt, units, strs, !elf.is64);
    const arangesData = optional('.debug_aranges');
    const aranges: ArangeEntry[] = arangesData ? readAranges(arangesData, errors) : [];
    const unitOfInfo = new Map<number, number>();
    for (const cu of units) {
      const u = cu.stmtList !== undefined ? reader.unitAtOffset(cu.stmtList) : undefined;
      if (u !== undefined) unitOfInfo.set(cu.offset, u);
    }
    const ranges: ElfLineInfo['ranges'] = [];
    const covered = new Set<number>();
    for (const a of aranges) {
      const unit = unitOfInfo.get(a.infoOffset);
      if (unit === undefined) continue;
      ranges.push({ start: a.start, end: a.end, unit });
      covered.add(unit);
    }
    const unitsWithoutRanges: number[] = [];
    for (let u = 0; u < reader.unitCount; u++) if (!covered.has(u) && reader.hasProgram(u)) unitsWithoutRanges.push(u);
    return { reader, ranges, unitsWithoutRanges, errors };
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    errors.push(e.message);
    return { ranges: [], unitsWithoutRanges: [], errors };
  }
}

/** Every row of every line program, decoded now (tests and tools). */
export function readElfLineTables(elf: ElfFile): LineTables {
  primeLineDecoder(!elf.is64, elf.section('.debug_line')?.size ?? 0);
  const opened = openElfLineTables(elf);
  const prefix = (e: string): string => (e.startsWith(elf.path) ? e : `${elf.path}: ${e}`);
  if (!opened.reader) return { rows: new LineRows(), sequences: [], files: [], units: [], errors: opened.errors.map(prefix) };
  opened.reader.decodeAll();
  const t = opened.reader.tables;
  t.errors = [...opened.errors, ...t.errors].map(prefix);
  return t;
}
