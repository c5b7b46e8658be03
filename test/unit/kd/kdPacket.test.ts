import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeControlPacket,
  encodeDataPacket,
  HEADER_SIZE,
  kdChecksum,
  KdFrame,
  KdPacketDecoder,
  PACKET_MAX_SIZE,
  PacketType,
} from '../../../adapter/kd/kdPacket';
import { CAPTURE_MISSING, loadCapture, prng } from './kdTestUtil';

function decodeAll(bytes: Buffer, chunking: (n: number) => number): KdFrame[] {
  const d = new KdPacketDecoder();
  const out: KdFrame[] = [];
  let i = 0;
  while (i < bytes.length) {
    const n = Math.max(1, chunking(bytes.length - i));
    out.push(...d.push(bytes.subarray(i, i + n)));
    i += n;
  }
  return out;
}

test('checksum: every packet of the real WinDbg capture verifies', (t) => {
  const cap = loadCapture();
  if (!cap) return t.skip(CAPTURE_MISSING);
  let n = 0;
  for (const p of cap) {
    const data = Buffer.from(p.data_hex, 'hex');
    assert.equal(data.length, p.byte_count, `frame ${p.frame} length`);
    assert.equal(kdChecksum(data), parseInt(p.checksum, 16), `frame ${p.frame} checksum`);
    n++;
  }
  assert.ok(n > 500);
});

test('capture payloads re-framed for serial decode byte-exact, in any chunking', (t) => {
  const cap = loadCapture();
  if (!cap) return t.skip(CAPTURE_MISSING);
  const payloads = cap.filter((p) => p.byte_count > 0).map((p) => ({ type: p.type as PacketType, data: Buffer.from(p.data_hex, 'hex') }));
  let id = 0x80800000;
  const wire = Buffer.concat(payloads.map((p) => encodeDataPacket(p.type, (id ^= 1), p.data)));
  const rnd = prng(7);
  for (const chunk of [() => 1, () => 4096, () => Math.floor(rnd() * 300)]) {
    const frames = decodeAll(wire, chunk);
    assert.equal(frames.length, payloads.length);
    frames.forEach((f, i) => {
      assert.equal(f.kind, 'data');
      if (f.kind === 'data') {
        assert.equal(f.type, payloads[i].type);
        assert.ok(f.payload.equals(payloads[i].data));
      }
    });
  }
});

test('frame layout: leader, type, count, id, checksum, trailer', () => {
  const p = encodeDataPacket(PacketType.DebugIo, 0x80800800, Buffer.from('hi'));
  assert.equal(p.subarray(0, 4).toString('hex'), '30303030');
  assert.equal(p.readUInt16LE(4), 3);
  assert.equal(p.readUInt16LE(6), 2);
  assert.equal(p.readUInt32LE(8), 0x80800800);
  assert.equal(p.readUInt32LE(12), 0x68 + 0x69);
  assert.equal(p[p.length - 1], 0xaa);
  const reset = encodeControlPacket(PacketType.Reset);
  assert.equal(reset.toString('hex'), '69696969' + '0600' + '0000' + '00000000' + '00000000');
  assert.throws(() => encodeDataPacket(PacketType.DebugIo, 0x80800000, Buffer.alloc(PACKET_MAX_SIZE + 1)), RangeError);
});

test('garbage before a leader is skipped; control packets decode', () => {
  const wire = Buffer.concat([Buffer.from('xx30\x30\x69zz', 'latin1'), encodeControlPacket(PacketType.Acknowledge, 0x80800001), Buffer.from([0x30, 0x30]), encodeDataPacket(PacketType.DebugIo, 0x80800000, Buffer.from('abc'))]);
  const frames = decodeAll(wire, () => 3);
  assert.deepEqual(
    frames.map((f) => f.kind),
    ['control', 'data'],
  );
  assert.equal(frames[0].kind === 'control' && frames[0].id, 0x80800001);
});

test('a damaged frame is reported and the frames it swallowed are recovered (§11)', () => {
  const good1 = encodeDataPacket(PacketType.DebugIo, 0x80800000, Buffer.from('line one\n'));
  const good2 = encodeDataPacket(PacketType.DebugIo, 0x80800001, Buffer.from('line two\n'));
  // A header whose ByteCount claims more than was sent: it swallows good1 and good2.
  const bad = encodeDataPacket(PacketType.DebugIo, 0x80800000, Buffer.alloc(60, 0x41)).subarray(0, HEADER_SIZE + 5);
  const frames = decodeAll(Buffer.concat([bad, good1, good2, good1]), () => 7);
  const kinds = frames.map((f) => f.kind);
  assert.ok(kinds.includes('damaged'));
  const texts = frames.filter((f) => f.kind === 'data').map((f) => (f.kind === 'data' ? f.payload.toString() : ''));
  assert.deepEqual(texts, ['line one\n', 'line two\n', 'line one\n']);
});

test('checksum or trailer corruption → damaged, never data', () => {
  const p = encodeDataPacket(PacketType.StateManipulate, 0x80800000, Buffer.alloc(0x38, 1));
  const c1 = Buffer.from(p);
  c1[20] ^= 0x10;
  const c2 = Buffer.from(p);
  c2[c2.length - 1] = 0xab;
  for (const c of [c1, c2]) {
    const d = new KdPacketDecoder();
    const frames = d.push(c);
    assert.deepEqual(frames.map((f) => f.kind), ['damaged']);
  }
});

test('abandonPartial reports a truncated frame and re-scans its bytes', () => {
  const d = new KdPacketDecoder();
  const full = encodeDataPacket(PacketType.DebugIo, 0x80800000, Buffer.from('truncated text'));
  assert.deepEqual(d.push(full.subarray(0, 20)), []);
  const out = d.abandonPartial();
  assert.equal(out[0]?.kind, 'damaged');
  assert.equal(d.pending, 0);
  const ok = d.push(encodeDataPacket(PacketType.DebugIo, 0x80800001, Buffer.from('next')));
  assert.equal(ok.length, 1);
});

test('headers that cannot be right (bad type, id, oversize count) are not trusted', () => {
  const base = encodeDataPacket(PacketType.DebugIo, 0x80800000, Buffer.from('x'));
  const badId = Buffer.from(base);
  badId.writeUInt32LE(0x12345678, 8);
  const badType = Buffer.from(base);
  badType.writeUInt16LE(0x99, 4);
  const big = Buffer.from(base);
  big.writeUInt16LE(4001, 6);
  for (const b of [badId, badType, big]) {
    const d = new KdPacketDecoder();
    assert.deepEqual(d.push(b), []);
    assert.ok(d.pending < HEADER_SIZE, 'no waiting on an untrusted header');
  }
});

test('fuzz (seeded): random and mutated streams never throw, stay bounded, and recover', () => {
  const rnd = prng(0xb007);
  const valid: Buffer[] = [];
  for (let i = 0; i < 40; i++) {
    const len = Math.floor(rnd() * 300);
    const payload = Buffer.alloc(len);
    for (let j = 0; j < len; j++) payload[j] = Math.floor(rnd() * 256);
    valid.push(encodeDataPacket(PacketType.DebugIo, 0x80800000 | (i & 1), payload));
    if (i % 5 === 0) valid.push(encodeControlPacket(PacketType.Acknowledge, 0x80800000));
  }
  for (let round = 0; round < 300; round++) {
    const d = new KdPacketDecoder();
    const parts: Buffer[] = [];
    for (let k = 0; k < 20; k++) {
      const pick = rnd();
      if (pick < 0.3) {
        const g = Buffer.alloc(Math.floor(rnd() * 64));
        for (let j = 0; j < g.length; j++) g[j] = [0x30, 0x69, 0xaa, Math.floor(rnd() * 256)][Math.floor(rnd() * 4)];
        parts.push(g);
      } else {
        const v = Buffer.from(valid[Math.floor(rnd() * valid.length)]);
        const mut = rnd();
        if (mut < 0.2) v[Math.floor(rnd() * v.length)] = Math.floor(rnd() * 256);
        else if (mut < 0.3) parts.push(v.subarray(0, Math.floor(rnd() * v.length)));
        else parts.push(v);
        if (mut < 0.2) parts.push(v);
      }
    }
    const stream = Buffer.concat(parts);
    let i = 0;
    while (i < stream.length) {
      const n = 1 + Math.floor(rnd() * 200);
      assert.doesNotThrow(() => d.push(stream.subarray(i, i + n)));
      assert.ok(d.pending <= HEADER_SIZE + PACKET_MAX_SIZE + 1 + 200, 'decoder buffer stays bounded');
      i += n;
    }
    assert.doesNotThrow(() => d.abandonPartial());
    // Afterwards a clean frame always gets through.
    let got = d.push(valid[0]);
    for (let k = 0; k < 3 && !got.some((f) => f.kind === 'data'); k++) got = got.concat(d.abandonPartial(), d.push(valid[0]));
    assert.ok(got.some((f) => f.kind === 'data'), `round ${round}: decoder recovers`);
  }
});
