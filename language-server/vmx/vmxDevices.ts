/**
 * Device families of a .vmx: the `<family><N>[:<M>].<property>` naming, index limits and what each
 * family is, as data (limits from libvirt's vmx.c via ../shared/reference/lang/vmx.md §2).
 */

export interface VmxDeviceFamily {
  /** Key prefix as VMware writes it (`ethernet`, `pciBridge`). */
  family: string;
  label: string;
  /** Highest controller/device index N; undefined = not limited by anything we know. */
  maxIndex?: number;
  /** Families addressed as `familyN:M` (controller N, unit M). */
  units?: { maxUnit?: number; label: string; reserved?: readonly number[] };
  /** Sits on the PCI bus (so has a `pciSlotNumber`). */
  pci: boolean;
}

export const VMX_DEVICE_FAMILIES: readonly VmxDeviceFamily[] = [
  { family: 'scsi', label: 'SCSI controller', maxIndex: 3, units: { maxUnit: 15, label: 'SCSI disk/CD', reserved: [7] }, pci: true },
  { family: 'ide', label: 'IDE channel', maxIndex: 1, units: { maxUnit: 1, label: 'IDE device' }, pci: false },
  { family: 'sata', label: 'SATA controller', maxIndex: 3, units: { maxUnit: 29, label: 'SATA device' }, pci: true },
  { family: 'nvme', label: 'NVMe controller', maxIndex: 3, units: { label: 'NVMe namespace' }, pci: true },
  { family: 'floppy', label: 'Floppy drive', maxIndex: 1, pci: false },
  { family: 'ethernet', label: 'Network adapter', maxIndex: 9, pci: true },
  { family: 'serial', label: 'Serial port', maxIndex: 3, pci: false },
  { family: 'parallel', label: 'Parallel port', maxIndex: 2, pci: false },
  { family: 'pciBridge', label: 'PCI bridge / PCIe root port', maxIndex: 7, pci: true },
  { family: 'sharedFolder', label: 'Shared folder', pci: false },
  { family: 'vmci', label: 'VMCI device', maxIndex: 0, pci: true },
  { family: 'hpet', label: 'HPET timer', maxIndex: 0, pci: false },
];

/** Devices without an index that still group their keys (`sound.present`, `usb.present`). */
export const VMX_SINGLE_DEVICES: Readonly<Record<string, { label: string; pci: boolean }>> = {
  sound: { label: 'Sound card', pci: true },
  usb: { label: 'USB controller (UHCI)', pci: true },
  ehci: { label: 'USB 2 controller (EHCI)', pci: true },
  usb_xhci: { label: 'USB 3 controller (xHCI)', pci: true },
  svga: { label: 'Display adapter', pci: false },
};

const FAMILY_BY_LOWER = new Map(VMX_DEVICE_FAMILIES.map((f) => [f.family.toLowerCase(), f]));

/** `scsi0:1.fileName` → family scsi, index 0, unit 1, property fileName (strings sliced on demand). */
export class VmxKeyParts {
  constructor(
    private readonly key: string,
    readonly family: VmxDeviceFamily,
    readonly index: number,
    readonly unit: number | undefined,
    private readonly controllerLength: number,
    private readonly deviceLength: number,
  ) {}

  /** `scsi0:1` as written. */
  get device(): string {
    return this.key.slice(0, this.deviceLength);
  }

  /** `scsi0` as written. */
  get controller(): string {
    return this.key.slice(0, this.controllerLength);
  }

  get property(): string {
    return this.key.slice(this.deviceLength + 1);
  }
}

const INDEXED_KEY = /^([A-Za-z_]+)(\d+)(?::(\d+))?\./;

export function splitDeviceKey(key: string): VmxKeyParts | undefined {
  const m = INDEXED_KEY.exec(key);
  if (!m || m[0].length === key.length) return undefined;
  return deviceParts(key, m[1].toLowerCase(), m[2], m[3], m[0].length);
}

/** Parts from an already matched `family N [:M] .` prefix (family in lower case); undefined when
 *  the family is not a device family or takes no unit. */
export function deviceParts(key: string, familyLower: string, index: string, unit: string | undefined, prefixLength: number): VmxKeyParts | undefined {
  const family = FAMILY_BY_LOWER.get(familyLower);
  if (!family || (unit !== undefined && !family.units)) return undefined;
  return new VmxKeyParts(key, family, Number(index), unit === undefined ? undefined : Number(unit), familyLower.length + index.length, prefixLength - 1);
}

/**
 * The group a key belongs to in the outline: `scsi0:1` for `scsi0:1.fileName`, `ethernet0`, `sound`,
 * or the first dotted segment for other namespaced keys (`tools`, `uuid`); undefined for plain
 * keys such as `memsize`.
 */
export function deviceOf(key: string): string | undefined {
  const parts = splitDeviceKey(key);
  if (parts) return parts.device;
  const dot = key.indexOf('.');
  if (dot <= 0) return undefined;
  return key.slice(0, dot);
}

/** Families by lower-case name (`pcibridge` → pciBridge). */
export function familyNamed(lower: string): VmxDeviceFamily | undefined {
  return FAMILY_BY_LOWER.get(lower);
}

export function familyLabel(device: string): string | undefined {
  const single = VMX_SINGLE_DEVICES[device.toLowerCase()];
  if (single) return single.label;
  const parts = splitDeviceKey(`${device}.x`);
  if (!parts) return undefined;
  return parts.unit !== undefined ? parts.family.units?.label : parts.family.label;
}
