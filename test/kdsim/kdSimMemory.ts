/**
 * Sparse memory for the simulated machine: 4 KB pages that exist or not, so reads that cross into
 * an unmapped page return the readable prefix, as a real kernel's KdpReadVirtualMemory does.
 *
 * Addresses are plain numbers: 32-bit for x86; for x64 the low 48 bits of a canonical address
 * (exact in a double), converted to and from the 64-bit wire form by toWire / fromWire.
 */
export const PAGE_SIZE = 0x1000;
const TWO_48 = 2 ** 48;

export class SparseMemory {
  private readonly pages = new Map<number, Uint8Array>();
  /** Bytes of a native pointer. */
  readonly ptrSize: 4 | 8;

  constructor(readonly addressBits: 32 | 48 = 32) {
    this.ptrSize = addressBits === 32 ? 4 : 8;
  }

  private norm(addr: number): number {
    return this.addressBits === 32 ? addr >>> 0 : ((addr % TWO_48) + TWO_48) % TWO_48;
  }

  private get limit(): number {
    return this.addressBits === 32 ? 2 ** 32 : TWO_48;
  }

  /** Make [addr, addr+len) present (zero-filled where new). */
  map(addr: number, len: number): void {
    const a = this.norm(addr);
    const first = Math.floor(a / PAGE_SIZE);
    const last = Math.floor((a + Math.max(len, 1) - 1) / PAGE_SIZE);
    for (let p = first; p <= last; p++) if (!this.pages.has(p)) this.pages.set(p, new Uint8Array(PAGE_SIZE));
  }

  isMapped(addr: number): boolean {
    return this.pages.has(Math.floor(this.norm(addr) / PAGE_SIZE));
  }

  /** Reads up to `len` bytes; stops at the first unmapped page (the result may be shorter). */
  read(addr: number, len: number): Buffer {
    const out = Buffer.alloc(len);
    let done = 0;
    let a = this.norm(addr);
    while (done < len) {
      const page = this.pages.get(Math.floor(a / PAGE_SIZE));
      if (!page) break;
      const off = a % PAGE_SIZE;
      const n = Math.min(len - done, PAGE_SIZE - off);
      out.set(page.subarray(off, off + n), done);
      done += n;
      a += n;
      if (a >= this.limit) break; // no wrap-around past the top of the address space
    }
    return out.subarray(0, done);
  }

  /** Writes as many bytes as are mapped from `addr` on; returns the count written. */
  write(addr: number, data: Uint8Array): number {
    let done = 0;
    let a = this.norm(addr);
    while (done < data.length) {
      const page = this.pages.get(Math.floor(a / PAGE_SIZE));
      if (!page) break;
      const off = a % PAGE_SIZE;
      const n = Math.min(data.length - done, PAGE_SIZE - off);
      page.set(data.subarray(done, done + n), off);
      done += n;
      a += n;
      if (a >= this.limit) break;
    }
    return done;
  }

  /** Maps and writes (for building the image). */
  poke(addr: number, data: Uint8Array): void {
    this.map(addr, data.length);
    this.write(addr, data);
  }

  u8(addr: number): number | undefined {
    const b = this.read(addr, 1);
    return b.length === 1 ? b[0] : undefined;
  }

  u32(addr: number): number | undefined {
    const b = this.read(addr, 4);
    return b.length === 4 ? b.readUInt32LE(0) : undefined;
  }

  /** A native pointer stored at `addr`, as an address number. */
  ptr(addr: number): number | undefined {
    if (this.ptrSize === 4) return this.u32(addr);
    const b = this.read(addr, 8);
    return b.length === 8 ? this.fromWire(b.readBigUInt64LE(0)) : undefined;
  }

  pokeU32(addr: number, value: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value >>> 0, 0);
    this.poke(addr, b);
  }

  pokeU16(addr: number, value: number): void {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(value & 0xffff, 0);
    this.poke(addr, b);
  }

  /** A native pointer (4 bytes on x86, 8 canonical bytes on x64). */
  pokePtr(addr: number, value: number): void {
    if (this.ptrSize === 4) return this.pokeU32(addr, value);
    this.pokePtr64(addr, value);
  }

  /** A 64-bit pointer field (sign-extended on x86, §2.4; canonical on x64). */
  pokePtr64(addr: number, value: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(this.toWire(value), 0);
    this.poke(addr, b);
  }

  /** The 64-bit form of an address as the protocol carries it. */
  toWire(value: number): bigint {
    return this.addressBits === 32 ? signExtend32(value) : canonical48(value);
  }

  /** An address as this machine sees it, from its 64-bit wire form. */
  fromWire(value: bigint): number {
    return this.addressBits === 32 ? Number(value & 0xffffffffn) : Number(value & 0xffffffffffffn);
  }

  get mappedPageCount(): number {
    return this.pages.size;
  }
}

export function signExtend32(value: number): bigint {
  const v = value >>> 0;
  return v >= 0x80000000 ? BigInt(v) | 0xffffffff00000000n : BigInt(v);
}

/** Canonical x64 form of a 48-bit address (bits 63..48 copy bit 47). */
export function canonical48(value: number): bigint {
  const v = BigInt(value) & 0xffffffffffffn;
  return v & 0x800000000000n ? v | 0xffff000000000000n : v;
}
