// RspClient against a tiny RSP stub on loopback (a real socket) that replays QEMU 7.2's recorded
// replies and misbehaves on purpose: unsolicited T02 on connect, `-` retransmits, corrupt and
// truncated replies, monitor output, 0x800-byte read splitting, refused packets, closing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { RspClient, parseEndpoint, parseStopReply } from '../../../adapter/gdb/rspClient';
import { RspDecoder, encodePacket } from '../../../adapter/gdb/rspPacket';
import { parseTargetDescription } from '../../../adapter/gdb/x86Model';
import { replyTable, transcriptsMissing } from './transcripts';

type Handler = (payload: string, stub: Stub) => void;

class Stub {
  readonly received: string[] = [];
  readonly raw: Buffer[] = [];
  socket: net.Socket | undefined;
  private server: net.Server;
  port = 0;
  constructor(private handler: Handler, private onConnect?: (s: Stub) => void) {
    this.server = net.createServer((sock) => {
      this.socket = sock;
      const dec = new RspDecoder();
      sock.on('data', (d: Buffer) => {
        this.raw.push(d);
        for (const ev of dec.feed(d)) {
          if (ev.type === 'packet') {
            const p = ev.payload.toString('latin1');
            this.received.push(p);
            this.handler(p, this);
          } else if (ev.type === 'interrupt') {
            this.received.push('\x03');
            this.handler('\x03', this);
          }
        }
      });
      sock.on('error', () => undefined);
      this.onConnect?.(this);
    });
  }
  listen(): Promise<void> {
    return new Promise((r) => this.server.listen(0, '127.0.0.1', () => {
      this.port = (this.server.address() as net.AddressInfo).port;
      r();
    }));
  }
  send(text: string | Buffer): void {
    this.socket?.write(text);
  }
  reply(payload: string): void {
    this.send(Buffer.concat([Buffer.from('+'), encodePacket(payload)]));
  }
  close(): Promise<void> {
    this.socket?.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

async function withStub(handler: Handler, body: (c: RspClient, s: Stub) => Promise<void>, onConnect?: (s: Stub) => void, timeoutMs = 1000): Promise<void> {
  const stub = new Stub(handler, onConnect);
  await stub.listen();
  const client = await RspClient.connect({ host: '127.0.0.1', port: stub.port }, { timeoutMs });
  try {
    await body(client, stub);
  } finally {
    client.close();
    await stub.close();
  }
}

/** Replays QEMU's recorded replies from transcript 01 (qSupported, ?, qXfer, g, qRcmd …). */
function qemuReplay(): Handler {
  const table = replyTable('01-handshake-qemu7.2.txt');
  // Our requests differ from gdb's in feature list and qXfer chunk length: match on what matters.
  const lookup = (payload: string): Buffer[] | undefined => {
    if (payload.startsWith('qSupported')) return [...table].find(([k]) => k.startsWith('qSupported'))?.[1];
    const x = /^(qXfer:features:read:[^:]+:[0-9a-f]+),/.exec(payload);
    if (x) return [...table].find(([k]) => k.startsWith(x[1] + ','))?.[1];
    return table.get(payload);
  };
  return (payload, stub) => {
    const frames = lookup(payload);
    if (!frames) {
      stub.reply('');
      return;
    }
    stub.send('+');
    for (const f of frames) stub.send(f);
  };
}

test('endpoint parsing: host:port, :port, bare port, Unix path; junk rejected', () => {
  assert.deepEqual(parseEndpoint('127.0.0.1:1234'), { host: '127.0.0.1', port: 1234 });
  assert.deepEqual(parseEndpoint(':1234'), { host: '127.0.0.1', port: 1234 });
  assert.deepEqual(parseEndpoint('1234'), { host: '127.0.0.1', port: 1234 });
  assert.deepEqual(parseEndpoint('/tmp/qemu-gdb.sock'), { path: '/tmp/qemu-gdb.sock' });
  assert.equal(parseEndpoint('localhost:99999'), undefined);
  assert.equal(parseEndpoint('not a target'), undefined);
});

test('stop replies: T with thread and watch address, S, W, X; other payloads are not stops', () => {
  const t = parseStopReply('T05thread:p01.01;watch:00007c73;')!;
  assert.equal(t.code, 5);
  assert.equal(t.info.thread, 'p01.01');
  assert.deepEqual(t.watch, { kind: 'watch', address: 0x7c73n });
  assert.equal(parseStopReply('S02')!.code, 2);
  assert.equal(parseStopReply('W00')!.kind, 'exited');
  assert.equal(parseStopReply('X09')!.kind, 'killed');
  assert.equal(parseStopReply('OK'), undefined);
  assert.equal(parseStopReply('PacketSize=1000'), undefined);
});

test('handshake against QEMU\'s recorded replies: features, one `?`, target.xml → 344-byte g layout', { skip: transcriptsMissing() }, async () => {
  await withStub(qemuReplay(), async (client, stub) => {
    const { stop, targetXml } = await client.handshake();
    assert.equal(stop?.code, 5);
    assert.equal(client.feature('PacketSize'), '1000');
    assert.equal(client.feature('multiprocess'), '+');
    assert.equal(stub.received.filter((p) => p === '?').length, 1);
    const defs = parseTargetDescription(targetXml);
    const byName = new Map(defs.map((d) => [d.name, d]));
    assert.equal(byName.get('eip')!.offset, 32);
    assert.equal(byName.get('cs')!.offset, 40);
    assert.equal(byName.get('cr0')!.offset, 76);
    assert.equal(byName.get('cr0')!.regnum, 0x13);
    assert.equal(byName.get('mxcsr')!.offset, 340);
    assert.equal(byName.has('cs_base'), false, 'commented-out registers are ignored');
    const g = await client.readRegisters();
    assert.equal(g.length, 344);
  });
});

test('qRcmd collects the O packets of `info registers` into text', { skip: transcriptsMissing() }, async () => {
  await withStub(qemuReplay(), async (client) => {
    const text = await client.monitor('info registers');
    assert.match(text, /CS =f000 ffff0000 0000ffff 00009b00/);
    assert.match(text, /EDX=00000663/);
  });
});

test('unsolicited T02 on connect goes to the stop event; replies stay in step', async () => {
  const stops: string[] = [];
  await withStub(
    (p, s) => s.reply(p === 'qC' ? 'QCp01.01' : p === 'g' ? '00'.repeat(8) : ''),
    async (client) => {
      client.on('stop', (st) => stops.push(st.raw));
      assert.equal(await client.request('qC'), 'QCp01.01');
      assert.equal(await client.request('g'), '00'.repeat(8));
      assert.deepEqual(stops, ['T02thread:p01.01;']);
    },
    (s) => s.send(encodePacket('T02thread:p01.01;')),
  );
});

test('`-` from the stub makes the client retransmit', async () => {
  let first = true;
  await withStub((p, s) => {
    if (first) {
      first = false;
      s.send('-');
      return;
    }
    s.reply('OK');
  }, async (client, stub) => {
    assert.equal(await client.request('Hg0'), 'OK');
    assert.deepEqual(stub.received, ['Hg0', 'Hg0']);
  });
});

test('a corrupt reply is answered with `-` and the resent reply is used', async () => {
  let sent = 0;
  await withStub((_p, s) => {
    s.send('+');
    if (sent++ === 0) s.send('$OK#00');
  }, async (client, stub) => {
    stub.socket!.on('data', (d: Buffer) => {
      if (d.includes('-')) stub.send(encodePacket('OK'));
    });
    const errors: string[] = [];
    client.on('protocolError', (e) => errors.push(e));
    assert.equal(await client.request('vMustReplyEmpty'), 'OK');
    assert.ok(errors.some((e) => /checksum mismatch/.test(e)));
  });
});

test('a truncated reply times out with a clear error; the next request still works', async () => {
  let n = 0;
  await withStub((_p, s) => {
    if (n++ === 0) s.send('+$T05thr');
    else s.reply('OK');
  }, async (client) => {
    await assert.rejects(client.request('m0,4', { timeoutMs: 200 }), /no reply to m0,4 within 200 ms/);
    assert.equal(await client.request('Hg0'), 'OK');
  }, undefined, 200);
});

test('memory reads are split into ≤ 0x800-byte m packets; a failing tail gives a partial read', async () => {
  await withStub((p, s) => {
    const m = /^m([0-9a-f]+),([0-9a-f]+)$/.exec(p);
    if (!m) return s.reply('');
    const addr = parseInt(m[1], 16);
    const len = parseInt(m[2], 16);
    if (len > 0x800) return s.reply('E22');
    if (addr + len > 0x2100) return s.reply('E14');
    s.reply(Buffer.alloc(len, addr & 0xff).toString('hex'));
  }, async (client, stub) => {
    const full = await client.readMemory(0n, 0x1800);
    assert.equal(full.data.length, 0x1800);
    assert.deepEqual(stub.received, ['m0,800', 'm800,800', 'm1000,800']);
    const partial = await client.readMemory(0x1800n, 0x1000);
    assert.equal(partial.data.length, 0x900);
    assert.match(partial.error!, /cannot read memory at 0x2100: E14/);
  });
});

test('requests while running are refused (QEMU would drop them); bc/bs are never sent; close rejects pending', async () => {
  await withStub((p, s) => {
    if (p === 'c') s.send('+');
    else if (p === '\x03') s.send(encodePacket('T02thread:p01.01;'));
    // 'g' never answered: the close below must reject it
  }, async (client, stub) => {
    await assert.rejects(client.request('bc'), /reverse execution/);
    await client.resume('c');
    assert.equal(client.running, true);
    await assert.rejects(client.request('g'), /while the target runs/);
    const stopped = client.waitForStop(2000);
    client.interrupt();
    assert.equal((await stopped)!.code, 2);
    assert.equal(client.running, false);
    const pending = client.request('g', { timeoutMs: 5000 });
    const closed = new Promise((r) => client.once('close', r));
    stub.socket!.destroy();
    await assert.rejects(pending, /closed|ECONNRESET/);
    await closed;
    assert.ok(!stub.received.includes('bc'));
  });
});
