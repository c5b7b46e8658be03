/**
 * The simulator over its other transports: a Unix socket, a real socat pty pair opened with
 * serialport on both ends, and the CLI (READY line, then a debugger session over TCP).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { SerialPort } from 'serialport';
import { listenUnix, openPty } from '../../kdsim/kdSimTransports';
import { exceptionOf, TestKdHost } from './kdTestHost';

const hasSocat = spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;

test('Unix socket: handshake, DbgPrint lines, initial break, reconnect after the cable goes away', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kdsim-'));
  const sockPath = path.join(dir, 'kd.sock');
  const h = await listenUnix({ scenario: 'initial-break', loadSymbols: false, ackTimeoutMs: 100 }, sockPath);
  try {
    const s1 = net.connect(sockPath);
    await new Promise<void>((r) => s1.once('connect', () => r()));
    const host1 = new TestKdHost(s1);
    host1.sendReset();
    const sc = await host1.nextStateChange(0);
    assert.equal(exceptionOf(sc.payload).pc, h.sim.machine.image.sym('nt!DbgBreakPoint'));
    host1.dispose();
    s1.destroy();

    // A new debugger connects to the still-stopped target: RESET makes it report the stop again.
    const s2 = net.connect(sockPath);
    await new Promise<void>((r) => s2.once('connect', () => r()));
    const host2 = new TestKdHost(s2);
    host2.sendReset();
    const again = await host2.nextStateChange(0);
    assert.equal(again.payload.readUInt32LE(0x20), 0x80000003);
    assert.equal(host2.resetsSeen, 1, 'the stopped target answers RESET with RESET');
    assert.equal(host2.packets[0].id, 0x80800000, 'after RESET the ids restart at 0x80800000');
    const r = await host2.readVirtual(h.sim.machine.image.sym('nt!DbgBreakPoint'), 2);
    assert.deepEqual([...r.data], [0xcc, 0xc3]);
    host2.dispose();
    s2.destroy();
  } finally {
    await h.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(fs.existsSync(sockPath), false);
});

test('socat pty: the debugger opens devicePath with serialport; handshake, read, context, continue, break-in', { skip: hasSocat ? false : 'socat not installed' }, async () => {
  const h = await openPty({ scenario: 'initial-break', loadSymbols: false, ackTimeoutMs: 200 });
  const port = new SerialPort({ path: h.devicePath, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  const host = new TestKdHost(port);
  try {
    host.sendReset();
    const sc = await host.nextStateChange(0, 8000);
    assert.equal(exceptionOf(sc.payload).code, 0x80000003);
    const ver = await host.request(0x3146);
    assert.equal(ver.readUInt16LE(0x18), 0x014c);
    const ctx = await host.getContext();
    assert.equal(ctx.readUInt32LE(0xb8), h.sim.machine.image.sym('nt!DbgBreakPoint'));
    await host.skipInt3();
    await host.continue2();
    await host.waitFor(() => (host.prints.some((p) => p.includes('ISCSI Boot Status 0')) ? true : undefined), 8000, 'iSCSI lines');
    const mark = host.packets.length;
    host.breakIn();
    const bi = await host.nextStateChange(mark, 8000);
    assert.equal(exceptionOf(bi.payload).code, 0x80000003);
  } finally {
    host.dispose();
    await new Promise<void>((r) => port.close(() => r()));
    await h.close();
  }
});

test('CLI: prints READY <port>, serves a debugger over TCP, exits on SIGTERM; bad arguments fail clearly', async () => {
  const cli = path.resolve(__dirname, '../../kdsim/cli.js');
  const bad = spawnSync(process.execPath, [cli, '--scenario', 'nope', '--tcp', '0'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown scenario 'nope'/);
  const noTransport = spawnSync(process.execPath, [cli, '--scenario', 'iscsi-boot'], { encoding: 'utf8' });
  assert.equal(noTransport.status, 2);
  assert.match(noTransport.stderr, /--pty, --tcp PORT, --unix PATH/);

  const child = spawn(process.execPath, [cli, '--scenario', 'dbgprint-flood', '--flood-lines', '20', '--tcp', '0', '--ack-timeout', '100', '--trace'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => (stderr += d));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (d: string) => {
        out += d;
        const m = /^READY (\d+)\n/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`cli exited ${code}`)));
    });
    const s = net.connect(port, '127.0.0.1');
    await new Promise<void>((r) => s.once('connect', () => r()));
    const host = new TestKdHost(s);
    host.sendReset();
    await host.waitFor(() => (host.prints.length >= 20 ? true : undefined), 5000, '20 flood lines');
    assert.equal(host.prints[0].slice(0, 12), 'line 000001 ');
    assert.equal(host.prints[19].slice(0, 12), 'line 000020 ');
    assert.match(stderr, /\[kdsim\] tx DEBUG_IO id 0x80800800 96 B api 0x3230\n/, '--trace logs packets');
    assert.match(stderr, /\[kdsim\] rx ACK id 0x80800000 0 B\n/);
    host.dispose();
    s.destroy();
  } finally {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  }
});

test('CLI --pty --arch x64: READY names a pty the debugger can open; SIGTERM exits cleanly', { skip: hasSocat ? false : 'socat not installed' }, async () => {
  const cli = path.resolve(__dirname, '../../kdsim/cli.js');
  const child = spawn(process.execPath, [cli, '--scenario', 'initial-break', '--pty', '--arch', 'x64', '--no-load-symbols', '--ack-timeout', '200'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let port: SerialPort | undefined;
  let host: TestKdHost | undefined;
  try {
    const device = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (d: string) => {
        out += d;
        const m = /^READY (\/dev\/\S+)\n/.exec(out);
        if (m) resolve(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`cli exited ${code}`)));
    });
    const p = new SerialPort({ path: device, baudRate: 115200, autoOpen: false });
    port = p;
    await new Promise<void>((resolve, reject) => p.open((err) => (err ? reject(err) : resolve())));
    host = new TestKdHost(p);
    host.sendReset();
    const sc = await host.nextStateChange(0, 8000);
    assert.equal(sc.payload.readUInt32LE(0x20), 0x80000003);
    const ver = await host.request(0x3146);
    assert.equal(ver.readUInt16LE(0x18), 0x8664);
  } finally {
    host?.dispose();
    if (port?.isOpen) await new Promise<void>((r) => port?.close(() => r()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  }
});
