// GdbTarget attached to misbehaving stubs on loopback (real sockets): garbage, bad checksums,
// truncated packets and closed connections end in clear errors, never crashes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { createGdbTarget } from '../../../adapter/gdb/gdbTarget';
import { encodePacket } from '../../../adapter/gdb/rspPacket';
import { prng } from './prng';

async function withServer(onData: (sock: net.Socket, data: Buffer) => void, body: (port: number) => Promise<void>, onConnect?: (sock: net.Socket) => void): Promise<void> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((sock) => {
    sockets.push(sock);
    sock.on('error', () => undefined);
    sock.on('data', (d: Buffer) => onData(sock, d));
    onConnect?.(sock);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await body((server.address() as net.AddressInfo).port);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

function target(port: number): ReturnType<typeof createGdbTarget> {
  return createGdbTarget({ type: 'gdb-remote', request: 'attach', target: `127.0.0.1:${port}`, timeoutMs: 300 }, { cwd: process.cwd(), log: () => undefined });
}

test('a stub that answers with random garbage: start fails with a timeout message', async () => {
  const rnd = prng(7);
  await withServer((sock) => {
    const junk = Buffer.alloc(64);
    for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(rnd() * 256);
    sock.write(junk);
  }, async (port) => {
    const t = target(port);
    await assert.rejects(t.start(), /no reply to qSupported|bad packet|unsupported/);
    await t.disconnect(true);
  });
});

test('a stub whose every reply has a bad checksum: retransmits are asked, then a clear timeout', async () => {
  let naks = 0;
  await withServer((sock, d) => {
    if (d.includes(0x2d)) naks++;
    if (d.includes(0x24)) sock.write('+$PacketSize=1000#00');
  }, async (port) => {
    const t = target(port);
    await assert.rejects(t.start(), /no reply to qSupported within 300 ms/);
    assert.ok(naks >= 1, 'the client answered the corrupt reply with -');
    await t.disconnect(true);
  });
});

test('a stub that closes the connection mid-handshake: start fails saying so; terminated is emitted once', async () => {
  await withServer((sock) => {
    sock.write('+$PacketSize=10');
    sock.destroy();
  }, async (port) => {
    const t = target(port);
    let terminated = 0;
    t.on('terminated', () => terminated++);
    await assert.rejects(t.start(), /closed|connection/);
    await t.disconnect(true);
    assert.ok(terminated <= 1);
  });
});

test('nothing listening: a clear connection error', async () => {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  const t = target(port);
  await assert.rejects(t.start(), /cannot connect to tcp:127\.0\.0\.1:\d+/);
});

test('a minimal stub without target.xml or monitor: registers from the fallback layout', async () => {
  const g = Buffer.alloc(64);
  g.writeUInt32LE(0x1234, 0); // eax
  g.writeUInt32LE(0x0005, 32); // eip
  g.writeUInt32LE(0x07c0, 40); // cs
  await withServer((sock, d) => {
    const text = d.toString('latin1');
    for (const m of text.matchAll(/\$([^#]*)#../g)) {
      const p = m[1];
      const reply = p.startsWith('qSupported') ? 'PacketSize=400' : p === '?' ? 'S05' : p === 'g' ? g.toString('hex') : '';
      sock.write(Buffer.concat([Buffer.from('+'), encodePacket(reply)]));
    }
  }, async (port) => {
    const t = target(port);
    await t.start();
    const { frames } = await t.stackTrace(0, 1);
    assert.equal(frames[0].address, 0x7c05n);
    assert.match(frames[0].name, /^07c0:0005/);
    assert.match((await t.evaluate('$ax', 0, 'watch')).result, /^0x1234/);
    await t.disconnect(true);
  });
});
