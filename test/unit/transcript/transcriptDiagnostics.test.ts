import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Diagnostic, Hover } from 'vscode-languageserver-types';
import { isolatedContext } from '../../../language-server/languageFeatures';
import { buildReport } from '../../../language-server/transcript/iscsiBootReport';
import { transcriptFeatures } from '../../../language-server/transcript/transcriptFeatures';
import { fileContext, fixture, fixtureUri } from './fixtures';

function diagnose(name: string, ctx = isolatedContext()): Diagnostic[] {
  return transcriptFeatures.diagnostics({ uri: fixtureUri(name), text: fixture(name), ctx });
}

function hoverText(h: Hover | null | undefined): string {
  if (!h) return '';
  const c = h.contents;
  return typeof c === 'object' && 'kind' in c ? c.value : JSON.stringify(c);
}

function msg(d: Diagnostic | undefined): string {
  if (!d) return '';
  return typeof d.message === 'string' ? d.message : d.message.value;
}

function codes(ds: Diagnostic[]): string[] {
  return ds.map((d) => String(d.code)).sort();
}

describe('transcript diagnostics', () => {
  it('successful boots have none', () => {
    assert.deepEqual(diagnose('sanbootconf-success.kdlog'), []);
    assert.deepEqual(diagnose('msinitiator-success.kdlog'), []);
    assert.deepEqual(diagnose('mutual-chap-secrets.kdlog'), []);
  });

  it('every diagnostic has source bootdbg and a transcript/ code', () => {
    for (const f of ['sanbootconf-nic-not-matched-7b.kdlog', 'msinitiator-no-gateway.kdlog', 'no-ibft-7b.kdlog', 'truncated.kdlog', 'windbg-serial-2003.log']) {
      const ds = diagnose(f);
      assert.ok(ds.length > 0, f);
      for (const d of ds) {
        assert.equal(d.source, 'bootdbg');
        assert.match(String(d.code), /^transcript\/[a-z0-9-]+$/);
      }
    }
  });

  it('NIC not matched + 0x7B', () => {
    const ds = diagnose('sanbootconf-nic-not-matched-7b.kdlog');
    assert.deepEqual(codes(ds), ['transcript/bugcheck-7b', 'transcript/nic-not-matched']);
    const nic = ds.find((d) => d.code === 'transcript/nic-not-matched');
    assert.equal(nic?.range.start.line, 8); // "Found iBFT NIC 0:"
    assert.match(msg(nic), /00:0c:29:3a:4b:5c/);
    assert.match(msg(nic), /scsi0\.present/);
    const bc = ds.find((d) => d.code === 'transcript/bugcheck-7b');
    assert.match(msg(bc), /STATUS_OBJECT_NAME_NOT_FOUND/);
    assert.match(msg(bc), /not matched to a Windows NIC \(line 9\)/);
  });

  it('NIC not matched points at scsi0.present in the .vmx next to the transcript', () => {
    const ds = diagnose('vmware/boot.kdlog', fileContext());
    const nic = ds.find((d) => d.code === 'transcript/nic-not-matched');
    assert.ok(nic?.relatedInformation, 'no related information');
    const rel = nic.relatedInformation[0];
    assert.match(rel.location.uri, /diskless\.vmx$/);
    assert.equal(rel.location.range.start.line, 3);
    assert.match(typeof rel.message === 'string' ? rel.message : '', /not TRUE/);
    assert.match(msg(nic), /diskless\.vmx/);
  });

  it('finds the VM two folders up (.bootdbg/transcripts/) and prefers the .vmx with the NIC\'s MAC', () => {
    const ws = mkdtempSync(path.join(tmpdir(), 'bootdbg-vmx-'));
    try {
      mkdirSync(path.join(ws, '.bootdbg', 'transcripts'), { recursive: true });
      writeFileSync(path.join(ws, 'aaa-other.vmx'), 'scsi0.present = "TRUE"\nethernet0.address = "00:0c:29:00:00:01"\n');
      writeFileSync(path.join(ws, 'xp.vmx'), 'memsize = "256"\nethernet0.address = "00:0C:29:3A:4B:5C"\n');
      const file = path.join(ws, '.bootdbg', 'transcripts', 'kd-20261122-010000.kdlog');
      writeFileSync(file, fixture('sanbootconf-nic-not-matched-7b.kdlog'));
      const uri = pathToFileURL(file).toString();
      const ds = transcriptFeatures.diagnostics({ uri, text: fixture('sanbootconf-nic-not-matched-7b.kdlog'), ctx: fileContext() });
      const rel = ds.find((d) => d.code === 'transcript/nic-not-matched')?.relatedInformation?.[0];
      assert.match(rel?.location.uri ?? '', /\/xp\.vmx$/);
      assert.match(typeof rel?.message === 'string' ? rel.message : '', /no scsi0\.present/);
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  });

  it('quick fix sets scsi0.present = "TRUE" in that .vmx', () => {
    const ctx = fileContext();
    const uri = fixtureUri('vmware/boot.kdlog');
    const text = fixture('vmware/boot.kdlog');
    const ds = transcriptFeatures.diagnostics({ uri, text, ctx });
    const actions = transcriptFeatures.codeActions?.({ uri, text, ctx }, ds[0].range, ds) ?? [];
    assert.equal(actions.length, 1);
    const changes = actions[0].edit?.changes ?? {};
    const [vmxUri] = Object.keys(changes);
    assert.match(vmxUri, /diskless\.vmx$/);
    assert.equal(changes[vmxUri][0].newText, 'scsi0.present = "TRUE"');
    assert.equal(changes[vmxUri][0].range.start.line, 3);
  });

  it('no gateway while the target is on another subnet, and boot status', () => {
    const ds = diagnose('msinitiator-no-gateway.kdlog');
    assert.deepEqual(codes(ds), ['transcript/boot-status', 'transcript/no-gateway']);
    const gw = ds.find((d) => d.code === 'transcript/no-gateway');
    assert.equal(gw?.range.start.line, 3);
    assert.match(msg(gw), /192\.168\.50\.9/);
    assert.match(msg(ds.find((d) => d.code === 'transcript/boot-status')), /STATUS_IO_TIMEOUT/);
  });

  it('sanbootconf: NIC gateway 0.0.0.0 and the target behind a router', () => {
    const text = fixture('sanbootconf-success.kdlog').replace('  Gateway = 10.0.2.2', '  Gateway = 0.0.0.0').replace('  IP = 10.0.2.2\n', '  IP = 192.168.7.20\n');
    const ds = transcriptFeatures.diagnostics({ uri: 'file:///gw.kdlog', text, ctx: isolatedContext() });
    assert.deepEqual(codes(ds), ['transcript/no-gateway']);
    assert.equal(text.split('\n')[ds[0].range.start.line], '  Gateway = 0.0.0.0');
    assert.match(msg(ds[0]), /target 0 \(192\.168\.7\.20\)/);
    assert.equal(ds[0].relatedInformation?.[0].location.range.start.line, text.split('\n').indexOf('  IP = 192.168.7.20'));
  });

  it('a blue-screen STOP line from a serial console counts as the bugcheck', () => {
    const text = 'SAN Boot Configuration Driver initialising\nFound iBFT at 9e620\n*** STOP: 0x0000007B (0xF789E528,0xC000000E,0x00000000,0x00000000)\n';
    const ds = transcriptFeatures.diagnostics({ uri: 'file:///stop.kdlog', text, ctx: isolatedContext() });
    assert.deepEqual(codes(ds), ['transcript/bugcheck-7b']);
    assert.match(msg(ds[0]), /STATUS_NO_SUCH_DEVICE/);
  });

  it('a target on the same subnet needs no gateway', () => {
    const text = fixture('msinitiator-no-gateway.kdlog').replace('192.168.50.9', '10.0.2.9');
    const ds = transcriptFeatures.diagnostics({ uri: 'file:///x.kdlog', text, ctx: isolatedContext() });
    assert.ok(!codes(ds).includes('transcript/no-gateway'));
  });

  it('no iBFT + 0x7B', () => {
    const ds = diagnose('no-ibft-7b.kdlog');
    assert.deepEqual(codes(ds), ['transcript/bugcheck-7b', 'transcript/no-ibft']);
    assert.equal(ds.find((d) => d.code === 'transcript/no-ibft')?.range.start.line, 2);
  });

  it('truncated before the boot disk arrived', () => {
    const ds = diagnose('truncated.kdlog');
    assert.deepEqual(codes(ds), ['transcript/truncated']);
    assert.equal(ds[0].range.start.line, 19);
  });

  it('a WinDbg log with only the bugcheck says no boot driver printed anything', () => {
    const ds = diagnose('windbg-serial-2003.log');
    assert.deepEqual(codes(ds), ['transcript/bugcheck-7b']);
    assert.match(msg(ds[0]), /no iSCSI boot driver printed anything/);
  });

  it('other bugchecks get transcript/bugcheck with the name', () => {
    const text = 'BootDbg transcript\n*** Fatal System Error: 0x000000d1 (0x00000004,0x00000002,0x00000000,0xF7A1B2C3)\nDriver at fault: e1000325.sys.\n';
    const ds = transcriptFeatures.diagnostics({ uri: 'file:///x.kdlog', text, ctx: isolatedContext() });
    assert.deepEqual(codes(ds), ['transcript/bugcheck']);
    assert.match(msg(ds[0]), /DRIVER_IRQL_NOT_LESS_OR_EQUAL/);
    assert.match(msg(ds[0]), /e1000325\.sys/);
  });
});

describe('transcript hover, outline, folding', () => {
  const name = 'sanbootconf-success.kdlog';
  const doc = { uri: fixtureUri(name), text: fixture(name), ctx: isolatedContext() };
  const lines = doc.text.split('\n');

  it('hover on a NIC line shows the NIC section', () => {
    const line = lines.findIndex((l) => l.startsWith('  MAC = '));
    const value = hoverText(transcriptFeatures.hover?.(doc, { line, character: 3 }));
    assert.match(value, /#### NIC 0/);
    assert.match(value, /52:54:00:12:34:56/);
  });

  it('hover on the first line shows the summary; on an unrelated line nothing', () => {
    assert.match(hoverText(transcriptFeatures.hover?.(doc, { line: 0, character: 0 })), /iSCSI boot/);
    const other = lines.findIndex((l) => l.startsWith('Graphical boot'));
    assert.equal(transcriptFeatures.hover?.(doc, { line: other, character: 0 }), null);
  });

  it('hover on a bugcheck line explains it', () => {
    const n = 'sanbootconf-nic-not-matched-7b.kdlog';
    const d = { uri: fixtureUri(n), text: fixture(n), ctx: isolatedContext() };
    const line = d.text.split('\n').findIndex((l) => l.includes('Fatal System Error'));
    const value = hoverText(transcriptFeatures.hover?.(d, { line, character: 5 }));
    assert.match(value, /INACCESSIBLE_BOOT_DEVICE/);
    assert.match(value, /Usual causes/);
  });

  it('outline and folding follow the iBFT blocks', () => {
    const symbols = transcriptFeatures.documentSymbols?.(doc) ?? [];
    assert.deepEqual(symbols.map((s) => s.name), ['iBFT', 'Initiator', 'NIC 0', 'Target 0']);
    const folds = transcriptFeatures.foldingRanges?.(doc) ?? [];
    assert.equal(folds.length, 3);
    for (const f of folds) assert.ok(f.endLine > f.startLine);
  });
});

describe('newer sanbootconf output (one ACPI-table scanner, NICs named by MAC)', () => {
  it('a successful boot: iBFT, NIC matched by MAC and configured, disk arrived, no diagnostics', () => {
    const r = buildReport(fixture('sanbootconf-v2-success.kdlog'));
    assert.equal(r.ibft.found?.address, '9e620');
    assert.equal(r.ibft.found?.oemTableId, 'iPXE');
    const n = r.nics[0];
    assert.equal(n.matched?.netCfgInstanceId, '{4DB30059-46A5-4F69-B52A-C67B3DE4C8A3}');
    assert.equal(n.matched?.pdo, '81A5EAA0');
    assert.equal(n.configured?.ok, true);
    assert.equal(r.targets[0].chapType, 'one-way');
    assert.equal(r.targets[0].chapName, 'initiator1');
    assert.equal(r.targets[0].hasChapSecret, true);
    assert.deepEqual(diagnose('sanbootconf-v2-success.kdlog'), []);
  });

  it('"ERROR: <mac> not found" is the NIC that was not matched, at that line', () => {
    const ds = diagnose('sanbootconf-v2-nic-not-found.kdlog');
    assert.deepEqual(codes(ds), ['transcript/nic-not-matched']);
    assert.equal(ds[0].range.start.line, 11);
    const r = buildReport(fixture('sanbootconf-v2-nic-not-found.kdlog'));
    assert.deepEqual(r.nics[0].configured, { ok: false, status: 'c000000f', line: 12 });
    assert.ok(r.gaveUpLine !== undefined);
  });

  it('an AoE boot (aBFT, the real sanbootconf trace format): "No iBFT found" is no error', () => {
    const r = buildReport(fixture('sanbootconf-aoe.kdlog'));
    assert.deepEqual(r.otherSanTables.map((t) => t.value), ['aBFT']);
    assert.equal(r.nics.length, 0);
    assert.deepEqual(diagnose('sanbootconf-aoe.kdlog'), []);
  });
});
