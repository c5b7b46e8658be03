/**
 * The iSCSI Boot Firmware Table (iBFT) layout, as typed data: field offsets of each structure,
 * structure ids, flag bits, enumerations and where firmware may put the table. Everything here is
 * fixed by the iBFT specification (revision 1); iPXE and gPXE write exactly these layouts.
 */

/** The ACPI-style table header. */
export const TABLE_HEADER = {
  signature: 0, // 'iBFT'
  length: 4, // u32, whole table incl. strings
  revision: 8, // u8, 1
  checksum: 9, // u8: all bytes sum to 0 mod 256
  oemId: 10, // 6 chars
  oemTableId: 16, // 8 chars
  size: 48, // 24 reserved bytes follow the OEM table id
} as const;

export const IBFT_SIGNATURE = 'iBFT';

/** The control structure always follows the table header. */
export const CONTROL_OFFSET = TABLE_HEADER.size;

/** Common header of every structure. */
export const STRUCT_HEADER = {
  id: 0,
  version: 1,
  length: 2, // u16
  index: 4,
  flags: 5,
  size: 6,
} as const;

export enum StructureId {
  Control = 1,
  Initiator = 2,
  Nic = 3,
  Target = 4,
  Reserved = 5,
  Extensions = 6,
}

export const STRUCTURE_NAMES: Record<number, string> = {
  [StructureId.Control]: 'control',
  [StructureId.Initiator]: 'initiator',
  [StructureId.Nic]: 'NIC',
  [StructureId.Target]: 'target',
  [StructureId.Reserved]: 'reserved',
  [StructureId.Extensions]: 'extensions',
};

export const CONTROL = {
  extensions: 6, // u16
  initiator: 8, // u16 offsets from the table start; 0 = absent
  nic0: 10,
  target0: 12,
  nic1: 14,
  target1: 16,
  size: 18,
} as const;

/** An iBFT string: u16 length (without the NUL), u16 offset from the table start. */
export const STRING_FIELD = { length: 0, offset: 2, size: 4 } as const;
/** Addresses are 16 bytes; IPv4 in the IPv4-mapped form ::ffff:a.b.c.d. */
export const IP_SIZE = 16;

export const INITIATOR = {
  isnsServer: 6,
  slpServer: 22,
  primaryRadius: 38,
  secondaryRadius: 54,
  name: 70,
  size: 74,
} as const;

export const NIC = {
  ip: 6,
  prefix: 22, // u8
  origin: 23, // u8
  gateway: 24,
  primaryDns: 40,
  secondaryDns: 56,
  dhcp: 72,
  vlan: 88, // u16
  mac: 90, // 6 bytes
  pciBdf: 96, // u16: bus << 8 | device << 3 | function
  hostname: 98,
  size: 102,
} as const;

export const TARGET = {
  ip: 6,
  port: 22, // u16
  lun: 24, // 8 bytes, SCSI LUN structure
  chapType: 32,
  nicIndex: 33,
  name: 34,
  chapName: 38,
  chapSecret: 42,
  reverseChapName: 46,
  reverseChapSecret: 50,
  size: 54,
} as const;

/** Structure flag bits (initiator, NIC and target). */
export const FLAG_BITS: ReadonlyArray<{ bit: number; name: string }> = [
  { bit: 0x01, name: 'valid' },
  { bit: 0x02, name: 'boot selected' },
];
/** NIC only: the IP address is global (not link-local). */
export const NIC_FLAG_GLOBAL = 0x04;

/** NIC origin: IP_PREFIX_ORIGIN as the spec borrows it from Windows. */
export const NIC_ORIGINS: Record<number, string> = {
  0: 'other',
  1: 'manual',
  2: 'well known',
  3: 'DHCP',
  4: 'router advertisement',
  15: 'unchanged',
};

export type ChapKind = 'none' | 'one-way' | 'mutual';
export const CHAP_TYPES: Partial<Record<number, ChapKind>> = { 0: 'none', 1: 'one-way', 2: 'mutual' };

/**
 * Where firmware may put the table: 512 KiB–1 MiB, 16-byte aligned, below the VGA hole first
 * (that is where iPXE hides it in base memory) then the BIOS area. VGA memory (0xA0000–0xBFFFF) is
 * skipped like Linux' iscsi_ibft_find does.
 */
export const SCAN_RANGES: ReadonlyArray<{ start: number; end: number }> = [
  { start: 0x80000, end: 0xa0000 },
  { start: 0xc0000, end: 0x100000 },
];
export const SCAN_ALIGN = 16;
/** Largest table accepted: the control structure's offsets are 16-bit. */
export const MAX_TABLE_LENGTH = 0x10000;
