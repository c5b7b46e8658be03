/**
 * .debug_aranges: the address ranges of each compile unit, which let the line-table reader
 * find the one unit to decode for an address without decoding the others.
 */
import { ByteReader, FormatError } from './byteReader';

export interface ArangeEntry {
  /** Offset of the compile unit in .debug_info. */
  infoOffset: number;
  /** Address keys, [start, end). */
  start: number;
  end: number;
}

/** All ranges; a corrupt set ends the scan and is reported through `errors`. */
export function readAranges(data: Buffer, errors: string[]): ArangeEntry[] {
  const out: ArangeEntry[] = [];
  let at = 0;
  while (at + 4 <= data.length) {
    const r = new ByteReader(data, at, data.length, '.debug_aranges');
    try {
      let length = r.u32('unit_length');
      let offsetSize = 4;
      if (length === 0xffffffff) {
        length = r.u64Number('unit_length');
        offsetSize = 8;
      }
      const end = r.pos + length;
      if (end > data.length) throw new FormatError(`.debug_aranges: set at 0x${at.toString(16)} runs past the section end`);
      const u = new ByteReader(data, r.pos, end, '.debug_aranges');
      const version = u.u16('version');
      if (version !== 2) throw new FormatError(`.debug_aranges: unsupported version ${version}`);
      const infoOffset = u.uN(offsetSize, 'debug_info_offset');
      const addressSize = u.u8('address_size');
      const segmentSize = u.u8('segment_size');
      if (addressSize !== 2 && addressSize !== 4 && addressSize !== 8) throw new FormatError(`.debug_aranges: address size ${addressSize}`);
      // Tuples start at a multiple of their size, counted from the start of the set.
      const tuple = 2 * addressSize;
      const rel = u.pos - at;
      u.skip((tuple - (rel % tuple)) % tuple, 'padding');
      while (u.remaining >= tuple + segmentSize) {
        if (segmentSize) u.skip(segmentSize, 'segment');
        const start = u.address(addressSize, 'address');
        const len = u.address(addressSize, 'length');
        if (start === 0 && len === 0) break;
        if (len > 0) out.push({ infoOffset, start, end: start + len });
      }
      at = end;
    } catch (e) {
      if (!(e instanceof FormatError)) throw e;
      errors.push(e.message);
      break;
    }
  }
  return out;
}
