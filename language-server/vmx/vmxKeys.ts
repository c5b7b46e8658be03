/**
 * Lookups over the key tables: which spec a concrete key (`Ethernet0.VirtualDev`) falls under,
 * whether a key is known at all, "did you mean" suggestions, guestOS and value-domain checks.
 */
import { closestMatches } from './editDistance';
import { VMX_GUEST_OS, VMX_KEY_SPECS, VMX_OBSERVED_KEYS, VMX_VIRTUAL_HW } from './vmxKeyData';
import type { VmxGuestOs, VmxKeySpec, VmxValueDomain, VmxVirtualHw } from './vmxKeyTypes';
import { familyNamed, VMX_SINGLE_DEVICES } from './vmxDevices';
import { templateOf } from './vmxParser';

/** A concrete key name pattern: `ethernetN.virtualDev` with its spec. */
export interface KeyTemplate {
  template: string;
  spec?: VmxKeySpec;
}

/** `powerType.powerOff|powerOn` → two templates; `sched.cpu.shares|sched.mem.shares` → two full names. */
function expandAlternatives(pattern: string): string[] {
  const parts = pattern.split('|');
  if (parts.length === 1) return parts;
  const first = parts[0];
  const stem = first.slice(0, first.lastIndexOf('.') + 1);
  return [first, ...parts.slice(1).map((p) => (p.includes('.') ? p : stem + p))];
}

const SPEC_BY_TEMPLATE = new Map<string, VmxKeySpec>();
/** `sataN:M.` → spec for `sataN:M.*`. */
const WILDCARD_SPECS: { prefix: string; spec: VmxKeySpec }[] = [];
let PCI_SLOT_SPEC: VmxKeySpec | undefined;
/** Templates in display case: specs first, then observed keys. */
export const KNOWN_TEMPLATES: readonly KeyTemplate[] = (() => {
  const list: KeyTemplate[] = [];
  for (const spec of VMX_KEY_SPECS) {
    if (spec.key.startsWith('<device>.')) {
      PCI_SLOT_SPEC = spec;
      continue;
    }
    for (const t of expandAlternatives(spec.key)) {
      if (t.endsWith('.*')) {
        WILDCARD_SPECS.push({ prefix: t.slice(0, -1).toLowerCase(), spec });
        continue;
      }
      SPEC_BY_TEMPLATE.set(t.toLowerCase(), spec);
      list.push({ template: t, spec });
    }
  }
  for (const t of VMX_OBSERVED_KEYS) {
    if (!SPEC_BY_TEMPLATE.has(t.toLowerCase())) list.push({ template: t });
  }
  return list;
})();
const KNOWN_LOWER = new Set(KNOWN_TEMPLATES.map((k) => k.template.toLowerCase()));

/**
 * Namespaces where VMware products write many keys nobody documents (vMotion caches, CPUID masks,
 * guest info, GUI state…): an unknown key there is only reported when it looks like a typo.
 */
const OPEN_NAMESPACES = [
  'answer.', 'checkpoint.', 'cpuid.', 'ehci:', 'encryption.', 'featurecompat.', 'ftcpt.', 'gui.', 'guestcpuid.',
  'guestinfo.', 'guestos.', 'hgfs.', 'hostcpuid.', 'isolation.', 'keyboard.', 'migrate.', 'mks.', 'monitor.',
  'monitor_control.', 'mouse.', 'msg.', 'numa.', 'policy.', 'replay.', 'sched.', 'sensor.', 'smbios.', 'snapshot.',
  'svga.', 'tools.', 'toolsinstallmanager.', 'unity.', 'usb:', 'usb_xhci:', 'usb.', 'usercpuid.', 'uuid.', 'vc.',
  'vmotion.', 'vmx.', 'vtpm.', 'vpmc.', 'debugstub.', 'bios.', 'efi.', 'uefi.', 'chipset.', 'mainmem.', 'mem.',
  'prefvmx.', 'remotedisplay.', 'logging.', 'vmxstats.', 'sound.', 'vhv.', 'vvtd.', 'hpet0.', 'vmci0.',
];

export { templateOf };

const specByTemplateMemo = new Map<string, VmxKeySpec | null>();

/** The spec a concrete key falls under (`Ethernet0.VirtualDev` → `ethernetN.virtualDev`). */
export function specFor(key: string, template = templateOf(key), keyLower = key.toLowerCase()): VmxKeySpec | undefined {
  const exact = SPEC_BY_TEMPLATE.get(keyLower);
  if (exact) return exact;
  let spec = specByTemplateMemo.get(template);
  if (spec === undefined) {
    spec = SPEC_BY_TEMPLATE.get(template) ?? WILDCARD_SPECS.find((w) => template.startsWith(w.prefix))?.spec ?? null;
    if (!spec && template.endsWith('.pcislotnumber') && isPciTemplateDevice(template.slice(0, -'.pcislotnumber'.length))) spec = PCI_SLOT_SPEC ?? null;
    if (specByTemplateMemo.size > 10_000) specByTemplateMemo.clear();
    specByTemplateMemo.set(template, spec);
  }
  return spec ?? undefined;
}

/** `sound`, `ethernetn` (a PCI family without units): devices that have a pciSlotNumber. */
function isPciTemplateDevice(device: string): boolean {
  const single = VMX_SINGLE_DEVICES[device];
  if (single) return single.pci;
  const m = /^([a-z_]+)n$/.exec(device);
  return !!m && familyNamed(m[1])?.pci === true;
}

/** Known = in the spec table, written by VMware in a corpus file, or in an open namespace. */
export function isKnownKey(key: string, template = templateOf(key), keyLower = key.toLowerCase()): boolean {
  if (specFor(key, template, keyLower)) return true;
  return KNOWN_LOWER.has(keyLower) || KNOWN_LOWER.has(template);
}

const OPEN_NAMESPACE_SET = new Set(OPEN_NAMESPACES);
const NAMESPACE_PREFIX = /^[^.:]*[.:]/;

/** In a namespace with many undocumented keys (`guestinfo.`, `vmotion.`, `usb:`…). */
export function inOpenNamespace(key: string): boolean {
  const m = NAMESPACE_PREFIX.exec(key);
  return m !== null && OPEN_NAMESPACE_SET.has(m[0].toLowerCase());
}

/** Renders a template with the indices of the key being corrected: `ethernetN.virtualDev` + `ethernet1.x`. */
function instantiate(template: string, key: string): string {
  const m = /^([A-Za-z_]+)N(:M)?\./.exec(template);
  if (!m) return template;
  const k = /^[A-Za-z_]+(\d+)(?::(\d+))?\./.exec(key);
  const index = k ? Number(k[1]) : 0;
  const unit = k?.[2] !== undefined ? Number(k[2]) : 0;
  return `${m[1]}${index}${m[2] ? `:${unit}` : ''}.${template.slice(m[0].length)}`;
}

const suggestionCache = new Map<string, string[]>();
const TEMPLATE_NAMES = KNOWN_TEMPLATES.map((k) => k.template);
const TEMPLATE_LOWER = TEMPLATE_NAMES.map((t) => t.toLowerCase());
/** Templates by first dotted segment (`tools`, `ethernetn`), for typos inside a namespace. */
const TEMPLATES_BY_NAMESPACE = new Map<string, { names: string[]; lower: string[] }>();
for (let i = 0; i < TEMPLATE_NAMES.length; i++) {
  const ns = TEMPLATE_LOWER[i].split('.')[0];
  let g = TEMPLATES_BY_NAMESPACE.get(ns);
  if (!g) TEMPLATES_BY_NAMESPACE.set(ns, (g = { names: [], lower: [] }));
  g.names.push(TEMPLATE_NAMES[i]);
  g.lower.push(TEMPLATE_LOWER[i]);
}

/** Whether any known key shares the template's first segment (`tools.`, `ethernetn.`). */
export function hasNamespaceTemplates(template: string): boolean {
  const dot = template.indexOf('.');
  return TEMPLATES_BY_NAMESPACE.has(dot < 0 ? template : template.slice(0, dot));
}

/**
 * "Did you mean" for an unknown key: closest known templates (a misspelt family such as
 * `ethernt0.present` templates to `etherntN.present`, one edit away), rendered with the key's
 * indices. In an open namespace (guestinfo.*, vmotion.*…) only that namespace's keys are compared.
 */
export function suggestKeys(key: string, max = 3): string[] {
  const t = templateOf(key);
  let templates = suggestionCache.get(t);
  if (!templates) {
    if (inOpenNamespace(key)) {
      const g = TEMPLATES_BY_NAMESPACE.get(t.split('.')[0]);
      templates = g ? closestMatches(t, g.names, max, g.lower) : [];
    } else templates = closestMatches(t, TEMPLATE_NAMES, max, TEMPLATE_LOWER);
    if (suggestionCache.size > 5000) suggestionCache.clear();
    suggestionCache.set(t, templates);
  }
  return templates.map((tpl) => instantiate(tpl, key));
}

// --- guestOS ---------------------------------------------------------------------------------

const GUEST_BY_LOWER = new Map(VMX_GUEST_OS.map((g) => [g.vmx.toLowerCase(), g]));

export function guestOsInfo(value: string): VmxGuestOs | undefined {
  return GUEST_BY_LOWER.get(value.trim().toLowerCase());
}

const CANONICAL_GUEST_OS = VMX_GUEST_OS.filter((g) => g.canonical).map((g) => g.vmx);

/** Closest canonical identifiers; failing that, those the value starts (`winxp` → winXPHome, winXPPro…). */
export function suggestGuestOs(value: string, max = 3): string[] {
  const v = value.trim();
  const close = closestMatches(v, CANONICAL_GUEST_OS, max);
  if (close.length || v.length < 3) return close;
  const lower = v.toLowerCase();
  return CANONICAL_GUEST_OS.filter((g) => g.toLowerCase().startsWith(lower)).slice(0, max);
}

export function virtualHwInfo(version: number): VmxVirtualHw | undefined {
  return VMX_VIRTUAL_HW.find((h) => h.version === version);
}

// --- value domains ---------------------------------------------------------------------------

/** Reference patterns that are prose, not regular expressions, replaced by what they mean. */
const PATTERN_OVERRIDES: Readonly<Record<string, RegExp>> = {
  'bios.hddorder': /^(scsi|ide|sata|nvme)\d+:\d+(,(scsi|ide|sata|nvme)\d+:\d+)*$/i,
};

const patternMemo = new Map<VmxValueDomain, RegExp | null>();

function patternFor(keyTemplate: string, domain: VmxValueDomain): RegExp | undefined {
  const override = PATTERN_OVERRIDES[keyTemplate];
  if (override) return override;
  let re = patternMemo.get(domain);
  if (re === undefined) patternMemo.set(domain, (re = compilePattern(domain) ?? null));
  return re ?? undefined;
}

function compilePattern(domain: VmxValueDomain): RegExp | undefined {
  let p = domain.pattern;
  if (!p) return undefined;
  const same = /^same as (\S+)$/.exec(p);
  if (same) p = specFor(same[1])?.value.pattern;
  if (!p || !p.startsWith('^')) return undefined;
  try {
    return new RegExp(p, 'i');
  } catch {
    return undefined;
  }
}

export interface ValueProblem {
  message: string;
  /** Replacement values, best first (closest enum member, trimmed value…). */
  replacements: string[];
}

const INTEGER = /^[+-]?\d+$/;

/** Checks a decoded value against its spec's domain; undefined when fine or not checkable. */
const BOOLEAN = /^(true|false)$/i;

export function checkValue(key: string, value: string, spec: VmxKeySpec, template?: string): ValueProblem | undefined {
  const d = spec.value;
  if (d.type === 'string' && (value === '' || (!d.pattern && !PATTERN_OVERRIDES[template ?? templateOf(key)]))) return undefined;
  if (d.type === 'boolean' && BOOLEAN.test(value)) return undefined;
  const shown = `"${value}"`;
  switch (d.type) {
    case 'boolean': {
      if (/^(true|false)$/i.test(value.trim())) return { message: `${shown} has surrounding spaces, so it is not a boolean. Write "${value.trim().toUpperCase()}".`, replacements: [value.trim().toUpperCase()] };
      const guess = /^(yes|on|1|enabled?)$/i.test(value) ? 'TRUE' : /^(no|off|0|disabled?)$/i.test(value) ? 'FALSE' : undefined;
      return {
        message: `${key} is a boolean: VMware understands only "TRUE" or "FALSE" (any case) and falls back to the default${d.default ? ` (${d.default})` : ''} for ${shown}.`,
        replacements: guess ? [guess] : ['TRUE', 'FALSE'],
      };
    }
    case 'enum': {
      const values = d.values ?? [];
      const lower = value.toLowerCase();
      if (values.some((v) => v.toLowerCase() === lower)) return undefined;
      if (values.includes('<integer>') && INTEGER.test(value)) return undefined;
      const real = values.filter((v) => v !== '<integer>');
      const trimmed = value.trim();
      const trimmedMatch = real.find((v) => v.toLowerCase() === trimmed.toLowerCase());
      if (trimmedMatch) return { message: `${shown} has surrounding spaces; VMware compares the whole value, so it matches none of ${key}'s values. Write "${trimmedMatch}".`, replacements: [trimmedMatch] };
      const close = closestMatches(trimmed, real, 3);
      const list = real.length <= 12 ? real.join(', ') : `${real.slice(0, 12).join(', ')}, …`;
      return {
        message: `${shown} is not a valid ${key}; VMware refuses to power on or ignores the device. Valid values: ${list}.${close.length ? ` Did you mean "${close[0]}"?` : ''}`,
        replacements: close,
      };
    }
    case 'integer': {
      if (!INTEGER.test(value.trim())) return { message: `${key} must be a whole number${d.unit ? ` (${d.unit})` : ''}; ${shown} is not one.`, replacements: [] };
      const n = Number(value.trim());
      if (d.min !== undefined && n < d.min) return { message: `${key} must be at least ${d.min}${d.unit ? ` ${d.unit}` : ''}; ${n} is below that.`, replacements: [String(d.min)] };
      if (d.max !== undefined && n > d.max) return { message: `${key} must be at most ${d.max}${d.unit ? ` ${d.unit}` : ''}; ${n} is above that.`, replacements: [String(d.max)] };
      if (value !== value.trim()) return { message: `${shown} has surrounding spaces; write "${value.trim()}".`, replacements: [value.trim()] };
      return undefined;
    }
    case 'string': {
      if (value === '') return undefined;
      const re = patternFor(template ?? templateOf(key), d);
      if (re && !re.test(value)) return { message: `${shown} does not have the form ${key} needs (${re.source}).`, replacements: [] };
      return undefined;
    }
  }
}

/** Integer value or undefined. */
export function intValue(v: string | undefined): number | undefined {
  if (v === undefined || !INTEGER.test(v.trim())) return undefined;
  return Number(v.trim());
}
