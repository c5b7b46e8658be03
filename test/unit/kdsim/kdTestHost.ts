/**
 * A deliberately small KD *host* for testing the simulator, written straight from
 * ../shared/reference/kd/kd-protocol.md §1.4–§1.8 (not from adapter/kd, and not from the simulator's
 * own framing code): it frames, ACKs, drops duplicates, resends, and issues manipulate requests.
 */
import type { Duplex } from 'node:stream';

const INITIAL = 0x80800000;
const SYNC = 0x800;

export interface HostPacket {
  type: number;
  id: number;
  payload: Buffer;
}

function sum(b: Buffer): number {
  let s = 0;
  for (const x of b) s = (s + x) >>> 0;
  return s;
}

export function hostFrame(type: number, id: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(16);
  h.write('0000', 0, 'latin1');
  h.writeUInt16LE(type, 4);
  h.writeUInt16LE(payload.length, 6);
  h.writeUInt32LE(id >>> 0, 8);
  h.writeUInt32LE(sum(payload), 12);
  return Buffer.concat([h, payload, Buffer.from([0xaa])]);
}

export function hostControl(type: number, id = 0): Buffer {
  const h = Buffer.alloc(16);
  h.write('iiii', 0, 'latin1');
  h.writeUInt16LE(type, 4);
  h.writeUInt32LE(id >>> 0, 8);
  return h;
}

export class TestKdHost {
  /** Data packets from the target, in order, duplicates removed. */
  readonly packets: HostPacket[] = [];
  readonly controls: Array<{ type: number; id: number }> = [];
  readonly prints: string[] = [];
  resetsSeen = 0;
  damaged = 0;
  duplicates = 0;
  private buf = Buffer.alloc(0);
  private expect = INITIAL;
  private nextId = INITIAL;
  private waiters: Array<() => void> = [];
  private stall: NodeJS.Timeout | undefined;
  private resetSinceSync = true;
  private lastSync: Buffer | undefined;

  /** Every intact data packet as it arrived, before ACK/duplicate handling. */
  readonly raw: HostPacket[] = [];
  /** false: record packets but never ACK them (to test the target's side of the rules by hand). */
  autoAck = true;

  constructor(
    private readonly stream: Duplex,
    private readonly retryMs = 300,
  ) {
    // Nagle + delayed ACK would hold our small packets back ~40 ms on a TCP socket.
    (stream as Partial<{ setNoDelay(v: boolean): void }>).setNoDelay?.(true);
    stream.on('data', (d: Buffer) => this.onData(d));
  }

  write(b: Buffer): void {
    this.stream.write(b);
  }

  breakIn(): void {
    this.stream.write(Buffer.from([0x62]));
  }

  sendReset(): void {
    this.write(hostControl(6, 0));
  }

  dispose(): void {
    if (this.stall) clearTimeout(this.stall);
    this.stream.removeAllListeners('data');
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    this.parse();
  }

  private parse(): void {
    if (this.stall) clearTimeout(this.stall);
    this.stall = undefined;
    for (;;) {
      let i = 0;
      let found = -1;
      for (; i + 4 <= this.buf.length; i++) {
        const c = this.buf[i];
        if ((c === 0x30 || c === 0x69) && this.buf[i + 1] === c && this.buf[i + 2] === c && this.buf[i + 3] === c) {
          found = i;
          break;
        }
      }
      if (found < 0) {
        this.buf = this.buf.subarray(Math.max(0, this.buf.length - 3));
        return;
      }
      this.buf = this.buf.subarray(found);
      if (this.buf.length < 16) return this.armStall();
      const lead = this.buf[0];
      const type = this.buf.readUInt16LE(4);
      const count = this.buf.readUInt16LE(6);
      const id = this.buf.readUInt32LE(8);
      const ck = this.buf.readUInt32LE(12);
      if (lead === 0x69) {
        if (type >= 4 && type <= 6 && count === 0) {
          this.buf = this.buf.subarray(16);
          this.onControl(type, id);
        } else {
          this.buf = this.buf.subarray(1);
        }
        continue;
      }
      const base = (id & ~SYNC) >>> 0;
      if (count > 4000 || ![1, 2, 3, 7, 9, 11].includes(type) || (base !== INITIAL && base !== INITIAL + 1)) {
        this.buf = this.buf.subarray(1);
        continue;
      }
      if (this.buf.length < 17 + count) return this.armStall();
      const payload = Buffer.from(this.buf.subarray(16, 16 + count));
      if (this.buf[16 + count] !== 0xaa || sum(payload) !== ck) {
        this.damaged++;
        this.buf = this.buf.subarray(1);
        this.write(hostControl(5, 0));
        continue;
      }
      this.buf = this.buf.subarray(17 + count);
      this.onDataPacket(type, id, payload);
    }
  }

  private armStall(): void {
    this.stall = setTimeout(() => {
      this.buf = this.buf.subarray(1);
      this.parse();
    }, this.retryMs);
  }

  private onControl(type: number, id: number): void {
    this.controls.push({ type, id });
    if (type === 6) {
      this.resetsSeen++;
      this.resetSinceSync = true;
      this.expect = INITIAL;
      this.nextId = INITIAL;
    }
    this.wake();
  }

  private onDataPacket(type: number, id: number, payload: Buffer): void {
    this.raw.push({ type, id, payload });
    if (!this.autoAck) {
      this.wake();
      return;
    }
    const base = (id & ~SYNC) >>> 0;
    this.write(hostControl(4, base));
    if (id & SYNC) {
      // A retransmitted sync packet (our ACK was lost) looks like a reboot's first packet; a reboot
      // is announced by a RESET first (§11), so without one in between an identical packet is a copy.
      if (!this.resetSinceSync && this.lastSync?.equals(payload)) {
        this.duplicates++;
        return;
      }
      this.resetSinceSync = false;
      this.lastSync = payload;
      // The target started a new session (boot): accept and resynchronise (§1.8 "Target reboot").
      this.expect = (INITIAL | 1) >>> 0;
      this.nextId = INITIAL;
    } else if (base === this.expect) {
      this.expect = (this.expect ^ 1) >>> 0;
    } else {
      this.duplicates++;
      return;
    }
    this.packets.push({ type, id, payload });
    if (type === 3 && payload.readUInt32LE(0) === 0x3230) {
      this.prints.push(payload.subarray(16, 16 + payload.readUInt32LE(8)).toString('latin1'));
    }
    this.wake();
  }

  /** Waits until `pred` finds something in the packets received after index `from`. */
  async waitFor<T>(pred: () => T | undefined, timeoutMs = 5000, what = 'condition'): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = pred();
      if (r !== undefined) return r;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`test host: timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 100));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The next state change (type 7) after packet index `from`. */
  async nextStateChange(from: number, timeoutMs = 5000): Promise<{ index: number; payload: Buffer }> {
    return this.waitFor(() => {
      for (let i = from; i < this.packets.length; i++) if (this.packets[i].type === 7) return { index: i, payload: this.packets[i].payload };
      return undefined;
    }, timeoutMs, 'a state change');
  }

  /** Sends a data packet and waits for its ACK (retransmitting on RESEND or timeout). */
  async sendData(type: number, payload: Buffer): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const id = this.nextId;
      const mark = this.controls.length;
      this.write(hostFrame(type, id, payload));
      const got = await this.waitFor(() => {
        for (let i = mark; i < this.controls.length; i++) {
          const c = this.controls[i];
          if (c.type === 4 && c.id === id) return 'ack';
          if (c.type === 5 || c.type === 6) return 'again';
        }
        return undefined;
      }, this.retryMs).catch(() => 'timeout');
      if (got === 'ack') {
        this.nextId = (id ^ 1) >>> 0;
        return;
      }
    }
    throw new Error('test host: packet never acknowledged');
  }

  /** A manipulate request; resolves with the reply payload of the same ApiNumber. */
  async request(api: number, fill?: (h: Buffer) => void, data?: Buffer, timeoutMs = 5000): Promise<Buffer> {
    const h = Buffer.alloc(56);
    h.writeUInt32LE(api, 0);
    h.writeUInt32LE(0x103, 8);
    fill?.(h);
    const from = this.packets.length;
    await this.sendData(2, data ? Buffer.concat([h, data]) : h);
    const reply = await this.waitFor(() => {
      for (let i = from; i < this.packets.length; i++) {
        const p = this.packets[i];
        if (p.type === 2 && p.payload.readUInt32LE(0) === api) return p.payload;
      }
      return undefined;
    }, timeoutMs, `reply to 0x${api.toString(16)}`);
    return reply;
  }

  async readVirtual(addr: number, count: number): Promise<{ status: number; data: Buffer }> {
    const r = await this.request(0x3130, (h) => {
      h.writeBigInt64LE(BigInt(addr | 0), 0x10);
      h.writeUInt32LE(count, 0x18);
    });
    return { status: r.readUInt32LE(8), data: r.subarray(56, 56 + r.readUInt32LE(0x1c)) };
  }

  /** ReadVirtualMemory at a full 64-bit address (x64 targets). */
  async readVirtual64(addr: bigint, count: number): Promise<{ status: number; data: Buffer }> {
    const r = await this.request(0x3130, (h) => {
      h.writeBigUInt64LE(addr, 0x10);
      h.writeUInt32LE(count, 0x18);
    });
    return { status: r.readUInt32LE(8), data: r.subarray(56, 56 + r.readUInt32LE(0x1c)) };
  }

  async u64(addr: bigint): Promise<bigint> {
    const r = await this.readVirtual64(addr, 8);
    if (r.data.length !== 8) throw new Error(`test host: cannot read 0x${addr.toString(16)}`);
    return r.data.readBigUInt64LE(0);
  }

  async u32(addr: number): Promise<number> {
    const r = await this.readVirtual(addr, 4);
    if (r.data.length !== 4) throw new Error(`test host: cannot read 0x${addr.toString(16)}`);
    return r.data.readUInt32LE(0);
  }

  async getContext(): Promise<Buffer> {
    const r = await this.request(0x3132);
    return r.subarray(56);
  }

  async setContext(ctx: Buffer): Promise<number> {
    const r = await this.request(0x3133, (h) => h.writeUInt32LE(0x1003f, 0x10), ctx);
    return r.readUInt32LE(8);
  }

  /** Continue2 (no reply): Dr7 0x400, symbol range 1/0 as WinDbg sends it. */
  async continue2(trace = false, status = 0x10002, dr7 = 0x400): Promise<void> {
    const h = Buffer.alloc(56);
    h.writeUInt32LE(0x313c, 0);
    h.writeUInt32LE(status, 0x10);
    h.writeUInt32LE(trace ? 1 : 0, 0x14);
    h.writeUInt32LE(dr7, 0x18);
    h.writeUInt32LE(1, 0x1c);
    await this.sendData(2, h);
  }

  /** Skips a hard-coded int3: EIP += 1 via Get/SetContext (kd-protocol.md §2.4). */
  async skipInt3(): Promise<void> {
    const ctx = await this.getContext();
    ctx.writeUInt32LE(ctx.readUInt32LE(0xb8) + 1, 0xb8);
    await this.setContext(ctx);
  }
}

export function exceptionOf(sc: Buffer): { newState: number; code: number; address: number; pc: number; firstChance: boolean; eflags: number } {
  return {
    newState: sc.readUInt32LE(0),
    code: sc.readUInt32LE(0x20),
    address: Number(sc.readBigUInt64LE(0x30) & 0xffffffffn),
    pc: Number(sc.readBigUInt64LE(0x18) & 0xffffffffn),
    firstChance: sc.readUInt32LE(0xb8) !== 0,
    eflags: sc.readUInt32LE(0xe4),
  };
}
