/**
 * Firmware iBFT vs a transcript's iSCSI boot report: agreement on the transcripts made from the
 * real outputs (sanbootconf and the Microsoft initiator), and each kind of disagreement a user must
 * see (MAC, IP, gateway, target IQN, LUN, CHAP type, a NIC only one side has). Also the markdown.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareIbftWithReport, disagreements, ibftAddressFromReport, sameLun } from '../../../adapter/ibft/ibftCompare';
import { decodeIbft, findIbft } from '../../../adapter/ibft/ibftDecoder';
import { ibftMarkdown } from '../../../adapter/ibft/ibftMarkdown';
import { buildReport } from '../../../language-server/transcript/iscsiBootReport';
import { encodeIbft, type SynthTable } from './ibftEncoder';
import { fixture } from '../transcript/fixtures';

/** What iPXE wrote for the boot the sanbootconf-success transcript describes. */
function firmware(change: (t: SynthTable) => void = () => undefined) {
  const spec: SynthTable = {
    initiator: { name: 'iqn.2010-04.org.ipxe:initiator1' },
    nics: [{ ip: '10.0.2.15', prefix: 24, origin: 3, gateway: '10.0.2.2', dns: ['10.0.2.3'], dhcp: '10.0.2.2', mac: '52:54:00:12:34:56', pci: { bus: 0, dev: 3, fn: 0 } }],
    targets: [{ ip: '10.0.2.2', port: 3260, lun: [0, 1, 0, 0, 0, 0, 0, 0], chapType: 0, nicIndex: 0, name: 'iqn.2026-11.test.bootdbg:disk1' }],
  };
  change(spec);
  const r = decodeIbft(encodeIbft(spec));
  assert.deepEqual(r.errors, []);
  return r.table!;
}

describe('iBFT vs transcript comparison', () => {
  it('sanbootconf transcript of the same boot: every field agrees', () => {
    const items = compareIbftWithReport(firmware(), 0x9e620, buildReport(fixture('sanbootconf-success.kdlog')));
    assert.deepEqual(disagreements(items), []);
    const fields = items.map((c) => `${c.section}/${c.field}`);
    for (const f of ['iBFT/address', 'iBFT/OEM table ID', 'initiator/name', 'NIC 0/IP address', 'NIC 0/prefix length', 'NIC 0/gateway', 'NIC 0/MAC address', 'NIC 0/PCI bus:dev.fn', 'NIC 0/VLAN', 'NIC 0/primary DNS', 'target 0/IP address', 'target 0/port', 'target 0/LUN', 'target 0/IQN', 'target 0/CHAP type', 'target 0/NIC index']) {
      assert.ok(fields.includes(f), `${f} compared (have ${fields.join(', ')})`);
    }
    const mac = items.find((c) => c.field === 'MAC address')!;
    assert.equal(mac.line, 25, 'the transcript line of the value is kept');
  });

  it('Microsoft initiator transcript (MAC with dashes, subnet mask, LUN 1): agrees, unprinted fields skipped', () => {
    const items = compareIbftWithReport(firmware(), 0x9e620, buildReport(fixture('msinitiator-success.kdlog')));
    assert.deepEqual(disagreements(items), []);
    assert.ok(items.some((c) => c.field === 'LUN' && c.transcript === '1' && c.verdict === 'agree'));
    assert.ok(items.some((c) => c.field === 'prefix length' && c.verdict === 'agree'));
    assert.ok(!items.some((c) => c.field === 'PCI bus:dev.fn'), 'the Microsoft initiator prints no PCI address');
  });

  it('disagreements: NIC MAC/IP/gateway, target IQN, LUN, CHAP type, address, extra NIC', () => {
    const fw = firmware((t) => {
      t.nics[0]!.mac = '52:54:00:aa:bb:cc';
      t.nics[0]!.ip = '10.0.2.16';
      t.nics[0]!.gateway = undefined;
      t.targets[0]!.name = 'iqn.2026-11.test.bootdbg:disk2';
      t.targets[0]!.lun = [0, 2, 0, 0, 0, 0, 0, 0];
      t.targets[0]!.chapType = 1;
      t.nics[1] = { ip: '192.168.1.9', mac: '00:0c:29:00:00:01', pci: { bus: 2, dev: 1, fn: 0 } };
    });
    const items = compareIbftWithReport(fw, 0x9d000, buildReport(fixture('sanbootconf-success.kdlog')));
    const bad = disagreements(items).map((c) => `${c.section}/${c.field}: ${c.verdict} (${c.firmware ?? '-'} vs ${c.transcript ?? '-'})`);
    assert.deepEqual(bad.sort(), [
      'NIC 0/IP address: differ (10.0.2.16 vs 10.0.2.15)',
      'NIC 0/MAC address: differ (52:54:00:aa:bb:cc vs 52:54:00:12:34:56)',
      'NIC 0/gateway: transcript-only (- vs 10.0.2.2)',
      'NIC 1/structure: firmware-only (present vs -)',
      'iBFT/address: differ (0x9d000 vs 9e620)',
      'target 0/CHAP type: differ (one-way vs none)',
      'target 0/IQN: differ (iqn.2026-11.test.bootdbg:disk2 vs iqn.2026-11.test.bootdbg:disk1)',
      'target 0/LUN: differ (0002000000000000 vs 0001-0000-0000-0000)',
    ]);
  });

  it('a transcript that printed 0.0.0.0 where the firmware has a gateway is a disagreement', () => {
    const text = fixture('sanbootconf-success.kdlog').replace('Gateway = 10.0.2.2', 'Gateway = 0.0.0.0');
    const items = compareIbftWithReport(firmware(), 0x9e620, buildReport(text));
    assert.deepEqual(disagreements(items).map((c) => `${c.field} ${c.verdict}`), ['gateway differ']);
  });

  it('the transcript names where the iBFT is: the scanner tries it first', () => {
    assert.equal(ibftAddressFromReport(buildReport(fixture('sanbootconf-success.kdlog'))), 0x9e620);
    assert.equal(ibftAddressFromReport(buildReport(fixture('msinitiator-success.kdlog'))), 0x9e620);
    assert.equal(ibftAddressFromReport(buildReport(fixture('no-ibft-7b.kdlog'))), undefined);
    assert.equal(ibftAddressFromReport(buildReport('Found iBFT at 12345678 OEM ID "X" OEM table ID "Y"\n')), undefined, 'outside 512 KiB–1 MiB');
    assert.equal(ibftAddressFromReport(undefined), undefined);
  });

  it('LUN forms', () => {
    assert.equal(sameLun('0001000000000000', '0001-0000-0000-0000'), true);
    assert.equal(sameLun('0001000000000000', '0000-0000-0000-0100'), true, 'the bytes as a little-endian u64');
    assert.equal(sameLun('0001000000000000', '0000-0000-0000-0001'), false);
    assert.equal(sameLun('0001000000000000', '1'), true);
    assert.equal(sameLun('0001000000000000', '0x1'), true);
    assert.equal(sameLun('4005000000000000', '5'), true);
    assert.equal(sameLun('0001000000000000', '2'), false);
    assert.equal(sameLun('0001000200000000', '1'), false);
    assert.equal(sameLun('0001000000000000', 'garbage'), false);
  });

  it('markdown: fields, redaction note, disagreements first', async () => {
    const fw = firmware((t) => {
      t.nics[0]!.mac = '52:54:00:aa:bb:cc';
      t.targets[0]!.chapType = 2;
      t.targets[0]!.chapName = 'alice-initiator';
      t.targets[0]!.chapSecret = 's3cr3t-Forward!';
    });
    const mem = Buffer.alloc(0x100000);
    const buf = encodeIbft({ initiator: { name: fw.initiator!.name }, nics: [{ ip: '10.0.2.15', mac: '52:54:00:aa:bb:cc', pci: { bus: 0, dev: 3, fn: 0 } }], targets: [{ ip: '10.0.2.2', chapType: 2, chapName: 'alice-initiator', chapSecret: 's3cr3t-Forward!', name: 'iqn.x:disk1' }] });
    buf.copy(mem, 0x9e620);
    const scan = await findIbft(async (a, n) => mem.subarray(a, a + n));
    const items = compareIbftWithReport(scan.result!.table!, scan.address, buildReport(fixture('sanbootconf-success.kdlog')));
    const md = ibftMarkdown({ source: 'gdb-remote test', address: scan.address, summary: scan.summary, result: scan.result, comparison: { transcript: 'sanbootconf-success.kdlog', items } });
    assert.match(md, /\| MAC \| 52:54:00:aa:bb:cc \|/);
    assert.match(md, /\| PCI bus:dev\.fn \| 00:03\.0 \|/);
    assert.match(md, /\| CHAP secret \| <redacted, 15 characters> \|/);
    assert.doesNotMatch(md, /s3cr3t/);
    assert.match(md, /\*\*\d+ of \d+ compared fields disagree\.\*\*/);
    const rows = md.split('\n').filter((l) => /\| (❌|⚠️|✅)/.test(l));
    assert.ok(rows.length > 3);
    const firstAgree = rows.findIndex((l) => l.includes('✅'));
    assert.ok(rows.slice(firstAgree).every((l) => l.includes('✅')), 'disagreements come first');
    assert.ok(rows.some((l) => l.includes('MAC address') && l.includes('❌') && l.includes('(line 26)')));
  });
});
