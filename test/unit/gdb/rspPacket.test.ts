// RSP framing: checksums, escapes, run-length decoding, acks, interrupts, incremental decoding of
// QEMU's real byte streams split at random points, and a seeded fuzz of garbage/corrupt input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RspDecoder, checksum, decodePayload, encodePacket, escapeBinary, type RspEvent } from '../../../adapter/gdb/rspPacket';
import { prng } from './prng';
import { receivedStream, transcriptNames, transcriptsMissing } from './transcripts';

function feedInChunks(dec: RspDecoder, data: Buffer, rnd: () => number, maxChunk: number): RspEvent[] {
  const events: RspEvent[] = [];
  for (let i = 0; i < data.length; ) {
    const n = 1 + Math.floor(rnd() * maxChunk);
    events.push(...dec.feed(data.subarray(i, i + n)));
    i += n;
  }
  return events;
}

test('checksums and framing match packets recorded from QEMU', () => {
  assert.equal(encodePacket('qC').toString(), '$qC#b4');
  assert.equal(encodePacket('?').toString(), '$?#3f');
  assert.equal(encodePacket('vMustReplyEmpty').toString(), '$vMustReplyEmpty#3a');
  assert.equal(encodePacket('qRcmd,696e666f20726567697374657273').toString(), '$qRcmd,696e666f20726567697374657273#5a');
  assert.equal(checksum(Buffer.from('T05thread:p01.01;')), 0x06);
});

test('escapes: $ # } * become } + byte^0x20 and decode back', () => {
  const data = Buffer.from([0x24, 0x23, 0x7d, 0x2a, 0x41, 0x00, 0xff]);
  const esc = escapeBinary(data);
  assert.deepEqual([...esc], [0x7d, 0x04, 0x7d, 0x03, 0x7d, 0x5d, 0x7d, 0x0a, 0x41, 0x00, 0xff]);
  const framed = encodePacket(data);
  const ev = new RspDecoder().feed(framed);
  assert.equal(ev.length, 1);
  assert.equal(ev[0].type, 'packet');
  assert.deepEqual((ev[0] as { payload: Buffer }).payload, data);
});

test('run-length encoding: c*N repeats c N-29 more times; malformed RLE is an error, not a crash', () => {
  const ok = decodePayload(Buffer.from('0* 1*!'));
  assert.ok(ok.ok);
  assert.equal(ok.data.toString(), '0000' + '11111');
  const bad1 = decodePayload(Buffer.from('*5'));
  assert.equal(bad1.ok, false);
  const bad2 = decodePayload(Buffer.from('0*'));
  assert.equal(bad2.ok, false);
  const bad3 = decodePayload(Buffer.from('0*\x05'));
  assert.equal(bad3.ok, false);
  // A gdbserver-style register dump with RLE.
  const wire = encodePacket(Buffer.from('a'));
  assert.equal(wire.toString(), '$a#61');
  const ev = new RspDecoder().feed(Buffer.from(`$0*<#${checksum(Buffer.from('0*<')).toString(16)}`));
  assert.equal(ev[0].type, 'packet');
  assert.equal((ev[0] as { payload: Buffer }).payload.toString(), '0'.repeat(1 + 0x3c - 29));
});

test('acks, nacks and the 0x03 interrupt are events outside packets', () => {
  const ev = new RspDecoder().feed(Buffer.from('+-\x03+$OK#9a'));
  assert.deepEqual(ev.map((e) => e.type), ['ack', 'nack', 'interrupt', 'ack', 'packet']);
});

test('QEMU byte streams from every transcript decode identically whatever the chunking', { skip: transcriptsMissing() }, () => {
  const rnd = prng(0xb007);
  let packets = 0;
  for (const name of transcriptNames()) {
    const stream = receivedStream(name);
    const whole = new RspDecoder().feed(stream);
    const bad = whole.filter((e) => e.type === 'badPacket' || e.type === 'error');
    assert.deepEqual(bad, [], `${name}: ${JSON.stringify(bad.slice(0, 2))}`);
    for (const max of [1, 7, 100]) {
      const chunked = feedInChunks(new RspDecoder(), stream, rnd, max);
      assert.deepEqual(chunked.map((e) => e.type), whole.map((e) => e.type), name);
      assert.deepEqual(
        chunked.filter((e) => e.type === 'packet').map((e) => (e as { payload: Buffer }).payload.toString('latin1')),
        whole.filter((e) => e.type === 'packet').map((e) => (e as { payload: Buffer }).payload.toString('latin1')),
      );
    }
    packets += whole.filter((e) => e.type === 'packet').length;
  }
  assert.ok(packets > 500, `decoded ${packets} packets`);
});

test('a wrong checksum is reported as badPacket with both sums; decoding resumes', () => {
  const ev = new RspDecoder().feed(Buffer.from('$OK#00$OK#9a'));
  assert.equal(ev[0].type, 'badPacket');
  assert.match((ev[0] as { error: string }).error, /packet says 00, payload sums to 9a/);
  assert.equal(ev[1].type, 'packet');
});

test('a truncated packet followed by a new one is reported, the new one decodes', () => {
  const dec = new RspDecoder();
  const ev = dec.feed(Buffer.from('$T05thr$OK#9a'));
  assert.equal(ev[0].type, 'error');
  assert.match((ev[0] as { error: string }).error, /truncated/);
  assert.equal(ev[1].type, 'packet');
  dec.feed(Buffer.from('$m12'));
  assert.equal(dec.midPacket, true);
  const dropped = dec.reset();
  assert.match((dropped[0] as { error: string }).error, /truncated packet dropped/);
  assert.equal(dec.midPacket, false);
});

test('garbage outside packets and oversized packets give error events, never exceptions', () => {
  const dec = new RspDecoder(64);
  const ev = dec.feed(Buffer.from('hello$' + 'a'.repeat(100) + '#00$OK#9a'));
  assert.match((ev[0] as { error: string }).error, /ignored 5 byte/);
  assert.ok(ev.some((e) => e.type === 'error' && /longer than 64/.test(e.error)));
  assert.equal(ev[ev.length - 1].type, 'packet');
});

test('fuzz: random bytes, corrupted and truncated real packets never throw; valid packets after junk decode', { skip: transcriptsMissing() }, () => {
  const rnd = prng(20261122);
  const stream = receivedStream('02-realmode-breakpoints-stepping.txt');
  for (let round = 0; round < 300; round++) {
    const dec = new RspDecoder(4096);
    const junk = Buffer.alloc(Math.floor(rnd() * 200));
    for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(rnd() * 256);
    // Corrupt a slice of real traffic: flip, drop or duplicate bytes.
    const start = Math.floor(rnd() * stream.length);
    const slice = Buffer.from(stream.subarray(start, start + Math.floor(rnd() * 300)));
    for (let k = 0; k < 3 && slice.length; k++) slice[Math.floor(rnd() * slice.length)] ^= 1 << Math.floor(rnd() * 8);
    const events = feedInChunks(dec, Buffer.concat([junk, slice]), rnd, 50);
    for (const e of events) {
      if (e.type === 'error' || e.type === 'badPacket') assert.ok(e.error.length > 0);
    }
    // After resetting, a clean packet always decodes.
    dec.reset();
    const after = dec.feed(Buffer.from('$OK#9a'));
    assert.equal(after[after.length - 1].type, 'packet', `round ${round}`);
  }
});

test('fuzz: payload bytes copied in runs decode exactly like byte-at-a-time, split anywhere, size limit included', () => {
  const rnd = prng(0x0b17c0de);
  const parts: Buffer[] = [];
  for (let i = 0; i < 200; i++) {
    const r = rnd();
    if (r < 0.1) parts.push(Buffer.from(rnd() < 0.5 ? '+' : '-'));
    else if (r < 0.15) parts.push(Buffer.from('$trunc' + 'a'.repeat(Math.floor(rnd() * 80)))); // cut short by the next $
    else {
      const hex = Buffer.from(Array.from({ length: Math.floor(rnd() * 120) }, () => Math.floor(rnd() * 256))).toString('hex');
      const frame = Buffer.from(encodePacket(hex));
      if (rnd() < 0.1) frame[frame.length - 1] ^= 1; // bad checksum
      parts.push(frame);
    }
  }
  const stream = Buffer.concat(parts);
  const norm = (evs: ReturnType<RspDecoder['feed']>): string[] => evs.map((e) => JSON.stringify(e));
  const byteAtATime: string[] = [];
  const one = new RspDecoder(100);
  for (const b of stream) byteAtATime.push(...norm(one.feed(Buffer.from([b]))));
  assert.ok(byteAtATime.some((e) => /longer than 100/.test(e)) && byteAtATime.some((e) => /truncated/.test(e)));
  for (let round = 0; round < 20; round++) {
    const dec = new RspDecoder(100);
    const got: string[] = [];
    for (let i = 0; i < stream.length;) {
      const n = 1 + Math.floor(rnd() * 300);
      got.push(...norm(dec.feed(stream.subarray(i, i + n))));
      i += n;
    }
    // Garbage counts may merge differently across splits; everything else is identical.
    const keep = (e: string): boolean => !/ignored \d+ byte/.test(e);
    assert.deepEqual(got.filter(keep), byteAtATime.filter(keep), `round ${round}`);
  }
});
