/** Shapes of the .vmx knowledge tables (data in vmxKeyData.ts, generated from the reference). */

export type VmxValueType = 'string' | 'enum' | 'boolean' | 'integer';

export interface VmxValueDomain {
  type: VmxValueType;
  /** Enum / boolean choices as VMware writes them; compared case-insensitively. `<integer>` = any integer. */
  values?: readonly string[];
  min?: number;
  max?: number;
  multipleOf?: number;
  unit?: string;
  default?: string;
  /** A regular expression (or a prose note such as "same as uuid.bios"). */
  pattern?: string;
  note?: string;
}

export interface VmxKeySpec {
  /** Pattern as the reference writes it: `ethernetN.virtualDev`, `scsiN:M.mode`, `sataN:M.*`,
   *  `<device>.pciSlotNumber`, `powerType.powerOff|powerOn|reset|suspend`. */
  key: string;
  value: VmxValueDomain;
  description: string;
  notes?: readonly string[];
  since?: string;
  related?: readonly string[];
}

export interface VmxGuestOs {
  vmx: string;
  /** false = accepted alias (e.g. `nt4`), not offered in completion first. */
  canonical: boolean;
  family: string;
  bits: number;
}

export interface VmxVirtualHw {
  version: number;
  products: readonly string[];
  notes?: string;
  configVersion?: string;
}
