/**
 * Reads just the first DIE of every compile unit in .debug_info: its name, DW_AT_comp_dir and
 * DW_AT_stmt_list. DWARF 2–4 line tables name files relative to the compilation directory, which
 * only the CU DIE knows; this is the whole reason the line reader looks at .debug_info.
 */
import { ByteReader, FormatError } from './byteReader';
import { DW_FORM, formSize, readForm, StringSections, UnitEncoding } from './dwarfForms';

const DW_AT = { name: 0x03, stmt_list: 0x10, comp_dir: 0x1b } as const;
const WANTED = new Set<number>([DW_AT.name, DW_AT.stmt_list, DW_AT.comp_dir]);
const DW_UT = { compile: 0x01, type: 0x02, partial: 0x03, skeleton: 0x04, split_compile: 0x05, split_type: 0x06 } as const;

export interface CompUnitInfo {
  /** Offset of the unit in .debug_info. */
  offset: number;
  name?: string;
  compDir?: string;
  /** Offset of the unit's line program in .debug_line. */
  stmtList?: number;
}

interface AbbrevAttr {
  attr: number;
  form: number;
  implicitConst: number;
}

/** Parses the abbreviation with `code` from the table at `offset` in .debug_abbrev. */
function findAbbrev(abbrev: Buffer, offset: number, code: number): AbbrevAttr[] {
  const r = new ByteReader(abbrev, 0, abbrev.length, '.debug_abbrev');
  if (offset >= abbrev.length) throw new FormatError(`.debug_abbrev: table offset 0x${offset.toString(16)} out of range`);
  r.pos = offset;
  for (;;) {
    const c = r.uleb('abbrev code');
    if (c === 0) throw new FormatError(`.debug_abbrev: abbreviation ${code} not found`);
    r.uleb('tag');
    r.u8('has_children');
    const attrs: AbbrevAttr[] = [];
    for (;;) {
      const attr = r.uleb('attribute');
      const form = r.uleb('form');
      const implicitConst = form === DW_FORM.implicit_const ? r.sleb('implicit_const') : 0;
      if (attr === 0 && form === 0) break;
      attrs.push({ attr, form, implicitConst });
    }
    if (c === code) return attrs;
  }
}

/**
 * Every compile unit's top DIE. A unit that cannot be read ends the scan (the units after a
 * corrupt length cannot be located) and is reported through `errors`.
 */
export function readCompUnits(info: Buffer, abbrev: Buffer | undefined, strs: StringSections, errors: string[]): CompUnitInfo[] {
  const units: CompUnitInfo[] = [];
  if (!abbrev) return units;
  let at = 0;
  while (at + 4 <= info.length) {
    const r = new ByteReader(info, at, info.length, '.debug_info');
    let next = -1; // where the following unit starts, once the length is known
    try {
      let length = r.u32('unit_length');
      let offsetSize: 4 | 8 = 4;
      if (length === 0xffffffff) {
        length = r.u64Number('unit_length');
        offsetSize = 8;
      } else if (length >= 0xfffffff0) {
        throw new FormatError(`.debug_info: reserved unit length 0x${length.toString(16)} at 0x${at.toString(16)}`);
      }
      const end = r.pos + length;
      if (end > info.length) throw new FormatError(`.debug_info: unit at 0x${at.toString(16)} runs past the section end`);
      next = end;
      const u = new ByteReader(info, r.pos, end, '.debug_info');
      const version = u.u16('version');
      if (version < 2 || version > 5) throw new FormatError(`.debug_info: unsupported DWARF version ${version} at 0x${at.toString(16)}`);
      let unitType: number = DW_UT.compile;
      let abbrevOffset: number;
      let addressSize: number;
      if (version >= 5) {
        unitType = u.u8('unit_type');
        addressSize = u.u8('address_size');
        abbrevOffset = u.uN(offsetSize, 'debug_abbrev_offset');
        if (unitType === DW_UT.skeleton || unitType === DW_UT.split_compile) u.skip(8, 'dwo_id');
        else if (unitType === DW_UT.type || unitType === DW_UT.split_type) u.skip(8 + offsetSize, 'type signature');
      } else {
        abbrevOffset = u.uN(offsetSize, 'debug_abbrev_offset');
        addressSize = u.u8('address_size');
      }
      const enc: UnitEncoding = { version, offsetSize, addressSize };
      const unit: CompUnitInfo = { offset: at };
      const code = u.uleb('abbrev code');
      if (code !== 0 && (unitType === DW_UT.compile || unitType === DW_UT.partial || unitType === DW_UT.skeleton)) {
        for (const a of findAbbrev(abbrev, abbrevOffset, code)) {
          const size = WANTED.has(a.attr) ? undefined : formSize(a.form, enc);
          if (size !== undefined) {
            u.skip(size, 'attribute'); // producer, low_pc and the like: not worth decoding
            continue;
          }
          const v = readForm(u, a.form, enc, strs, a.implicitConst);
          if (a.attr === DW_AT.name && typeof v === 'string') unit.name = v;
          else if (a.attr === DW_AT.comp_dir && typeof v === 'string') unit.compDir = v;
          else if (a.attr === DW_AT.stmt_list && typeof v === 'number') unit.stmtList = v;
        }
        units.push(unit);
      }
      at = end;
    } catch (e) {
      if (!(e instanceof FormatError)) throw e;
      errors.push(e.message);
      if (next < 0) break;
      at = next;
    }
  }
  return units;
}
