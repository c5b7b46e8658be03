/**
 * Glue between the ELF reader and the DWARF readers: gathers .debug_line, .debug_info,
 * .debug_abbrev and the string sections (relocated in .o files) and returns the decoded line
 * tables. Problems never throw: they come back in `errors`, with whatever was readable.
 */
import { FormatError } from './byteReader';
import { readCompUnits } from './dwarfCompUnits';
import { LineRows, LineTables, readLineTables } from './dwarfLineTable';
import { ElfFile } from './elfFile';

export function readElfLineTables(elf: ElfFile): LineTables {
  const empty = (errors: string[]): LineTables => ({ rows: new LineRows(), sequences: [], files: [], units: [], errors });
  const lineSec = elf.section('.debug_line');
  if (!lineSec) return empty([]);
  const prefix = (e: string): string => `${elf.path}: ${e}`;
  try {
    const optional = (name: string): Buffer | undefined => {
      const s = elf.section(name);
      return s ? elf.relocatedContents(s).data : undefined;
    };
    const strs = { str: optional('.debug_str'), lineStr: optional('.debug_line_str') };
    const errors: string[] = [];
    const info = optional('.debug_info');
    const units = info ? readCompUnits(info, optional('.debug_abbrev'), strs, errors) : [];
    const { data, sectionAt } = elf.relocatedContents(lineSec);
    const tables = readLineTables(data, sectionAt, units, strs);
    tables.errors = [...errors, ...tables.errors].map(prefix);
    return tables;
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    return empty([e.message.startsWith(elf.path) ? e.message : prefix(e.message)]);
  }
}
