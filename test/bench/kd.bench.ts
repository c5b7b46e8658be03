/**
 * windows-kd over a simulated 115200-baud 8N1 line (the KD simulator paces its output and its
 * input processing at 11,520 B/s). Every benchmark measures the line itself in the same run:
 * a raw byte stream pushed through the same pacing over the same kind of socket.
 */
import * as net from 'node:net';
import type { Benchmark } from './benchTypes';
import { listenTcp } from '../kdsim/kdSimTransports';
import { PacedPipe } from '../kdsim/kdSimLine';
import type { Scenario } from '../kdsim/kdSimulator';
import { openKdTransport } from '../../adapter/kd/kdTransport';
import { KdLink } from '../../adapter/kd/kdLink';
import { KdClient } from '../../adapter/kd/kdClient';
import { encodeControlPacket, KdPacketDecoder, PacketType, SYNC_PACKET_ID } from '../../adapter/kd/kdPacket';
import { createKdTarget } from '../../adapter/kd/kdTarget';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';

const BAUD = 115200;

/** Measured line rate (bytes/s): 32 KiB through a PacedPipe at BAUD over a loopback TCP socket. */
async function measureLineRate(bytes = 32 * 1024): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const received = new Promise<number>((resolve) => {
    server.once('connection', (s) => {
      let n = 0;
      let t0 = 0;
      s.on('data', (d: Buffer) => {
        if (!t0) t0 = performance.now();
        n += d.length;
        if (n >= bytes) {
          resolve(((n - 1) * 1000) / (performance.now() - t0)); // the first byte starts the clock
          s.destroy();
        }
      });
    });
  });
  const client = net.connect(port, '127.0.0.1');
  await new Promise<void>((r) => client.once('connect', () => r()));
  client.setNoDelay(true);
  const pipe = new PacedPipe((c) => client.write(c), BAUD / 10);
  void pipe.write(Buffer.alloc(bytes, 0x41));
  const rate = await received;
  pipe.close();
  client.destroy();
  await new Promise<void>((r) => server.close(() => r()));
  return rate;
}

async function stoppedClient(): Promise<{ client: KdClient; close(): Promise<void> }> {
  const sim = await listenTcp({ scenario: 'initial-break', baudRate: BAUD, loadSymbols: false });
  const transport = await openKdTransport({ kind: 'tcp', host: '127.0.0.1', port: sim.port }, { baudRate: BAUD });
  const link = new KdLink(transport, { baudRate: BAUD });
  const client = new KdClient(link);
  const stopped = new Promise<void>((resolve) => {
    client.on('stateChange', () => resolve());
  });
  link.sendReset();
  const poke = setInterval(() => {
    if (!link.synchronized) link.sendReset();
  }, 1000);
  await stopped;
  clearInterval(poke);
  await client.getVersion();
  return {
    client,
    async close() {
      await link.close();
      await sim.close();
    },
  };
}

async function readThroughput(chunk: number, total: number): Promise<number> {
  const { client, close } = await stoppedClient();
  try {
    const base = 0x804d7000n; // the kernel image: mapped, readable
    await client.readVirtual(base, 16, undefined, chunk); // warm-up round trip
    const t0 = performance.now();
    const r = await client.readVirtual(base, total, undefined, chunk);
    const ms = performance.now() - t0;
    if (r.data.length !== total) throw new Error(`read ${r.data.length} of ${total} bytes`);
    return total / 1024 / (ms / 1000);
  } finally {
    await close();
  }
}

const lineRate = { value: 0 };
async function line(): Promise<number> {
  if (!lineRate.value) lineRate.value = await measureLineRate();
  return lineRate.value;
}

function tmpTranscript(): { file: string; done(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kdbench-'));
  return { file: path.join(dir, 't.kdlog'), done: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** The protocol floor: decode frames and ACK each one at once, nothing else (no Target, no transcript). */
async function rawFloodRate(lines: number): Promise<number> {
  const sim = await listenTcp({ scenario: 'dbgprint-flood', floodLines: lines, baudRate: BAUD });
  const sock = net.connect(sim.port, '127.0.0.1');
  sock.setNoDelay(true);
  await new Promise<void>((r) => sock.once('connect', () => r()));
  const dec = new KdPacketDecoder();
  let n = 0;
  let t0 = 0;
  const rate = await new Promise<number>((resolve) => {
    sock.on('data', (d: Buffer) => {
      for (const f of dec.push(d)) {
        if (f.kind !== 'data') continue;
        sock.write(encodeControlPacket(PacketType.Acknowledge, (f.id & ~SYNC_PACKET_ID) >>> 0));
        if (f.type !== PacketType.DebugIo || !f.payload.subarray(16).toString('latin1').startsWith('line ')) continue;
        const now = performance.now();
        if (++n === 1) t0 = now;
        if (n === lines) resolve(((lines - 1) * 1000) / (now - t0));
      }
    });
    sock.write(encodeControlPacket(PacketType.Reset));
  });
  sock.destroy();
  await sim.close();
  return rate;
}

/** Lines/s shown through the windows-kd Target (output events, transcript written). */
async function targetFloodRate(lines: number): Promise<{ rate: number; perLine: number }> {
  const sim = await listenTcp({ scenario: 'dbgprint-flood', floodLines: lines, baudRate: BAUD });
  const t = tmpTranscript();
  const target = createKdTarget({ port: `tcp:127.0.0.1:${sim.port}`, transcript: t.file }, { cwd: os.tmpdir(), log: () => undefined });
  let n = 0;
  let t0 = 0;
  let t1 = 0;
  const done = new Promise<void>((resolve) => {
    target.on('output', (o) => {
      if (o.category !== 'stdout' || !o.text.startsWith('line ')) return;
      const now = performance.now();
      if (++n === 1) t0 = now;
      if (n === lines) {
        t1 = now;
        resolve();
      }
    });
  });
  let perLine = 0;
  try {
    await target.start();
    await target.configurationDone();
    await done;
    // Bytes per line on the wire: the target's DebugIo packet plus our 16-byte ACK.
    perLine = sim.sim.stats.bytesSent / Math.max(1, sim.sim.stats.linesAcked) + 16;
  } finally {
    await target.disconnect(false);
    await sim.close();
    t.done();
  }
  return { rate: ((lines - 1) * 1000) / (t1 - t0), perLine };
}

export const benchmarks: Benchmark[] = [
  {
    id: 'kd.read-throughput',
    what: 'bulk ReadVirtualMemory, 3944-byte requests, vs the measured 115200-baud line rate',
    unit: 'KB/s',
    goal: '>= 0.87 (10 KB/s of 11.25)',
    async run() {
      const rate = (await line()) / 1024;
      const value = await readThroughput(3944, 48 * 1024);
      return { value, baseline: rate, note: '48 KiB from the kernel image' };
    },
  },
  {
    id: 'kd.read-vs-windbg-chunks',
    what: 'bulk read with 3944-byte requests vs WinDbg-style 128-byte requests, same line',
    unit: 'KB/s',
    goal: '>= 2',
    async run() {
      const big = await readThroughput(3944, 24 * 1024);
      const small = await readThroughput(128, 12 * 1024);
      return { value: big, baseline: small, note: `128-byte reads: ${small.toFixed(2)} KB/s` };
    },
  },
  {
    id: 'kd.dbgprint-flood',
    what: 'DbgPrint lines/s shown through the Target (80-char lines) vs a raw frame-and-ACK loop on the same paced line',
    unit: 'lines/s',
    goal: '>= 0.95',
    async run() {
      const N = 200;
      const rate = await line();
      // Alternate floor and Target runs and keep the best of each: the machine is shared.
      let floor = 0;
      let value = 0;
      let perLine = 0;
      for (let round = 0; round < 2; round++) {
        floor = Math.max(floor, await rawFloodRate(N));
        const r = await targetFloodRate(N);
        value = Math.max(value, r.rate);
        perLine = r.perLine;
      }
      const wireMax = rate / perLine;
      return { value, baseline: floor, note: `${N} lines, best of 2; wire maximum ${wireMax.toFixed(1)} lines/s (${perLine.toFixed(0)} B/line): Target reaches ${(value / wireMax).toFixed(2)} of it` };
    },
  },
  {
    id: 'kd.first-byte-to-line',
    what: 'time from the first byte of a DbgPrint packet to the output event vs the packet\'s own first-to-last byte time',
    unit: 'ms',
    goal: '<= 1.2',
    async run() {
      const rate = await line();
      const COUNT = 10;
      const script: Scenario = {
        name: 'spaced-prints',
        *steps() {
          for (let i = 0; i < COUNT; i++) {
            yield { kind: 'print', text: `spaced line ${i} ${'x'.repeat(60)}\n` };
            yield { kind: 'idle', ms: 150 };
          }
          yield { kind: 'idle', ms: Infinity };
        },
      };
      const sim = await listenTcp({ scenario: script, baudRate: BAUD, loadSymbols: false });
      // A timestamping relay between the simulator and the debugger: sees when each packet starts
      // (first byte after a quiet gap) and when its last byte (the 0xAA trailer) went through.
      const bursts: { first: number; last: number }[] = [];
      const relay = net.createServer((inbound) => {
        const up = net.connect(sim.port, '127.0.0.1');
        up.setNoDelay(true);
        inbound.setNoDelay(true);
        let lastByte = 0;
        up.on('data', (d: Buffer) => {
          const now = performance.now();
          if (now - lastByte > 60 && d[0] === 0x30) bursts.push({ first: now, last: now });
          lastByte = now;
          if (bursts.length && d[d.length - 1] === 0xaa) bursts[bursts.length - 1].last = now;
          inbound.write(d);
        });
        inbound.on('data', (d: Buffer) => up.write(d));
        inbound.on('close', () => up.destroy());
        up.on('close', () => inbound.destroy());
      });
      await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
      const t = tmpTranscript();
      const target = createKdTarget({ port: `tcp:127.0.0.1:${(relay.address() as net.AddressInfo).port}`, transcript: t.file }, { cwd: os.tmpdir(), log: () => undefined });
      const shown: number[] = [];
      const done = new Promise<void>((resolve) => {
        target.on('output', (o) => {
          if (o.category !== 'stdout' || !o.text.startsWith('spaced line')) return;
          shown.push(performance.now());
          if (shown.length === COUNT) resolve();
        });
      });
      try {
        await target.start();
        await target.configurationDone();
        await done;
      } finally {
        await target.disconnect(false);
        await new Promise<void>((r) => relay.close(() => r()));
        await sim.close();
        t.done();
      }
      // Pair each shown line with the packet that carried it.
      const lat: number[] = [];
      const wire: number[] = [];
      for (const shownAt of shown) {
        const b = bursts.filter((x) => x.first <= shownAt).pop();
        if (!b) continue;
        lat.push(shownAt - b.first);
        wire.push(b.last - b.first);
      }
      const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      const packetBytes = 16 + 16 + `spaced line 0 ${'x'.repeat(60)}\n`.length + 1;
      void rate;
      return { value: median(lat), baseline: median(wire), note: `median of ${lat.length}; ${packetBytes}-byte packet = ${((packetBytes * 1000) / rate).toFixed(1)} ms at the line rate` };
    },
  },
];
