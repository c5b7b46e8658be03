/** Key and value rules: unknown keys, device indices, ignored keys, value domains, memsize, guestOS,
 *  hardware-version gates and companion keys — all driven by the key tables. */
import type { Diagnostic } from 'vscode-languageserver-types';
import { DiagnosticSeverity, DiagnosticTag, setValueEdit, vmxDiagnostic } from './vmxDiagnostic';
import type { VmxEntry } from './vmxParser';
import { entriesOf, lastEntry, valueOf } from './vmxParser';
import { VMX_HARDWARE_GATES } from './vmxHardwareGates';
import { checkValue, guestOsInfo, hasNamespaceTemplates, inOpenNamespace, intValue, isKnownKey, specFor, suggestGuestOs, suggestKeys, virtualHwInfo } from './vmxKeys';
import type { VmxRule } from './vmxRules';

// --- keys ------------------------------------------------------------------------------------

export const unknownKeyRule: VmxRule = {
  code: 'vmx/unknown-key',
  run({ doc }) {
    const out: Diagnostic[] = [];
    for (const e of doc.entries) {
      if (isKnownKey(e.key, e.template, e.keyLower)) continue;
      const open = inOpenNamespace(e.key);
      if (open && !hasNamespaceTemplates(e.template)) continue; // nothing it could be a typo of
      const suggestions = suggestKeys(e.key);
      if (suggestions.length) {
        out.push(
          vmxDiagnostic(
            'vmx/unknown-key',
            DiagnosticSeverity.Information,
            e.keyRange,
            `Unknown key "${e.key}": did you mean "${suggestions[0]}"? VMware silently ignores keys it does not know, so a misspelt setting has no effect.`,
            suggestions.map((s, i) => ({ title: `Change to "${s}"`, edits: [{ range: e.keyRange, newText: s }], preferred: i === 0 })),
          ),
        );
      } else if (!open) {
        out.push(
          vmxDiagnostic(
            'vmx/unknown-key',
            DiagnosticSeverity.Information,
            e.keyRange,
            `"${e.key}" is not a key BootDbg knows. VMware ignores unknown keys; many valid ones are undocumented, so this is only a note — check the spelling if the setting seems to have no effect.`,
          ),
        );
      }
    }
    return out;
  },
};

export const deviceIndexRule: VmxRule = {
  code: 'vmx/device-index',
  run({ doc }) {
    const out: Diagnostic[] = [];
    const hw = intValue(valueOf(doc, 'virtualHW.version'));
    for (const e of doc.entries) {
      const p = e.parts;
      if (!p) continue;
      const f = p.family;
      if (f.maxIndex !== undefined && p.index > f.maxIndex) {
        out.push(
          vmxDiagnostic(
            'vmx/device-index',
            DiagnosticSeverity.Warning,
            e.keyRange,
            `A VM has at most ${f.maxIndex + 1} ${f.label.toLowerCase()}${f.maxIndex ? 's' : ''} (${f.family}0–${f.family}${f.maxIndex}); VMware ignores "${p.controller}".`,
          ),
        );
        continue;
      }
      if (p.unit === undefined || !f.units) continue;
      // HW13+ "super wide" SCSI buses take up to 64 units.
      const maxUnit = f.family === 'scsi' && hw !== undefined && hw >= 13 ? 63 : f.units.maxUnit;
      if (maxUnit !== undefined && p.unit > maxUnit) {
        out.push(vmxDiagnostic('vmx/device-index', DiagnosticSeverity.Warning, e.keyRange, `${f.label} units go from 0 to ${maxUnit}; VMware ignores "${p.device}".`));
      } else if (f.units.reserved?.includes(p.unit)) {
        out.push(
          vmxDiagnostic(
            'vmx/device-index',
            DiagnosticSeverity.Warning,
            e.keyRange,
            `SCSI unit ${p.unit} is the controller's own ID, so "${p.device}" cannot hold a disk. Use another unit number.`,
          ),
        );
      }
    }
    return out;
  },
};

/** `ethernet0.present = "FALSE"`: every other ethernet0.* key is ignored (sanbarrow). */
export const ignoredKeyRule: VmxRule = {
  code: 'vmx/ignored-key',
  run({ doc }) {
    // Devices whose (last) present key says FALSE, by lower-case device name.
    const off = new Map<string, VmxEntry>();
    for (const e of doc.entries) {
      if (e.parts && e.keyLower.endsWith('.present') && e.parts.property.length === 7) {
        const dev = e.keyLower.slice(0, -8);
        if (e.value.trim().toLowerCase() === 'false') off.set(dev, e);
        else off.delete(dev);
      }
    }
    if (off.size === 0) return [];
    const out: Diagnostic[] = [];
    for (const e of doc.entries) {
      const p = e.parts;
      if (!p || p.property.toLowerCase() === 'present') continue;
      const controller = e.keyLower.slice(0, p.controller.length);
      const device = e.keyLower.slice(0, p.device.length);
      const present = off.get(controller) ?? (p.unit !== undefined ? off.get(device) : undefined);
      if (!present) continue;
      const dev = present.key.slice(0, -'.present'.length);
      out.push(
        vmxDiagnostic(
          'vmx/ignored-key',
          DiagnosticSeverity.Hint,
          e.keyRange,
          `Unused: ${dev}.present is "FALSE" (line ${present.line + 1}), so VMware ignores every other ${dev}.* key.`,
          [],
          [DiagnosticTag.Unnecessary],
        ),
      );
    }
    return out;
  },
};

// --- values ----------------------------------------------------------------------------------

/** Keys with a rule of their own (memsize, guestOS) are not re-checked here. */
const OWN_RULE = new Set(['memsize', 'guestos']);

export const invalidValueRule: VmxRule = {
  code: 'vmx/invalid-value',
  run({ doc }) {
    const out: Diagnostic[] = [];
    for (const e of doc.entries) {
      if (OWN_RULE.has(e.keyLower)) continue;
      const spec = specFor(e.key, e.template, e.keyLower);
      if (!spec) continue;
      const problem = checkValue(e.key, e.value, spec, e.template);
      if (!problem) continue;
      // A static MAC outside VMware's range is fine once the owner turned the check off.
      const p = e.parts;
      if (p?.family.family === 'ethernet' && p.property.toLowerCase() === 'address' && valueOf(doc, `${p.device}.checkMACAddress`)?.trim().toLowerCase() === 'false') continue;
      const severity = spec.value.type === 'enum' || spec.value.type === 'integer' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning;
      out.push(
        vmxDiagnostic(
          'vmx/invalid-value',
          severity,
          e.valueRange.start.character === e.valueRange.end.character ? e.lineRange : e.valueRange,
          problem.message,
          problem.replacements.map((r, i) => ({ title: `Change to "${r}"`, edits: [setValueEdit(e, r)], preferred: i === 0 })),
        ),
      );
    }
    return out;
  },
};

export const memsizeRule: VmxRule = {
  code: 'vmx/memsize',
  run({ doc }) {
    const out: Diagnostic[] = [];
    for (const e of entriesOf(doc, 'memsize')) {
      const n = intValue(e.value);
      const range = e.valueRange.start.character === e.valueRange.end.character ? e.lineRange : e.valueRange;
      if (n === undefined) {
        out.push(vmxDiagnostic('vmx/memsize', DiagnosticSeverity.Error, range, `memsize is the guest RAM in MB as a whole number (e.g. "512"); VMware cannot use "${e.value}".`));
      } else if (n < 4) {
        out.push(vmxDiagnostic('vmx/memsize', DiagnosticSeverity.Error, range, `memsize ${n} MB is below VMware's minimum of 4 MB; the VM will not power on.`, [{ title: 'Change to "4"', edits: [setValueEdit(e, '4')], preferred: true }]));
      } else if (n % 4 !== 0) {
        const down = n - (n % 4);
        const up = down + 4;
        out.push(
          vmxDiagnostic(
            'vmx/memsize',
            DiagnosticSeverity.Error,
            range,
            `VMware refuses to power on with "Memory size ${n} not a multiple of 4": memsize must be a multiple of 4 MB. Use ${down} or ${up}.`,
            [
              { title: `Change to "${down}"`, edits: [setValueEdit(e, String(down))], preferred: true },
              { title: `Change to "${up}"`, edits: [setValueEdit(e, String(up))] },
            ],
          ),
        );
      }
    }
    return out;
  },
};

export const guestOsRule: VmxRule = {
  code: 'vmx/unknown-guestos',
  run({ doc }) {
    const out: Diagnostic[] = [];
    for (const e of entriesOf(doc, 'guestos')) {
      if (guestOsInfo(e.value)) continue;
      const close = suggestGuestOs(e.value);
      const range = e.valueRange.start.character === e.valueRange.end.character ? e.lineRange : e.valueRange;
      out.push(
        vmxDiagnostic(
          'vmx/unknown-guestos',
          DiagnosticSeverity.Error,
          range,
          `VMware stops with "Guest operating system '${e.value}' is not supported": "${e.value}" is not one of VMware's guestOS identifiers` +
            `${close.length ? `. Did you mean "${close[0]}"?` : ' (e.g. winXPPro, winNetStandard, windows7-64, otherlinux-64).'}`,
          close.map((c, i) => ({ title: `Change to "${c}"`, edits: [setValueEdit(e, c)], preferred: i === 0 })),
        ),
      );
    }
    return out;
  },
};

// --- cross-key -------------------------------------------------------------------------------

const GATES_BY_TEMPLATE = new Map<string, (typeof VMX_HARDWARE_GATES)[number][]>();
for (const g of VMX_HARDWARE_GATES) GATES_BY_TEMPLATE.set(g.template, [...(GATES_BY_TEMPLATE.get(g.template) ?? []), g]);

function products(hw: number): string {
  const info = virtualHwInfo(hw);
  return info ? ` (${info.products.slice(0, 3).join(', ')})` : '';
}

export const hwVersionRule: VmxRule = {
  code: 'vmx/hw-version',
  run({ doc }) {
    const hwEntry = lastEntry(doc, 'virtualHW.version');
    const hw = intValue(hwEntry?.value);
    if (hw === undefined || !hwEntry) return [];
    const out: Diagnostic[] = [];
    for (const e of doc.entries) {
      const gates = GATES_BY_TEMPLATE.get(e.template);
      if (!gates) continue;
      const gate = gates.find((g) => g.value === e.value.trim().toLowerCase());
      if (!gate || hw >= gate.minHw) continue;
      out.push(
        vmxDiagnostic(
          'vmx/hw-version',
          DiagnosticSeverity.Warning,
          e.valueRange,
          `${gate.what.charAt(0).toUpperCase()}${gate.what.slice(1)} needs virtual hardware ${gate.minHw} or later${products(gate.minHw)}, but this VM is hardware ${hw}${products(hw)}: VMware will not power it on with this device. Raise virtualHW.version (the VM then no longer runs on older products) or choose another model.`,
          [{ title: `Set virtualHW.version = "${gate.minHw}"`, edits: [setValueEdit(hwEntry, String(gate.minHw))] }],
        ),
      );
    }
    return out;
  },
};

/** Settings that only work together with another key (vmx.md §2, §6.4). */
export const requiresRule: VmxRule = {
  code: 'vmx/requires',
  run({ doc }) {
    const out: Diagnostic[] = [];
    for (const e of doc.entries) {
      const p = e.parts;
      const v = e.value.trim().toLowerCase();
      if (p?.family.family === 'ethernet' && p.unit === undefined) {
        const prop = p.property.toLowerCase();
        if (prop === 'connectiontype' && v === 'custom' && !valueOf(doc, `${p.device}.vnet`)) {
          out.push(vmxDiagnostic('vmx/requires', DiagnosticSeverity.Warning, e.valueRange, `connectionType "custom" needs ${p.device}.vnet (e.g. "VMnet2" on Windows, "/dev/vmnet2" on Linux); without it the NIC is connected to no network.`));
        } else if (prop === 'addresstype' && v === 'static' && !valueOf(doc, `${p.device}.address`)) {
          out.push(vmxDiagnostic('vmx/requires', DiagnosticSeverity.Warning, e.valueRange, `addressType "static" needs ${p.device}.address (a MAC in 00:50:56:00:00:00–00:50:56:3F:FF:FF); without it VMware has no MAC to give the NIC.`));
        }
      } else if (e.keyLower === 'bios.bootorder' && /(^|,)\s*hdd\s*(,|$)/i.test(e.value) && !valueOf(doc, 'bios.hddOrder')) {
        out.push(vmxDiagnostic('vmx/requires', DiagnosticSeverity.Warning, e.valueRange, '"hdd" in bios.bootOrder needs bios.hddOrder (e.g. "scsi0:0,ide0:0") to say which disk; without it the BIOS picks one on its own.'));
      } else if (e.keyLower === 'cpuid.corespersocket') {
        const cores = intValue(e.value);
        const cpus = intValue(valueOf(doc, 'numvcpus')) ?? 1;
        if (cores !== undefined && cores > 0 && (cpus % cores !== 0 || cores > cpus)) {
          out.push(vmxDiagnostic('vmx/requires', DiagnosticSeverity.Error, e.valueRange, `cpuid.coresPerSocket (${cores}) must divide numvcpus (${cpus}) and not exceed it; VMware refuses to power on the VM otherwise.`));
        }
      }
    }
    return out;
  },
};
