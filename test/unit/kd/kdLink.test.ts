/**
 * The link layer against a scripted peer on a real Unix socket: the peer is a few lines of
 * framing (kdPacket) so each rule of kd-protocol.md §1.4–1.6 is exercised on its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { KdLink } from '../../../adapter/kd/kdLink';
import { encodeControlPacket, encodeDataPacket, KdFrame, KdPacketDecoder, PacketType } from '../../../adapter/kd/kdPacket';
import { openKdTransport } from '../../../adapter/kd/kdTransport';

interface Peer {
  socket: net.Socket;
  frames: KdFrame[];
  next(pred?: (f: KdFrame) => boolean, ms?: number): Promise<KdFrame>;
  raw: Buffer[];
}

async function pair(opts: { ackTimeoutMs?: number } = {}): Promise<{ link: KdLink; peer: Peer; close(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kdlink-'));
  const sock = path.join(dir, 's');
  let resolvePeer!: (s: net.Socket) => void;
  const got = new Promise<net.Socket>((r) => (resolvePeer = r));
  const server = net.createServer((s) => resolvePeer(s));
  await new Promise<void>((r) => server.listen(sock, r));
  const transport = await openKdTransport({ kind: 'unix', path: sock }, { baudRate: 0 });
  const socket = await got;
  const dec = new KdPacketDecoder();
  const frames: KdFrame[] = [];
  const raw: Buffer[] = [];
  const waiters: (() => void)[] = [];
  socket.on('data', (d: Buffer) => {
    raw.push(d);
    frames.push(...dec.push(d));
    for (const w of waiters.splice(0)) w();
  });
  const peer: Peer = {
    socket,
    frames,
    raw,
    async next(pred = () => true, ms = 2000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const i = frames.findIndex(pred);
        if (i >= 0) return frames.splice(i, 1)[0];
        if (Date.now() > deadline) throw new Error('peer: timed out waiting for a frame');
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 50);
        });
      }
    },
  };
  const link = new KdLink(transport, { ackTimeoutMs: opts.ackTimeoutMs ?? 150 });
  return {
    link,
    peer,
    async close() {
      await link.close();
      socket.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const isAck = (f: KdFrame): boolean => f.kind === 'control' && f.type === PacketType.Acknowledge;

test('a sync-id packet is ACKed with the sync bit cleared and starts a new session', async () => {
  const { link, peer, close } = await pair();
  try {
    const got: string[] = [];
    let restarted = 0;
    link.on('sessionRestart', () => restarted++);
    link.on('packet', (p: { payload: Buffer }) => got.push(p.payload.toString()));
    peer.socket.write(encodeDataPacket(PacketType.DebugIo, 0x80800800, Buffer.from('first')));
    const ack = await peer.next(isAck);
    assert.equal(ack.kind === 'control' && ack.id, 0x80800000);
    // Our ACK "was lost": the same sync packet again is a duplicate.
    peer.socket.write(encodeDataPacket(PacketType.DebugIo, 0x80800800, Buffer.from('first')));
    await peer.next(isAck);
    peer.socket.write(encodeDataPacket(PacketType.DebugIo, 0x80800001, Buffer.from('second')));
    await peer.next(isAck);
    assert.deepEqual(got, ['first', 'second']);
    assert.equal(restarted, 1);
    assert.equal(link.synchronized, true);
  } finally {
    await close();
  }
});

test('duplicates (same id again) are ACKed but dropped; unknown first id is accepted', async () => {
  const { link, peer, close } = await pair();
  try {
    const got: string[] = [];
    link.on('packet', (p: { payload: Buffer }) => got.push(p.payload.toString()));
    for (const [id, text] of [
      [0x80800001, 'a'],
      [0x80800001, 'a'],
      [0x80800000, 'b'],
      [0x80800000, 'b'],
      [0x80800001, 'c'],
    ] as const) {
      peer.socket.write(encodeDataPacket(PacketType.DebugIo, id, Buffer.from(text)));
      const ack = await peer.next(isAck);
      assert.equal(ack.kind === 'control' && ack.id, id);
    }
    assert.deepEqual(got, ['a', 'b', 'c']);
    assert.equal(link.stats.duplicates, 2);
    assert.equal(link.synchronized, false, 'host id still unknown without RESET');
  } finally {
    await close();
  }
});

test('send retransmits until ACKed, flips the id after the ACK', async () => {
  const { link, peer, close } = await pair({ ackTimeoutMs: 100 });
  try {
    peer.socket.write(encodeControlPacket(PacketType.Reset));
    await new Promise((r) => setTimeout(r, 50));
    const sent = link.send(PacketType.StateManipulate, Buffer.alloc(0x38, 7));
    const first = await peer.next((f) => f.kind === 'data');
    const again = await peer.next((f) => f.kind === 'data');
    assert.equal(first.kind === 'data' && first.id, 0x80800000);
    assert.equal(again.kind === 'data' && again.id, 0x80800000, 'same id on retransmission');
    peer.socket.write(encodeControlPacket(PacketType.Acknowledge, 0x80800000));
    await sent;
    const second = link.send(PacketType.StateManipulate, Buffer.alloc(0x38, 8));
    const next = await peer.next((f) => f.kind === 'data' && f.payload[0] === 8);
    assert.equal(next.kind === 'data' && next.id, 0x80800001);
    assert.ok(link.stats.retransmits >= 1);
    peer.socket.write(encodeControlPacket(PacketType.Acknowledge, 0x80800001));
    await second;
  } finally {
    await close();
  }
});

test('RESEND from the peer makes us retransmit at once; a damaged frame makes us ask for RESEND', async () => {
  const { link, peer, close } = await pair({ ackTimeoutMs: 5000 });
  try {
    const sent = link.send(PacketType.StateManipulate, Buffer.alloc(0x38, 1));
    await peer.next((f) => f.kind === 'data');
    peer.socket.write(encodeControlPacket(PacketType.Resend));
    const again = await peer.next((f) => f.kind === 'data', 1000);
    peer.socket.write(encodeControlPacket(PacketType.Acknowledge, again.kind === 'data' ? again.id : 0));
    await sent;
    const bad = encodeDataPacket(PacketType.DebugIo, 0x80800000, Buffer.from('corrupt me'));
    bad[20] ^= 0xff;
    peer.socket.write(bad);
    const resend = await peer.next((f) => f.kind === 'control' && f.type === PacketType.Resend);
    assert.equal(resend.kind === 'control' && resend.id, 0);
  } finally {
    await close();
  }
});

test('RESET from the target resets both ids and is never answered with RESET', async () => {
  const { link, peer, close } = await pair({ ackTimeoutMs: 5000 });
  try {
    let resets = 0;
    link.on('reset', () => resets++);
    // Leave an old id state behind first.
    peer.socket.write(encodeDataPacket(PacketType.DebugIo, 0x80800001, Buffer.from('x')));
    await peer.next(isAck);
    peer.socket.write(encodeControlPacket(PacketType.Reset));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(resets, 1);
    assert.equal(peer.frames.filter((f) => f.kind === 'control' && f.type === PacketType.Reset).length, 0);
    const got: string[] = [];
    link.on('packet', (p: { payload: Buffer }) => got.push(p.payload.toString()));
    peer.socket.write(encodeDataPacket(PacketType.DebugIo, 0x80800000, Buffer.from('after reset')));
    await peer.next(isAck);
    assert.deepEqual(got, ['after reset']);
    const s = link.send(PacketType.StateManipulate, Buffer.alloc(0x38));
    const req = await peer.next((f) => f.kind === 'data');
    assert.equal(req.kind === 'data' && req.id, 0x80800000);
    peer.socket.write(encodeControlPacket(PacketType.Acknowledge, 0x80800000));
    await s;
  } finally {
    await close();
  }
});

test('a new data packet while waiting for our ACK is an implicit ACK (§1.6); a duplicate is not', async () => {
  const { link, peer, close } = await pair({ ackTimeoutMs: 5000 });
  try {
    peer.socket.write(encodeControlPacket(PacketType.Reset));
    peer.socket.write(encodeDataPacket(PacketType.DebugIo, 0x80800000, Buffer.from('p0')));
    await peer.next(isAck);
    let done = false;
    const s = link.send(PacketType.StateManipulate, Buffer.alloc(0x38)).then(() => (done = true));
    await peer.next((f) => f.kind === 'data');
    peer.socket.write(encodeDataPacket(PacketType.DebugIo, 0x80800000, Buffer.from('p0')));
    await peer.next(isAck);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(done, false, 'duplicate is not an implicit ACK');
    peer.socket.write(encodeDataPacket(PacketType.StateManipulate, 0x80800001, Buffer.alloc(0x38)));
    await s;
    assert.equal(done, true);
  } finally {
    await close();
  }
});

test('retries run out → lost; closing the peer → close event and pending sends fail', async () => {
  const { link, peer, close } = await pair({ ackTimeoutMs: 20 });
  try {
    const lost = new Promise<Error>((r) => link.once('lost', r));
    const s = link.send(PacketType.StateManipulate, Buffer.alloc(0x38));
    await assert.rejects(s, /no acknowledgement/);
    assert.match((await lost).message, /no acknowledgement/);
    const closed = new Promise<void>((r) => link.once('close', () => r()));
    const pending = link.send(PacketType.StateManipulate, Buffer.alloc(0x38));
    peer.socket.destroy();
    await closed;
    await assert.rejects(pending, /connection/);
    assert.equal(link.isClosed, true);
  } finally {
    await close();
  }
});
