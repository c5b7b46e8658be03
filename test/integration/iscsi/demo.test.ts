/**
 * The iSCSI demo works as its README says: demo/iscsi/run-target.sh builds the disk and serves it
 * with tgtd on 127.0.0.1 only; the demo's launch configuration (demo/.vscode/launch.json, with its
 * portal moved to the script's free port) boots it through the bundled adapter and a breakpoint in
 * demo/iscsi/sanboot.S hits; SIGTERM to the script deletes the target and stops tgtd.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { bundledAdapter, repoRoot } from '../../support/dapHarness';
import { tgtMissing } from '../../support/tgt';
import { toolchainMissing } from '../gdb/bootsectorFixture';
import { lkrnMissing, processAlive } from '../gdb/gdbTestSupport';
import { parseJsonc } from '../../../language-server/workspaceContext';
import { findFreePort } from '../../../adapter/gdb/qemuLauncher';

const demoDir = path.join(repoRoot, 'demo');
const script = path.join(demoDir, 'iscsi', 'run-target.sh');
const skip =
  lkrnMissing() ??
  toolchainMissing() ??
  tgtMissing() ??
  (existsSync(path.join(repoRoot, 'dist', 'adapter.js')) ? undefined : 'dist/adapter.js is not built (npm run build)');

interface Launch {
  name: string;
  media?: string;
  iscsi?: { portal: string; targetIqn: string; lun: number };
  program?: string;
  [k: string]: unknown;
}

function demoLaunch(): Launch {
  const json = parseJsonc(readFileSync(path.join(demoDir, '.vscode', 'launch.json'), 'utf8')) as { configurations: Launch[] };
  const c = json.configurations.find((x) => x.media === 'iscsi');
  assert.ok(c, 'demo/.vscode/launch.json has a media "iscsi" configuration');
  return c;
}

function waitForLine(child: ChildProcess, re: RegExp, timeoutMs: number): Promise<string> {
  let text = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${re} within ${timeoutMs} ms: ${text}`)), timeoutMs);
    const on = (d: Buffer): void => {
      text += d.toString();
      const m = re.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    };
    child.stdout?.on('data', on);
    child.stderr?.on('data', on);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`run-target.sh exited (${code}): ${text}`));
    });
  });
}

describe('demo/iscsi', { skip, timeout: 120_000 }, () => {
  let build: string;
  before(() => {
    build = mkdtempSync(path.join(os.tmpdir(), 'bootdbg-iscsi-demo-'));
  });
  after(() => rmSync(build, { recursive: true, force: true }));

  test('BUILD_ONLY=1 builds an 8 MB disk whose sector 0 is the boot sector', () => {
    const r = spawnSync(script, [], { env: { ...process.env, BUILD: build, BUILD_ONLY: '1' }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const disk = readFileSync(path.join(build, 'disk.img'));
    assert.equal(disk.length, 8 * 1024 * 1024);
    assert.equal(disk.readUInt16LE(510), 0xaa55);
    assert.deepEqual(disk.subarray(0, 512), readFileSync(path.join(build, 'sanboot.bin')));
  });

  test('run-target.sh serves on loopback; the demo launch configuration boots it to a breakpoint; SIGTERM stops tgtd', async () => {
    const launch = demoLaunch();
    const port = await findFreePort();
    const control = String(20000 + (process.pid % 10000));
    const child = spawn(script, [], { env: { ...process.env, BUILD: build, PORT: String(port), CONTROL: control }, stdio: ['ignore', 'pipe', 'pipe'] });
    let tgtdPid: number | undefined;
    try {
      const serving = await waitForLine(child, /serving \S+ LUN 1 on 127\.0\.0\.1:\d+ \(tgtd pid (\d+)/, 20000);
      tgtdPid = Number(/tgtd pid (\d+)/.exec(serving)![1]);
      const ss = spawnSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' });
      if (ss.status === 0) {
        assert.match(ss.stdout, new RegExp(`127\\.0\\.0\\.1:${port}\\b`));
        assert.doesNotMatch(ss.stdout, new RegExp(`(0\\.0\\.0\\.0|\\*|\\[::\\]):${port}\\b`), 'the portal listens on loopback only');
      }
      const h = await bundledAdapter('gdb-remote');
      try {
        await h.dc.initializeRequest({ adapterID: 'gdb-remote', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true });
        const initialized = h.dc.waitForEvent('initialized');
        const config = {
          ...launch,
          iscsi: { ...launch.iscsi!, portal: `127.0.0.1:${port}` },
          program: path.join(build, 'sanboot.elf'),
        };
        await h.dc.launchRequest(config as unknown as DebugProtocol.LaunchRequestArguments);
        await initialized;
        const source = path.join(demoDir, 'iscsi', 'sanboot.S');
        const line = readFileSync(source, 'utf8').split('\n').findIndex((l) => l.startsWith('booted:')) + 2;
        const bps = await h.dc.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line }] });
        assert.equal(bps.body.breakpoints[0].verified, true, bps.body.breakpoints[0].message);
        const stopped = h.dc.waitForEvent('stopped', 60_000);
        await h.dc.configurationDoneRequest();
        await stopped;
        const st = await h.dc.stackTraceRequest({ threadId: 1 });
        assert.match(st.body.stackFrames[0].name, /^0000:7C/i);
        assert.equal(st.body.stackFrames[0].line, line);
        await h.dc.disconnectRequest({ terminateDebuggee: true });
      } finally {
        await h.close();
      }
    } finally {
      child.kill('SIGTERM');
      const exited = await new Promise<boolean>((r) => {
        if (child.exitCode !== null) return r(true);
        const timer = setTimeout(() => r(false), 10000);
        child.once('exit', () => {
          clearTimeout(timer);
          r(true);
        });
      });
      if (!exited) {
        // Never leave a tgtd behind, even when the script's cleanup failed.
        child.kill('SIGKILL');
        if (tgtdPid !== undefined && processAlive(tgtdPid)) process.kill(tgtdPid, 'SIGKILL');
      }
      assert.ok(exited, 'run-target.sh exits on SIGTERM within 10 s');
    }
    for (let i = 0; i < 50 && tgtdPid !== undefined && processAlive(tgtdPid); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(tgtdPid !== undefined && processAlive(tgtdPid), false, 'tgtd is stopped');
    assert.equal(existsSync(`/run/tgtd/socket.${control}`), false, 'its management socket is removed');
  });
});
