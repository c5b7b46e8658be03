/**
 * The windows-kd Target when things go wrong or change under it: break-in, reboots (requested and
 * spontaneous), the cable going away and coming back, a pty opened through serialport, bad ports,
 * cancelling the wait.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as fs from 'node:fs';
import { listenTcp, openPty } from '../../kdsim/kdSimTransports';
import type { Scenario } from '../../kdsim/kdSimulator';
import { Harness } from './kdHarness';
import { encodeControlPacket, encodeDataPacket, PacketType } from '../../../adapter/kd/kdPacket';
import { encodePrintString } from '../../../adapter/kd/kdStructs';

test('pause sends a break-in: stop reason pause; continue resumes', async () => {
  const sim = await listenTcp({ scenario: 'iscsi-boot' });
  const h = new Harness(`tcp:127.0.0.1:${sim.port}`);
  try {
    await h.target.start();
    await h.target.configurationDone();
    await h.waitForOutput(/iSCSI boot complete/);
    await h.target.pause();
    const stop = await h.nextStop();
    assert.equal(stop.reason, 'pause');
    assert.match(stop.text ?? '', /80000003/);
    await h.target.continue();
    await h.waitFor('continued');
    await h.target.pause();
    assert.equal((await h.nextStop()).reason, 'pause', 'break-in works again after the int 3 was stepped over');
  } finally {
    await h.dispose();
    await sim.close();
  }
});

test('bootdbg.reboot: the target reboots, the link resynchronises, output and stops continue', async () => {
  const sim = await listenTcp({ scenario: 'initial-break', rebootDelayMs: 100 });
  const h = new Harness(`tcp:127.0.0.1:${sim.port}`);
  try {
    await h.target.start();
    await h.target.configurationDone();
    await h.waitFor('stopped');
    const mark = h.events.length;
    await h.target.customRequest!('bootdbg.reboot', {});
    await h.waitFor('continued', () => true, 5000, mark);
    await h.waitForOutput(/Target rebooted/);
    await h.waitForOutput(/Boot 2 after reboot/);
    const again = await h.waitFor('stopped', () => true, 15000, mark);
    assert.equal(again.exception?.exceptionId, '0x80000003');
    assert.equal((await h.target.stackTrace(0, 1)).frames[0].name, 'nt!DbgBreakPoint', 'symbols re-read after the reboot');
    assert.match(h.transcriptText(), /\.reboot/);
    assert.match(h.transcriptText(), /restarted its debugger session/);
  } finally {
    await h.dispose();
    await sim.close();
  }
});

test('a target that reboots on its own is followed: lines before and after arrive in order', async () => {
  const sim = await listenTcp({ scenario: 'reboot', rebootDelayMs: 100 });
  const h = new Harness(`tcp:127.0.0.1:${sim.port}`);
  try {
    await h.target.start();
    await h.target.configurationDone();
    await h.waitForOutput(/after reboot 5/);
    const out = h.outputText();
    const idx = (s: string): number => out.indexOf(s);
    assert.ok(idx('before reboot 5') >= 0 && idx('before reboot 5') < idx('Boot 2') && idx('Boot 2') < idx('after reboot 1'));
    for (let i = 1; i <= 5; i++) assert.equal(out.split(`after reboot ${i}\n`).length, 2, `after reboot ${i} exactly once`);
  } finally {
    await h.dispose();
    await sim.close();
  }
});

test('the cable goes away: clear message, transcript intact, reconnects when the target is back', async () => {
  const sim1 = await listenTcp({ scenario: 'iscsi-boot' });
  const port = sim1.port;
  const h = new Harness(`tcp:127.0.0.1:${port}`);
  let sim2: Awaited<ReturnType<typeof listenTcp>> | undefined;
  try {
    await h.target.start();
    await h.target.configurationDone();
    await h.waitForOutput(/iSCSI boot complete/);
    const before = h.transcriptText();
    const mark = h.events.length;
    await sim1.close();
    const lost = await h.waitFor('output', (o) => /lost/.test(o.text), 5000, mark);
    assert.match(lost.text, /Connection to the target on tcp:127\.0\.0\.1:\d+ lost/);
    assert.match(lost.text, /transcript is kept at/);
    await h.waitFor('linkState', (s) => s.state === 'disconnected', 5000, mark);
    await h.waitFor('progressStart', (p) => /Reconnecting/.test(p.title), 5000, mark);
    assert.ok(h.transcriptText().startsWith(before), 'transcript kept');
    // The target comes back on the same port (a new boot): the session picks it up.
    sim2 = await listenTcp({ scenario: 'initial-break' }, port);
    const stop = await h.waitFor('stopped', () => true, 15000, mark);
    assert.equal(stop.exception?.exceptionId, '0x80000003');
    assert.match(h.transcriptText(), /Phase1Initialization[\s\S]*Connection to the target[\s\S]*Phase1Initialization/);
  } finally {
    await h.dispose();
    await sim1.close().catch(() => undefined);
    await sim2?.close();
  }
});

const socatMissing = ['/usr/bin/socat', '/usr/local/bin/socat', '/bin/socat'].some((p) => fs.existsSync(p)) ? false : 'socat is not installed';

test('pty through serialport (socat pair): attach, output, initial break', { skip: socatMissing }, async () => {
  const sim = await openPty({ scenario: 'initial-break' });
  const h = new Harness(sim.devicePath, { baudRate: 115200 });
  try {
    await h.target.start();
    await h.target.configurationDone();
    const progress = await h.waitFor('progressStart');
    assert.match(progress.title, /^Waiting for target on \/dev\/pts\/\d+ at 115200…$/);
    const stop = await h.waitFor('stopped');
    assert.match(stop.text ?? '', /80000003.*first chance/);
    assert.match(h.outputText(), /KD: COM1 at 115200 baud/);
    const ls = await h.waitFor('linkState', (s) => s.state === 'stopped');
    assert.match(ls.detail ?? '', /^\/dev\/pts\/\d+ 115200$/);
  } finally {
    await h.dispose();
    await sim.close();
  }
});

test('a missing device fails clearly; a socket that is not there yet is waited for; cancelling the wait terminates cleanly', async () => {
  const missing = new Harness('/dev/ttyNoSuchPort9');
  await assert.rejects(missing.target.start(), /Cannot open \/dev\/ttyNoSuchPort9: no such serial device/);
  await missing.dispose();
  // A port nobody listens on.
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const free = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  // A socket nobody listens on yet (the VM is not powered on): the session waits for it.
  const refused = new Harness(`tcp:127.0.0.1:${free}`);
  try {
    await refused.target.start();
    await refused.target.configurationDone();
    await refused.waitForOutput(/connection refused.*Waiting for the target's port to appear/);
    const sim = await listenTcp({ scenario: 'initial-break' }, free);
    try {
      const stop = await refused.waitFor('stopped');
      assert.equal(stop.exception?.exceptionId, '0x80000003');
    } finally {
      await refused.dispose();
      await sim.close();
    }
  } finally {
    await refused.dispose();
  }
  const sock = new Harness('/tmp/no-such-kd-socket-dir/com1');
  await sock.target.start();
  await sock.waitForOutput(/no such socket/);
  await sock.dispose();
  // A silent peer: waiting shows progress; cancel ends the session.
  const silent = net.createServer((s) => s.on('data', () => undefined));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const h = new Harness(`tcp:127.0.0.1:${(silent.address() as net.AddressInfo).port}`);
  try {
    await h.target.start();
    const p = await h.waitFor('progressStart');
    h.target.cancelProgress(p.id);
    const t = await h.waitFor('terminated');
    assert.match(t.reason, /cancelled/);
    await h.waitFor('progressEnd');
  } finally {
    await h.dispose();
    await new Promise<void>((r) => silent.close(() => r()));
  }
});

test('fuzz (seeded): a port spewing garbage and malformed frames crashes nothing; the session still works after', async () => {
  let a = 0x5eed;
  const rnd = (): number => {
    a = (a * 1103515245 + 12345) >>> 0;
    return a / 4294967296;
  };
  const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => Math.floor(rnd() * 256)));
  let peer: net.Socket | undefined;
  const server = net.createServer((s) => (peer = s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const h = new Harness(`tcp:127.0.0.1:${(server.address() as net.AddressInfo).port}`);
  try {
    await h.target.start();
    await h.target.configurationDone();
    for (let i = 0; i < 50 && !peer; i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(peer, 'adapter connected');
    const types = [PacketType.StateChange64, PacketType.StateManipulate, PacketType.DebugIo, PacketType.FileIo, PacketType.TraceIo, PacketType.StateChange32, PacketType.ControlRequest];
    for (let i = 0; i < 400; i++) {
      const pick = rnd();
      if (pick < 0.3) peer.write(bytes(Math.floor(rnd() * 100)));
      else if (pick < 0.4) peer.write(encodeControlPacket(([PacketType.Acknowledge, PacketType.Resend, PacketType.Reset] as const)[i % 3], Math.floor(rnd() * 2 ** 32)));
      else {
        const payload = bytes(Math.floor(rnd() * 400));
        if (payload.length >= 4 && rnd() < 0.6) payload.writeUInt32LE([0x3030, 0x3031, 0x3130, 0x3146, 0x3230, 0x3231, 0x3430][i % 7], 0);
        const frame = encodeDataPacket(types[i % types.length], 0x80800000 | (i & 1) | (rnd() < 0.1 ? 0x800 : 0), payload);
        if (rnd() < 0.2) frame[16 + Math.floor(rnd() * payload.length)] ^= 0x55;
        peer.write(frame);
      }
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    // Then a well-behaved target: RESET, and a DbgPrint with the initial id.
    await new Promise((r) => setTimeout(r, 200));
    peer.write(encodeControlPacket(PacketType.Reset));
    peer.write(encodeDataPacket(PacketType.DebugIo, 0x80800000, encodePrintString('still alive after the fuzz\n')));
    await h.waitForOutput(/still alive after the fuzz/, 10000);
  } finally {
    peer?.destroy();
    await h.dispose();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('a shutdown notice (LoadSymbols unload, base −1) is continued; the session follows the reboot', async () => {
  const script: Scenario = {
    name: 'shutdown-notice',
    *steps(boot) {
      yield { kind: 'print', text: `boot ${boot} up\n` };
      if (boot === 1) yield { kind: 'reboot', notice: true };
      else yield { kind: 'idle', ms: Infinity };
    },
  };
  const sim = await listenTcp({ scenario: script, rebootDelayMs: 100 });
  const h = new Harness(`tcp:127.0.0.1:${sim.port}`);
  try {
    await h.target.start();
    await h.target.configurationDone();
    await h.waitForOutput(/boot 2 up/);
    assert.match(h.outputText('important'), /shutting down\/rebooting/);
    assert.equal(h.events.filter((e) => e.event === 'stopped').length, 0, 'the notice is not a user-visible stop');
    assert.match(h.transcriptText(), /boot 1 up[\s\S]*shutting down or rebooting[\s\S]*boot 2 up/);
  } finally {
    await h.dispose();
    await sim.close();
  }
});

/** A TCP "cable" between the debugger and the simulator that can be pulled and plugged back in. */
async function cable(targetPort: number): Promise<{ port: number; pull(): void; close(): Promise<void> }> {
  const live = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    const up = net.connect(targetPort, '127.0.0.1');
    for (const s of [inbound, up]) {
      s.setNoDelay(true);
      live.add(s);
      s.on('close', () => live.delete(s));
      s.on('error', () => undefined);
    }
    inbound.pipe(up);
    up.pipe(inbound);
    inbound.on('close', () => up.destroy());
    up.on('close', () => inbound.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    pull: () => {
      for (const s of live) s.destroy();
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of live) s.destroy();
        server.close(() => r());
      }),
  };
}

test('cable pulled while the target is stopped and plugged back: RESET resynchronises and the same stop comes back', async () => {
  const sim = await listenTcp({ scenario: 'initial-break' });
  const c = await cable(sim.port);
  const h = new Harness(`tcp:127.0.0.1:${c.port}`);
  try {
    await h.target.start();
    await h.target.configurationDone();
    const first = await h.waitFor('stopped');
    const pcBefore = (await h.target.stackTrace(0, 1)).frames[0].address;
    const mark = h.events.length;
    c.pull();
    await h.waitFor('linkState', (s) => s.state === 'disconnected', 5000, mark);
    // The target is still sitting in its debugger loop; the adapter reconnects through the cable.
    const again = await h.waitFor('stopped', () => true, 15000, mark);
    assert.equal(again.exception?.exceptionId, first.exception?.exceptionId);
    assert.equal((await h.target.stackTrace(0, 1)).frames[0].address, pcBefore);
    // And the session goes on: continue, the boot output flows.
    await h.target.continue();
    await h.waitForOutput(/IscsiBP: ISCSI Boot Status 0|iSCSI boot complete|sanbootconf|E1000/);
  } finally {
    await h.dispose();
    await c.close();
    await sim.close();
  }
});
