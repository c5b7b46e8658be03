/**
 * KD serial packet framing (see ../shared/reference/kd/kd-protocol.md §1):
 *
 *   leader u32 ("0000" data / "iiii" control) | type u16 | byteCount u16 | id u32 | checksum u32
 *   | payload (byteCount bytes) | 0xAA trailer (data packets only)
 *
 * This file only frames and unframes bytes. Ids, acknowledgements and retries live in kdLink.ts.
 * The decoder is incremental: feed it arbitrary chunks, it returns whole frames. It never throws
 * and its buffer is bounded by the largest possible frame.
 */

export const DATA_LEADER = 0x30303030;
export const CONTROL_LEADER = 0x69696969;
export const DATA_LEADER_BYTE = 0x30;
export const CONTROL_LEADER_BYTE = 0x69;
export const PACKET_TRAILING_BYTE = 0xaa;
export const BREAKIN_BYTE = 0x62;
export const HEADER_SIZE = 16;
/** Largest payload a target accepts (PACKET_MAX_SIZE). */
export const PACKET_MAX_SIZE = 4000;
export const INITIAL_PACKET_ID = 0x80800000;
export const SYNC_PACKET_ID = 0x00000800;

export enum PacketType {
  StateChange32 = 1,
  StateManipulate = 2,
  DebugIo = 3,
  Acknowledge = 4,
  Resend = 5,
  Reset = 6,
  StateChange64 = 7,
  PollBreakin = 8,
  TraceIo = 9,
  ControlRequest = 10,
  FileIo = 11,
}

/** Types that travel with the data leader. */
const DATA_TYPES: ReadonlySet<number> = new Set([
  PacketType.StateChange32,
  PacketType.StateManipulate,
  PacketType.DebugIo,
  PacketType.StateChange64,
  PacketType.TraceIo,
  PacketType.ControlRequest,
  PacketType.FileIo,
]);
const CONTROL_TYPES: ReadonlySet<number> = new Set([PacketType.Acknowledge, PacketType.Resend, PacketType.Reset]);

export function packetTypeName(type: number): string {
  return PacketType[type] ?? `type ${type}`;
}

/** Plain 32-bit sum of the payload bytes (header and trailer excluded). */
export function kdChecksum(payload: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) sum = (sum + payload[i]) >>> 0;
  return sum;
}

/** A serial id is 0x80800000 or 0x80800001, optionally with the 0x800 sync bit (§11). */
export function isPlausibleDataId(id: number): boolean {
  return ((id & ~(SYNC_PACKET_ID | 1)) >>> 0) === INITIAL_PACKET_ID;
}

export function encodeDataPacket(type: PacketType, id: number, payload: Uint8Array): Buffer {
  if (payload.length > PACKET_MAX_SIZE) throw new RangeError(`KD payload of ${payload.length} bytes exceeds ${PACKET_MAX_SIZE}`);
  const out = Buffer.alloc(HEADER_SIZE + payload.length + 1);
  out.writeUInt32LE(DATA_LEADER, 0);
  out.writeUInt16LE(type, 4);
  out.writeUInt16LE(payload.length, 6);
  out.writeUInt32LE(id >>> 0, 8);
  out.writeUInt32LE(kdChecksum(payload), 12);
  out.set(payload, HEADER_SIZE);
  out[out.length - 1] = PACKET_TRAILING_BYTE;
  return out;
}

export function encodeControlPacket(type: PacketType.Acknowledge | PacketType.Resend | PacketType.Reset, id = 0): Buffer {
  const out = Buffer.alloc(HEADER_SIZE);
  out.writeUInt32LE(CONTROL_LEADER, 0);
  out.writeUInt16LE(type, 4);
  out.writeUInt32LE(id >>> 0, 8);
  return out;
}

export type KdFrame =
  | { kind: 'data'; type: PacketType; id: number; payload: Buffer }
  | { kind: 'control'; type: PacketType.Acknowledge | PacketType.Resend | PacketType.Reset; id: number }
  /** A data frame whose header looked right but whose body did not verify: worth a RESEND. */
  | { kind: 'damaged'; reason: string; type: number; id: number };

export interface DecoderStats {
  frames: number;
  damaged: number;
  /** Bytes skipped while hunting for a leader. */
  garbageBytes: number;
}

/**
 * Incremental frame decoder. Bytes of a frame that fails to verify are re-scanned for the next
 * leader instead of being thrown away: a damaged ByteCount can swallow the retransmission that
 * follows it (§11).
 */
export class KdPacketDecoder {
  private buf: Buffer = Buffer.alloc(0);
  readonly stats: DecoderStats = { frames: 0, damaged: 0, garbageBytes: 0 };

  /** Bytes held while waiting for the rest of a frame. */
  get pending(): number {
    return this.buf.length;
  }

  push(chunk: Uint8Array): KdFrame[] {
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    const out: KdFrame[] = [];
    this.drain(out);
    return out;
  }

  /**
   * The line went quiet in the middle of a frame: that frame is truncated. Reports it as damaged
   * (if it had a plausible header) and re-scans what was held after its leader.
   */
  abandonPartial(): KdFrame[] {
    const out: KdFrame[] = [];
    if (this.buf.length >= 4 && isLeaderAt(this.buf, 0)) {
      if (this.buf.length >= HEADER_SIZE && this.buf.readUInt32LE(0) === DATA_LEADER) {
        this.stats.damaged++;
        out.push({ kind: 'damaged', reason: 'truncated frame', type: this.buf.readUInt16LE(4), id: this.buf.readUInt32LE(8) });
      }
      this.skip(1);
      this.drain(out);
    }
    // Whatever is still held cannot start a complete frame without more bytes; drop a bare
    // leader prefix so a later abandon does not loop on it.
    if (this.buf.length > 0 && this.buf.length < 4) {
      this.stats.garbageBytes += this.buf.length;
      this.buf = Buffer.alloc(0);
    }
    return out;
  }

  reset(): void {
    this.buf = Buffer.alloc(0);
  }

  private skip(n: number): void {
    this.buf = this.buf.subarray(n);
  }

  private drain(out: KdFrame[]): void {
    for (;;) {
      const start = findLeader(this.buf);
      if (start < 0) {
        // Keep a trailing run of leader bytes: it may be the start of a leader.
        let keep = 0;
        while (keep < 3 && keep < this.buf.length) {
          const b = this.buf[this.buf.length - 1 - keep];
          if (b !== DATA_LEADER_BYTE && b !== CONTROL_LEADER_BYTE) break;
          keep++;
        }
        this.stats.garbageBytes += this.buf.length - keep;
        this.buf = Buffer.from(this.buf.subarray(this.buf.length - keep));
        return;
      }
      if (start > 0) {
        this.stats.garbageBytes += start;
        this.skip(start);
      }
      if (this.buf.length < HEADER_SIZE) return;
      const leader = this.buf.readUInt32LE(0);
      const type = this.buf.readUInt16LE(4);
      const byteCount = this.buf.readUInt16LE(6);
      const id = this.buf.readUInt32LE(8);
      const checksum = this.buf.readUInt32LE(12);
      if (leader === CONTROL_LEADER) {
        if (CONTROL_TYPES.has(type) && byteCount === 0) {
          this.stats.frames++;
          out.push({ kind: 'control', type: type as PacketType.Acknowledge, id });
          this.skip(HEADER_SIZE);
        } else {
          this.skip(1);
        }
        continue;
      }
      // Data leader: the header itself is not covered by the checksum, so check it for sense.
      if (!DATA_TYPES.has(type) || byteCount > PACKET_MAX_SIZE || !isPlausibleDataId(id)) {
        this.skip(1);
        continue;
      }
      const total = HEADER_SIZE + byteCount + 1;
      if (this.buf.length < total) return;
      const payload = this.buf.subarray(HEADER_SIZE, HEADER_SIZE + byteCount);
      const trailer = this.buf[total - 1];
      const sum = kdChecksum(payload);
      if (trailer !== PACKET_TRAILING_BYTE || sum !== checksum) {
        this.stats.damaged++;
        out.push({
          kind: 'damaged',
          reason: trailer !== PACKET_TRAILING_BYTE ? `bad trailer 0x${trailer.toString(16)}` : `checksum 0x${sum.toString(16)} != 0x${checksum.toString(16)}`,
          type,
          id,
        });
        this.skip(1);
        continue;
      }
      this.stats.frames++;
      out.push({ kind: 'data', type, id, payload: Buffer.from(payload) });
      this.skip(total);
    }
  }
}

function isLeaderAt(buf: Buffer, i: number): boolean {
  const b = buf[i];
  if (b !== DATA_LEADER_BYTE && b !== CONTROL_LEADER_BYTE) return false;
  return buf[i + 1] === b && buf[i + 2] === b && buf[i + 3] === b;
}

/** Index of the first four identical leader bytes, or -1. */
function findLeader(buf: Buffer): number {
  for (let i = 0; i + 3 < buf.length; i++) {
    if (isLeaderAt(buf, i)) return i;
  }
  return -1;
}
