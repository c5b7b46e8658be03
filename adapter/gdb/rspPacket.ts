/**
 * GDB Remote Serial Protocol framing: `$payload#cs`, checksums, `}` escapes, run-length
 * encoding (`*`), `+`/`-` acknowledgements and the bare 0x03 interrupt byte.
 *
 * The socket is a byte stream: one chunk may hold half a packet, several packets, acks and a stop
 * reply together, so `RspDecoder` is a byte-level state machine over Buffers (payloads may hold any
 * byte after `}`). It never throws on bad input; it reports `error` events and resynchronises on
 * the next `$`.
 */

const DOLLAR = 0x24;
const HASH = 0x23;
const ESCAPE = 0x7d;
const STAR = 0x2a;
const ACK = 0x2b;
const NACK = 0x2d;
export const INTERRUPT = 0x03;

/** Largest raw payload accepted before the decoder gives up on a packet (QEMU sends ≤ 4096). */
export const MAX_RAW_PAYLOAD = 1 << 20;

/** Sum of the bytes modulo 256 — the checksum of the on-the-wire payload. */
export function checksum(bytes: Buffer): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i++) sum += bytes[i];
  return sum & 0xff;
}

/** Bytes that must be escaped inside a packet payload. */
const MUST_ESCAPE = new Set([DOLLAR, HASH, ESCAPE, STAR]);

/** Escapes `$ # } *` as `}` + (byte ^ 0x20). Hex-only payloads pass through unchanged. */
export function escapeBinary(data: Buffer): Buffer {
  let extra = 0;
  for (const b of data) if (MUST_ESCAPE.has(b)) extra++;
  if (extra === 0) return data;
  const out = Buffer.alloc(data.length + extra);
  let o = 0;
  for (const b of data) {
    if (MUST_ESCAPE.has(b)) {
      out[o++] = ESCAPE;
      out[o++] = b ^ 0x20;
    } else {
      out[o++] = b;
    }
  }
  return out;
}

/** Frames a payload as `$…#cs` (escaping binary bytes). */
export function encodePacket(payload: string | Buffer): Buffer {
  const body = escapeBinary(typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload);
  const out = Buffer.alloc(body.length + 4);
  out[0] = DOLLAR;
  body.copy(out, 1);
  out[body.length + 1] = HASH;
  out.write(checksum(body).toString(16).padStart(2, '0'), body.length + 2, 'latin1');
  return out;
}

export type DecodeResult = { ok: true; data: Buffer } | { ok: false; error: string };

/**
 * Undoes escapes and run-length encoding in one left-to-right pass over the raw payload.
 * `c*N` repeats `c` another N−29 times; the repeat count applies to the decoded byte before it.
 */
export function decodePayload(raw: Buffer): DecodeResult {
  // Fast path: most payloads (all of QEMU's hex replies) have neither escapes nor RLE.
  if (raw.indexOf(ESCAPE) < 0 && raw.indexOf(STAR) < 0) return { ok: true, data: raw };
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i];
    if (b === ESCAPE) {
      if (i + 1 >= raw.length) return { ok: false, error: 'payload ends inside a } escape' };
      out.push(raw[++i] ^ 0x20);
    } else if (b === STAR) {
      if (out.length === 0) return { ok: false, error: 'run-length * with nothing to repeat' };
      if (i + 1 >= raw.length) return { ok: false, error: 'payload ends inside a run-length * count' };
      const n = raw[++i] - 29;
      if (n < 0 || n > 97) return { ok: false, error: `bad run-length count byte 0x${raw[i].toString(16)}` };
      const last = out[out.length - 1];
      for (let k = 0; k < n; k++) out.push(last);
    } else {
      out.push(b);
    }
  }
  return { ok: true, data: Buffer.from(out) };
}

export type RspEvent =
  | { type: 'ack' }
  | { type: 'nack' }
  | { type: 'interrupt' }
  /** A packet whose checksum matched; `payload` is decoded (escapes and RLE undone). */
  | { type: 'packet'; payload: Buffer; raw: Buffer }
  /** A framed packet that cannot be used: wrong checksum or undecodable payload. Answer with `-`. */
  | { type: 'badPacket'; raw: Buffer; error: string }
  /** Bytes outside any packet, or (`lost`) a packet that was cut short or too long. */
  | { type: 'error'; error: string; lost?: boolean };

type State = 'idle' | 'payload' | 'cs1' | 'cs2';

const HEX_DIGIT = /^[0-9a-fA-F]$/;

/** Incremental decoder: feed arbitrary chunks, get complete events back. */
export class RspDecoder {
  private state: State = 'idle';
  /** Raw payload bytes of the packet being read (grown on demand, reused between packets). */
  private payload = Buffer.allocUnsafe(4200);
  private payloadLen = 0;
  private cs = '';
  private garbage = 0;
  private overflow = false;

  constructor(private readonly maxPayload = MAX_RAW_PAYLOAD) {}

  /** True while the decoder is inside a packet (a truncated reply leaves it there). */
  get midPacket(): boolean {
    return this.state !== 'idle';
  }

  feed(chunk: Buffer): RspEvent[] {
    const events: RspEvent[] = [];
    for (let i = 0; i < chunk.length; i++) {
      if (this.state === 'payload' && !this.overflow) i = this.copyPayloadRun(chunk, i);
      if (i < chunk.length) this.step(chunk[i], events);
    }
    this.flushGarbage(events);
    return events;
  }

  /**
   * Copies the plain payload bytes from `i` up to the next `#` or `$` (or the size limit) in one
   * go — a 4 KiB memory-read reply is otherwise 4096 trips through `step` — and returns the index
   * of the first byte left for `step`.
   */
  private copyPayloadRun(chunk: Buffer, i: number): number {
    let end = i;
    const limit = Math.min(chunk.length, i + (this.maxPayload - this.payloadLen));
    while (end < limit) {
      const b = chunk[end];
      if (b === HASH || b === DOLLAR) break;
      end++;
    }
    const n = end - i;
    if (n === 0) return i;
    if (this.payloadLen + n > this.payload.length) {
      let size = this.payload.length;
      while (size < this.payloadLen + n) size *= 2;
      const bigger = Buffer.allocUnsafe(Math.min(this.maxPayload, size));
      this.payload.copy(bigger, 0, 0, this.payloadLen);
      this.payload = bigger;
    }
    chunk.copy(this.payload, this.payloadLen, i, end);
    this.payloadLen += n;
    return end;
  }

  /** Drops a partial packet (e.g. after a timeout) and reports what was lost. */
  reset(): RspEvent[] {
    const events: RspEvent[] = [];
    if (this.state !== 'idle') events.push({ type: 'error', error: `truncated packet dropped after ${this.payloadLen} bytes`, lost: true });
    this.state = 'idle';
    this.payloadLen = 0;
    this.cs = '';
    this.overflow = false;
    return events;
  }

  private flushGarbage(events: RspEvent[]): void {
    if (this.garbage > 0) {
      events.push({ type: 'error', error: `ignored ${this.garbage} byte(s) outside any packet` });
      this.garbage = 0;
    }
  }

  private step(b: number, events: RspEvent[]): void {
    switch (this.state) {
      case 'idle':
        if (b === DOLLAR) {
          this.flushGarbage(events);
          this.state = 'payload';
          this.payloadLen = 0;
          this.overflow = false;
        } else if (b === ACK) {
          this.flushGarbage(events);
          events.push({ type: 'ack' });
        } else if (b === NACK) {
          this.flushGarbage(events);
          events.push({ type: 'nack' });
        } else if (b === INTERRUPT) {
          this.flushGarbage(events);
          events.push({ type: 'interrupt' });
        } else {
          this.garbage++;
        }
        return;
      case 'payload':
        if (b === HASH) {
          this.state = 'cs1';
          this.cs = '';
        } else if (b === DOLLAR) {
          // A new packet start inside a payload: the previous one was truncated.
          events.push({ type: 'error', error: `truncated packet (new $ after ${this.payloadLen} bytes)`, lost: true });
          this.payloadLen = 0;
          this.overflow = false;
        } else if (this.payloadLen >= this.maxPayload) {
          if (!this.overflow) events.push({ type: 'error', error: `packet longer than ${this.maxPayload} bytes abandoned`, lost: true });
          this.overflow = true;
        } else {
          if (this.payloadLen === this.payload.length) {
            const bigger = Buffer.allocUnsafe(Math.min(this.maxPayload, this.payload.length * 2));
            this.payload.copy(bigger, 0, 0, this.payloadLen);
            this.payload = bigger;
          }
          this.payload[this.payloadLen++] = b;
        }
        return;
      case 'cs1':
      case 'cs2': {
        const ch = String.fromCharCode(b);
        if (!HEX_DIGIT.test(ch)) {
          events.push({ type: 'badPacket', raw: Buffer.from(this.payload.subarray(0, this.payloadLen)), error: `bad checksum character ${JSON.stringify(ch)}` });
          this.state = 'idle';
          if (b === DOLLAR) this.step(b, events);
          return;
        }
        this.cs += ch;
        if (this.state === 'cs1') {
          this.state = 'cs2';
          return;
        }
        this.state = 'idle';
        const raw = Buffer.from(this.payload.subarray(0, this.payloadLen));
        this.payloadLen = 0;
        if (this.overflow) return;
        const want = parseInt(this.cs, 16);
        const got = checksum(raw);
        if (want !== got) {
          events.push({ type: 'badPacket', raw, error: `checksum mismatch: packet says ${this.cs}, payload sums to ${got.toString(16).padStart(2, '0')}` });
          return;
        }
        const decoded = decodePayload(raw);
        if (!decoded.ok) events.push({ type: 'badPacket', raw, error: decoded.error });
        else events.push({ type: 'packet', payload: decoded.data, raw });
        return;
      }
    }
  }
}

/** Hex helpers shared by the client and the model. */
export function hexToBuffer(hex: string): Buffer {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new Error(`not a hex string: ${hex.slice(0, 40)}`);
  return Buffer.from(hex, 'hex');
}

export function textToHex(text: string): string {
  return Buffer.from(text, 'utf8').toString('hex');
}
