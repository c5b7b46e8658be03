/**
 * The simulated line: seeded fault injection (deterministic per seed), pacing at baud/10 measured
 * as a ratio, the target-side reader under seeded fuzz, and a DbgPrint flood that survives faults
 * in both directions with every line delivered exactly once and in order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { Duplex } from 'node:stream';
import { FaultInjector, PacedPipe, seededRandom } from '../../kdsim/kdSimLine';
import { encodeControlPacket, encodeDataPacket, LinkEvent, TargetFrameReader } from '../../kdsim/kdSimWire';
import { KdSimulator } from '../../kdsim/kdSimulator';
import { listenTcp } from '../../kdsim/kdSimTransports';
import { floodLine } from '../../kdsim/kdSimScenarios';
import { TestKdHost } from './kdTestHost';

test('fault injection is deterministic for a seed and close to the requested rates', () => {
  const input = Buffer.alloc(100_000, 0x41);
  const rates = { drop: 0.02, corrupt: 0.02, duplicate: 0.02 };
  const a = new FaultInjector(rates, 42);
  const b = new FaultInjector(rates, 42);
  const c = new FaultInjector(rates, 43);
  const outA = a.apply(input);
  assert.deepEqual(b.apply(input), outA);
  assert.deepEqual(a.counts, b.counts);
  assert.notDeepEqual(c.apply(input), outA);
  for (const k of ['dropped', 'corrupted', 'duplicated'] as const) {
    assert.ok(a.counts[k] > 1500 && a.counts[k] < 2500, `${k}: ${a.counts[k]} of 100000 at 2%`);
  }
  assert.equal(outA.length, input.length - a.counts.dropped + a.counts.duplicated);
  assert.equal(outA.filter((x) => x !== 0x41).length, a.counts.corrupted, 'a corrupted byte always changes');
  assert.deepEqual(new FaultInjector({ drop: 0, corrupt: 0, duplicate: 0 }, 1).apply(input), input);
  assert.throws(() => new FaultInjector({ drop: -0.1, corrupt: 0, duplicate: 0 }, 1), /within 0..1/);
  assert.throws(() => new FaultInjector({ drop: 0.6, corrupt: 0.6, duplicate: 0 }, 1), /more than 1/);
});

test('the simulator puts the same faulted bytes on the wire for the same seed', async () => {
  const capture = async (seed: number): Promise<Buffer> => {
    const sim = new KdSimulator({
      scenario: 'dbgprint-flood', floodLines: 5, seed, startOnHostConnect: false, ackTimeoutMs: 20,
      faults: { drop: 0.05, corrupt: 0.05, duplicate: 0.05 },
    });
    const chunks: Buffer[] = [];
    const wire = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk);
        cb();
      },
    });
    sim.attach(wire);
    wire.push(Buffer.from('iiii'));
    // Nobody answers: the target keeps retransmitting its first DbgPrint.
    while (Buffer.concat(chunks).length < 1500) await new Promise((r) => setTimeout(r, 10));
    sim.close();
    return Buffer.concat(chunks).subarray(0, 1500);
  };
  const first = await capture(7);
  assert.deepEqual(await capture(7), first);
  assert.notDeepEqual(await capture(8), first);
});

test('pacing: bytes leave at baud/10 per second (8N1), measured as a ratio', async () => {
  for (const baud of [115200, 57600]) {
    const rate = baud / 10;
    let released = 0;
    let last = 0;
    const pipe = new PacedPipe((chunk) => {
      released += chunk.length;
      last = performance.now();
    }, rate);
    const total = Math.round(rate * 0.3);
    const start = performance.now();
    const writes: Array<Promise<void>> = [];
    for (let sent = 0; sent < total; sent += 100) writes.push(pipe.write(Buffer.alloc(Math.min(100, total - sent))));
    await Promise.all(writes);
    pipe.close();
    assert.equal(released, total);
    const measured = total / ((last - start) / 1000);
    const ratio = measured / rate;
    assert.ok(ratio > 0.5 && ratio < 1.5, `baud ${baud}: ${measured.toFixed(0)} B/s vs ${rate} B/s (ratio ${ratio.toFixed(2)})`);
  }
});

test('pacing end to end: a paced DbgPrint flood over TCP runs near the line rate', async () => {
  const h = await listenTcp({ scenario: 'dbgprint-flood', floodLines: 40, baudRate: 115200, ackTimeoutMs: 500 });
  const s = net.connect(h.port, '127.0.0.1');
  await new Promise<void>((r) => s.once('connect', () => r()));
  const host = new TestKdHost(s);
  try {
    host.sendReset();
    await host.waitFor(() => (host.prints.length >= 1 ? true : undefined), 3000, 'first line');
    const t0 = performance.now();
    const b0 = h.sim.stats.bytesSent;
    await host.waitFor(() => (host.prints.length >= 40 ? true : undefined), 5000, '40 lines');
    const seconds = (performance.now() - t0) / 1000;
    // The line carries the target's packets plus the host's ACKs (16 bytes each, also paced on input).
    const wireBytes = h.sim.stats.bytesSent - b0 + 16 * 39;
    const ratio = wireBytes / seconds / 11520;
    assert.ok(ratio > 0.5 && ratio < 1.5, `wire use ${ratio.toFixed(2)} of 11520 B/s`);
  } finally {
    host.dispose();
    s.destroy();
    await h.close();
  }
});

function collect(stallMs = 5): { reader: TargetFrameReader; events: LinkEvent[] } {
  const events: LinkEvent[] = [];
  return { reader: new TargetFrameReader((e) => events.push(e), stallMs), events };
}

test('reader fuzz (seeded): packets between random garbage are all found, in order; noise never throws', async () => {
  const rnd = seededRandom(2024);
  const byte = (): number => Math.floor(rnd() * 256);
  for (let round = 0; round < 20; round++) {
    const { reader, events } = collect();
    const expected: Buffer[] = [];
    const parts: Buffer[] = [];
    for (let i = 0; i < 30; i++) {
      parts.push(Buffer.from(Array.from({ length: Math.floor(rnd() * 40) }, byte).map((b) => (b === 0x62 ? 0x63 : b))));
      const payload = Buffer.from(Array.from({ length: 56 + Math.floor(rnd() * 200) }, byte));
      expected.push(payload);
      parts.push(encodeDataPacket(2, 0x80800000 + (i & 1), payload));
    }
    const all = Buffer.concat(parts);
    for (let off = 0; off < all.length; ) {
      const n = 1 + Math.floor(rnd() * 64);
      reader.feed(all.subarray(off, off + n));
      off += n;
    }
    await new Promise((r) => setTimeout(r, 30));
    reader.dispose();
    const got = events.filter((e): e is Extract<LinkEvent, { kind: 'data' }> => e.kind === 'data').map((e) => e.payload);
    assert.deepEqual(got, expected, `round ${round}`);
  }
  // Pure noise, and mutated packets: only well-formed events come out, nothing throws.
  const { reader, events } = collect();
  for (let i = 0; i < 200; i++) {
    const pkt = i % 2 ? encodeControlPacket(4, 0x80800000) : encodeDataPacket(2, 0x80800001, Buffer.alloc(60, i));
    const m = Buffer.from(pkt);
    for (let k = 0; k < 3; k++) m[Math.floor(rnd() * m.length)] = byte();
    reader.feed(Buffer.from(Array.from({ length: 50 }, byte)));
    reader.feed(m.subarray(0, Math.floor(rnd() * m.length) + 1));
  }
  await new Promise((r) => setTimeout(r, 30));
  reader.dispose();
  for (const e of events) {
    if (e.kind === 'data') assert.ok(e.payload.length <= 4000 && [2, 3, 11].includes(e.type));
    if (e.kind === 'control') assert.ok([4, 5, 6].includes(e.type));
  }
});

test('a DbgPrint flood through drop/corrupt/duplicate faults in both directions arrives exactly once, in order', async () => {
  const lines = 300;
  const h = await listenTcp({
    scenario: 'dbgprint-flood', floodLines: lines, seed: 99, ackTimeoutMs: 40, printRetries: 1000,
    faults: { drop: 0.002, corrupt: 0.002, duplicate: 0.002, receive: true },
  });
  const simLines: string[] = [];
  h.sim.on('line', (l: string) => simLines.push(l));
  const s = net.connect(h.port, '127.0.0.1');
  await new Promise<void>((r) => s.once('connect', () => r()));
  const host = new TestKdHost(s, 40);
  try {
    host.sendReset();
    await host.waitFor(() => (host.prints.length >= lines ? true : undefined), 60000, `${lines} lines`);
    // The target reports a line once our ACK got through, which may take a retry.
    await host.waitFor(() => (simLines.length >= lines ? true : undefined), 5000, 'the last ACK');
    const want = Array.from({ length: lines }, (_, i) => floodLine(i + 1));
    assert.deepEqual(host.prints, want);
    assert.deepEqual(simLines, want.map((l) => l.slice(0, -1)));
    const st = h.sim.stats;
    assert.ok(st.txFaults.dropped + st.txFaults.corrupted + st.txFaults.duplicated > 0, 'faults were injected');
    assert.ok(st.rxFaults.dropped + st.rxFaults.corrupted + st.rxFaults.duplicated > 0, 'receive faults too');
    assert.ok(st.retransmissions > 0, 'the target retransmitted');
    assert.equal(st.printsGivenUp, 0);
  } finally {
    host.dispose();
    s.destroy();
    await h.close();
  }
});

test('nobody listening: DbgPrint and LoadSymbols give up (KdDebuggerNotPresent), a break-in brings the debugger back', async () => {
  const chunks: Buffer[] = [];
  const wire = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  const sim = new KdSimulator({ scenario: 'iscsi-boot', startOnHostConnect: false, ackTimeoutMs: 10, printRetries: 2 });
  const img = sim.machine.image;
  try {
    sim.attach(wire);
    const until = async (cond: () => boolean, what: string): Promise<void> => {
      for (let i = 0; i < 300 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(cond(), what);
    };
    await until(() => sim.stats.printsGivenUp >= 10, 'prints are given up');
    assert.equal(sim.stats.stateChanges, 0, 'LoadSymbols stops are skipped while no debugger is present');
    assert.equal(sim.machine.image.memory.u8(img.sym('nt!KdDebuggerNotPresent')), 1);
    const packets = sim.stats.packetsSent;
    assert.ok(packets <= 3 * 3, `only the first print was tried (${packets} packets)`);
    wire.push(Buffer.from([0x62]));
    await until(() => sim.state === 'stopped', 'break-in stops the machine');
    assert.equal(sim.machine.image.memory.u8(img.sym('nt!KdDebuggerNotPresent')), 0);
  } finally {
    sim.close();
  }
});

for (const arch of ['x86', 'x64'] as const) test(`manipulate fuzz (seeded, ${arch}): random requests for every API never throw, replies stay within a packet`, () => {
  const rnd = seededRandom(7);
  const sim = new KdSimulator({ scenario: 'iscsi-boot', arch });
  const kernel = sim.machine.image.memory.toWire(sim.machine.image.layout.moduleBases['ntoskrnl.exe']);
  const apis = Array.from({ length: 0x3161 - 0x3130 }, (_, i) => 0x3130 + i).concat([0, 0xffffffff, 0x3230]);
  try {
    for (let i = 0; i < 4000; i++) {
      const api = apis[Math.floor(rnd() * apis.length)];
      const len = 0x38 + (rnd() < 0.5 ? 0 : Math.floor(rnd() * 800));
      const req = Buffer.from(Array.from({ length: len }, () => Math.floor(rnd() * 256)));
      req.writeUInt32LE(api >>> 0, 0);
      // Often point at mapped kernel memory / small sizes so the handlers do real work.
      if (rnd() < 0.5) req.writeBigUInt64LE(kernel + BigInt(Math.floor(rnd() * 0x300000)), 0x10);
      if (rnd() < 0.5) req.writeUInt32LE(Math.floor(rnd() * 5000), 0x18);
      const reply = sim.handleManipulateRequest(req);
      if (reply) {
        assert.ok(reply.length >= 0x38 && reply.length <= 4000, `api 0x${api.toString(16)} reply of ${reply.length}`);
        assert.equal(reply.readUInt32LE(0), api >>> 0);
      }
    }
    assert.equal(sim.handleManipulateRequest(Buffer.alloc(10)), undefined, 'too short for a header');
  } finally {
    sim.close();
  }
});

test('bad options fail with clear messages', () => {
  assert.throws(() => new KdSimulator({ scenario: 'iscsi-boot', ackTimeoutMs: 0 }), /ackTimeoutMs must be a positive number/);
  assert.throws(() => new KdSimulator({ scenario: 'iscsi-boot', printRetries: -1 }), /printRetries/);
  assert.throws(() => new KdSimulator({ scenario: 'iscsi-boot', baudRate: -9600 }), /baudRate must be positive/);
  assert.throws(() => new KdSimulator({ scenario: 'nope' as 'iscsi-boot' }), /unknown scenario 'nope'/);
  assert.throws(() => new KdSimulator({ scenario: 'iscsi-boot', faults: { drop: 2, corrupt: 0, duplicate: 0 } }), /within 0..1/);
  new KdSimulator({ scenario: 'iscsi-boot', printRetries: Infinity, floodLines: 0 }).close();
});
