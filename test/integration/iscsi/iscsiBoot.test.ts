/**
 * The whole chain on one machine: tgtd serves an 8 MB disk on 127.0.0.1 whose sector 0 is
 * demo/iscsi/sanboot.S; the bundled adapter (over stdio DAP) launches QEMU with
 * `media: "iscsi"`: Debian's ipxe.lkrn runs the generated script, logs in, sanboots the LUN, and a
 * source breakpoint in the .S stops at 0000:7Cxx with DL = 0x80. Then the iBFT iPXE left in base
 * memory is read through `bootdbg.readPhysical`, found by the scanner and checked against the
 * script and the tgt configuration; once more with mutual CHAP (type 2, secrets redacted).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { bundledAdapter, repoRoot, type DapHarness } from '../../support/dapHarness';
import { startTgt, tgtMissing, type TgtChap, type TgtServer } from '../../support/tgt';
import { toolchainMissing } from '../gdb/bootsectorFixture';
import { lkrnMissing, processAlive } from '../gdb/gdbTestSupport';
import { buildSanboot, SANBOOT_SOURCE, type BuiltSanboot } from './sanbootFixture';
import { findIbft, redactedSecret, type IbftScanResult } from '../../../adapter/ibft/ibftDecoder';

const skip =
  lkrnMissing() ??
  toolchainMissing() ??
  tgtMissing() ??
  (existsSync(path.join(repoRoot, 'dist', 'adapter.js')) ? undefined : 'dist/adapter.js is not built (npm run build)');

const TARGET_IQN = 'iqn.2026-11.test.bootdbg:disk1';
const INITIATOR_IQN = 'iqn.2026-11.test.bootdbg:initiator1';

interface Booted {
  h: DapHarness;
  outputs: string[];
  stop: DebugProtocol.StoppedEvent;
}

/** Launch with media "iscsi", a breakpoint on `booted`, run until it hits. */
async function bootToBreakpoint(built: BuiltSanboot, tgt: TgtServer, chap?: TgtChap): Promise<Booted> {
  const h = await bundledAdapter('gdb-remote');
  const outputs: string[] = [];
  h.dc.on('output', (e: DebugProtocol.OutputEvent) => outputs.push(e.body.output));
  await h.dc.initializeRequest({ adapterID: 'gdb-remote', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true });
  const initialized = h.dc.waitForEvent('initialized');
  const iscsi: Record<string, unknown> = { portal: `127.0.0.1:${tgt.port}`, targetIqn: TARGET_IQN, lun: 1, initiatorIqn: INITIATOR_IQN };
  if (chap) Object.assign(iscsi, chap);
  await h.dc.launchRequest({ type: 'gdb-remote', request: 'launch', media: 'iscsi', iscsi, program: built.elf, console: 'debugcon', timeoutMs: 15000 } as DebugProtocol.LaunchRequestArguments);
  await initialized;
  const line = built.lineOf('movw\t$banner, %si');
  const bps = await h.dc.setBreakpointsRequest({ source: { path: SANBOOT_SOURCE }, breakpoints: [{ line }] });
  assert.equal(bps.body.breakpoints[0].verified, true, bps.body.breakpoints[0].message);
  const stopped = h.dc.waitForEvent('stopped', 60_000);
  await h.dc.configurationDoneRequest();
  const stop = (await stopped) as DebugProtocol.StoppedEvent;
  return { h, outputs, stop };
}

async function scanIbft(h: DapHarness, revealSecrets = false): Promise<IbftScanResult> {
  return findIbft(
    async (address, length) => {
      const r = await h.dc.customRequest('bootdbg.readPhysical', { address, length });
      return Buffer.from(r.body.data as string, 'base64');
    },
    { revealSecrets },
  );
}

describe('iSCSI boot under the debugger: iPXE + tgt on loopback', { skip, timeout: 180_000 }, () => {
  let built: BuiltSanboot;
  before(() => {
    built = buildSanboot();
  });
  after(() => built?.cleanup());

  test('a breakpoint in the sanbooted .S hits at 0000:7Cxx with DL = 0x80; the real iBFT decodes', async () => {
    const tgt = await startTgt({ image: built.disk, targetIqn: TARGET_IQN });
    let booted: Booted | undefined;
    try {
      const t0 = Date.now();
      booted = await bootToBreakpoint(built, tgt);
      const { h, stop } = booted;
      assert.equal(stop.body.reason, 'breakpoint');
      const st = await h.dc.stackTraceRequest({ threadId: 1 });
      const top = st.body.stackFrames[0];
      assert.equal(BigInt(top.instructionPointerReference!), built.linear('booted'));
      assert.equal(built.linear('booted') >> 8n, 0x7cn, 'linear 0x7Cxx');
      assert.match(top.name, /^0000:7C[0-9A-F]{2}\b/i);
      assert.equal(top.source?.path, SANBOOT_SOURCE);
      assert.equal(top.line, built.lineOf('movw\t$banner, %si'));
      const scopes = await h.dc.scopesRequest({ frameId: top.id });
      const regs = await h.dc.variablesRequest({ variablesReference: scopes.body.scopes[0].variablesReference });
      const edx = regs.body.variables.find((v) => v.name === 'edx');
      assert.ok(edx, `edx among ${regs.body.variables.map((v) => v.name).join(', ')}`);
      assert.equal(Number(edx.value) & 0xff, 0x80, `DL = 0x80 (edx ${edx.value})`);
      const dl = await h.dc.evaluateRequest({ expression: '$dl', context: 'watch', frameId: top.id });
      assert.match(dl.body.result, /0x80|128/);
      const vga = await h.dc.customRequest('bootdbg.vgaText', {});
      assert.match(vga.body.text as string, /Booting from SAN device 0x80/);
      console.log(`# iSCSI boot to the breakpoint: ${Date.now() - t0} ms`);

      const t1 = Date.now();
      const scan = await scanIbft(h);
      console.log(`# iBFT scan through bootdbg.readPhysical: ${Date.now() - t1} ms, ${scan.bytesRead} bytes read; ${scan.summary}`);
      assert.equal(scan.address, 0x9e620, scan.summary);
      const r = scan.result!;
      assert.deepEqual(r.errors, []);
      const t = r.table!;
      assert.deepEqual([t.header.revision, t.header.checksumValid, t.header.oemId, t.header.oemTableId], [1, true, 'FENSYS', 'iPXE']);
      assert.equal(t.initiator?.name, INITIATOR_IQN, 'initiator-iqn from the script');
      assert.equal(t.nics.length, 1);
      const n = t.nics[0];
      assert.deepEqual([n.ip, n.prefix, n.origin, n.dhcp, n.vlan], ['10.0.2.15', 24, 3, '10.0.2.2', 0]);
      // restrict=on: slirp's DHCP offers no router and no DNS (unrestricted it gives 10.0.2.2 / 10.0.2.3).
      assert.deepEqual([n.gateway, n.primaryDns, n.secondaryDns], [undefined, undefined, undefined]);
      assert.equal(n.mac, '52:54:00:12:34:56', "QEMU's default MAC");
      assert.equal(n.pci, '00:03.0', 'the e1000 in the first free slot after the i440FX host bridge, PIIX3 and VGA');
      assert.deepEqual([n.valid, n.bootSelected], [true, true]);
      assert.equal(t.targets.length, 1);
      const g = t.targets[0];
      assert.equal(g.ip, '10.0.2.100', 'the restricted network forward the script points at');
      assert.equal(g.port, tgt.port, "tgtd's portal port");
      assert.equal(g.lun, '0001-0000-0000-0000');
      assert.equal(g.lunNumber, tgt.lun);
      assert.equal(g.name, TARGET_IQN);
      assert.deepEqual([g.chapType, g.chapKind, g.nicIndex, g.chapName, g.chapSecret], [0, 'none', 0, undefined, undefined]);

      // The boot sector goes on to print over 0xE9.
      await h.dc.continueRequest({ threadId: 1 });
      const deadline = Date.now() + 15000;
      while (!booted.outputs.join('').includes('BootDbg: booted over iSCSI, DL=80') && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
      assert.match(booted.outputs.join(''), /BootDbg: booted over iSCSI, DL=80/);
      await h.dc.disconnectRequest({ terminateDebuggee: true });
    } finally {
      await booted?.h.close();
      await tgt.stop();
    }
    assert.equal(processAlive(tgt.pid), false, 'tgtd is stopped');
  });

  test('mutual CHAP: the login works, the iBFT holds CHAP type 2 and the decoder redacts the secrets', async () => {
    const chap: TgtChap = { username: 'bootdbg-initiator', password: 'initiator-secret-1', reverseUsername: 'bootdbg-target', reversePassword: 'target-secret-22' };
    const tgt = await startTgt({ image: built.disk, targetIqn: TARGET_IQN, chap });
    let booted: Booted | undefined;
    try {
      booted = await bootToBreakpoint(built, tgt, chap);
      assert.equal(booted.stop.body.reason, 'breakpoint', 'the CHAP login succeeded and the sector booted');
      const scan = await scanIbft(booted.h);
      assert.equal(scan.address, 0x9e620, scan.summary);
      const g = scan.result!.table!.targets[0];
      assert.deepEqual([g.chapType, g.chapKind, g.chapName, g.reverseChapName], [2, 'mutual', chap.username, chap.reverseUsername]);
      assert.equal(g.chapSecret, redactedSecret(chap.password.length));
      assert.equal(g.reverseChapSecret, redactedSecret(chap.reversePassword!.length));
      assert.doesNotMatch(JSON.stringify(scan), /initiator-secret-1|target-secret-22/);
      const revealed = await scanIbft(booted.h, true);
      assert.deepEqual([revealed.result!.table!.targets[0].chapSecret, revealed.result!.table!.targets[0].reverseChapSecret], [chap.password, chap.reversePassword]);
      await booted.h.dc.disconnectRequest({ terminateDebuggee: true });
    } finally {
      await booted?.h.close();
      await tgt.stop();
    }
    assert.equal(processAlive(tgt.pid), false, 'tgtd is stopped');
  });
});
