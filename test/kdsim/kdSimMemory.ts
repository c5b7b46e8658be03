/**
 * Sparse 32-bit memory for the simulated machine: 4 KB pages that exist or not, so reads that
 * cross into an unmapped page return the readable prefix, as a real kernel's KdpReadVirtualMemory does.
 */
export const PAGE_SIZE = 0x1000;

export class SparseMemory {
  private readonly pages = new Map<number, Uint8Array>();

  /** Make [addr, addr+len) present (zero-filled where new). */
  map(addr: number, len: number): void {
    const first = Math.floor((addr >>> 0) / PAGE_SIZE);
    const last = Math.floor(((addr >>> 0) + Math.max(len, 1) - 1) / PAGE_SIZE);
    for (let p = first; p <= last; p++) if (!this.pages.has(p)) this.pages.set(p, new Uint8Array(PAGE_SIZE));
  }

  isMapped(addr: number): boolean {
    return this.pages.has(Math.floor((addr >>> 0) / PAGE_SIZE));
  }

  /** Reads up to `len` bytes; stops at the first unmapped page (the result may be shorter). */
  read(addr: number, len: number): Buffer {
    const out = Buffer.alloc(len);
    let done = 0;
    let a = addr >>> 0;
    while (done < len) {
      const page = this.pages.get(Math.floor(a / PAGE_SIZE));
      if (!page) break;
      const off = a % PAGE_SIZE;
      const n = Math.min(len - done, PAGE_SIZE - off);
      out.set(page.subarray(off, off + n), done);
      done += n;
      a = (a + n) >>> 0;
      if (a === 0 && done < len) break; // wrapped past 4 GB
    }
    return out.subarray(0, done);
  }

  /** Writes as many bytes as are mapped from `addr` on; returns the count written. */
  write(addr: number, data: Uint8Array): number {
    let done = 0;
    let a = addr >>> 0;
    while (done < data.length) {
      const page = this.pages.get(Math.floor(a / PAGE_SIZE));
      if (!page) break;
      const off = a % PAGE_SIZE;
      const n = Math.min(data.length - done, PAGE_SIZE - off);
      page.set(data.subarray(done, done + n), off);
      done += n;
      a = (a + n) >>> 0;
      if (a === 0) break;
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

  /** A 64-bit field holding a sign-extended 32-bit pointer (§2.4). */
  pokePtr64(addr: number, value: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(signExtend32(value), 0);
    this.poke(addr, b);
  }

  get mappedPageCount(): number {
    return this.pages.size;
  }
}

export function signExtend32(value: number): bigint {
  const v = value >>> 0;
  return v >= 0x80000000 ? BigInt(v) | 0xffffffff00000000n : BigInt(v);
}
