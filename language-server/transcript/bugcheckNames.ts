/**
 * Bugcheck codes and NTSTATUS values that matter for network boot, with one line each on what
 * they mean there (../shared/reference/kd/kd-protocol.md §6 and Microsoft's bug-check reference).
 * Kept small on purpose: the report names the codes a network-boot user meets.
 */

export interface BugcheckInfo {
  code: number;
  name: string;
  meaning: string;
}

export const BUGCHECKS: readonly BugcheckInfo[] = [
  { code: 0x0a, name: 'IRQL_NOT_LESS_OR_EQUAL', meaning: 'kernel touched pageable or bad memory at raised IRQL' },
  { code: 0x1e, name: 'KMODE_EXCEPTION_NOT_HANDLED', meaning: 'unhandled kernel-mode exception' },
  { code: 0x50, name: 'PAGE_FAULT_IN_NONPAGED_AREA', meaning: 'invalid memory reference' },
  { code: 0x6b, name: 'PROCESS1_INITIALIZATION_FAILED', meaning: 'early init could not read files from the boot volume (P1 = status)' },
  { code: 0x77, name: 'KERNEL_STACK_INPAGE_ERROR', meaning: 'a kernel stack page could not be read from disk (iSCSI session dropped?)' },
  { code: 0x7a, name: 'KERNEL_DATA_INPAGE_ERROR', meaning: 'a page of kernel data could not be read from disk (iSCSI session dropped?)' },
  { code: 0x7b, name: 'INACCESSIBLE_BOOT_DEVICE', meaning: 'the boot volume could not be opened: the classic iSCSI-boot failure' },
  { code: 0x7e, name: 'SYSTEM_THREAD_EXCEPTION_NOT_HANDLED', meaning: 'a driver thread faulted (iSCSI/MPIO and NIC filter drivers are known culprits)' },
  { code: 0x1000007e, name: 'SYSTEM_THREAD_EXCEPTION_NOT_HANDLED_M', meaning: 'a driver thread faulted (iSCSI/MPIO and NIC filter drivers are known culprits)' },
  { code: 0x8e, name: 'KERNEL_MODE_EXCEPTION_NOT_HANDLED', meaning: 'unhandled kernel-mode exception (e.g. a breakpoint continued unhandled)' },
  { code: 0x9f, name: 'DRIVER_POWER_STATE_FAILURE', meaning: 'a driver (often network) blocked a power IRP' },
  { code: 0xd1, name: 'DRIVER_IRQL_NOT_LESS_OR_EQUAL', meaning: 'a driver (often a NIC miniport) touched bad memory at raised IRQL' },
  { code: 0xe2, name: 'MANUALLY_INITIATED_CRASH', meaning: '.crash / CauseBugCheck / keyboard crash' },
  { code: 0xed, name: 'UNMOUNTABLE_BOOT_VOLUME', meaning: 'the volume was found but its file system could not be mounted' },
  { code: 0xf4, name: 'CRITICAL_OBJECT_TERMINATION', meaning: 'a critical process died, on iSCSI boot often because paging I/O failed' },
  { code: 0xc000021a, name: 'STATUS_SYSTEM_PROCESS_TERMINATED', meaning: 'Winlogon/CSRSS died (same root causes as 0xF4)' },
];

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

const BUGCHECK_BY_CODE = new Map(BUGCHECKS.map((b) => [b.code, b]));
const STATUS_BY_VALUE = new Map(NT_STATUSES.map((s) => [s.value, s]));

export function bugcheckInfo(code: number): BugcheckInfo | undefined {
  return BUGCHECK_BY_CODE.get(code >>> 0);
}

export function ntStatusInfo(value: number): NtStatusInfo | undefined {
  return STATUS_BY_VALUE.get(value >>> 0);
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
