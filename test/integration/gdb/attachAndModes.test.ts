// Attach to an already running QEMU (unsolicited T02 on connect, detach leaves it running) and
// the hidden CS base in protected mode while Debian's ipxe.lkrn decompresses itself (CS=0008).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IPXE_LKRN, lkrnMissing, processAlive, startTarget } from './gdbTestSupport';
import { QemuProcess } from '../../../adapter/gdb/qemuLauncher';
import { RspClient } from '../../../adapter/gdb/rspClient';

test('attach to a running QEMU: unsolicited T02 handled, registers read, detach leaves it running', { skip: lkrnMissing(), timeout: 60000 }, async () => {
  const qemu = await QemuProcess.launch({ qemu: 'qemu-system-i386', image: IPXE_LKRN, media: 'kernel', qemuArgs: [], console: 'none' });
  try {
    // Let the VM run, then leave it running.
    const first = await RspClient.connect({ host: '127.0.0.1', port: qemu.port });
    await first.handshake();
    await first.resume('c');
    first.interrupt();
    await first.waitForStop(2000);
    await first.resume('c');
    first.close();
    await new Promise((r) => setTimeout(r, 200));
    const h = await startTarget({ request: 'attach', target: `127.0.0.1:${qemu.port}` });
    await h.target.configurationDone();
    const stop = await h.nextStop();
    assert.equal(stop.reason, 'pause');
    const { frames } = await h.target.stackTrace(0, 1);
    assert.ok(frames[0].address > 0n);
    assert.match(frames[0].name, /^[0-9a-f]{4}:[0-9a-f]{4,8}/);
    const [scope] = await h.target.scopes(0);
    const vars = typeof scope.variables === 'function' ? await scope.variables() : scope.variables;
    assert.ok(vars.some((v) => v.name === 'eflags'));
    await h.target.disconnect(false);
    assert.ok(processAlive(qemu.pid!), 'detach must not kill QEMU');
    // QEMU accepts a new debugger after the detach, and the VM was running.
    const again = await RspClient.connect({ host: '127.0.0.1', port: qemu.port });
    const stops: string[] = [];
    again.on('stop', (s) => stops.push(s.raw));
    await again.request('qC');
    assert.ok(stops.some((s) => s.startsWith('T02')), `unsolicited stop on connect to a running VM: ${stops}`);
    again.close();
  } finally {
    await qemu.dispose();
  }
});

test('ipxe.lkrn decompressing in 16-bit protected mode: CS=0008 with hidden base 0x10000, linear = base + EIP', { skip: lkrnMissing(), timeout: 90000 }, async () => {
  const h = await startTarget({ request: 'launch', image: IPXE_LKRN, media: 'kernel', stopOnEntry: true });
  try {
    await h.target.configurationDone();
    await h.nextStop();
    await h.target.setInstructionBreakpoints([{ address: 0x1041en }]); // install_prealloc
    await h.target.continue();
    await h.nextStop(60000);
    assert.match((await h.target.evaluate('$ax', 0, 'watch')).result, /^0x9c20/);
    await h.target.setInstructionBreakpoints([]);
    let seen = false;
    for (const waitMs of [5, 20, 50, 100, 5, 20]) {
      await h.target.continue();
      await new Promise((r) => setTimeout(r, waitMs));
      await h.target.pause();
      const s = await h.nextStop();
      assert.equal(s.reason, 'pause');
      const { frames } = await h.target.stackTrace(0, 1);
      const cs = Number(BigInt((await h.target.evaluate('$cs', 0, 'watch')).result.split(' ')[0]));
      const eip = BigInt((await h.target.evaluate('$eip', 0, 'watch')).result.split(' ')[0]);
      const mon = ((await h.target.customRequest!('bootdbg.monitor', { command: 'info registers' })) as { output: string }).output;
      const base = BigInt('0x' + /CS =[0-9a-f]{4} ([0-9a-f]{8})/.exec(mon)![1]);
      assert.equal(frames[0].address, base + eip, `frame at ${frames[0].name}`);
      if (cs === 8) {
        assert.equal(base, 0x10000n);
        assert.match(frames[0].name, /^0008:/);
        const cr0 = Number(BigInt((await h.target.evaluate('$cr0', 0, 'watch')).result.split(' ')[0]));
        assert.equal(cr0 & 1, 1, 'PE set');
        seen = true;
        break;
      }
    }
    assert.ok(seen, 'never interrupted the decompressor in protected mode');
  } finally {
    await h.dispose();
  }
});

test('attach over a Unix socket gdbstub', { skip: lkrnMissing(), timeout: 60000 }, async () => {
  const { spawn } = await import('node:child_process');
  const { mkdtempSync, rmSync, existsSync } = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const { buildQemuArgs } = await import('../../../adapter/gdb/qemuLauncher');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bootdbg-unix-'));
  const sock = path.join(dir, 'gdb.sock');
  const args = buildQemuArgs({ image: IPXE_LKRN, media: 'kernel', qemuArgs: [], console: 'none' }, `unix:${sock},server=on,wait=off`);
  const qemu = spawn('qemu-system-i386', args, { stdio: 'ignore' });
  try {
    for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
    const h = await startTarget({ request: 'attach', target: sock });
    await h.target.configurationDone();
    await h.nextStop();
    assert.equal((await h.target.stackTrace(0, 1)).frames[0].address, 0xfffffff0n, '-S: still at the reset vector');
    await h.target.disconnect(false);
    assert.ok(processAlive(qemu.pid!));
  } finally {
    qemu.kill('SIGKILL');
    await new Promise((r) => qemu.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
});
