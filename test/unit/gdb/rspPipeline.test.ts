// Pipelined memory reads (RspClient pipelineDepth > 1) against a loopback stub that behaves like
// QEMU 7.2's gdbstub as measured (../shared/reference/gdb/qemu-gdbstub-and-ipxe.md and the probes
// behind this change): packets are handled in arrival order; each one is answered `+` and its
// reply, or `-` when its checksum is wrong, and the next packet is handled regardless; the last
// reply is kept for a `-` until a `+` or the next `$` clears it. The stub misbehaves on purpose:
// nacks, replies corrupted in transit, dropped replies, unreadable memory (E14).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { RspClient } from '../../../adapter/gdb/rspClient';
import { RspDecoder, encodePacket } from '../../../adapter/gdb/rspPacket';
import { prng } from './prng';

/** Guest memory of the stub: readable below `limit`, byte at a = (a*7+3) & 0xff. */
function byteAt(a: number): number {
  return (a * 7 + 3) & 0xff;
}

function expected(address: number, length: number, limit: number): Buffer {
  const end = Math.max(address, Math.min(address + length, limit));
  const out = Buffer.alloc(end - address);
  for (let i = 0; i < out.length; i++) out[i] = byteAt(address + i);
  return out;
}

interface Faults {
  /** Answer this packet with `-` instead of handling it. */
  nack?(payload: string, seen: number): boolean;
  /** Corrupt the reply on the way (the stub keeps the good copy for a `-`). */
  corrupt?(payload: string, seen: number): boolean;
  /** Ack the packet but never reply. */
  drop?(payload: string, seen: number): boolean;
  /** Handle nothing until this many packets have arrived (proves they were on the wire together). */
  holdUntil?: number;
  /** Send the reply without its `#cs` tail (cut short on the way). */
  truncate?(payload: string, seen: number): boolean;
  /** Reply with this payload instead of the real one. */
  replace?(payload: string): string | undefined;
}

class QemuLikeStub {
  readonly received: string[] = [];
  /** Bytes the client sent, as text (to check which acks/nacks it wrote). */
  wire = '';
  /** How many packets had arrived but were not answered yet, at most. */
  maxWaiting = 0;
  private server: net.Server;
  private socket: net.Socket | undefined;
  private lastPacket: Buffer | undefined;
  private held: Buffer[] = [];
  private readonly seen = new Map<string, number>();
  port = 0;

  constructor(private readonly limit: number, private readonly faults: Faults = {}) {
    this.server = net.createServer((sock) => {
      this.socket = sock;
      sock.setNoDelay(true); // `+` and the reply are separate writes, as in QEMU
      const dec = new RspDecoder();
      sock.on('data', (d: Buffer) => {
        this.wire += d.toString('latin1');
        for (const ev of dec.feed(d)) {
          if (ev.type === 'packet') {
            this.held.push(ev.payload);
            this.maxWaiting = Math.max(this.maxWaiting, this.held.length);
            if (this.received.length + this.held.length >= (this.faults.holdUntil ?? 0)) this.drain();
          } else if (ev.type === 'ack') {
            this.lastPacket = undefined;
          } else if (ev.type === 'nack') {
            if (this.lastPacket) sock.write(this.lastPacket);
          } else if (ev.type === 'badPacket') {
            sock.write('-');
          }
        }
      });
      sock.on('error', () => undefined);
    });
  }

  private drain(): void {
    for (const p of this.held.splice(0)) this.handle(p.toString('latin1'));
  }

  private handle(payload: string): void {
    const sock = this.socket!;
    const seen = this.seen.get(payload) ?? 0;
    this.seen.set(payload, seen + 1);
    this.lastPacket = undefined; // a new `$` abandons the kept reply
    if (this.faults.nack?.(payload, seen)) {
      sock.write('-');
      return;
    }
    this.received.push(payload);
    sock.write('+');
    if (this.faults.drop?.(payload, seen)) return;
    const frame = encodePacket(this.faults.replace?.(payload) ?? this.reply(payload));
    this.lastPacket = frame;
    if (this.faults.truncate?.(payload, seen)) {
      sock.write(frame.subarray(0, frame.length - 3));
    } else if (this.faults.corrupt?.(payload, seen)) {
      const bad = Buffer.from(frame);
      bad[bad.length - 1] = bad[bad.length - 1] === 0x30 ? 0x31 : 0x30;
      sock.write(bad);
    } else {
      sock.write(frame);
    }
  }

  private reply(payload: string): string {
    const m = /^m([0-9a-f]+),([0-9a-f]+)$/.exec(payload);
    if (!m) return payload === 'qC' ? 'QCp01.01' : '';
    const addr = parseInt(m[1], 16);
    const len = parseInt(m[2], 16);
    if (len > 0x800) return 'E22';
    if (addr + len > this.limit) return 'E14';
    return expected(addr, len, this.limit).toString('hex');
  }

  listen(): Promise<void> {
    return new Promise((r) => this.server.listen(0, '127.0.0.1', () => {
      this.port = (this.server.address() as net.AddressInfo).port;
      r();
    }));
  }

  close(): Promise<void> {
    this.socket?.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

async function withQemuLikeStub(limit: number, faults: Faults, depth: number, body: (c: RspClient, s: QemuLikeStub) => Promise<void>, timeoutMs = 1000): Promise<void> {
  const stub = new QemuLikeStub(limit, faults);
  await stub.listen();
  const client = await RspClient.connect({ host: '127.0.0.1', port: stub.port }, { timeoutMs, pipelineDepth: depth });
  try {
    await body(client, stub);
  } finally {
    client.close();
    await stub.close();
  }
}

test('depth 4: four m packets are on the wire before the first reply; the data comes back in order', async () => {
  await withQemuLikeStub(0x100000, { holdUntil: 4 }, 4, async (client, stub) => {
    const r = await client.readMemory(0x1000n, 0x2800);
    assert.equal(r.error, undefined);
    assert.deepEqual(r.data, expected(0x1000, 0x2800, 0x100000));
    assert.equal(stub.maxWaiting, 4);
    assert.deepEqual(stub.received, ['m1000,800', 'm1800,800', 'm2000,800', 'm2800,800', 'm3000,800']);
    // Other requests never share the wire: they go out alone, after the reads.
    assert.equal(await client.request('qC'), 'QCp01.01');
  });
});

test('depth 1 (the default): one m at a time, so a stub that waits for a second packet starves it', async () => {
  await withQemuLikeStub(0x100000, { holdUntil: 2 }, 1, async (client, stub) => {
    await assert.rejects(client.readMemory(0n, 0x1000), /no reply to m0,800 within 200 ms/);
    assert.equal(stub.maxWaiting, 1);
  }, 200);
});

test('E14 in the middle of a pipelined read: the readable prefix to the byte and the same error as depth 1', async () => {
  for (const limit of [0x2345, 0x2800, 0x1801, 0x1000]) {
    const results: { data: Buffer; error?: string }[] = [];
    for (const depth of [1, 4]) {
      await withQemuLikeStub(limit, {}, depth, async (client) => {
        results.push(await client.readMemory(0x1000n, 0x4000));
        // The ignored replies of the reads past the hole do not leak into the next request.
        assert.equal(await client.request('qC'), 'QCp01.01');
        assert.deepEqual((await client.readMemory(0x1000n, 0x10)).data, expected(0x1000, 0x10, limit));
      });
    }
    assert.deepEqual(results[1], results[0], `limit 0x${limit.toString(16)}`);
    assert.deepEqual(results[1].data, expected(0x1000, 0x4000, limit));
    assert.equal(results[1].error, `cannot read memory at 0x${limit.toString(16)}: E14`);
  }
});

test('a nacked packet in the middle is resent behind the others and its reply still lands in its place', async () => {
  await withQemuLikeStub(0x100000, { nack: (p, seen) => p === 'm800,800' && seen === 0 }, 4, async (client, stub) => {
    const r = await client.readMemory(0n, 0x2000);
    assert.deepEqual(r.data, expected(0, 0x2000, 0x100000));
    // QEMU went on with the packets after the nacked one: the resent one is answered last.
    assert.deepEqual(stub.received, ['m0,800', 'm1000,800', 'm1800,800', 'm800,800']);
  });
});

test('a reply corrupted in transit while reads are pipelined is asked for again, never with `-`', async () => {
  await withQemuLikeStub(0x100000, { corrupt: (p, seen) => (p === 'm800,800' || p === 'm1800,800') && seen === 0 }, 4, async (client, stub) => {
    const errors: string[] = [];
    client.on('protocolError', (e) => errors.push(e));
    const r = await client.readMemory(0n, 0x2000);
    assert.deepEqual(r.data, expected(0, 0x2000, 0x100000));
    assert.equal(stub.received.filter((p) => p === 'm800,800').length, 2);
    assert.equal(stub.received.filter((p) => p === 'm1800,800').length, 2);
    // `-` would make QEMU resend its latest reply (another chunk's) or nothing at all.
    assert.ok(!stub.wire.includes('-'));
    assert.ok(errors.some((e) => /checksum mismatch.*asked again for m800,800/.test(e)));
  });
});

test('a reply that never comes fails the read (seen at the next ack); late replies are dropped and the client recovers', async () => {
  await withQemuLikeStub(0x100000, { drop: (p, seen) => p === 'm800,800' && seen === 0 }, 4, async (client) => {
    await assert.rejects(client.readMemory(0n, 0x2000), /m800 failed: the reply to an earlier packet went missing \(the stub acked m1000,800\)/);
    assert.deepEqual((await client.readMemory(0x800n, 0x1800)).data, expected(0x800, 0x1800, 0x100000));
    assert.equal(await client.request('qC'), 'QCp01.01');
  }, 200);
});

test('a reply cut short in the middle of a pipelined read fails the read at once; the client recovers', async () => {
  await withQemuLikeStub(0x100000, { truncate: (p, seen) => p === 'm800,800' && seen === 0 }, 4, async (client) => {
    const t0 = Date.now();
    await assert.rejects(client.readMemory(0n, 0x2000), /m800 failed: reply stream lost step \(truncated packet/);
    assert.ok(Date.now() - t0 < 150, 'not by the timeout');
    assert.deepEqual((await client.readMemory(0n, 0x2000)).data, expected(0, 0x2000, 0x100000));
  }, 200);
});

test('the last reply of a pipelined read lost: a timeout, then the client carries on', async () => {
  await withQemuLikeStub(0x100000, { drop: (p, seen) => p === 'm1800,800' && seen === 0 }, 4, async (client) => {
    await assert.rejects(client.readMemory(0n, 0x2000), /no reply to m1800,800 within 200 ms/);
    assert.deepEqual((await client.readMemory(0n, 0x2000)).data, expected(0, 0x2000, 0x100000));
  }, 200);
});

test('odd counts: 0, negative and NaN read nothing; a 4 GiB count reads up to the hole without a 4 GiB buffer', async () => {
  await withQemuLikeStub(0x3100, {}, 4, async (client, stub) => {
    for (const n of [0, -5, NaN]) assert.deepEqual(await client.readMemory(0x1000n, n), { data: Buffer.alloc(0) });
    assert.equal(stub.received.length, 0);
    const r = await client.readMemory(0x1000n, 2 ** 32 - 1);
    assert.deepEqual(r.data, expected(0x1000, 0x2100, 0x3100));
    assert.equal(r.error, 'cannot read memory at 0x3100: E14');
    assert.ok(r.data.buffer.byteLength <= 1 << 20, `buffer of ${r.data.buffer.byteLength} bytes`);
    // Fractional counts are rounded down rather than sent as m1000,1.8.
    assert.equal((await client.readMemory(0x1000n, 1.5)).data.length, 1);
    assert.equal(stub.received[stub.received.length - 1], 'm1000,1');
  });
  // Past the first 1 MiB the buffer grows; the bytes before and after the growth stay right.
  await withQemuLikeStub(0x200000, {}, 8, async (client) => {
    const r = await client.readMemory(0x10n, 0x101234);
    assert.equal(r.error, undefined);
    assert.ok(r.data.equals(expected(0x10, 0x101234, 0x200000)));
  });
});

test('malformed m replies mid-pipeline: clear errors, and the connection stays in step', async () => {
  const cases: [string, RegExp][] = [
    ['zz'.repeat(0x800), /bad reply to m: not hex: zzzz/],
    ['abc', /bad reply to m800,800: abc/],
    ['ab'.repeat(0x801), /bad reply to m800,800: abab/],
  ];
  for (const [bad, re] of cases) {
    await withQemuLikeStub(0x100000, { replace: (p) => (p === 'm800,800' ? bad : undefined) }, 4, async (client) => {
      await assert.rejects(client.readMemory(0n, 0x2000), re);
      assert.equal(await client.request('qC'), 'QCp01.01');
    });
  }
  // A short but well-formed reply ends the read there, as a partial read.
  await withQemuLikeStub(0x100000, { replace: (p) => (p === 'm800,800' ? '0102' : undefined) }, 4, async (client) => {
    const r = await client.readMemory(0n, 0x2000);
    assert.deepEqual(r.data, Buffer.concat([expected(0, 0x800, 0x100000), Buffer.from([1, 2])]));
    assert.equal(r.error, 'short read at 0x802');
  });
});

test('fuzz (seeded): nacks, corrupted replies and holes at random; every depth returns what depth 1 would', async () => {
  const rnd = prng(0x5eed0122);
  let nacks = 0;
  let corruptions = 0;
  let holes = 0;
  for (let round = 0; round < 150; round++) {
    const depth = 1 + Math.floor(rnd() * 8);
    const address = Math.floor(rnd() * 0x3000);
    const length = 1 + Math.floor(rnd() * 0x3800);
    const limit = rnd() < 0.5 ? 0x100000 : address + Math.floor(rnd() * (length + 0x100));
    const nackRate = rnd() * 0.3;
    const corruptRate = rnd() * 0.3;
    // At most two faults per packet: within the client's three retransmits, so every read ends.
    const faults: Faults = {
      nack: (_p, seen) => seen < 2 && rnd() < nackRate && ++nacks > 0,
      corrupt: (_p, seen) => seen < 2 && rnd() < corruptRate && ++corruptions > 0,
    };
    if (limit < address + length) holes++;
    await withQemuLikeStub(limit, faults, depth, async (client) => {
      const r = await client.readMemory(BigInt(address), length);
      const what = `round ${round}: depth ${depth}, m0x${address.toString(16)},0x${length.toString(16)}, limit 0x${limit.toString(16)}`;
      assert.deepEqual(r.data, expected(address, length, limit), what);
      assert.equal(r.error, limit < address + length ? `cannot read memory at 0x${Math.max(limit, address).toString(16)}: E14` : undefined, what);
      assert.equal(await client.request('qC'), 'QCp01.01', what);
    }, 2000);
  }
  assert.ok(nacks > 10 && corruptions > 10 && holes > 5, `faults injected: ${nacks} nacks, ${corruptions} corruptions, ${holes} holes`);
});
