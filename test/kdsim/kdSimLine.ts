/**
 * What the simulated serial line does to bytes: seeded per-byte faults (drop / corrupt / duplicate)
 * and pacing at the line rate (8N1: baud / 10 bytes per second).
 */

/** Small deterministic PRNG (mulberry32): the same seed gives the same fault pattern. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FaultRates {
  /** Probability that a byte is lost. */
  drop: number;
  /** Probability that a byte is replaced by a different value. */
  corrupt: number;
  /** Probability that a byte is sent twice. */
  duplicate: number;
}

export interface FaultCounts {
  dropped: number;
  corrupted: number;
  duplicated: number;
}

export class FaultInjector {
  readonly counts: FaultCounts = { dropped: 0, corrupted: 0, duplicated: 0 };
  private readonly random: () => number;

  constructor(
    private readonly rates: FaultRates,
    seed: number,
  ) {
    for (const [k, v] of Object.entries(rates)) {
      if (!(v >= 0 && v <= 1)) throw new Error(`kdsim: fault rate ${k}=${v} must be within 0..1`);
    }
    if (rates.drop + rates.corrupt + rates.duplicate > 1) throw new Error('kdsim: fault rates add up to more than 1');
    this.random = seededRandom(seed);
  }

  get active(): boolean {
    return this.rates.drop + this.rates.corrupt + this.rates.duplicate > 0;
  }

  apply(input: Uint8Array): Buffer {
    if (!this.active) return Buffer.from(input);
    const out: number[] = [];
    const { drop, corrupt, duplicate } = this.rates;
    for (const byte of input) {
      const r = this.random();
      if (r < drop) {
        this.counts.dropped++;
      } else if (r < drop + corrupt) {
        this.counts.corrupted++;
        out.push((byte ^ (1 + Math.floor(this.random() * 255))) & 0xff);
      } else if (r < drop + corrupt + duplicate) {
        this.counts.duplicated++;
        out.push(byte, byte);
      } else {
        out.push(byte);
      }
    }
    return Buffer.from(out);
  }
}

/**
 * Timer lateness the pipes of one line have accumulated: time by which bytes were handed on later
 * than their nominal wire time because a timer or the event loop ran late. The next transmission on
 * the line may start up to MAX_CREDIT_MS earlier in line time to make up for it, so the simulation's
 * own scheduling jitter does not show up as lost line capacity. A pipe never starts before its own
 * previous transmission ended, so neither direction ever exceeds the line rate.
 */
export class LineClock {
  debtMs = 0;
}

const MAX_CREDIT_MS = 2;

/**
 * Releases bytes to `sink` no faster than `bytesPerSecond`. Credit only accrues while bytes are
 * waiting, like a UART that is idle between packets. Without a rate, bytes pass straight through.
 */
export class PacedPipe {
  private queue: Array<{ buf: Buffer; done?: () => void }> = [];
  private epoch = 0;
  private releasedSinceEpoch = 0;
  private nominalEnd = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly sink: (chunk: Buffer) => void,
    private readonly bytesPerSecond?: number,
    private readonly clock?: LineClock,
  ) {}

  /** Resolves once the last byte of `buf` has been handed to the sink. */
  write(buf: Buffer): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (!this.bytesPerSecond) {
      if (buf.length) this.sink(buf);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const wasIdle = this.queue.length === 0;
      this.queue.push({ buf, done: resolve });
      if (wasIdle) {
        const now = performance.now();
        let start = Math.max(now, this.nominalEnd);
        if (this.clock && start === now) {
          start = Math.max(now - Math.min(this.clock.debtMs, MAX_CREDIT_MS), this.nominalEnd);
          this.clock.debtMs = Math.max(0, this.clock.debtMs - (now - start));
        }
        this.epoch = start;
        this.releasedSinceEpoch = 0;
        this.pump();
      }
    });
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const q of this.queue) q.done?.();
    this.queue = [];
  }

  private pump(): void {
    this.timer = undefined;
    if (this.closed || !this.bytesPerSecond) return;
    const rate = this.bytesPerSecond;
    const now = performance.now();
    // Byte k of a transmission starts at epoch + k / rate; it may be handed on once it has started.
    let allowance = Math.floor(((now - this.epoch) * rate) / 1000) + 1 - this.releasedSinceEpoch;
    const out: Buffer[] = [];
    const finished: Array<() => void> = [];
    while (allowance > 0 && this.queue.length) {
      const head = this.queue[0];
      const n = Math.min(allowance, head.buf.length);
      out.push(head.buf.subarray(0, n));
      head.buf = head.buf.subarray(n);
      allowance -= n;
      this.releasedSinceEpoch += n;
      if (head.buf.length === 0) {
        this.queue.shift();
        if (head.done) finished.push(head.done);
      }
    }
    if (this.queue.length === 0) {
      const lastStart = this.epoch + ((this.releasedSinceEpoch - 1) * 1000) / rate;
      this.nominalEnd = this.epoch + (this.releasedSinceEpoch * 1000) / rate;
      if (this.clock && now > lastStart) this.clock.debtMs = Math.min(this.clock.debtMs + (now - lastStart), 10 * MAX_CREDIT_MS);
    }
    if (out.length) this.sink(Buffer.concat(out));
    for (const f of finished) f();
    if (this.queue.length) {
      const nextAt = (this.releasedSinceEpoch * 1000) / rate;
      this.timer = setTimeout(() => this.pump(), Math.max(1, nextAt - (performance.now() - this.epoch)));
    }
  }
}
