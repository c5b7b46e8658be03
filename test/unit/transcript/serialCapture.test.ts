import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { isolatedContext } from '../../../language-server/languageFeatures';
import { buildReport } from '../../../language-server/transcript/iscsiBootReport';
import { reportToMarkdown } from '../../../language-server/transcript/reportMarkdown';
import { reportTree } from '../../../language-server/transcript/reportTree';
import { transcriptFeatures } from '../../../language-server/transcript/transcriptFeatures';
import { fixture, fixtureDir } from './fixtures';
import { buildSerialCapture } from './serialCapture';

describe('a raw COM1 capture: iPXE console, then KD packets with DbgPrint inside', () => {
  const bytes = readFileSync(path.join(fixtureDir, 'serial-capture-ipxe-then-kd.log'));

  it('the fixture is what the documented generator builds', () => {
    assert.ok(bytes.equals(buildSerialCapture()), 'fixture and generator disagree: regenerate the fixture');
  });

  for (const encoding of ['utf8', 'latin1'] as const) {
    it(`reads the boot through the framing (decoded as ${encoding})`, () => {
      const r = buildReport(bytes.toString(encoding));
      assert.equal(r.firmware?.name, 'iPXE');
      assert.equal(r.firmware?.version, '1.0.0+git-20190125.36a4c85-5.1');
      assert.deepEqual(r.firmware?.nics[0] && { ...r.firmware.nics[0], line: 0 }, { name: 'net0', mac: '52:54:00:12:34:56', pci: '00:03.0', ip: '10.0.2.15', prefix: 24, gateway: '10.0.2.2', line: 0 });
      assert.equal(r.firmware?.sanBooting?.value, '0x80');
      assert.equal(r.path, 'sanbootconf');
      assert.equal(r.ibft.found?.address, '9e620');
      assert.equal(r.nics[0].mac?.value, '52:54:00:12:34:56');
      assert.equal(r.nics[0].gateway?.value, '10.0.2.2');
      assert.equal(r.nics[0].matched?.netCfgInstanceId, '{4DB30059-46A5-4F69-B52A-C67B3DE4C8A3}');
      assert.equal(r.nics[0].configured?.ok, true);
      assert.equal(r.targets[0].iqn, 'iqn.2026-11.test.bootdbg:w2k3');
      assert.equal(r.targets[0].port, 3260);
      assert.ok(r.bootDisk);
      assert.ok(r.noisyLines >= 17);
      const ds = transcriptFeatures.diagnostics({ uri: 'file:///com1.log', text: bytes.toString(encoding), ctx: isolatedContext() });
      assert.deepEqual(ds, []);
    });
  }

  it('the firmware section shows in the report and the tree', () => {
    const r = buildReport(bytes.toString('utf8'));
    assert.match(reportToMarkdown(r), /#### Firmware: iPXE 1\.0\.0/);
    assert.equal(reportTree([r])[0].label, 'Firmware');
    assert.equal(reportTree([r])[0].state, 'ok');
  });
});

describe('iPXE could not open the SAN device', () => {
  it('gives transcript/san-error at that line with the ipxe.org code', () => {
    const text = fixture('ipxe-san-error.log');
    const ds = transcriptFeatures.diagnostics({ uri: 'file:///ipxe.log', text, ctx: isolatedContext() });
    assert.deepEqual(ds.map((d) => d.code), ['transcript/san-error']);
    assert.equal(ds[0].range.start.line, 4);
    const msg = typeof ds[0].message === 'string' ? ds[0].message : ds[0].message.value;
    assert.match(msg, /Operation not permitted/);
    assert.match(msg, /ipxe\.org\/410d613c/);
    const r = buildReport(text);
    assert.deepEqual(r.firmware?.sanError && { ...r.firmware.sanError }, { action: 'open SAN device', message: 'Operation not permitted', code: '410d613c', line: 4 });
    assert.equal(reportTree([r])[0].state, 'error');
  });

  it('the "(0x410d613c)" form of the code works too', () => {
    const r = buildReport('Could not open SAN device: Operation not permitted (0x410d613c)\n');
    assert.equal(r.firmware?.sanError?.code, '410d613c');
  });
});

describe('a capture that stops when iPXE hands over to Windows', () => {
  it('is truncated, with a hint about the debug port', () => {
    const bytes = readFileSync(path.join(fixtureDir, 'serial-capture-ipxe-then-kd.log'));
    const text = bytes.toString('utf8').split('Booting from SAN device 0x80')[0] + 'Booting from SAN device 0x80\r\n';
    const ds = transcriptFeatures.diagnostics({ uri: 'file:///ipxe-only.log', text, ctx: isolatedContext() });
    assert.deepEqual(ds.map((d) => d.code), ['transcript/truncated']);
    const msg = typeof ds[0].message === 'string' ? ds[0].message : ds[0].message.value;
    assert.match(msg, /no Windows output follows/);
    assert.equal(ds[0].range.start.line, 10);
  });
});
