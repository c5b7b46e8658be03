/**
 * The KD simulator as a measuring instrument for the windows-kd benchmarks: paced at 115200 baud it
 * must fill the line (both directions counted) without exceeding it, and unpaced it must be far faster
 * than the line so it never limits what is measured through it. Baseline: the serial line's physical
 * limit, 11,520 B/s (8N1), and the DbgPrint lines per second that limit allows.
 */
import * as net from 'node:net';
import type { Benchmark } from './benchTypes';
import { listenTcp } from '../kdsim/kdSimTransports';
import { TestKdHost } from '../unit/kdsim/kdTestHost';

const LINE_RATE = 115200 / 10;
/** An 80-byte DbgPrint: 16 header + 16 DEBUG_IO + 80 text + 1 trailer, plus a 16-byte ACK back. */
const BYTES_PER_LINE = 16 + 16 + 80 + 1 + 16;

async function flood(lines: number, baudRate?: number): Promise<{ seconds: number; wireBytes: number }> {
  const h = await listenTcp({ scenario: 'dbgprint-flood', floodLines: lines + 1, baudRate });
  const s = net.connect(h.port, '127.0.0.1');
  await new Promise<void>((r) => s.once('connect', () => r()));
  const host = new TestKdHost(s);
  try {
    host.sendReset();
    await host.waitFor(() => (host.prints.length >= 1 ? true : undefined), 5000, 'first line');
    const t0 = performance.now();
    const b0 = h.sim.stats.bytesSent;
    await host.waitFor(() => (host.prints.length >= lines + 1 ? true : undefined), 120000, `${lines} lines`);
    const seconds = (performance.now() - t0) / 1000;
    return { seconds, wireBytes: h.sim.stats.bytesSent - b0 + 16 * lines };
  } finally {
    host.dispose();
    s.destroy();
    await h.close();
  }
}

/** Bytes per second of memory content that N-byte ReadVirtualMemory round trips move at 115200 baud. */
async function reads(n: number, count: number): Promise<number> {
  const h = await listenTcp({ scenario: 'initial-break', loadSymbols: false, baudRate: 115200 });
  const s = net.connect(h.port, '127.0.0.1');
  await new Promise<void>((r) => s.once('connect', () => r()));
  const host = new TestKdHost(s, 2000);
  try {
    host.sendReset();
    await host.nextStateChange(0, 20000);
    const t0 = performance.now();
    let bytes = 0;
    for (let i = 0; i < count; i++) bytes += (await host.readVirtual(0x804d7000 + i * n, n)).data.length;
    return bytes / ((performance.now() - t0) / 1000);
  } finally {
    host.dispose();
    s.destroy();
    await h.close();
  }
}

export const benchmarks: Benchmark[] = [
  {
    id: 'kdsim.read-3944',
    what: 'KD simulator at 115200: ReadVirtualMemory of 3944 bytes (doc host) vs the line model 3944/(178+3944) x 11520',
    unit: 'B/s',
    goal: '>= 0.95 and <= 1.0',
    async run() {
      const value = await reads(3944, 6);
      return { value, baseline: (3944 / (178 + 3944)) * LINE_RATE, note: '6 reads; request 73 B + ACK 16 + reply 73+N + ACK 16' };
    },
  },
  {
    id: 'kdsim.paced-line-use',
    what: 'KD simulator at 115200 baud: bytes on the line per second (DbgPrint flood + ACKs) vs the 8N1 limit',
    unit: 'B/s',
    goal: '>= 0.95 and <= 1.0',
    async run() {
      const { seconds, wireBytes } = await flood(200, 115200);
      return { value: wireBytes / seconds, baseline: LINE_RATE, note: `200 lines in ${seconds.toFixed(2)} s` };
    },
  },
  {
    id: 'kdsim.unpaced-lines',
    what: 'KD simulator unpaced over loopback TCP: DbgPrint lines/s vs the lines/s a 115200 line allows',
    unit: 'lines/s',
    goal: '>= 10 (the simulator never limits a 115200 measurement)',
    async run() {
      const { seconds } = await flood(3000);
      return { value: 3000 / seconds, baseline: LINE_RATE / BYTES_PER_LINE, note: '3000 flood lines, doc-derived test host' };
    },
  },
];
