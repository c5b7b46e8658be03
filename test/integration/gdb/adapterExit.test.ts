// No QEMU outlives the adapter: the bundled adapter (dist/adapter.js over stdio DAP) launches
// QEMU, then gets SIGTERM (what VS Code sends when it gives up on an adapter) or SIGKILL (no exit
// hook runs: the watchdog process must do it) — QEMU must go too, and nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { processStartTime, WATCHDOG_SCRIPT } from '../../../adapter/gdb/qemuWatchdog';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { qemuMissing, processAlive } from './gdbTestSupport';
import { buildBootSector, toolchainMissing, REPO_ROOT } from './bootsectorFixture';

const ADAPTER = path.join(REPO_ROOT, 'dist', 'adapter.js');
const skip = qemuMissing() ?? toolchainMissing() ?? (existsSync(ADAPTER) ? undefined : 'dist/adapter.js is not built (npm run build)');

function qemuPids(image: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', image], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Starts the bundled adapter over stdio DAP and launches a paused QEMU session on the boot sector. */
async function launchSession(floppy: string): Promise<ChildProcess> {
  const adapter = spawn(process.execPath, [ADAPTER], { stdio: ['pipe', 'pipe', 'pipe'] });
  let seq = 1;
  const send = (command: string, args: unknown): void => {
    const body = JSON.stringify({ seq: seq++, type: 'request', command, arguments: args });
    adapter.stdin!.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  };
  let out = '';
  const initialized = new Promise<void>((resolve, reject) => {
    adapter.stdout!.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      if (out.includes('"event":"initialized"')) resolve();
      if (/"success":false/.test(out)) reject(new Error(out));
    });
  });
  send('initialize', { adapterID: 'gdb-remote', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
  send('launch', { type: 'gdb-remote', request: 'launch', image: floppy, media: 'floppy', stopOnEntry: true });
  await initialized;
  return adapter;
}

async function waitGone(pid: number, ms: number): Promise<number> {
  const t0 = Date.now();
  while (processAlive(pid) && Date.now() - t0 < ms) await new Promise((r) => setTimeout(r, 25));
  return Date.now() - t0;
}

test('SIGKILL to the adapter (no exit hook runs): the watchdog kills its QEMU within 2 s', { skip, timeout: 60000 }, async () => {
  const bs = buildBootSector();
  let adapter: ChildProcess | undefined;
  try {
    adapter = await launchSession(bs.floppy);
    const pids = qemuPids(bs.floppy);
    assert.equal(pids.length, 1, 'one QEMU runs for the session');
    const exited = new Promise((r) => adapter!.once('exit', r));
    adapter.kill('SIGKILL');
    await exited;
    const took = await waitGone(pids[0], 2000);
    assert.equal(processAlive(pids[0]), false, `QEMU must die with the SIGKILLed adapter (waited ${took} ms)`);
  } finally {
    adapter?.kill('SIGKILL');
    for (const pid of qemuPids(bs.floppy)) process.kill(pid, 'SIGKILL');
    bs.cleanup();
  }
});

test('the watchdog never kills a process that only reuses the QEMU pid', { skip: process.platform === 'linux' ? undefined : 'needs /proc', timeout: 20000 }, async () => {
  // A stand-in "adapter" that is already dead, and a victim whose start time differs from the
  // one the watchdog was given (as after pid reuse): the victim must survive and the watchdog exit.
  const deadAdapter = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => deadAdapter.once('exit', r));
  const victim = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    const realStart = processStartTime(victim.pid!);
    assert.notEqual(realStart, '', 'start time readable from /proc');
    const dog = spawn(process.execPath, ['-e', WATCHDOG_SCRIPT, String(deadAdapter.pid), '1', String(victim.pid), String(Number(realStart) + 1)], { stdio: ['pipe', 'ignore', 'ignore'] });
    const code = await new Promise((r) => dog.once('exit', r));
    assert.equal(code, 0);
    assert.equal(processAlive(victim.pid!), true, 'a reused pid is left alone');
    // Same script, right start time, dead adapter: now it kills.
    const gone = new Promise((r) => victim.once('exit', (_c, sig) => r(sig)));
    const dog2 = spawn(process.execPath, ['-e', WATCHDOG_SCRIPT, String(deadAdapter.pid), '', String(victim.pid), realStart], { stdio: ['pipe', 'ignore', 'ignore'] });
    await new Promise((r) => dog2.once('exit', r));
    assert.equal(await gone, 'SIGKILL');
  } finally {
    victim.kill('SIGKILL');
  }
});

test('SIGTERM to the adapter kills the QEMU it launched', { skip, timeout: 60000 }, async () => {
  const bs = buildBootSector();
  const adapter = spawn(process.execPath, [ADAPTER], { stdio: ['pipe', 'pipe', 'pipe'] });
  try {
    let seq = 1;
    const send = (command: string, args: unknown): void => {
      const body = JSON.stringify({ seq: seq++, type: 'request', command, arguments: args });
      adapter.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    };
    let out = '';
    const initialized = new Promise<void>((resolve, reject) => {
      adapter.stdout.on('data', (d: Buffer) => {
        out += d.toString('utf8');
        if (out.includes('"event":"initialized"')) resolve();
        if (/"success":false/.test(out)) reject(new Error(out));
      });
    });
    send('initialize', { adapterID: 'gdb-remote', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
    send('launch', { type: 'gdb-remote', request: 'launch', image: bs.floppy, media: 'floppy', stopOnEntry: true });
    await initialized;
    const pids = qemuPids(bs.floppy);
    assert.equal(pids.length, 1, 'one QEMU runs for the session');
    const exited = new Promise((r) => adapter.once('exit', r));
    adapter.kill('SIGTERM');
    await exited;
    const deadline = Date.now() + 3000;
    while (processAlive(pids[0]) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(processAlive(pids[0]), false, 'QEMU must die with the adapter');
  } finally {
    adapter.kill('SIGKILL');
    for (const pid of qemuPids(bs.floppy)) process.kill(pid, 'SIGKILL');
    bs.cleanup();
  }
});
