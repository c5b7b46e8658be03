/**
 * KD serial framing, written for the TARGET side of the link (the simulator). Independent of the
 * debugger-side code in adapter/kd on purpose: both are built from ../shared/reference/kd/kd-protocol.md
 * (§1), so the tests that connect them check the document, not one implementation against itself.
 */

export const DATA_LEADER = 0x30303030;
export const CONTROL_LEADER = 0x69696969;
export const BREAKIN_BYTE = 0x62;
export const TRAILER_BYTE = 0xaa;
export const HEADER_SIZE = 16;
export const PACKET_MAX_SIZE = 4000;
export const INITIAL_PACKET_ID = 0x80800000;
export const SYNC_PACKET_ID = 0x00000800;

/** Packet types (§1.2). */
export const PacketType = {
  StateChange32: 1,
  StateManipulate: 2,
  DebugIo: 3,
  Acknowledge: 4,
  Resend: 5,
  Reset: 6,
  StateChange64: 7,
  PollBreakin: 8,
  TraceIo: 9,
  ControlRequest: 10,
  FileIo: 11,
} as const;

const CONTROL_TYPES: ReadonlySet<number> = new Set([PacketType.Acknowledge, PacketType.Resend, PacketType.Reset]);
/** Data packet types a host may legitimately send to a target. */
const HOST_DATA_TYPES: ReadonlySet<number> = new Set([PacketType.StateManipulate, PacketType.DebugIo, PacketType.FileIo]);

/** 32-bit sum of the payload bytes (§1.5). */
export function kdChecksum(payload: Uint8Array): number {
  let sum = 0;
  for (const b of payload) sum = (sum + b) >>> 0;
  return sum;
}

/** A complete data packet: header, payload, trailer. */
export function encodeDataPacket(type: number, id: number, payload: Uint8Array): Buffer {
  if (payload.length > PACKET_MAX_SIZE) throw new Error(`KD payload of ${payload.length} bytes exceeds ${PACKET_MAX_SIZE}`);
  const out = Buffer.alloc(HEADER_SIZE + payload.length + 1);
  out.writeUInt32LE(DATA_LEADER, 0);
  out.writeUInt16LE(type, 4);
  out.writeUInt16LE(payload.length, 6);
  out.writeUInt32LE(id >>> 0, 8);
  out.writeUInt32LE(kdChecksum(payload), 12);
  out.set(payload, HEADER_SIZE);
  out[out.length - 1] = TRAILER_BYTE;
  return out;
}

/** A 16-byte control packet (ACK / RESEND / RESET): no payload, no trailer, checksum 0. */
export function encodeControlPacket(type: number, id: number): Buffer {
  const out = Buffer.alloc(HEADER_SIZE);
  out.writeUInt32LE(CONTROL_LEADER, 0);
  out.writeUInt16LE(type, 4);
  out.writeUInt32LE(id >>> 0, 8);
  return out;
}

export type LinkEvent =
  | { kind: 'control'; type: number; id: number }
  | { kind: 'data'; type: number; id: number; payload: Buffer }
  /** A data packet whose header was plausible but whose body was damaged: answer RESEND. */
  | { kind: 'damaged'; reason: string }
  /** A lone 0x62 seen while hunting for a leader. */
  | { kind: 'breakin' };

/** Smallest payload of each host data type: the manipulate (0x38), debug I/O (0x10), file I/O (0x40) headers. */
const MIN_PAYLOAD: Record<number, number> = { [PacketType.StateManipulate]: 0x38, [PacketType.DebugIo]: 0x10, [PacketType.FileIo]: 0x40 };

function isHostPacketId(id: number): boolean {
  const base = (id & ~SYNC_PACKET_ID) >>> 0;
  return base === INITIAL_PACKET_ID || base === INITIAL_PACKET_ID + 1;
}

/**
 * Incremental reader of what the host sends. Hunts for leaders, validates headers (§11: the header
 * is not checksummed, so implausible types, lengths and ids are rejected), re-scans the bytes of a
 * rejected frame for the next leader, and gives up on a frame that stalls for `stallMs`.
 */
export class TargetFrameReader {
  private buf: Buffer = Buffer.alloc(0);
  private stallTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly emit: (ev: LinkEvent) => void,
    private readonly stallMs = 1000,
  ) {}

  feed(chunk: Uint8Array): void {
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    this.parse();
  }

  reset(): void {
    this.buf = Buffer.alloc(0);
    this.clearStall();
  }

  dispose(): void {
    this.reset();
  }

  private clearStall(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
  }

  private parse(): void {
    this.clearStall();
    for (;;) {
      const start = this.findLeader();
      if (start < 0) return;
      if (start > 0) this.buf = this.buf.subarray(start);
      const leaderByte = this.buf[0];
      // Skip duplicated leader bytes: no packet type has a low byte of 0x30 or 0x69.
      let hdr = 4;
      while (hdr < this.buf.length && this.buf[hdr] === leaderByte) hdr++;
      if (this.buf.length < hdr + 12) return this.armStall(false);
      const type = this.buf.readUInt16LE(hdr);
      const count = this.buf.readUInt16LE(hdr + 2);
      const id = this.buf.readUInt32LE(hdr + 4);
      const checksum = this.buf.readUInt32LE(hdr + 8);
      if (leaderByte === 0x69) {
        if (CONTROL_TYPES.has(type) && count === 0) {
          this.buf = this.buf.subarray(hdr + 12);
          this.emit({ kind: 'control', type, id });
        } else {
          this.buf = this.buf.subarray(1);
        }
        continue;
      }
      if (!HOST_DATA_TYPES.has(type) || count > PACKET_MAX_SIZE || !isHostPacketId(id)) {
        this.buf = this.buf.subarray(1);
        continue;
      }
      if (count < (MIN_PAYLOAD[type] ?? 0)) {
        // Too short for its structure: a damaged ByteCount (§11); ask again.
        this.buf = this.buf.subarray(1);
        this.emit({ kind: 'damaged', reason: `type ${type} packet of ${count} bytes` });
        continue;
      }
      const total = hdr + 12 + count + 1;
      if (this.buf.length < total) return this.armStall(true);
      const payload = Buffer.from(this.buf.subarray(hdr + 12, hdr + 12 + count));
      const trailer = this.buf[total - 1];
      if (trailer === TRAILER_BYTE && kdChecksum(payload) === checksum) {
        this.buf = this.buf.subarray(total);
        this.emit({ kind: 'data', type, id, payload });
      } else {
        // Keep the frame's bytes: a retransmission may start inside them (§11).
        this.buf = this.buf.subarray(1);
        this.emit({ kind: 'damaged', reason: trailer === TRAILER_BYTE ? 'checksum mismatch' : 'bad trailer' });
      }
    }
  }

  /** Index of the first leader; bytes before it are discarded (a 0x62 among them is a break-in). */
  private findLeader(): number {
    const b = this.buf;
    let run = 0;
    for (let i = 0; i < b.length; i++) {
      const c = b[i];
      if (c === 0x30 || c === 0x69) {
        run = i > 0 && b[i - 1] === c ? run + 1 : 1;
        if (run === 4) return i - 3;
      } else {
        run = 0;
        if (c === BREAKIN_BYTE) this.emit({ kind: 'breakin' });
      }
    }
    // Keep a possible partial leader at the end.
    const keep = Math.min(run, 3);
    this.buf = b.subarray(b.length - keep);
    return -1;
  }

  private armStall(dataFrame: boolean): void {
    this.stallTimer = setTimeout(() => {
      this.stallTimer = undefined;
      // The frame never completed: drop its first byte, rescan the rest.
      this.buf = this.buf.subarray(1);
      if (dataFrame) this.emit({ kind: 'damaged', reason: 'timeout inside a packet' });
      this.parse();
    }, this.stallMs);
    this.stallTimer.unref?.();
  }
}
