/**
 * A bounds-checked little-endian cursor over a Buffer, with the LEB128 and string readers DWARF
 * needs. Every read past the end throws a FormatError naming what was being read, so callers
 * can turn corrupt input into one clear message instead of a RangeError deep in Node.
 */

/** The one error type the ELF/DWARF readers throw for malformed input. */
export class FormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FormatError';
  }
}

export class ByteReader {
  /** Current absolute offset into `buf`. */
  pos: number;

  /** Reads `buf[start, end)`; `end` defaults to the buffer's length. */
  constructor(
    readonly buf: Buffer,
    start = 0,
    readonly end = buf.length,
    /** Used in error messages, e.g. ".debug_line". */
    readonly what = 'data',
  ) {
    if (start < 0 || end > buf.length || start > end) {
      throw new FormatError(`${what}: range ${start}..${end} outside the ${buf.length}-byte file`);
    }
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  /** Throws unless `n` more bytes are available. */
  need(n: number, field: string): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new FormatError(`${this.what}: truncated reading ${field} at offset 0x${this.pos.toString(16)} (need ${n} bytes, ${Math.max(0, this.end - this.pos)} left)`);
    }
  }

  skip(n: number, field = 'bytes'): void {
    this.need(n, field);
    this.pos += n;
  }

  u8(field = 'u8'): number {
    this.need(1, field);
    return this.buf[this.pos++];
  }

  i8(field = 'i8'): number {
    this.need(1, field);
    return this.buf.readInt8(this.pos++);
  }

  u16(field = 'u16'): number {
    this.need(2, field);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 2;
    return b[p] | (b[p + 1] << 8);
  }

  u32(field = 'u32'): number {
    this.need(4, field);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16)) + b[p + 3] * 0x1000000;
  }

  /** 64-bit unsigned as a Number; throws if it exceeds 2^53 (offsets and sizes only). */
  u64Number(field = 'u64'): number {
    this.need(8, field);
    const lo = this.buf.readUInt32LE(this.pos);
    const hi = this.buf.readUInt32LE(this.pos + 4);
    this.pos += 8;
    if (hi > 0x1fffff) throw new FormatError(`${this.what}: ${field} 0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')} is too large`);
    return hi * 0x100000000 + lo;
  }

  /** 64-bit value as a signed Number ("address key"): exact for addresses below 2^53 and for
   *  higher-half addresses (0xffff8000_00000000 and up), which covers every real mapping. */
  i64Number(field = 'i64'): number {
    this.need(8, field);
    const lo = this.buf.readUInt32LE(this.pos);
    const hi = this.buf.readInt32LE(this.pos + 4);
    this.pos += 8;
    return hi * 0x100000000 + lo;
  }

  /** Unsigned integer of 1, 2, 4 or 8 bytes (8 → u64Number). */
  uN(size: number, field: string): number {
    switch (size) {
      case 1: return this.u8(field);
      case 2: return this.u16(field);
      case 4: return this.u32(field);
      case 8: return this.u64Number(field);
      default: throw new FormatError(`${this.what}: unsupported ${size}-byte ${field}`);
    }
  }

  /** Address of `size` bytes as an address key (see i64Number for 8-byte addresses). */
  address(size: number, field = 'address'): number {
    switch (size) {
      case 1: return this.u8(field);
      case 2: return this.u16(field);
      case 4: return this.u32(field);
      case 8: return this.i64Number(field);
      default: throw new FormatError(`${this.what}: unsupported address size ${size}`);
    }
  }

  uleb(field = 'ULEB128'): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      if (this.pos >= this.end) throw new FormatError(`${this.what}: truncated ${field} at offset 0x${this.pos.toString(16)}`);
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) break;
      mul *= 128;
      // Values past 2^53 are never legitimate here; keep consuming bytes but stop growing.
      if (mul > 2 ** 56) mul = 2 ** 56;
    }
    return result;
  }

  sleb(field = 'SLEB128'): number {
    let result = 0;
    let mul = 1;
    let b = 0;
    for (;;) {
      if (this.pos >= this.end) throw new FormatError(`${this.what}: truncated ${field} at offset 0x${this.pos.toString(16)}`);
      b = this.buf[this.pos++];
      result += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) break;
      if (mul > 2 ** 56) mul = 2 ** 56;
    }
    if (b & 0x40) result -= mul;
    return result;
  }

  /** NUL-terminated string (UTF-8). */
  cstring(field = 'string'): string {
    const nul = indexOfNul(this.buf, this.pos, this.end);
    if (nul < 0) throw new FormatError(`${this.what}: unterminated ${field} at offset 0x${this.pos.toString(16)}`);
    const s = this.buf.toString('utf8', this.pos, nul);
    this.pos = nul + 1;
    return s;
  }
}

/** NUL-terminated string at `offset` in a string table `[start, end)` of `buf`. */
export function stringAt(buf: Buffer, start: number, end: number, offset: number, what: string): string {
  const at = start + offset;
  if (offset < 0 || at >= end) throw new FormatError(`${what}: string offset 0x${offset.toString(16)} outside the table`);
  const nul = indexOfNul(buf, at, end);
  if (nul < 0) throw new FormatError(`${what}: unterminated string at offset 0x${offset.toString(16)}`);
  return buf.toString('utf8', at, nul);
}

/** Index of the first NUL in `buf[from, end)`, or -1. A plain loop: the strings are short, and
 *  Buffer.indexOf's argument handling costs more than the scan while the JIT is cold. */
function indexOfNul(buf: Buffer, from: number, end: number): number {
  for (let i = from; i < end; i++) if (buf[i] === 0) return i;
  return -1;
}
