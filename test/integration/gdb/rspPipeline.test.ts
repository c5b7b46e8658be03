// Pipelined memory reads against real QEMU, through a loopback proxy that records (and on request
// corrupts or drops) the bytes each way: QEMU takes back-to-back `m` packets, acks every one,
// answers in order; a nack from QEMU and a reply corrupted on the way are both recovered; a lost
// reply fails the read and the connection carries on; a read that runs into unmapped memory gives
// exactly what a one-at-a-time read gives.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { RspClient, QEMU_PIPELINE_DEPTH } from '../../../adapter/gdb/rspClient';
import { QemuProcess } from '../../../adapter/gdb/qemuLauncher';
import { qemuMissing, startTarget } from './gdbTestSupport';
import { buildBootSector, toolchainMissing, type BuiltBootSector } from './bootsectorFixture';

const skip = qemuMissing() ?? toolchainMissing();
let bs: BuiltBootSector;
let qemu: QemuProcess;

before(async () => {
  if (skip) return;
  bs = buildBootSector();
  qemu = await QemuProcess.launch({ qemu: 'qemu-system-i386', image: bs.floppy, media: 'floppy', qemuArgs: [], console: 'none' });
});
after(async () => {
  await qemu?.dispose();
  bs?.cleanup();
});

/** A TCP proxy in front of QEMU's gdbstub: logs both directions, can rewrite bytes on the way. */
class Proxy {
  toQemu = '';
  toClient = '';
  /** Packets sent to QEMU minus packets back, at most (2+ means requests overlapped). */
  maxOutstanding = 0;
  private outstanding = 0;
  private server: net.Server;
  private sockets: net.Socket[] = [];
  port = 0;
  constructor(target: number, rewriteUp?: (d: Buffer) => Buffer, rewriteDown?: (d: Buffer) => Buffer) {
    this.server = net.createServer((client) => {
      const up = net.connect({ host: '127.0.0.1', port: target });
      up.setNoDelay(true);
      client.setNoDelay(true);
      this.sockets.push(client, up);
      client.on('data', (d: Buffer) => {
        const out = rewriteUp ? rewriteUp(d) : d;
        this.toQemu += out.toString('latin1');
        this.count(out, +1);
        up.write(out);
      });
      up.on('data', (d: Buffer) => {
        const out = rewriteDown ? rewriteDown(d) : d;
        this.toClient += out.toString('latin1');
        this.count(out, -1);
        client.write(out);
      });
      client.on('close', () => up.destroy());
      up.on('close', () => client.destroy());
      client.on('error', () => undefined);
      up.on('error', () => undefined);
    });
  }
  private count(d: Buffer, step: number): void {
    for (const b of d) {
      if (b !== 0x24) continue;
      this.outstanding += step;
      this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding);
    }
  }
  listen(): Promise<void> {
    return new Promise((r) => this.server.listen(0, '127.0.0.1', () => {
      this.port = (this.server.address() as net.AddressInfo).port;
      r();
    }));
  }
  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

async function withClient(depth: number, body: (c: RspClient, p: Proxy) => Promise<void>, rewriteUp?: (d: Buffer) => Buffer, rewriteDown?: (d: Buffer) => Buffer, timeoutMs = 5000): Promise<void> {
  const proxy = new Proxy(qemu.port, rewriteUp, rewriteDown);
  await proxy.listen();
  const client = await RspClient.connect({ host: '127.0.0.1', port: proxy.port }, { pipelineDepth: depth, timeoutMs });
  try {
    await client.handshake();
    await body(client, proxy);
    // No detach: that would resume the VM and change memory under the next comparison. A plain
    // close leaves QEMU paused (still at the reset vector: nothing in these tests runs the VM).
  } finally {
    client.close();
    await proxy.close();
  }
}

/** The BIOS ROM as mapped at reset: non-zero, stable while the VM stays paused. */
const BIOS = 0xf0000n;

async function sequentialRead(address: bigint, length: number): Promise<{ data: Buffer; error?: string }> {
  let result: { data: Buffer; error?: string } | undefined;
  await withClient(1, async (c) => {
    result = await c.readMemory(address, length);
  });
  return result!;
}

test('QEMU takes four m packets back to back, acks each, answers in order: same bytes as one at a time', { skip, timeout: 30000 }, async () => {
  const want = await sequentialRead(BIOS, 0x10000);
  assert.equal(want.data.length, 0x10000);
  assert.ok(want.data.some((b) => b !== 0), 'the BIOS area is not all zeros');
  await withClient(4, async (c, proxy) => {
    const mark = proxy.toQemu.length;
    const downMark = proxy.toClient.length;
    const got = await c.readMemory(BIOS, 0x10000);
    assert.equal(got.error, undefined);
    assert.ok(got.data.equals(want.data));
    const sent = proxy.toQemu.slice(mark);
    assert.equal(sent.split('$m').length - 1, 32);
    // Requests overlapped on the wire (all four if QEMU never caught up between our writes).
    assert.ok(proxy.maxOutstanding >= 2 && proxy.maxOutstanding <= 4, `at most ${proxy.maxOutstanding} outstanding`);
    const down = proxy.toClient.slice(downMark);
    assert.equal((down.match(/\+/g) ?? []).length, 32, 'QEMU acked every packet');
    assert.equal((down.match(/\$/g) ?? []).length, 32, 'and answered each one');
    assert.ok(!/-/.test(down) && !/-/.test(sent), 'no nacks either way');
  });
});

test('a read running into unmapped memory: the readable prefix to the byte and E14, as one at a time', { skip, timeout: 30000 }, async () => {
  // The pc machine with its default 128 MiB: RAM ends at 0x8000000.
  const start = 0x8000000n - 0x2345n;
  const want = await sequentialRead(start, 0x4000);
  assert.equal(want.data.length, 0x2345);
  assert.equal(want.error, 'cannot read memory at 0x8000000: E14');
  await withClient(4, async (c) => {
    const got = await c.readMemory(start, 0x4000);
    assert.deepEqual(got, want);
    // The replies of the reads past the hole were drained; the connection stays in step.
    const again = await c.readMemory(BIOS, 0x1000);
    assert.ok(again.data.equals((await c.readMemory(BIOS, 0x1000)).data));
    assert.equal(again.data.length, 0x1000);
  });
});

test('QEMU nacks a corrupted request in the middle and goes on; the resent one still lands in its place', { skip, timeout: 30000 }, async () => {
  const want = await sequentialRead(BIOS, 0x4000);
  let injected = 0;
  // Break the checksum of the second chunk's request the first time it passes.
  const corruptRequest = (d: Buffer): Buffer => {
    const at = d.indexOf('$mf0800,800#');
    if (at < 0 || injected > 0) return d;
    injected++;
    const out = Buffer.from(d);
    const cs = at + '$mf0800,800#'.length;
    out[cs] = out[cs] === 0x30 ? 0x31 : 0x30;
    return out;
  };
  await withClient(4, async (c, proxy) => {
    const got = await c.readMemory(BIOS, 0x4000);
    assert.equal(injected, 1);
    assert.ok(got.data.equals(want.data));
    assert.match(proxy.toClient, /-/, 'QEMU answered the bad packet with -');
    assert.equal(proxy.toQemu.split('$mf0800,800#').length - 1, 2, 'and the client resent it once');
  }, corruptRequest);
});

test('a reply corrupted on the way while reads are pipelined is asked for again; the data is right', { skip, timeout: 30000 }, async () => {
  const want = await sequentialRead(BIOS, 0x4000);
  let armed = false;
  let injected = 0;
  let flipNext = false;
  // Flip the first checksum digit of the second memory reply (the replies are hex: `#` ends them).
  let repliesSeen = 0;
  const corruptReply = (d: Buffer): Buffer => {
    if (!armed || injected > 0) return d;
    const out = Buffer.from(d);
    for (let i = 0; i < out.length; i++) {
      if (flipNext) {
        out[i] = out[i] === 0x30 ? 0x31 : 0x30;
        flipNext = false;
        injected++;
        break;
      }
      if (out[i] === 0x23 && ++repliesSeen === 2) flipNext = true;
    }
    return out;
  };
  await withClient(4, async (c, proxy) => {
    armed = true;
    const mark = proxy.toQemu.length;
    const got = await c.readMemory(BIOS, 0x4000);
    assert.equal(injected, 1);
    assert.ok(got.data.equals(want.data));
    const sent = proxy.toQemu.slice(mark);
    assert.equal(sent.split('$m').length - 1, 9, '8 chunks and one asked again');
    assert.ok(!sent.includes('-'), 'no nack: QEMU would resend its latest reply instead');
  }, undefined, corruptReply);
});

/** Drops the `which`-th packet (counting from when `armed()` turns true) from QEMU's byte stream. */
function replyDropper(which: number, armed: () => boolean): { rewrite: (d: Buffer) => Buffer; dropped: () => boolean } {
  let seen = 0;
  let state: 'pass' | 'drop' | 'cs' | 'done' = 'pass';
  let csLeft = 0;
  return {
    dropped: () => state === 'done',
    rewrite(d: Buffer): Buffer {
      if (!armed() || state === 'done') return d;
      const keep: number[] = [];
      for (const b of d) {
        if (state === 'pass') {
          if (b === 0x24 && ++seen === which) state = 'drop';
          else keep.push(b);
        } else if (state === 'drop') {
          if (b === 0x23) {
            state = 'cs';
            csLeft = 2;
          }
        } else if (state === 'cs') {
          if (--csLeft === 0) state = 'done';
        } else {
          keep.push(b);
        }
      }
      return Buffer.from(keep);
    },
  };
}

test('a reply lost on the way in the middle: the read fails at the next ack, not by a timeout; then reads work again', { skip, timeout: 30000 }, async () => {
  let armed = false;
  const dropper = replyDropper(2, () => armed);
  await withClient(4, async (c) => {
    const want = await c.readMemory(BIOS, 0x4000);
    armed = true;
    const t0 = Date.now();
    await assert.rejects(c.readMemory(BIOS, 0x4000), /mf0800 failed: the reply to an earlier packet went missing/);
    assert.ok(dropper.dropped());
    assert.ok(Date.now() - t0 < 1000, 'not by the timeout');
    const again = await c.readMemory(BIOS, 0x4000);
    assert.ok(again.data.equals(want.data));
  }, undefined, dropper.rewrite, 1500);
});

test('the last reply of a pipelined read lost on the way: a timeout, then reads work again', { skip, timeout: 30000 }, async () => {
  let armed = false;
  const dropper = replyDropper(8, () => armed);
  await withClient(4, async (c) => {
    const want = await c.readMemory(BIOS, 0x4000);
    armed = true;
    await assert.rejects(c.readMemory(BIOS, 0x4000), /no reply to mf3800,800 within 500 ms/);
    assert.ok(dropper.dropped());
    const again = await c.readMemory(BIOS, 0x4000);
    assert.ok(again.data.equals(want.data));
  }, undefined, dropper.rewrite, 500);
});

test('the debugger pipelines on the QEMU it launched; attach stays at 1 unless memoryReadPipeline says otherwise', { skip, timeout: 60000 }, async () => {
  const launched = await startTarget({ request: 'launch', image: bs.floppy, media: 'floppy', stopOnEntry: true, console: 'none' });
  try {
    assert.equal(launched.target.cpu.client.pipelineDepth, QEMU_PIPELINE_DEPTH);
    // Through the Target API: the readable prefix of a read across the end of RAM, and the rest unreadable.
    const r = await launched.target.readMemory(0x8000000n - 0x1234n, 0x3000);
    assert.equal(r.data.length, 0x1234);
    assert.equal(r.unreadableBytes, 0x3000 - 0x1234);
  } finally {
    await launched.dispose();
  }
  // Attach last: disconnecting resumes the shared VM.
  for (const [extra, depth] of [[{}, 1], [{ memoryReadPipeline: 3 }, 3]] as const) {
    const attached = await startTarget({ request: 'attach', target: `127.0.0.1:${qemu.port}`, ...extra });
    try {
      assert.equal(attached.target.cpu.client.pipelineDepth, depth);
      assert.equal((await attached.target.readMemory(BIOS, 0x2000)).data.length, 0x2000);
    } finally {
      await attached.target.disconnect(false);
    }
  }
});
