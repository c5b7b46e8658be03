/**
 * The tgt test support on its own: a busy portal port is refused with a clear message, a started
 * tgtd listens on 127.0.0.1 only with LUN 1 = the image, and stop() removes the target, the
 * process and its management socket (twice is harmless).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { startTgt, tgtMissing } from '../../support/tgt';
import { processAlive } from '../gdb/gdbTestSupport';

const skip = tgtMissing();

test('a busy portal port fails with a clear message', { skip }, async () => {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  try {
    await assert.rejects(startTgt({ image: '/dev/null', targetIqn: 'iqn.2026-11.test.bootdbg:busy', port }), new RegExp(`port 127\\.0\\.0\\.1:${port} is busy`));
  } finally {
    srv.close();
  }
});

test('start: loopback portal, LUN 1 backed by the image; stop: nothing left', { skip, timeout: 30_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bootdbg-tgt-'));
  const image = path.join(dir, 'disk.img');
  writeFileSync(image, Buffer.alloc(1024 * 1024));
  const tgt = await startTgt({ image, targetIqn: 'iqn.2026-11.test.bootdbg:support' });
  try {
    const show = tgt.show();
    assert.match(show, /Target 1: iqn\.2026-11\.test\.bootdbg:support/);
    assert.match(show, new RegExp(`LUN: 1[\\s\\S]*Backing store path: ${image.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const ss = spawnSync('ss', ['-ltnH', `sport = :${tgt.port}`], { encoding: 'utf8' });
    if (ss.status === 0) {
      assert.match(ss.stdout, new RegExp(`127\\.0\\.0\\.1:${tgt.port}\\b`));
      assert.doesNotMatch(ss.stdout, new RegExp(`(0\\.0\\.0\\.0|\\*|\\[::\\]):${tgt.port}\\b`), 'loopback only');
    }
    await new Promise<void>((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port: tgt.port }, () => {
        s.destroy();
        resolve();
      });
      s.once('error', reject);
    });
  } finally {
    await tgt.stop();
    await tgt.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(processAlive(tgt.pid), false);
  assert.equal(existsSync(`/run/tgtd/socket.${tgt.controlPort}`), false);
});
