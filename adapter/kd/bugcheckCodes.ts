/**
 * Bugcheck (stop) codes as data: name, what the four parameters mean, and advice, with the
 * network/iSCSI-boot angle first (kd-protocol.md §6; Microsoft's bug-check code reference).
 * Used to write the "Bugcheck Analysis" of a bugcheck stop.
 */

export interface BugcheckInfo {
  code: number;
  name: string;
  /** One-sentence meaning. */
  meaning: string;
  /** Meaning of Parameter 1..4 (empty string = reserved/unused). */
  parameters: [string, string, string, string];
  /** What to check, most likely cause first. */
  advice: string[];
}

/** NTSTATUS values that commonly appear as bugcheck parameters. */
export const NTSTATUS_NAMES: Readonly<Record<number, string>> = {
  0xc0000034: 'STATUS_OBJECT_NAME_NOT_FOUND',
  0xc000000e: 'STATUS_NO_SUCH_DEVICE',
  0xc0000032: 'STATUS_DISK_CORRUPT_ERROR',
  0xc000014f: 'STATUS_UNRECOGNIZED_VOLUME',
  0xc000009c: 'STATUS_DEVICE_DATA_ERROR',
  0xc000009d: 'STATUS_DEVICE_NOT_CONNECTED',
  0xc0000185: 'STATUS_IO_DEVICE_ERROR',
  0xc000016a: 'STATUS_DISK_OPERATION_FAILED',
  0xc0000005: 'STATUS_ACCESS_VIOLATION',
  0x80000003: 'STATUS_BREAKPOINT',
  0xc000001d: 'STATUS_ILLEGAL_INSTRUCTION',
  0xc0000096: 'STATUS_PRIVILEGED_INSTRUCTION',
  0xc0000094: 'STATUS_INTEGER_DIVIDE_BY_ZERO',
  0xc0000006: 'STATUS_IN_PAGE_ERROR',
  0xc000000d: 'STATUS_INVALID_PARAMETER',
  0xc0000001: 'STATUS_UNSUCCESSFUL',
  0xc0000102: 'STATUS_FILE_CORRUPT_ERROR',
  0xc0000225: 'STATUS_NOT_FOUND',
};

const ISCSI_7B_ADVICE = [
  'iSCSI boot: the boot disk never appeared to Windows. Check that the NIC driver and the iSCSI boot driver (e.g. sanbootconf / the Microsoft iSCSI initiator boot components) are installed and set to start in the boot group (Start = 0, Group "Boot Bus Extender"/"NDIS"), not as demand/system start.',
  'The NIC named in the iBFT must be the NIC Windows binds the driver to: in VMware, check the NIC\'s PCI slot/type (e1000 vs vmxnet) matches what Windows was installed with, and that ethernet0 is the NIC gPXE/iPXE booted from.',
  'VMware: a leftover local disk controller (scsi0.present = "TRUE" with no disk) or a different controller type can change device order; make sure the iSCSI disk is the boot disk.',
  'Network: the iBFT gateway/subnet must let Windows reach the target after the NIC driver takes over (gPXE worked in real mode, Windows may not); check VLANs and the target portal address.',
  'CHAP: the initiator name and CHAP credentials in the iBFT must match the target; a target that accepts the BIOS login but rejects Windows\' re-login gives exactly this stop.',
  'Parameter 2 = 0xC0000034 (object name not found): the ARC path/disk never showed up (driver/iBFT/network). 0xC000000E: no such device. 0xC0000032/0xC000014F: the disk was found but the volume is not readable (wrong LUN, corrupt image).',
  'Look above the bugcheck in this transcript for the iSCSI/NIC driver\'s DbgPrint lines: the last message before "*** Fatal System Error" usually names the step that failed.',
];

/** At least the codes a network-boot user meets; keyed by code below. */
export const BUGCHECK_TABLE: readonly BugcheckInfo[] = [
  {
    code: 0x7b,
    name: 'INACCESSIBLE_BOOT_DEVICE',
    meaning: 'Windows lost access to the system partition during startup: the boot volume could not be opened.',
    parameters: ['Address of a UNICODE_STRING with the ARC name of the boot device (or of the device object that could not be mounted)', 'NTSTATUS of the failure (0xC0000034 = name not found)', '', ''],
    advice: ISCSI_7B_ADVICE,
  },
  {
    code: 0x7a,
    name: 'KERNEL_DATA_INPAGE_ERROR',
    meaning: 'A page of kernel data could not be read from the paging file/boot disk into memory.',
    parameters: ['Lock type / PTE value', 'I/O status code', 'Current process (or virtual address for lock type 3)', 'Virtual address that could not be paged in'],
    advice: ['iSCSI boot: the iSCSI session to the boot disk dropped or stalled (network, target, NIC driver). Status 0xC000009D/0xC000009C/0xC0000185/0xC000000E point at the storage path.', 'Check NIC power management, link flaps, target timeouts (MaxRequestHoldTime / LinkDownTime) and that the paging file lives on a reachable disk.'],
  },
  {
    code: 0x77,
    name: 'KERNEL_STACK_INPAGE_ERROR',
    meaning: 'A page of a kernel stack could not be read from the paging file.',
    parameters: ['Status code (0 = zero page, otherwise I/O status)', 'Status / PTE', 'PTE or reserved', 'Offset in the paging file or address'],
    advice: ['Same causes as 0x7A on iSCSI boot: the paging I/O to the iSCSI disk failed. Check the network path and iSCSI session recovery timeouts.'],
  },
  {
    code: 0xf4,
    name: 'CRITICAL_OBJECT_TERMINATION',
    meaning: 'A process or thread crucial to system operation exited or was terminated.',
    parameters: ['Object type (3 = process, 6 = thread)', 'The terminating object', 'Address of the process image file name', 'Address of an explanatory message (ASCII)'],
    advice: ['iSCSI boot: often csrss/wininit died because paging I/O to the iSCSI disk failed; look for disk/NIC errors in the DbgPrint output before the stop.'],
  },
  {
    code: 0xc000021a,
    name: 'STATUS_SYSTEM_PROCESS_TERMINATED',
    meaning: 'A user-mode subsystem (Winlogon or CSRSS) failed and Windows cannot continue (XP/2003).',
    parameters: ['Address of the status message string', 'NTSTATUS of the failure', '', ''],
    advice: ['Same root causes as 0xF4 on network boot (paging I/O failure); also mismatched system files after a driver/service pack change in the iSCSI image.'],
  },
  {
    code: 0x6b,
    name: 'PROCESS1_INITIALIZATION_FAILED',
    meaning: 'Initialisation of the system process failed (early reads from the boot volume failed).',
    parameters: ['NTSTATUS explaining why initialisation failed', '', '', ''],
    advice: ['Files on the boot volume (e.g. ntdll.dll, bootcat.cache) are missing or unreadable: the iSCSI disk image may be damaged or a different LUN was mounted.'],
  },
  {
    code: 0xed,
    name: 'UNMOUNTABLE_BOOT_VOLUME',
    meaning: 'The I/O subsystem found the boot volume but could not mount it.',
    parameters: ['Device object of the boot volume', 'Status code from the file system', '', ''],
    advice: ['The disk is reachable but the file system is not: check the image (chkdsk), the LUN mapping and that the disk was not written by two initiators at once.'],
  },
  {
    code: 0x7e,
    name: 'SYSTEM_THREAD_EXCEPTION_NOT_HANDLED',
    meaning: 'A system thread generated an exception that the error handler did not catch.',
    parameters: ['Exception code that was not handled', 'Address where the exception occurred', 'Exception record address', 'Context record address'],
    advice: ['Parameter 2 names the faulting driver: NIC miniports, NDIS filters and iSCSI/MPIO drivers are common culprits on network boot. Use .exr/.cxr on parameters 3 and 4.'],
  },
  {
    code: 0x1000007e,
    name: 'SYSTEM_THREAD_EXCEPTION_NOT_HANDLED_M',
    meaning: 'Same as 0x7E (the _M variant used by Windows XP and later).',
    parameters: ['Exception code that was not handled', 'Address where the exception occurred', 'Exception record address', 'Context record address'],
    advice: ['See 0x7E.'],
  },
  {
    code: 0x8e,
    name: 'KERNEL_MODE_EXCEPTION_NOT_HANDLED',
    meaning: 'A kernel-mode application generated an exception that the error handler did not catch.',
    parameters: ['Exception code', 'Address where the exception occurred', 'Trap frame', ''],
    advice: ['Parameter 1 = 0x80000003: a breakpoint was hit with no debugger handling it (a hard-coded int 3, or continued with "not handled"). Otherwise check the driver at parameter 2.'],
  },
  {
    code: 0x1000008e,
    name: 'KERNEL_MODE_EXCEPTION_NOT_HANDLED_M',
    meaning: 'Same as 0x8E.',
    parameters: ['Exception code', 'Address where the exception occurred', 'Trap frame', ''],
    advice: ['See 0x8E.'],
  },
  {
    code: 0x1e,
    name: 'KMODE_EXCEPTION_NOT_HANDLED',
    meaning: 'A kernel-mode program generated an exception which the error handler did not catch.',
    parameters: ['Exception code', 'Address where the exception occurred', 'Parameter 0 of the exception', 'Parameter 1 of the exception'],
    advice: ['0x80000003 in parameter 1: a breakpoint nobody handled (was the debugger detached while a breakpoint was set?). Otherwise the driver at parameter 2 is the suspect.'],
  },
  {
    code: 0xd1,
    name: 'DRIVER_IRQL_NOT_LESS_OR_EQUAL',
    meaning: 'A driver accessed pageable or invalid memory at too high an IRQL.',
    parameters: ['Memory referenced', 'IRQL at the time', '0 = read, 1 = write, 8 = execute', 'Address that referenced the memory'],
    advice: ['Often a NIC miniport or NDIS filter driver; on iSCSI boot the NIC driver runs at boot time and must be non-paged. Resolve parameter 4 to a module.'],
  },
  {
    code: 0x0a,
    name: 'IRQL_NOT_LESS_OR_EQUAL',
    meaning: 'Kernel code accessed paged or invalid memory at DISPATCH_LEVEL or above.',
    parameters: ['Memory referenced', 'IRQL at the time', '0 = read, 1 = write', 'Address that referenced the memory'],
    advice: ['Usually a driver corrupting memory or touching pageable code at raised IRQL; resolve parameter 4 and look at the stack.'],
  },
  {
    code: 0x50,
    name: 'PAGE_FAULT_IN_NONPAGED_AREA',
    meaning: 'Invalid system memory was referenced.',
    parameters: ['Memory address referenced', '0 = read, 1 = write', 'Address that referenced the memory (if known)', 'Reserved'],
    advice: ['A bad pointer in a driver, or (network boot) a page that should have come from the boot disk: check the iSCSI path if the address is in paged pool/image space.'],
  },
  {
    code: 0x9f,
    name: 'DRIVER_POWER_STATE_FAILURE',
    meaning: 'A driver is in an inconsistent or invalid power state.',
    parameters: ['Subcode (3 = device object blocked an IRP too long)', 'Physical device object', 'Functional device object / time-out', 'Blocked IRP'],
    advice: ['On iSCSI boot the NIC carrying the boot disk must not be powered down: disable NIC power management for it; shutdown/hibernate cannot page to a disconnected disk.'],
  },
  {
    code: 0xe2,
    name: 'MANUALLY_INITIATED_CRASH',
    meaning: 'The user deliberately initiated a crash dump (.crash, CauseBugCheck, keyboard crash).',
    parameters: ['', '', '', ''],
    advice: ['Intentional; nothing to fix.'],
  },
  {
    code: 0x24,
    name: 'NTFS_FILE_SYSTEM',
    meaning: 'A problem occurred in ntfs.sys.',
    parameters: ['Source file and line', 'Exception record (if any)', 'Context record (if any)', 'Reserved'],
    advice: ['The NTFS volume on the (iSCSI) disk is corrupt or its I/O failed: check the image and the network path.'],
  },
  {
    code: 0x23,
    name: 'FAT_FILE_SYSTEM',
    meaning: 'A problem occurred in the FAT file system.',
    parameters: ['Source file and line', 'Exception record', 'Context record', 'Reserved'],
    advice: ['Corrupt FAT volume or failed I/O to it.'],
  },
  {
    code: 0x3b,
    name: 'SYSTEM_SERVICE_EXCEPTION',
    meaning: 'An exception happened while executing a routine that transitions from non-privileged to privileged code.',
    parameters: ['Exception code', 'Address of the instruction that caused the exception', 'Context record', ''],
    advice: ['Resolve parameter 2 to find the driver.'],
  },
  {
    code: 0x7f,
    name: 'UNEXPECTED_KERNEL_MODE_TRAP',
    meaning: 'The CPU generated a trap the kernel failed to catch (double fault, stack overflow…).',
    parameters: ['Trap number (8 = double fault)', 'Reserved', 'Reserved', 'Reserved'],
    advice: ['8 (double fault) is usually a kernel stack overflow: deep filter-driver stacks on the storage/network path (iSCSI + NDIS filters + antivirus) can cause it.'],
  },
  {
    code: 0x19,
    name: 'BAD_POOL_HEADER',
    meaning: 'A pool header is corrupt.',
    parameters: ['Type of violation', 'Pointer to the pool entry', 'Varies', 'Varies'],
    advice: ['A driver corrupted pool memory; enable Driver Verifier special pool for the suspects (NIC, iSCSI).'],
  },
  {
    code: 0xc2,
    name: 'BAD_POOL_CALLER',
    meaning: 'The current thread is making a bad pool request.',
    parameters: ['Type of violation', 'Varies', 'Varies', 'Varies'],
    advice: ['A driver freed/allocated pool incorrectly; Driver Verifier narrows it down.'],
  },
  {
    code: 0xc5,
    name: 'DRIVER_CORRUPTED_EXPOOL',
    meaning: 'The system accessed invalid memory at too high an IRQL, probably because of pool corruption by a driver.',
    parameters: ['Memory referenced', 'IRQL', '0 = read, 1 = write', 'Address that referenced the memory'],
    advice: ['Pool corruption by a driver; Driver Verifier.'],
  },
  {
    code: 0x1a,
    name: 'MEMORY_MANAGEMENT',
    meaning: 'A severe memory management error occurred.',
    parameters: ['Subtype', 'Varies', 'Varies', 'Varies'],
    advice: ['Faulty RAM or a driver corrupting memory-manager structures; run a memory test.'],
  },
  {
    code: 0x4e,
    name: 'PFN_LIST_CORRUPT',
    meaning: 'The page frame number list is corrupt.',
    parameters: ['Subtype', 'Varies', 'Varies', 'Varies'],
    advice: ['Usually a driver passing a bad MDL (storage/network DMA); also faulty RAM.'],
  },
  {
    code: 0x74,
    name: 'BAD_SYSTEM_CONFIG_INFO',
    meaning: 'There is an error in the registry (the SYSTEM hive could not be loaded/was inconsistent).',
    parameters: ['Reserved', 'Reserved', 'Reserved', 'NTSTATUS (if any)'],
    advice: ['The SYSTEM hive in the iSCSI image is damaged or from another machine; use LastKnownGood or repair the image.'],
  },
  {
    code: 0x51,
    name: 'REGISTRY_ERROR',
    meaning: 'A severe registry error occurred (I/O error reading a hive).',
    parameters: ['Reserved', 'Reserved', 'Hive pointer', 'Return code of HvCheckHive'],
    advice: ['On network boot: the hive read failed because the boot disk I/O failed; check the iSCSI path.'],
  },
  {
    code: 0x5c,
    name: 'HAL_INITIALIZATION_FAILED',
    meaning: 'HAL initialisation failed.',
    parameters: ['Varies', 'Varies', 'Varies', 'Varies'],
    advice: ['Wrong HAL for the (virtual) hardware: an image installed on a different VM/PC type.'],
  },
  {
    code: 0x78,
    name: 'PHASE0_EXCEPTION',
    meaning: 'An exception occurred during phase 0 of kernel initialisation.',
    parameters: ['', '', '', ''],
    advice: ['Very early failure: check the kernel/HAL pair and boot.ini switches (/kernel=, /hal=).'],
  },
  {
    code: 0x79,
    name: 'MISMATCHED_HAL',
    meaning: 'The HAL revision or configuration does not match that of the kernel or the machine.',
    parameters: ['Type of mismatch', 'Varies', 'Varies', ''],
    advice: ['Copy matching ntoskrnl/hal (uniprocessor vs multiprocessor, ACPI vs non-ACPI) into the image.'],
  },
  {
    code: 0xa5,
    name: 'ACPI_BIOS_ERROR',
    meaning: 'The ACPI BIOS of the computer is not fully compliant with the ACPI specification.',
    parameters: ['Varies', 'Varies', 'Varies', 'Varies'],
    advice: ['Try the non-ACPI HAL or update the (virtual) BIOS.'],
  },
  {
    code: 0xea,
    name: 'THREAD_STUCK_IN_DEVICE_DRIVER',
    meaning: 'A device driver is spinning in an infinite loop, most likely waiting for hardware.',
    parameters: ['Thread object', 'Device context', 'Driver name string', 'Reserved'],
    advice: ['Usually a display driver; rare on network boot.'],
  },
  {
    code: 0xf7,
    name: 'DRIVER_OVERRAN_STACK_BUFFER',
    meaning: 'A driver overran a stack-based buffer.',
    parameters: ['Actual security check cookie', 'Expected cookie', 'Complement of the expected cookie', '0'],
    advice: ['Resolve the stack to find the driver.'],
  },
  {
    code: 0x133,
    name: 'DPC_WATCHDOG_VIOLATION',
    meaning: 'A DPC ran too long or the system spent too long at DISPATCH_LEVEL.',
    parameters: ['0 = single DPC too long, 1 = cumulative', 'Time count', 'Time limit', 'Reserved'],
    advice: ['Often NIC/storage drivers (Windows 8 and later).'],
  },
];

const BY_CODE: ReadonlyMap<number, BugcheckInfo> = new Map(BUGCHECK_TABLE.map((b) => [b.code, b]));

export function lookupBugcheck(code: number): BugcheckInfo | undefined {
  return BY_CODE.get(code >>> 0);
}

export function bugcheckHex(code: number): string {
  return '0x' + (code >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

/** "0x0000007B INACCESSIBLE_BOOT_DEVICE" (or just the code when unknown). */
export function bugcheckTitle(code: number): string {
  const info = lookupBugcheck(code);
  return info ? `${bugcheckHex(code)} ${info.name}` : `${bugcheckHex(code)} (unknown bugcheck code)`;
}

/** WinDbg-like "Bugcheck Analysis" text. `describeValue` may add a symbol or status name to a parameter. */
export function bugcheckAnalysis(code: number, params: readonly bigint[], describeValue?: (v: bigint, index: number) => string | undefined): string {
  const info = lookupBugcheck(code);
  const lines: string[] = [];
  lines.push('*******************************************************************************');
  lines.push('*                            Bugcheck Analysis                                *');
  lines.push('*******************************************************************************');
  lines.push('');
  lines.push(bugcheckTitle(code));
  if (info) lines.push(info.meaning);
  lines.push('Arguments:');
  for (let i = 0; i < 4; i++) {
    const v = params[i] ?? 0n;
    const hex = '0x' + v.toString(16).padStart(8, '0');
    const status = NTSTATUS_NAMES[Number(v & 0xffffffffn)];
    const extra = describeValue?.(v, i) ?? (status && v <= 0xffffffffn ? status : undefined);
    const meaning = info?.parameters[i] ? `: ${info.parameters[i]}` : '';
    lines.push(`Arg${i + 1}: ${hex}${extra ? ` (${extra})` : ''}${meaning}`);
  }
  if (info && info.advice.length > 0) {
    lines.push('');
    lines.push('Advice:');
    for (const a of info.advice) lines.push(`- ${a}`);
  }
  return lines.join('\n');
}

/** Parses the kernel's "*** Fatal System Error: 0x0000007b (0x…,0x…,0x…,0x…)" DbgPrint (fallback source). */
export function parseFatalSystemError(text: string): { code: number; params: bigint[] } | undefined {
  const m = /\*\*\* Fatal System Error: 0x([0-9a-fA-F]{1,8})\s*\(\s*0x([0-9a-fA-F]+)\s*,\s*0x([0-9a-fA-F]+)\s*,\s*0x([0-9a-fA-F]+)\s*,\s*0x([0-9a-fA-F]+)\s*\)/.exec(text);
  if (!m) return undefined;
  return { code: parseInt(m[1], 16) >>> 0, params: [m[2], m[3], m[4], m[5]].map((h) => BigInt('0x' + h)) };
}
