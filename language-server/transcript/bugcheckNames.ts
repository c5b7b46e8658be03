/**
 * Bugcheck names come from the KD debugger's table (adapter/kd/bugcheckCodes.ts); this file adds
 * what the transcript report needs on top: NTSTATUS values met on network boot with a short
 * meaning, and the usual causes of 0x7B by status (../shared/reference/kd/kd-protocol.md §6).
 */
import { lookupBugcheck, NTSTATUS_NAMES } from '../../adapter/kd/bugcheckCodes';

/** What the report says about a bugcheck: the table lives with the KD debugger (one table). */
export interface BugcheckInfo {
  code: number;
  name: string;
  meaning: string;
  /** Meaning of P1..P4 ('' = unused). */
  parameters: readonly string[];
}

export interface NtStatusInfo {
  value: number;
  name: string;
  meaning: string;
}

export const NT_STATUSES: readonly NtStatusInfo[] = [
  { value: 0x00000000, name: 'STATUS_SUCCESS', meaning: 'success' },
  { value: 0xc0000001, name: 'STATUS_UNSUCCESSFUL', meaning: 'generic failure' },
  { value: 0xc000000e, name: 'STATUS_NO_SUCH_DEVICE', meaning: 'no such device: the disk or its controller is not there' },
  { value: 0xc000000f, name: 'STATUS_NO_SUCH_FILE', meaning: 'no such file (no boot firmware table available)' },
  { value: 0xc0000032, name: 'STATUS_DISK_CORRUPT_ERROR', meaning: 'disk corrupt or file system not recognised' },
  { value: 0xc0000034, name: 'STATUS_OBJECT_NAME_NOT_FOUND', meaning: 'the boot disk never appeared' },
  { value: 0xc000009c, name: 'STATUS_DEVICE_DATA_ERROR', meaning: 'bad data from the device' },
  { value: 0xc000009d, name: 'STATUS_DEVICE_NOT_CONNECTED', meaning: 'the device is not connected (session lost)' },
  { value: 0xc00000b5, name: 'STATUS_IO_TIMEOUT', meaning: 'the I/O timed out (target unreachable)' },
  { value: 0xc0000185, name: 'STATUS_IO_DEVICE_ERROR', meaning: 'I/O device error' },
  { value: 0xc000023a, name: 'STATUS_CONNECTION_REFUSED', meaning: 'the target refused the TCP connection' },
  { value: 0xc000023c, name: 'STATUS_NETWORK_UNREACHABLE', meaning: 'no route to the target network (gateway?)' },
  { value: 0xc000023d, name: 'STATUS_HOST_UNREACHABLE', meaning: 'the target host is unreachable' },
];

const STATUS_BY_VALUE = new Map(NT_STATUSES.map((s) => [s.value, s]));

export function bugcheckInfo(code: number): BugcheckInfo | undefined {
  const b = lookupBugcheck(code >>> 0);
  if (!b) return undefined;
  return { code: b.code, name: b.name, meaning: b.meaning.replace(/\.\s*$/, ''), parameters: b.parameters };
}

/** Name and meaning of an NTSTATUS: ours (with a network-boot meaning) first, then the KD table's. */
export function ntStatusInfo(value: number): NtStatusInfo | undefined {
  const v = value >>> 0;
  const ours = STATUS_BY_VALUE.get(v);
  if (ours) return ours;
  const name = NTSTATUS_NAMES[v];
  return name ? { value: v, name, meaning: '' } : undefined;
}

/**
 * What 0x7B usually means on an iSCSI boot, keyed by its second parameter (an NTSTATUS) — the
 * causes the experts list first. `undefined` key = any other status.
 */
export const INACCESSIBLE_BOOT_DEVICE_CAUSES: ReadonlyArray<{ status?: number; causes: string[] }> = [
  {
    status: 0xc0000034,
    causes: [
      'the iSCSI boot driver (Microsoft initiator boot or sanbootconf) did not start or found no iBFT',
      'the NIC driver, NDIS or Tcpip is not boot-start (check a LoadOrd listing)',
      'the iBFT NIC was not matched to a Windows NIC (VMware: the NIC moved to another PCI slot; keep scsi0.present = "TRUE")',
      'the target was not reachable (wrong IP/gateway, CHAP failure)',
    ],
  },
  {
    status: 0xc000000e,
    causes: ['the boot disk or its controller is not present: the iSCSI session was not established'],
  },
  {
    status: 0xc0000032,
    causes: ['the iSCSI LUN was found but its partition table or file system is not what boot.ini/BCD points at'],
  },
  {
    causes: [
      'the boot disk did not arrive in time: check that the iSCSI boot driver ran and logged in',
      'the NIC driver, NDIS, Tcpip or the iSCSI driver is not boot-start',
    ],
  },
];

export function inaccessibleBootDeviceCauses(status: number | undefined): string[] {
  const hit = INACCESSIBLE_BOOT_DEVICE_CAUSES.find((c) => c.status !== undefined && c.status === status);
  return (hit ?? INACCESSIBLE_BOOT_DEVICE_CAUSES[INACCESSIBLE_BOOT_DEVICE_CAUSES.length - 1]).causes;
}
