/**
 * The iSCSI boot report as a tree (the "iSCSI Boot Report" view in VS Code): one node per
 * section with its facts as children, each pointing at the transcript line it came from. Plain
 * data, no VS Code types, so it is tested like the rest of the report.
 */
import {
  bootDiskArrived,
  iscsiBootAttempted,
  nicPresentGateway,
  type IscsiBootReport,
  type ReportNic,
  type ReportTarget,
} from './iscsiBootReport';
import { bugcheckTitle } from './reportMarkdown';

export type NodeState = 'ok' | 'error' | 'warning' | 'info';

export interface ReportTreeNode {
  label: string;
  description?: string;
  /** 0-based transcript line the fact comes from (click to reveal). */
  line?: number;
  state?: NodeState;
  children?: ReportTreeNode[];
}

function leaf(label: string, description: string | undefined, line?: number, state?: NodeState): ReportTreeNode | undefined {
  if (description === undefined || description === '') return undefined;
  return { label, description, line, state };
}

function compact(nodes: Array<ReportTreeNode | undefined>): ReportTreeNode[] {
  return nodes.filter((n): n is ReportTreeNode => n !== undefined);
}

const PATH_LABELS: Record<IscsiBootReport['path'], string> = {
  sanbootconf: 'sanbootconf',
  microsoft: 'Microsoft iSCSI initiator',
  unknown: 'no iSCSI boot driver output',
};

function nicNode(n: ReportNic): ReportTreeNode {
  const gw = nicPresentGateway(n);
  const unmatched = !n.matched && n.valid !== false && (n.source === 'sanbootconf' || n.notFoundLine !== undefined);
  return {
    label: `NIC ${n.index}`,
    description: [n.ip ? `${n.ip.value}${n.prefix !== undefined ? `/${n.prefix}` : ''}` : undefined, n.mac?.value].filter((x) => x).join('  '),
    line: n.line,
    state: unmatched ? 'error' : n.matched ? 'ok' : undefined,
    children: compact([
      leaf('IP', n.ip ? `${n.ip.value}${n.prefix !== undefined ? `/${n.prefix}` : ''}` : undefined, n.ip?.line),
      leaf('Gateway', n.gateway ? (gw ?? 'none') : undefined, n.gateway?.line, n.gateway && !gw ? 'warning' : undefined),
      leaf('DNS', n.dns.join(', ')),
      leaf('MAC', n.mac?.value, n.mac?.line),
      leaf('PCI', n.pci?.value, n.pci?.line),
      leaf('VLAN', n.vlan !== undefined ? String(n.vlan) : undefined),
      leaf('Boot selected', n.bootSelected === undefined ? undefined : n.bootSelected ? 'yes' : 'no'),
      n.matched
        ? leaf('Windows NIC', n.matched.netCfgInstanceId ?? n.matched.interface ?? 'matched', n.matched.line, 'ok')
        : unmatched
          ? leaf('Windows NIC', 'not matched', n.notFoundLine ?? n.line, 'error')
          : undefined,
      n.configured ? leaf('Configured', n.configured.ok ? 'yes' : `no ${n.configured.status ?? ''}`.trim(), n.configured.line, n.configured.ok ? 'ok' : 'error') : undefined,
    ]),
  };
}

function targetNode(t: ReportTarget): ReportTreeNode {
  return {
    label: `Target ${t.index}`,
    description: [t.ip ? `${t.ip.value}${t.port !== undefined ? `:${t.port}` : ''}` : undefined, t.iqn].filter((x) => x).join('  '),
    line: t.line,
    children: compact([
      leaf('IP', t.ip?.value, t.ip?.line),
      leaf('Port', t.port !== undefined ? String(t.port) : undefined),
      leaf('LUN', t.lun),
      leaf('IQN', t.iqn),
      leaf('CHAP', t.chapType),
      leaf('NIC', t.nicIndex !== undefined ? String(t.nicIndex) : undefined),
    ]),
  };
}

function bootNodes(r: IscsiBootReport): ReportTreeNode[] {
  const arrived = bootDiskArrived(r);
  const ibft: ReportTreeNode | undefined = r.ibft.found
    ? { label: 'iBFT', description: `found${r.ibft.found.address ? ` at ${r.ibft.found.address}` : ''}`, line: r.ibft.found.line, state: 'ok' }
    : r.ibft.missingLine !== undefined
      ? {
          label: 'iBFT',
          description: r.otherSanTables.length > 0 ? `none (${r.otherSanTables.map((t) => t.value).join(', ')} instead)` : 'not found',
          line: r.ibft.missingLine,
          state: r.otherSanTables.length > 0 ? 'info' : 'error',
        }
      : undefined;
  const disk: ReportTreeNode = r.bootDisk
    ? { label: 'Boot disk', description: 'arrived', line: r.bootDisk.line, state: 'ok' }
    : arrived
      ? { label: 'Boot disk', description: 'session up', line: r.bootStatus?.line, state: 'ok' }
      : r.gaveUpLine !== undefined
        ? { label: 'Boot disk', description: 'driver gave up', line: r.gaveUpLine, state: 'error' }
        : { label: 'Boot disk', description: r.waitingForDisk ? 'waiting, not seen to arrive' : 'not seen', line: r.waitingForDisk?.line, state: iscsiBootAttempted(r) ? 'warning' : undefined };
  const fw = r.firmware;
  const firmware: ReportTreeNode | undefined = fw
    ? {
        label: 'Firmware',
        description: `${fw.name}${fw.version ? ` ${fw.version}` : ''}`,
        line: fw.line,
        state: fw.sanError ? 'error' : fw.sanBooting ? 'ok' : undefined,
        children: compact([
          ...fw.nics.map((n) => leaf(n.name, [n.mac, n.pci, n.ip].filter((x) => x).join('  '), n.line)),
          leaf('SAN device', fw.sanRegistered?.value, fw.sanRegistered?.line),
          leaf('Boot', fw.sanBooting ? `from ${fw.sanBooting.value}` : undefined, fw.sanBooting?.line, 'ok'),
          fw.sanError ? leaf('Error', `Could not ${fw.sanError.action}: ${fw.sanError.message}`, fw.sanError.line, 'error') : undefined,
        ]),
      }
    : undefined;
  return compact([
    firmware,
    { label: 'Path', description: PATH_LABELS[r.path], line: r.drivers[0]?.line, state: r.path === 'unknown' ? 'info' : undefined },
    ibft,
    r.initiator ? { label: 'Initiator', description: r.initiator.name ?? '', line: r.initiator.line } : undefined,
    ...r.nics.map(nicNode),
    ...r.targets.map(targetNode),
    r.bootStatus
      ? { label: 'Boot status', description: r.bootStatus.name ?? r.bootStatus.text, line: r.bootStatus.line, state: r.bootStatus.value === 0 ? 'ok' : 'error' }
      : undefined,
    disk,
    r.bugcheck
      ? {
          label: 'Bugcheck',
          description: bugcheckTitle(r.bugcheck),
          line: r.bugcheck.line,
          state: 'error',
          children: compact([
            ...r.bugcheck.params.map((p, i) => leaf(`P${i + 1}`, p, r.bugcheck?.line)),
            r.bugcheck.statusParam?.name ? leaf('Status', r.bugcheck.statusParam.name, r.bugcheck.line) : undefined,
            leaf('Driver at fault', r.bugcheck.driverAtFault, r.bugcheck.endLine),
          ]),
        }
      : undefined,
  ]);
}

/** The tree of a transcript: the sections of its one boot, or one node per boot. */
export function reportTree(reports: readonly IscsiBootReport[]): ReportTreeNode[] {
  if (reports.length === 0) return [];
  if (reports.length === 1) return bootNodes(reports[0]);
  return reports.map((r, i) => {
    const nodes = bootNodes(r);
    const worst = nodes.some((n) => n.state === 'error') ? 'error' : nodes.some((n) => n.state === 'warning') ? 'warning' : undefined;
    return { label: `Boot ${i + 1}`, description: `line ${r.firstLine + 1}`, line: r.firstLine, state: worst, children: nodes };
  });
}
