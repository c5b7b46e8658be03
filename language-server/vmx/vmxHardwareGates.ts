/**
 * Devices and settings that need a minimum virtual hardware version (../shared/reference/lang:
 * vmx.md §2 and the HW table: "first with pciBridge0/4-7, vmxnet3, pvscsi, lsisas1068" in HW7,
 * e1000e HW8+, EFI HW8, xHCI HW8, SATA HW10, NVMe HW13).
 */
export interface HardwareGate {
  /** Key template (lower case, indices as n). */
  template: string;
  /** The value that needs the newer hardware (lower case); TRUE for presence keys. */
  value: string;
  minHw: number;
  what: string;
}

export const VMX_HARDWARE_GATES: readonly HardwareGate[] = [
  { template: 'ethernetn.virtualdev', value: 'vmxnet3', minHw: 7, what: 'the VMXNET3 NIC' },
  { template: 'ethernetn.virtualdev', value: 'e1000e', minHw: 8, what: 'the E1000e NIC' },
  { template: 'scsin.virtualdev', value: 'pvscsi', minHw: 7, what: 'the PVSCSI controller' },
  { template: 'scsin.virtualdev', value: 'lsisas1068', minHw: 7, what: 'the LSI Logic SAS controller' },
  { template: 'firmware', value: 'efi', minHw: 8, what: 'EFI firmware' },
  { template: 'pcibridgen.present', value: 'true', minHw: 7, what: 'PCI bridges / PCIe root ports' },
  { template: 'usb_xhci.present', value: 'true', minHw: 8, what: 'the USB 3 (xHCI) controller' },
  { template: 'satan.present', value: 'true', minHw: 10, what: 'a SATA controller' },
  { template: 'nvmen.present', value: 'true', minHw: 13, what: 'an NVMe controller' },
];
