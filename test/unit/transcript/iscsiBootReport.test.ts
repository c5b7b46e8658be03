import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { BootReportBuilder, buildReport, bootDiskArrived, maskToPrefix, sameSubnet } from '../../../language-server/transcript/iscsiBootReport';
import { reportToMarkdown, sectionMarkdown } from '../../../language-server/transcript/reportMarkdown';
import { fixture, referenceDir } from './fixtures';

describe('iSCSI boot report: sanbootconf success', () => {
  const r = buildReport(fixture('sanbootconf-success.kdlog'));

  it('finds the path, the iBFT and the initiator', () => {
    assert.equal(r.path, 'sanbootconf');
    assert.deepEqual(r.ibft.found && { a: r.ibft.found.address, o: r.ibft.found.oemId, t: r.ibft.found.oemTableId }, {
      a: '9e620',
      o: 'FENSYS',
      t: 'iPXE',
    });
    assert.equal(r.initiator?.name, 'iqn.2010-04.org.ipxe:initiator1');
    assert.equal(r.initiator?.bootSelected, true);
    assert.equal(r.bootVia?.value, 'iSCSI boot via iPXE');
  });

  it('reads every NIC field and the Windows match', () => {
    assert.equal(r.nics.length, 1);
    const n = r.nics[0];
    assert.equal(n.ip?.value, '10.0.2.15');
    assert.equal(n.prefix, 24);
    assert.equal(n.origin, 3);
    assert.equal(n.gateway?.value, '10.0.2.2');
    assert.deepEqual(n.dns, ['10.0.2.3']);
    assert.equal(n.dhcp, '10.0.2.2');
    assert.equal(n.vlan, 0);
    assert.equal(n.mac?.value, '52:54:00:12:34:56');
    assert.equal(n.pci?.value, '00:03.0');
    assert.equal(n.valid, true);
    assert.equal(n.bootSelected, true);
    assert.equal(n.matched?.netCfgInstanceId, '{8B7A4F2E-1C3D-4E5F-9A0B-C1D2E3F40516}');
    assert.equal(n.matched?.pdo, '81F2C030');
    assert.match(n.matched?.interface ?? '', /^\\\?\?\\PCI#VEN_8086/);
    assert.equal(r.windowsNics.length, 1);
  });

  it('reads the target and that the disk arrived', () => {
    assert.equal(r.targets.length, 1);
    const t = r.targets[0];
    assert.equal(t.ip?.value, '10.0.2.2');
    assert.equal(t.port, 3260);
    assert.equal(t.lun, '0001-0000-0000-0000');
    assert.equal(t.chapType, 'none');
    assert.equal(t.nicIndex, 0);
    assert.equal(t.iqn, 'iqn.2026-11.test.bootdbg:disk1');
    assert.equal(t.hasChapSecret, false);
    assert.ok(r.bootDisk);
    assert.equal(r.waitingForDisk?.attempts, 2);
    assert.equal(bootDiskArrived(r), true);
    assert.equal(r.bugcheck, undefined);
  });

  it('renders markdown with every section', () => {
    const text = reportToMarkdown(r);
    for (const s of ['# iSCSI boot report', 'sanbootconf', '#### Initiator', '#### NIC 0', '#### Target 0', '10.0.2.15/24', '00:03.0', 'NetCfgInstanceId']) {
      assert.ok(text.includes(s), `markdown lacks ${s}`);
    }
    assert.ok(!text.includes('<br>'));
  });

  it('maps lines to sections for hover', () => {
    const nicLine = fixture('sanbootconf-success.kdlog').split('\n').findIndex((l) => l.startsWith('  PCI = '));
    assert.equal(r.lineSections.get(nicLine), 'nic:0');
    assert.match(sectionMarkdown(r, 'nic:0'), /#### NIC 0/);
  });
});

describe('iSCSI boot report: Microsoft initiator success', () => {
  const r = buildReport(fixture('msinitiator-success.kdlog'));
  it('reads the IscsiBP lines', () => {
    assert.equal(r.path, 'microsoft');
    assert.equal(r.ibft.found?.address, '9e620');
    assert.equal(r.initiator?.name, 'iqn.2010-04.org.ipxe:initiator1');
    const n = r.nics[0];
    assert.equal(n.ip?.value, '10.0.2.15');
    assert.equal(n.prefix, 24);
    assert.equal(n.gateway?.value, '10.0.2.2');
    assert.equal(n.mac?.value, '52:54:00:12:34:56');
    assert.equal(n.nicHandle, '0x81f2c008');
    const t = r.targets[0];
    assert.equal(t.ip?.value, '10.0.2.2');
    assert.equal(t.port, 3260);
    assert.equal(t.lun, '1');
    assert.equal(t.iqn, 'iqn.2026-11.test.bootdbg:disk1');
    assert.match(r.connectionPool?.value ?? '', /Boot connection pool/);
    assert.equal(r.waitingForDisk?.seconds, 60);
    assert.equal(r.bootStatus?.value, 0);
    assert.equal(bootDiskArrived(r), true);
  });
});

describe('iSCSI boot report: failures', () => {
  it('bugcheck with parameters on the next line (the kernel format)', () => {
    const r = buildReport(fixture('sanbootconf-nic-not-matched-7b.kdlog'));
    assert.equal(r.bugcheck?.code, 0x7b);
    assert.equal(r.bugcheck?.name, 'INACCESSIBLE_BOOT_DEVICE');
    assert.deepEqual(r.bugcheck?.params, ['0xF789E528', '0xC0000034', '0x00000000', '0x00000000']);
    assert.equal(r.bugcheck?.statusParam?.name, 'STATUS_OBJECT_NAME_NOT_FOUND');
    assert.equal(r.nics[0].matched, undefined);
    assert.equal(r.breakLine !== undefined, true);
    assert.match(reportToMarkdown(r), /Usual causes on iSCSI boot/);
  });

  it('non-zero boot status with its NTSTATUS name', () => {
    const r = buildReport(fixture('msinitiator-no-gateway.kdlog'));
    assert.equal(r.bootStatus?.value, 0xc00000b5);
    assert.equal(r.bootStatus?.name, 'STATUS_IO_TIMEOUT');
    assert.equal(bootDiskArrived(r), false);
  });

  it('no iBFT', () => {
    const r = buildReport(fixture('no-ibft-7b.kdlog'));
    assert.equal(r.ibft.found, undefined);
    assert.equal(r.ibft.missingLine, 2);
    assert.equal(r.path, 'sanbootconf');
  });

  it('a WinDbg serial log: bugcheck on one line, !analyze repeats it', () => {
    const r = buildReport(fixture('windbg-serial-2003.log'));
    assert.equal(r.path, 'unknown');
    assert.equal(r.bugcheck?.code, 0x7b);
    assert.equal(r.bugcheck?.params[0], '0xF78A6A94');
    assert.equal(r.bugcheck?.line, 13);
  });

  it('64-bit parameters with WinDbg backticks', () => {
    const r = buildReport('BugCheck 7B, {fffff880`009a97e8, ffffffff`c0000034, 0, 0}\n');
    assert.equal(r.bugcheck?.statusParam?.name, 'STATUS_OBJECT_NAME_NOT_FOUND');
  });

  it('the real serial bugcheck line quoted in the KD reference parses', (t) => {
    const file = path.join(referenceDir, 'kd', 'kd-protocol.md');
    if (!existsSync(file)) {
      t.skip('../shared/reference/kd/kd-protocol.md not present');
      return;
    }
    const quoted = /`(\*\*\* Fatal System Error: [^`]+)`/.exec(readFileSync(file, 'utf8'))?.[1];
    assert.ok(quoted, 'reference lost its quoted bugcheck line');
    const r = buildReport(quoted);
    assert.equal(r.bugcheck?.code, 0x7b);
    assert.equal(r.bugcheck?.params.length, 4);
  });
});

describe('incremental building (live session)', () => {
  const text = fixture('sanbootconf-nic-not-matched-7b.kdlog');
  const whole = buildReport(text);

  it('line by line equals the whole file', () => {
    const b = new BootReportBuilder();
    for (const l of text.split('\n').slice(0, -1)) b.addLine(l);
    assert.deepEqual(b.report, whole);
  });

  it('chunks split at arbitrary points (DbgPrint packets, CRLF split in two) equal the whole file', () => {
    const crlf = text.replace(/\n/g, '\r\n');
    for (const size of [1, 2, 3, 7, 64, 511]) {
      const b = new BootReportBuilder();
      for (let i = 0; i < crlf.length; i += size) b.addText(crlf.slice(i, i + size));
      b.flush();
      assert.deepEqual(b.report, whole, `chunk size ${size}`);
    }
  });

  it('the report grows as lines arrive', () => {
    const b = new BootReportBuilder();
    const lines = text.split('\n');
    const fatal = lines.findIndex((l) => l.includes('Fatal System Error'));
    const bugcheck = () => b.report.bugcheck;
    for (let i = 0; i < fatal; i++) b.addLine(lines[i]);
    assert.equal(bugcheck(), undefined);
    assert.equal(b.report.nics.length, 1);
    b.addLine(lines[fatal]);
    assert.equal(bugcheck()?.code, 0x7b);
    assert.deepEqual(bugcheck()?.params, []);
    b.addLine(lines[fatal + 1]);
    assert.equal(bugcheck()?.params.length, 4);
  });
});

describe('address helpers', () => {
  it('masks and subnets', () => {
    assert.equal(maskToPrefix('255.255.255.0'), 24);
    assert.equal(maskToPrefix('255.255.0.0'), 16);
    assert.equal(maskToPrefix('255.0.255.0'), undefined);
    assert.equal(maskToPrefix('0.0.0.0'), 0);
    assert.equal(sameSubnet('10.0.2.15', '10.0.2.2', 24), true);
    assert.equal(sameSubnet('10.0.2.15', '192.168.50.9', 24), false);
    assert.equal(sameSubnet('10.0.2.15', 'x', 24), undefined);
  });
});

describe('Microsoft initiator lines without their prefix', () => {
  it('"iBF Table found" / "not found" are the initiator\'s even when the IscsiBP prefix was lost', () => {
    const found = buildReport('iBF Table found at PA 0x9e620\n');
    assert.equal(found.path, 'microsoft');
    assert.equal(found.ibft.found?.address, '9e620');
    const missing = buildReport('No iBF Table found\n');
    assert.equal(missing.ibft.found, undefined);
    assert.equal(missing.ibft.missingLine, 0);
    const both = buildReport('iScsiBP: iBF Table found at PA 0x9e620\n');
    assert.equal(both.drivers.length, 1);
    assert.equal(both.ibft.found?.line, 0);
  });
});
