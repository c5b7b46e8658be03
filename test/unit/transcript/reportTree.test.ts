import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildSessionReports } from '../../../language-server/transcript/iscsiBootReport';
import { reportTree, type ReportTreeNode } from '../../../language-server/transcript/reportTree';
import { fixture } from './fixtures';

const find = (nodes: ReportTreeNode[], label: string): ReportTreeNode | undefined => nodes.find((n) => n.label === label);

describe('report tree (the iSCSI Boot Report view)', () => {
  it('a successful boot: sections with states and lines', () => {
    const t = reportTree(buildSessionReports(fixture('sanbootconf-success.kdlog')));
    assert.deepEqual(t.map((n) => n.label), ['Path', 'iBFT', 'Initiator', 'NIC 0', 'Target 0', 'Boot disk']);
    assert.equal(find(t, 'iBFT')?.state, 'ok');
    const nic = find(t, 'NIC 0');
    assert.equal(nic?.state, 'ok');
    assert.equal(nic?.description, '10.0.2.15/24  52:54:00:12:34:56');
    assert.equal(find(nic?.children ?? [], 'Windows NIC')?.description, '{8B7A4F2E-1C3D-4E5F-9A0B-C1D2E3F40516}');
    assert.equal(find(t, 'Boot disk')?.state, 'ok');
    assert.equal(find(t, 'Target 0')?.description, '10.0.2.2:3260  iqn.2026-11.test.bootdbg:disk1');
  });

  it('a failed boot marks the unmatched NIC and the bugcheck as errors', () => {
    const t = reportTree(buildSessionReports(fixture('sanbootconf-nic-not-matched-7b.kdlog')));
    assert.equal(find(t, 'NIC 0')?.state, 'error');
    const bc = find(t, 'Bugcheck');
    assert.equal(bc?.state, 'error');
    assert.equal(bc?.description, '0x0000007B INACCESSIBLE_BOOT_DEVICE');
    assert.equal(find(bc?.children ?? [], 'Status')?.description, 'STATUS_OBJECT_NAME_NOT_FOUND');
    assert.equal(bc?.line, 31);
  });

  it('several boots give one node each, with the worst state', () => {
    const t = reportTree(buildSessionReports(fixture('sanbootconf-nic-not-matched-7b.kdlog') + '\n' + fixture('sanbootconf-success.kdlog')));
    assert.deepEqual(t.map((n) => [n.label, n.state]), [
      ['Boot 1', 'error'],
      ['Boot 2', undefined],
    ]);
  });

  it('an empty or unrelated transcript still gives a small tree', () => {
    assert.deepEqual(reportTree(buildSessionReports('')).map((n) => n.label), ['Path', 'Boot disk']);
    assert.deepEqual(reportTree([]), []);
  });
});
