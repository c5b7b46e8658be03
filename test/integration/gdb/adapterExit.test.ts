// No QEMU outlives the adapter: the bundled adapter (dist/adapter.js over stdio DAP) launches
// QEMU, then gets SIGTERM (what VS Code sends when it gives up on an adapter) — QEMU must go too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
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
