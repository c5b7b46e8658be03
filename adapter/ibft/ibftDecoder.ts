/**
 * iBFT decoder shared by both debuggers: pure functions over a Buffer (`decodeIbft`) and a thin
 * scanner over a physical-memory read callback (`findIbft`). The public functions never throw:
 * corrupted tables (bad checksum, truncation, offsets or lengths out of range, wrong structure ids)
 * come back as `errors` next to whatever could still be decoded, because a half-broken table is
 * exactly what someone debugging a failing iSCSI boot needs to see.
 * CHAP secrets are redacted unless `revealSecrets` is set.
 */
import {
  CHAP_TYPES,
  CONTROL,
  CONTROL_OFFSET,
  FLAG_BITS,
  IBFT_SIGNATURE,
  INITIATOR,
  IP_SIZE,
  MAX_TABLE_LENGTH,
  NIC,
  NIC_FLAG_GLOBAL,
  NIC_ORIGINS,
  SCAN_ALIGN,
  SCAN_RANGES,
  STRING_FIELD,
  STRUCT_HEADER,
  STRUCTURE_NAMES,
  StructureId,
  TABLE_HEADER,
  TARGET,
  type ChapKind,
} from './ibftLayout';

export interface IbftDecodeOptions {
  /** Show CHAP secrets in clear text (default: redacted). */
  revealSecrets?: boolean;
}

export interface IbftHeader {
  signature: string;
  length: number;
  revision: number;
  checksum: number;
  /** Sum of all `length` bytes mod 256 is 0. */
  checksumValid: boolean;
  oemId: string;
  oemTableId: string;
}

export interface IbftStructure {
  /** Offset of the structure in the table. */
  offset: number;
  version: number;
  length: number;
  index: number;
  flags: number;
  valid: boolean;
  bootSelected: boolean;
  /** "valid, boot selected" */
  flagNames: string[];
}

export interface IbftInitiator extends IbftStructure {
  isnsServer?: string;
  slpServer?: string;
  primaryRadius?: string;
  secondaryRadius?: string;
  name?: string;
}

export interface IbftNic extends IbftStructure {
  /** 0 or 1: which control-structure slot points here. */
  slot: number;
  ip?: string;
  prefix: number;
  origin: number;
  originName: string;
  gateway?: string;
  primaryDns?: string;
  secondaryDns?: string;
  dhcp?: string;
  vlan: number;
  /** "52:54:00:12:34:56" */
  mac: string;
  pciBdf: number;
  /** "00:03.0" (bus:device.function, hex) */
  pci: string;
  hostname?: string;
  global: boolean;
}

export interface IbftTarget extends IbftStructure {
  slot: number;
  ip?: string;
  port: number;
  /** The 8 LUN bytes as hex: "0001000000000000". */
  lunHex: string;
  /** sanbootconf's form "0001-0000-0000-0000". */
  lun: string;
  /** The LUN number for peripheral/flat addressing with single-level LUNs, else undefined. */
  lunNumber?: number;
  chapType: number;
  chapKind: ChapKind | 'unknown';
  nicIndex: number;
  name?: string;
  chapName?: string;
  /** The secret, or a redaction marker; undefined when the table holds none. */
  chapSecret?: string;
  reverseChapName?: string;
  reverseChapSecret?: string;
  secretsRedacted: boolean;
}

export interface IbftTable {
  header: IbftHeader;
  control?: { version: number; length: number; extensions: number; offsets: { initiator: number; nics: number[]; targets: number[] } };
  initiator?: IbftInitiator;
  nics: IbftNic[];
  targets: IbftTarget[];
}

export interface IbftDecodeResult {
  /** Present when at least the header could be read. */
  table?: IbftTable;
  /** Problems that make the table (or part of it) unusable. */
  errors: string[];
  /** Oddities that do not stop decoding (versions, index mismatches, missing NULs). */
  warnings: string[];
}

/** Text shown instead of a secret. */
export function redactedSecret(length: number): string {
  return `<redacted, ${length} character${length === 1 ? '' : 's'}>`;
}

// ---- small field readers ----

function ascii(buf: Buffer, start: number, length: number): string {
  let out = '';
  for (let i = start; i < start + length && i < buf.length; i++) {
    const c = buf[i];
    if (c === 0) break;
    out += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** A 16-byte iBFT address → "10.0.2.15" (IPv4-mapped) or IPv6 text; undefined when all zero. */
export function formatIbftIp(bytes: Buffer): string | undefined {
  if (bytes.length !== IP_SIZE || bytes.every((b) => b === 0)) return undefined;
  const mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped) return `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i));
  // Compress the longest run of zero groups (RFC 5952).
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hexes = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hexes.join(':');
  return `${hexes.slice(0, bestStart).join(':')}::${hexes.slice(bestStart + bestLen).join(':')}`;
}

export function formatPci(bdf: number): string {
  const bus = (bdf >> 8) & 0xff;
  const dev = (bdf >> 3) & 0x1f;
  const fn = bdf & 0x7;
  return `${bus.toString(16).padStart(2, '0')}:${dev.toString(16).padStart(2, '0')}.${fn}`;
}

export function formatMac(bytes: Buffer): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** SCSI LUN number when the 8 bytes use single-level peripheral (00b) or flat (01b) addressing. */
export function lunNumberOf(lun: Buffer): number | undefined {
  if (lun.length !== 8 || !lun.subarray(2).every((b) => b === 0)) return undefined;
  const method = lun[0] >> 6;
  if (method === 0) return lun[0] === 0 ? lun[1] : undefined; // peripheral: byte 0 is the bus
  if (method === 1) return ((lun[0] & 0x3f) << 8) | lun[1];
  return undefined;
}

function flagNames(flags: number): string[] {
  return FLAG_BITS.filter((f) => (flags & f.bit) !== 0).map((f) => f.name);
}

// ---- the decoder ----

class TableReader {
  readonly errors: string[] = [];
  readonly warnings: string[] = [];

  constructor(
    readonly buf: Buffer,
    /** Bytes that belong to the table (min of the header's length and what is present). */
    readonly end: number,
  ) {}

  ip(at: number): string | undefined {
    return formatIbftIp(this.buf.subarray(at, at + IP_SIZE));
  }

  /** An iBFT string field at `at` inside the structure `where`. */
  string(at: number, where: string): string | undefined {
    const length = this.buf.readUInt16LE(at + STRING_FIELD.length);
    const offset = this.buf.readUInt16LE(at + STRING_FIELD.offset);
    if (length === 0) return offset === 0 ? undefined : '';
    if (offset === 0) {
      this.errors.push(`${where}: string of ${length} bytes has offset 0`);
      return undefined;
    }
    if (offset + length > this.end) {
      this.errors.push(`${where}: string at offset 0x${offset.toString(16)} with length ${length} runs past the end of the table (${this.end} bytes)`);
      return undefined;
    }
    if (offset + length < this.end && this.buf[offset + length] !== 0) this.warnings.push(`${where}: string at 0x${offset.toString(16)} is not NUL-terminated`);
    return ascii(this.buf, offset, length);
  }

  /** Checks a structure's common header; returns it, or undefined (with an error) when unusable. */
  structure(offset: number, id: StructureId, minSize: number, where: string, expectedIndex?: number): IbftStructure | undefined {
    if (offset + STRUCT_HEADER.size > this.end) {
      this.errors.push(`${where}: offset 0x${offset.toString(16)} is out of range (the table has ${this.end} bytes)`);
      return undefined;
    }
    const gotId = this.buf[offset + STRUCT_HEADER.id];
    if (gotId !== id) {
      this.errors.push(`${where}: at offset 0x${offset.toString(16)} expected a ${STRUCTURE_NAMES[id]} structure (id ${id}) but found id ${gotId}${STRUCTURE_NAMES[gotId] ? ` (${STRUCTURE_NAMES[gotId]})` : ''}`);
      return undefined;
    }
    const length = this.buf.readUInt16LE(offset + STRUCT_HEADER.length);
    if (length < minSize) {
      this.errors.push(`${where}: structure length ${length} is shorter than the ${minSize} bytes a ${STRUCTURE_NAMES[id]} structure has`);
      return undefined;
    }
    if (offset + minSize > this.end) {
      this.errors.push(`${where}: structure at 0x${offset.toString(16)} (${minSize} bytes) runs past the end of the table (${this.end} bytes)`);
      return undefined;
    }
    if (offset + length > this.end) this.warnings.push(`${where}: declared length ${length} runs past the end of the table`);
    const version = this.buf[offset + STRUCT_HEADER.version];
    if (version !== 1) this.warnings.push(`${where}: structure version ${version} (expected 1)`);
    const index = this.buf[offset + STRUCT_HEADER.index];
    if (expectedIndex !== undefined && index !== expectedIndex) this.warnings.push(`${where}: index field is ${index} in slot ${expectedIndex}`);
    const flags = this.buf[offset + STRUCT_HEADER.flags];
    return { offset, version, length, index, flags, valid: (flags & 1) !== 0, bootSelected: (flags & 2) !== 0, flagNames: flagNames(flags) };
  }
}

function decodeInitiator(r: TableReader, offset: number): IbftInitiator | undefined {
  const where = 'initiator';
  const s = r.structure(offset, StructureId.Initiator, INITIATOR.size, where);
  if (!s) return undefined;
  return {
    ...s,
    isnsServer: r.ip(offset + INITIATOR.isnsServer),
    slpServer: r.ip(offset + INITIATOR.slpServer),
    primaryRadius: r.ip(offset + INITIATOR.primaryRadius),
    secondaryRadius: r.ip(offset + INITIATOR.secondaryRadius),
    name: r.string(offset + INITIATOR.name, `${where} name`),
  };
}

function decodeNic(r: TableReader, offset: number, slot: number): IbftNic | undefined {
  const where = `NIC ${slot}`;
  const s = r.structure(offset, StructureId.Nic, NIC.size, where, slot);
  if (!s) return undefined;
  const b = r.buf;
  const origin = b[offset + NIC.origin];
  const pciBdf = b.readUInt16LE(offset + NIC.pciBdf);
  const prefix = b[offset + NIC.prefix];
  if (prefix > 128) r.warnings.push(`${where}: prefix length ${prefix} is larger than 128`);
  return {
    ...s,
    slot,
    ip: r.ip(offset + NIC.ip),
    prefix,
    origin,
    originName: NIC_ORIGINS[origin] ?? `unknown (${origin})`,
    gateway: r.ip(offset + NIC.gateway),
    primaryDns: r.ip(offset + NIC.primaryDns),
    secondaryDns: r.ip(offset + NIC.secondaryDns),
    dhcp: r.ip(offset + NIC.dhcp),
    vlan: b.readUInt16LE(offset + NIC.vlan),
    mac: formatMac(b.subarray(offset + NIC.mac, offset + NIC.mac + 6)),
    pciBdf,
    pci: formatPci(pciBdf),
    hostname: r.string(offset + NIC.hostname, `${where} hostname`),
    global: (s.flags & NIC_FLAG_GLOBAL) !== 0,
  };
}

function decodeTarget(r: TableReader, offset: number, slot: number, opts: IbftDecodeOptions): IbftTarget | undefined {
  const where = `target ${slot}`;
  const s = r.structure(offset, StructureId.Target, TARGET.size, where, slot);
  if (!s) return undefined;
  const b = r.buf;
  const lun = b.subarray(offset + TARGET.lun, offset + TARGET.lun + 8);
  const lunHex = lun.toString('hex');
  const chapType = b[offset + TARGET.chapType];
  const chapKind: ChapKind | 'unknown' = CHAP_TYPES[chapType] ?? 'unknown';
  if (chapKind === 'unknown') r.warnings.push(`${where}: CHAP type ${chapType} is not 0 (none), 1 (one-way) or 2 (mutual)`);
  const secret = (at: number, what: string): string | undefined => {
    const v = r.string(offset + at, `${where} ${what}`);
    if (v === undefined || v === '' || opts.revealSecrets) return v;
    return redactedSecret(v.length);
  };
  return {
    ...s,
    slot,
    ip: r.ip(offset + TARGET.ip),
    port: b.readUInt16LE(offset + TARGET.port),
    lunHex,
    lun: lunHex.match(/.{4}/g)!.join('-'),
    lunNumber: lunNumberOf(lun),
    chapType,
    chapKind,
    nicIndex: b[offset + TARGET.nicIndex],
    name: r.string(offset + TARGET.name, `${where} name`),
    chapName: r.string(offset + TARGET.chapName, `${where} CHAP name`),
    chapSecret: secret(TARGET.chapSecret, 'CHAP secret'),
    reverseChapName: r.string(offset + TARGET.reverseChapName, `${where} reverse CHAP name`),
    reverseChapSecret: secret(TARGET.reverseChapSecret, 'reverse CHAP secret'),
    secretsRedacted: !opts.revealSecrets,
  };
}

/** Decodes a table that starts at `buf[0]`. Never throws. */
export function decodeIbft(buf: Buffer, opts: IbftDecodeOptions = {}): IbftDecodeResult {
  try {
    return decodeUnchecked(buf, opts);
  } catch (err) {
    // Every read is bounds-checked above; this is the last line of defence for the "never throws" promise.
    return { errors: [`iBFT decoder failed: ${(err as Error).message}`], warnings: [] };
  }
}

function decodeUnchecked(buf: Buffer, opts: IbftDecodeOptions): IbftDecodeResult {
  if (buf.length < TABLE_HEADER.size) {
    return { errors: [`truncated: ${buf.length} bytes, but the iBFT header alone has ${TABLE_HEADER.size}`], warnings: [] };
  }
  const signature = buf.toString('latin1', 0, 4);
  if (signature !== IBFT_SIGNATURE) {
    return { errors: [`no iBFT signature: the table starts with ${JSON.stringify(signature)}`], warnings: [] };
  }
  const length = buf.readUInt32LE(TABLE_HEADER.length);
  const errors: string[] = [];
  const minLength = CONTROL_OFFSET + CONTROL.size;
  if (length < minLength) errors.push(`header length ${length} is shorter than header + control structure (${minLength} bytes)`);
  if (length > MAX_TABLE_LENGTH) errors.push(`header length ${length} is larger than any iBFT can be (${MAX_TABLE_LENGTH} bytes)`);
  if (length > buf.length) errors.push(`truncated: the header says ${length} bytes, only ${buf.length} are present`);
  const end = Math.min(Math.max(length, TABLE_HEADER.size), buf.length);
  let sum = 0;
  for (let i = 0; i < end; i++) sum = (sum + buf[i]) & 0xff;
  const checksumValid = length <= buf.length && sum === 0;
  if (!checksumValid && length <= buf.length) errors.push(`bad checksum: the ${length} bytes sum to 0x${sum.toString(16).padStart(2, '0')} mod 256, not 0`);
  const header: IbftHeader = {
    signature,
    length,
    revision: buf[TABLE_HEADER.revision],
    checksum: buf[TABLE_HEADER.checksum],
    checksumValid,
    oemId: ascii(buf, TABLE_HEADER.oemId, 6).trimEnd(),
    oemTableId: ascii(buf, TABLE_HEADER.oemTableId, 8).trimEnd(),
  };
  const r = new TableReader(buf, end);
  r.errors.push(...errors);
  if (header.revision !== 1) r.warnings.push(`table revision ${header.revision} (this decoder knows revision 1)`);
  const table: IbftTable = { header, nics: [], targets: [] };
  const ctl = r.structure(CONTROL_OFFSET, StructureId.Control, CONTROL.size, 'control structure');
  if (!ctl) return { table, errors: r.errors, warnings: r.warnings };
  const at = (field: number) => buf.readUInt16LE(CONTROL_OFFSET + field);
  const offsets = { initiator: at(CONTROL.initiator), nics: [at(CONTROL.nic0), at(CONTROL.nic1)], targets: [at(CONTROL.target0), at(CONTROL.target1)] };
  table.control = { version: ctl.version, length: ctl.length, extensions: at(CONTROL.extensions), offsets };
  // Offsets pointing into the header or control structure are corrupt, not just odd.
  const sane = (offset: number, where: string): boolean => {
    if (offset === 0) return false;
    if (offset < CONTROL_OFFSET + CONTROL.size) {
      r.errors.push(`${where}: offset 0x${offset.toString(16)} points into the table header/control structure`);
      return false;
    }
    return true;
  };
  if (sane(offsets.initiator, 'initiator')) table.initiator = decodeInitiator(r, offsets.initiator);
  offsets.nics.forEach((o, slot) => {
    const nic = sane(o, `NIC ${slot}`) ? decodeNic(r, o, slot) : undefined;
    if (nic) table.nics.push(nic);
  });
  offsets.targets.forEach((o, slot) => {
    const t = sane(o, `target ${slot}`) ? decodeTarget(r, o, slot, opts) : undefined;
    if (t) table.targets.push(t);
  });
  for (const t of table.targets) {
    if (t.valid && !table.nics.some((n) => n.slot === t.nicIndex)) r.warnings.push(`target ${t.slot}: uses NIC ${t.nicIndex}, which the table does not describe`);
  }
  if (!table.initiator && !r.errors.some((e) => e.startsWith('initiator'))) r.warnings.push('no initiator structure');
  return { table, errors: r.errors, warnings: r.warnings };
}

// ---- the scanner ----

/** Reads physical memory; may return fewer bytes than asked (unreadable tail) or throw. */
export type PhysicalReader = (address: number, length: number) => Promise<Buffer>;

export interface IbftScanOptions extends IbftDecodeOptions {
  /** Address to try first (e.g. sanbootconf's "Found iBFT at 9e620"). */
  hint?: number;
  ranges?: ReadonlyArray<{ start: number; end: number }>;
  /** Bytes per read (default 32 KiB). */
  chunkSize?: number;
}

export interface IbftCandidate {
  address: number;
  errors: string[];
}

export interface IbftScanResult {
  /** Address of the first table whose decode had no errors. */
  address?: number;
  result?: IbftDecodeResult;
  /** Every signature seen that did not decode cleanly. */
  rejected: IbftCandidate[];
  /** Reads that failed. */
  errors: string[];
  bytesRead: number;
  /** Human-readable one-liner: where it was found or why not. */
  summary: string;
}

/** After a failed read, the scan resumes at the next page. */
const SKIP_ON_ERROR = 0x1000;

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** Scans the ranges the specification allows for the `iBFT` signature (16-byte aligned). Never throws. */
export async function findIbft(read: PhysicalReader, opts: IbftScanOptions = {}): Promise<IbftScanResult> {
  const out: IbftScanResult = { rejected: [], errors: [], bytesRead: 0, summary: '' };
  const tried = new Set<number>();
  const safeRead = async (address: number, length: number): Promise<Buffer> => {
    try {
      const data = await read(address, length);
      out.bytesRead += data.length;
      return data;
    } catch (err) {
      out.errors.push(`cannot read ${length} bytes at ${hex(address)}: ${(err as Error).message}`);
      return Buffer.alloc(0);
    }
  };
  /** Reads until `length` bytes or a read brings nothing more (readers may cap their reply size). */
  const readFully = async (address: number, length: number): Promise<Buffer> => {
    const parts: Buffer[] = [];
    let got = 0;
    while (got < length) {
      const part = await safeRead(address + got, length - got);
      if (part.length === 0) break;
      parts.push(part);
      got += part.length;
    }
    return Buffer.concat(parts);
  };
  /** Tries the table at `address`; true when it decoded without errors. */
  const tryAt = async (address: number, firstBytes?: Buffer): Promise<boolean> => {
    if (tried.has(address)) return false;
    tried.add(address);
    let head = firstBytes && firstBytes.length >= TABLE_HEADER.size ? firstBytes : await readFully(address, TABLE_HEADER.size);
    if (head.length < TABLE_HEADER.size || head.toString('latin1', 0, 4) !== IBFT_SIGNATURE) {
      if (head.length >= 4) out.rejected.push({ address, errors: [head.length < TABLE_HEADER.size ? 'unreadable' : 'no iBFT signature'] });
      return false;
    }
    const length = Math.min(head.readUInt32LE(TABLE_HEADER.length), MAX_TABLE_LENGTH);
    if (head.length < length) head = await readFully(address, length);
    const result = decodeIbft(head, opts);
    if (result.errors.length === 0) {
      out.address = address;
      out.result = result;
      return true;
    }
    out.rejected.push({ address, errors: result.errors });
    out.result ??= result;
    return false;
  };
  if (opts.hint !== undefined && (await tryAt(opts.hint))) return finish(out, opts);
  const chunk = Math.max(SCAN_ALIGN, (opts.chunkSize ?? 0x8000) & ~(SCAN_ALIGN - 1));
  for (const range of opts.ranges ?? SCAN_RANGES) {
    for (let base = range.start; base < range.end; ) {
      const data = await safeRead(base, Math.min(chunk, range.end - base));
      for (let off = 0; off + 4 <= data.length; off += SCAN_ALIGN) {
        // 'iBFT' = 69 42 46 54
        if (data[off] !== 0x69 || data[off + 1] !== 0x42 || data[off + 2] !== 0x46 || data[off + 3] !== 0x54) continue;
        const tail = data.subarray(off);
        const len = tail.length >= 8 ? tail.readUInt32LE(4) : 0;
        if (await tryAt(base + off, tail.length >= len && len >= TABLE_HEADER.size ? tail.subarray(0, len) : undefined)) return finish(out, opts);
      }
      // A short read ends at an unreadable byte: go on after what came back, or skip that page.
      const advance = data.length & ~(SCAN_ALIGN - 1);
      base = advance > 0 ? base + advance : (base & ~(SKIP_ON_ERROR - 1)) + SKIP_ON_ERROR;
    }
  }
  return finish(out, opts);
}

function finish(out: IbftScanResult, opts: IbftScanOptions): IbftScanResult {
  if (out.address !== undefined) {
    out.summary = `iBFT found at ${hex(out.address)} (${out.result?.table?.header.length} bytes, checksum valid)`;
    if (out.rejected.length > 0) out.summary += `; ${out.rejected.length} other signature${out.rejected.length === 1 ? '' : 's'} rejected`;
  } else if (out.rejected.length > 0) {
    out.summary = `no valid iBFT: ${out.rejected.map((c) => `${hex(c.address)}: ${c.errors[0]}`).join('; ')}`;
  } else {
    const where = (opts.ranges ?? SCAN_RANGES).map((r) => `${hex(r.start)}–${hex(r.end - 1)}`).join(' and ');
    out.summary = `no iBFT signature in ${where}${out.errors.length ? ` (${out.errors.length} read error${out.errors.length === 1 ? '' : 's'})` : ''}`;
  }
  return out;
}
