/**
 * DWARF attribute forms (DWARF 2–5 plus the GNU extensions gcc/gas emit): how to read or skip
 * each one. Shared by the compile-unit reader (.debug_info) and the v5 line-table header.
 */
import { ByteReader, FormatError, stringAt } from './byteReader';

export const DW_FORM = {
  addr: 0x01, block2: 0x03, block4: 0x04, data2: 0x05, data4: 0x06, data8: 0x07, string: 0x08,
  block: 0x09, block1: 0x0a, data1: 0x0b, flag: 0x0c, sdata: 0x0d, strp: 0x0e, udata: 0x0f,
  ref_addr: 0x10, ref1: 0x11, ref2: 0x12, ref4: 0x13, ref8: 0x14, ref_udata: 0x15, indirect: 0x16,
  sec_offset: 0x17, exprloc: 0x18, flag_present: 0x19, strx: 0x1a, addrx: 0x1b, ref_sup4: 0x1c,
  strp_sup: 0x1d, data16: 0x1e, line_strp: 0x1f, ref_sig8: 0x20, implicit_const: 0x21,
  loclistx: 0x22, rnglistx: 0x23, ref_sup8: 0x24, strx1: 0x25, strx2: 0x26, strx3: 0x27, strx4: 0x28,
  addrx1: 0x29, addrx2: 0x2a, addrx3: 0x2b, addrx4: 0x2c,
  GNU_addr_index: 0x1f01, GNU_str_index: 0x1f02, GNU_ref_alt: 0x1f20, GNU_strp_alt: 0x1f21,
} as const;

/** Sizes that do not depend on the unit. `undefined` marks the variable or unit-dependent ones. */
const FIXED_SIZE: Record<number, number> = {
  [DW_FORM.data1]: 1, [DW_FORM.ref1]: 1, [DW_FORM.flag]: 1, [DW_FORM.strx1]: 1, [DW_FORM.addrx1]: 1,
  [DW_FORM.data2]: 2, [DW_FORM.ref2]: 2, [DW_FORM.strx2]: 2, [DW_FORM.addrx2]: 2,
  [DW_FORM.strx3]: 3, [DW_FORM.addrx3]: 3,
  [DW_FORM.data4]: 4, [DW_FORM.ref4]: 4, [DW_FORM.ref_sup4]: 4, [DW_FORM.strx4]: 4, [DW_FORM.addrx4]: 4,
  [DW_FORM.data8]: 8, [DW_FORM.ref8]: 8, [DW_FORM.ref_sig8]: 8, [DW_FORM.ref_sup8]: 8,
  [DW_FORM.data16]: 16, [DW_FORM.flag_present]: 0, [DW_FORM.implicit_const]: 0,
};

/** Forms whose value is an offset of the unit's offset size (4 in 32-bit DWARF, 8 in 64-bit). */
const OFFSET_FORMS = new Set<number>([
  DW_FORM.strp, DW_FORM.line_strp, DW_FORM.sec_offset, DW_FORM.strp_sup, DW_FORM.GNU_ref_alt, DW_FORM.GNU_strp_alt,
]);

export interface UnitEncoding {
  version: number;
  offsetSize: 4 | 8;
  addressSize: number;
}

/** String sections an attribute value may point into. */
export interface StringSections {
  str?: Buffer;
  lineStr?: Buffer;
}

/** A read attribute value: a number, a string, or raw bytes (blocks, data16). */
export type FormValue = number | string | Buffer;

/** Reads one value of `form`; strings in .debug_str/.debug_line_str are resolved. */
export function readForm(r: ByteReader, form: number, enc: UnitEncoding, strs: StringSections, implicitConst = 0): FormValue {
  if (form === DW_FORM.indirect) return readForm(r, r.uleb('DW_FORM_indirect'), enc, strs, implicitConst);
  if (form === DW_FORM.implicit_const) return implicitConst;
  if (form === DW_FORM.string) return r.cstring('DW_FORM_string');
  if (form === DW_FORM.strp || form === DW_FORM.line_strp) {
    const off = r.uN(enc.offsetSize, 'string offset');
    const sec = form === DW_FORM.strp ? strs.str : strs.lineStr;
    const name = form === DW_FORM.strp ? '.debug_str' : '.debug_line_str';
    if (!sec) throw new FormatError(`${r.what}: string refers to ${name}, which is missing`);
    return stringAt(sec, 0, sec.length, off, name);
  }
  if (OFFSET_FORMS.has(form)) return r.uN(enc.offsetSize, 'offset');
  if (form === DW_FORM.addr) return r.address(enc.addressSize, 'DW_FORM_addr');
  if (form === DW_FORM.ref_addr) return r.uN(enc.version <= 2 ? enc.addressSize : enc.offsetSize, 'DW_FORM_ref_addr');
  if (form === DW_FORM.sdata) return r.sleb('DW_FORM_sdata');
  if (form === DW_FORM.udata || form === DW_FORM.ref_udata || form === DW_FORM.strx || form === DW_FORM.addrx ||
      form === DW_FORM.loclistx || form === DW_FORM.rnglistx || form === DW_FORM.GNU_addr_index || form === DW_FORM.GNU_str_index) {
    return r.uleb('ULEB form');
  }
  const blockLen =
    form === DW_FORM.block1 ? r.u8('block1 length')
      : form === DW_FORM.block2 ? r.u16('block2 length')
        : form === DW_FORM.block4 ? r.u32('block4 length')
          : form === DW_FORM.block || form === DW_FORM.exprloc ? r.uleb('block length')
            : -1;
  if (blockLen >= 0) {
    r.need(blockLen, 'block');
    const b = r.buf.subarray(r.pos, r.pos + blockLen);
    r.pos += blockLen;
    return b;
  }
  const size = FIXED_SIZE[form];
  if (size === undefined) throw new FormatError(`${r.what}: unknown attribute form 0x${form.toString(16)}`);
  if (size === 16) {
    r.need(16, 'data16');
    const b = r.buf.subarray(r.pos, r.pos + 16);
    r.pos += 16;
    return b;
  }
  if (size === 3) return r.u16('3-byte form') + r.u8('3-byte form') * 0x10000;
  return size === 0 ? 1 : r.uN(size, 'fixed-size form');
}

/** Byte size of a value of `form` when it does not depend on the data (undefined otherwise):
 *  lets a reader skip attributes it does not need without decoding them. */
export function formSize(form: number, enc: UnitEncoding): number | undefined {
  if (form === DW_FORM.addr) return enc.addressSize;
  if (OFFSET_FORMS.has(form)) return enc.offsetSize;
  if (form === DW_FORM.ref_addr) return enc.version <= 2 ? enc.addressSize : enc.offsetSize;
  return FIXED_SIZE[form];
}
