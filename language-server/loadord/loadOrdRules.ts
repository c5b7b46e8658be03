/**
 * What an iSCSI-bootable Windows needs from its boot-driver list: the NIC driver, NDIS, Tcpip and
 * the iSCSI boot driver all start with the kernel (Start = BOOT, 0), in an order that can work —
 * NDIS before the miniport and Tcpip, and the iSCSI initiator after Tcpip and the NIC.
 * Knowledge as tables: driver roles by service/file name, and ordering constraints.
 */
import { DiagnosticSeverity, type Diagnostic, type Range } from 'vscode-languageserver-types';
import { driverBaseName, type LoadOrdListing, type LoadOrdRow } from './loadOrdParser';

export type DriverRole = 'ndis' | 'tcpip' | 'nic' | 'iscsi-initiator' | 'sanbootconf';

export interface RoleInfo {
  role: DriverRole;
  label: string;
  /** Service names or driver file base names, lower-case. */
  names: readonly string[];
  why: string;
}

export const ROLES: readonly RoleInfo[] = [
  { role: 'ndis', label: 'NDIS', names: ['ndis'], why: 'the network driver interface every NIC miniport and protocol binds to' },
  { role: 'tcpip', label: 'Tcpip', names: ['tcpip'], why: 'the TCP/IP stack the iSCSI session runs over' },
  {
    role: 'iscsi-initiator',
    label: 'Microsoft iSCSI initiator',
    names: ['msiscsi', 'iscsiprt', 'iscsibp'],
    why: 'logs in to the boot target and presents the boot disk',
  },
  {
    role: 'sanbootconf',
    label: 'sanbootconf',
    names: ['sanbootconf', 'iscsiboot'],
    why: 'reads the iBFT and configures the boot NIC before the initiator needs it',
  },
  {
    role: 'nic',
    label: 'NIC driver',
    // Miniports seen on iSCSI-booted XP/2003 machines and VMs (Intel, AMD PCnet, VMware, Realtek,
    // Broadcom, NVIDIA, 3Com, DEC/Hyper-V legacy, virtio).
    names: [
      'e100b', 'e1000', 'e1000325', 'e1express', 'e1e', 'e1g60', 'e1q', 'e1k', 'e1c', 'e1y', 'iansmini',
      'pcntpci5', 'pcnet', 'vmxnet', 'vmxnet3', 'vmxnet3ndis6', 'vmxnetx', 'rtl8139', 'rtl8023xp', 'rtl8023',
      'rtlh', 'rtenic', 'b57w2k', 'b57xp32', 'b57nd60x', 'b57nd60a', 'bxnd', 'bxvbd', 'nvenetfd', 'nvnetbus',
      'el90xbc', 'el90x', 'dc21x4', 'netkvm', 'netvsc', 'xennet',
    ],
    why: 'the miniport for the boot NIC',
  },
];

/** Load order that cannot work: `before` must load before `after` (when both are present). */
export const ORDER_CONSTRAINTS: ReadonlyArray<{ before: DriverRole; after: DriverRole; why: string }> = [
  { before: 'ndis', after: 'nic', why: 'the NIC miniport registers with NDIS' },
  { before: 'ndis', after: 'tcpip', why: 'Tcpip binds to NDIS' },
  { before: 'tcpip', after: 'iscsi-initiator', why: 'the initiator opens its TCP connection through Tcpip' },
  { before: 'nic', after: 'iscsi-initiator', why: 'the initiator needs the boot NIC up' },
  { before: 'nic', after: 'sanbootconf', why: 'sanbootconf matches the iBFT NIC against loaded NICs' },
];

export const LOADORD_CODES = {
  notBootStart: 'loadord/not-boot-start',
  missing: 'loadord/missing',
  order: 'loadord/order',
  unparsed: 'loadord/unparsed',
} as const;

const ROLE_BY_NAME = new Map<string, RoleInfo>(ROLES.flatMap((r) => r.names.map((n) => [n, r] as const)));

/** NIC miniports not in the table are still recognisable by their load-order group. */
const NIC_GROUPS = new Set(['ndis']);

export function roleOf(row: LoadOrdRow): RoleInfo | undefined {
  const byName = ROLE_BY_NAME.get(row.name.toLowerCase()) ?? ROLE_BY_NAME.get(driverBaseName(row.driver).toLowerCase());
  if (byName) return byName;
  if (NIC_GROUPS.has(row.group.trim().toLowerCase())) return ROLES.find((r) => r.role === 'nic');
  return undefined;
}

function cellRange(row: LoadOrdRow, lines: string[], key: 'start' | 'name'): Range {
  const c = row.cells[key] ?? row.cells.name ?? row.cells.driver;
  if (c) return { start: { line: row.line, character: c.start }, end: { line: row.line, character: c.end } };
  return { start: { line: row.line, character: 0 }, end: { line: row.line, character: (lines[row.line] ?? '').length } };
}

function d(range: Range, severity: DiagnosticSeverity, code: string, message: string): Diagnostic {
  return { range, severity, code, source: 'bootdbg', message };
}

export function loadOrdDiagnostics(listing: LoadOrdListing, lines: string[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const byRole = new Map<DriverRole, LoadOrdRow[]>();
  for (const row of listing.rows) {
    const role = roleOf(row);
    if (!role) continue;
    byRole.set(role.role, [...(byRole.get(role.role) ?? []), row]);
    if (row.start !== 'boot') {
      const was = row.start ? row.start.toUpperCase() : `"${row.startText}"`;
      out.push(
        d(
          cellRange(row, lines, 'start'),
          DiagnosticSeverity.Error,
          LOADORD_CODES.notBootStart,
          `${row.name} (${role.label}) starts ${was}, not BOOT: for iSCSI boot it must load with the kernel (Start = 0), because it is ${role.why}. Set HKLM\\SYSTEM\\CurrentControlSet\\Services\\${row.name}\\Start = 0 before imaging the disk.`,
        ),
      );
    }
  }

  if (listing.rows.length > 0) {
    const top: Range = { start: { line: listing.rows[0].line, character: 0 }, end: { line: listing.rows[0].line, character: 0 } };
    const need: Array<{ roles: DriverRole[]; label: string }> = [
      { roles: ['nic'], label: 'NIC driver' },
      { roles: ['ndis'], label: 'NDIS' },
      { roles: ['tcpip'], label: 'Tcpip' },
      { roles: ['iscsi-initiator', 'sanbootconf'], label: 'iSCSI boot driver (msiscsi/iScsiPrt or sanbootconf)' },
    ];
    for (const n of need) {
      if (n.roles.some((r) => byRole.has(r))) continue;
      out.push(
        d(
          top,
          DiagnosticSeverity.Warning,
          LOADORD_CODES.missing,
          `This listing has no ${n.label}: an iSCSI-booted Windows needs it in the Boot start group. (If it is there under another name, this check does not know it.)`,
        ),
      );
    }
  }

  // Order: among boot-start drivers, in listed (load) order.
  for (const c of ORDER_CONSTRAINTS) {
    const before = (byRole.get(c.before) ?? []).filter((r) => r.start === 'boot');
    const after = (byRole.get(c.after) ?? []).filter((r) => r.start === 'boot');
    if (before.length === 0 || after.length === 0) continue;
    const firstBefore = Math.min(...before.map((r) => r.order));
    for (const row of after) {
      if (row.order > firstBefore) continue;
      const other = before.find((r) => r.order === firstBefore);
      out.push(
        d(
          cellRange(row, lines, 'name'),
          DiagnosticSeverity.Error,
          LOADORD_CODES.order,
          `${row.name} loads before ${other?.name ?? c.before} (line ${(other?.line ?? 0) + 1}), which cannot work: ${c.why}. Fix the group (ServiceGroupOrder) or tag (GroupOrderList) so it loads later.`,
        ),
      );
    }
  }

  for (const u of listing.unparsed) {
    out.push(
      d(
        { start: { line: u.line, character: 0 }, end: { line: u.line, character: (lines[u.line] ?? '').length } },
        DiagnosticSeverity.Information,
        LOADORD_CODES.unparsed,
        'Not a LoadOrd row: expected Start, Group, Tag, Name and Driver columns (TAB, CSV or aligned by two or more spaces).',
      ),
    );
  }
  return out;
}
