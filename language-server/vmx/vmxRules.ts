/**
 * .vmx rules: each reads the parsed document and returns diagnostics with a stable code and the
 * quick fixes that repair it. Knowledge lives in the tables (vmxKeyData, vmxDevices); the rules
 * only combine it. Messages say what VMware does with the line and what to write instead.
 */
import type { Diagnostic } from 'vscode-languageserver-types';
import { DiagnosticSeverity, DiagnosticTag, deleteLineEdit, eolOf, insertLineEdit, setValueEdit, vmxDiagnostic } from './vmxDiagnostic';
import type { VmxFix } from './vmxDiagnostic';
import type { VmxDocument, VmxEntry, VmxProblemKind } from './vmxParser';
import { entriesOf, isTrue, lastEntry, valueOf } from './vmxParser';
import { VMX_HARDWARE_GATES } from './vmxHardwareGates';
import { checkValue, guestOsInfo, hasNamespaceTemplates, inOpenNamespace, intValue, isKnownKey, specFor, suggestGuestOs, suggestKeys, virtualHwInfo } from './vmxKeys';

export interface VmxRuleInput {
  doc: VmxDocument;
  text: string;
}

export interface VmxRule {
  /** What the rule protects against (for docs and tests). */
  code: string;
  run(input: VmxRuleInput): Diagnostic[];
}

// --- lexical ---------------------------------------------------------------------------------

const PROBLEM_CODES: Record<VmxProblemKind, { code: 'vmx/syntax' | 'vmx/escape' | 'vmx/bom'; severity: DiagnosticSeverity }> = {
  'missing-equals': { code: 'vmx/syntax', severity: DiagnosticSeverity.Error },
  'missing-name': { code: 'vmx/syntax', severity: DiagnosticSeverity.Error },
  'unterminated-quote': { code: 'vmx/syntax', severity: DiagnosticSeverity.Error },
  'text-after-value': { code: 'vmx/syntax', severity: DiagnosticSeverity.Error },
  'quote-in-value': { code: 'vmx/syntax', severity: DiagnosticSeverity.Error },
  'typographic-quotes': { code: 'vmx/syntax', severity: DiagnosticSeverity.Warning },
  'invalid-escape': { code: 'vmx/escape', severity: DiagnosticSeverity.Warning },
  bom: { code: 'vmx/bom', severity: DiagnosticSeverity.Warning },
};

const syntaxRule: VmxRule = {
  code: 'vmx/syntax',
  run({ doc }) {
    return doc.problems.map((p) => {
      const { code, severity } = PROBLEM_CODES[p.kind];
      const line = doc.lines[p.line];
      const fixes: VmxFix[] = [];
      const trimmedEnd = line.replace(/[ \t]+$/, '').length;
      if (p.kind === 'unterminated-quote') {
        const at = { line: p.line, character: trimmedEnd };
        fixes.push({ title: 'Add the closing quote', edits: [{ range: { start: at, end: at }, newText: '"' }], preferred: true });
      } else if (p.kind === 'text-after-value' && !line.slice(0, p.range.start.character).trimEnd().endsWith('"')) {
        // Unquoted value with spaces: quote from the value start to the end of the line.
        const start = p.range.start.character;
        fixes.push({
          title: 'Put the value in quotes',
          edits: [{ range: { start: { line: p.line, character: start }, end: { line: p.line, character: trimmedEnd } }, newText: `"${line.slice(start, trimmedEnd)}"` }],
          preferred: true,
        });
      } else if (p.kind === 'typographic-quotes') {
        const raw = line.slice(p.range.start.character, p.range.end.character);
        fixes.push({ title: 'Use straight quotes', edits: [{ range: p.range, newText: `"${raw.replace(/^[^\w\\/.-]+|[^\w\\/.-]+$/g, '')}"` }], preferred: true });
      } else if (p.kind === 'invalid-escape') {
        fixes.push({ title: 'Write "|" as |7C', edits: [{ range: { start: p.range.start, end: { line: p.line, character: p.range.start.character + 1 } }, newText: '|7C' }] });
      } else if (p.kind === 'bom') {
        fixes.push({ title: 'Remove the byte-order mark', edits: [{ range: p.range, newText: '' }], preferred: true });
      }
      return vmxDiagnostic(code, severity, p.range, p.message, fixes);
    });
  },
};

// --- duplicates ------------------------------------------------------------------------------

const duplicateRule: VmxRule = {
  code: 'vmx/duplicate-key',
  run({ doc }) {
    const out: Diagnostic[] = [];
    for (const list of doc.duplicates.values()) {
      const first = list[0];
      for (const dup of list.slice(1)) {
        const same = dup.value === first.value;
        out.push(
          vmxDiagnostic(
            'vmx/duplicate-key',
            DiagnosticSeverity.Error,
            dup.keyRange,
            `"${dup.key}" is already set on line ${first.line + 1}${same ? ' (same value)' : ` to "${first.value}"`} (keys are case-insensitive). ` +
              'VMware Fusion refuses to open a VM with duplicate keys and other tools silently keep the last one. Keep one line.',
            [
              { title: `Remove this duplicate (keep line ${first.line + 1})`, edits: [deleteLineEdit(doc, dup.line)], preferred: true },
              ...(same ? [] : [{ title: `Keep this value, remove line ${first.line + 1}`, edits: [deleteLineEdit(doc, first.line)] }]),
            ],
          ),
        );
      }
    }
    return out;
  },
};

// --- keys ------------------------------------------------------------------------------------

const unknownKeyRule: VmxRule = {
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

const deviceIndexRule: VmxRule = {
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
const ignoredKeyRule: VmxRule = {
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

const invalidValueRule: VmxRule = {
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

const memsizeRule: VmxRule = {
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

const guestOsRule: VmxRule = {
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

// --- iSCSI boot: NIC PCI slot ----------------------------------------------------------------

interface PresentDevice {
  device: string;
  index: number;
  entry: VmxEntry;
}

function presentDevices(doc: VmxDocument, family: string): PresentDevice[] {
  const out: PresentDevice[] = [];
  for (const e of doc.entries) {
    const p = e.parts;
    if (!p || p.unit !== undefined || p.family.family !== family || !e.keyLower.endsWith('.present') || p.property.length !== 7) continue;
    if (lastEntry(doc, e.key) !== e || !isTrue(e.value)) continue;
    out.push({ device: p.device, index: p.index, entry: e });
  }
  return out.sort((a, b) => a.index - b.index);
}

/** Disks of any bus: a unit that is present and not a CD/floppy. */
function hasDisk(doc: VmxDocument): boolean {
  for (const e of doc.entries) {
    const p = e.parts;
    if (!p || p.unit === undefined || !e.keyLower.endsWith('.present') || p.property.length !== 7 || !isTrue(e.value)) continue;
    const type = valueOf(doc, `${p.device}.deviceType`)?.toLowerCase() ?? '';
    const file = valueOf(doc, `${p.device}.fileName`)?.toLowerCase() ?? '';
    if (!type.includes('cdrom') && (type.includes('disk') || file.endsWith('.vmdk'))) return true;
  }
  return false;
}

const iscsiNicSlotRule: VmxRule = {
  code: 'vmx/iscsi-nic-slot',
  run({ doc, text }) {
    const nics = presentDevices(doc, 'ethernet');
    if (nics.length === 0 || presentDevices(doc, 'scsi').length > 0) return [];
    const nic = nics[0];
    const slot = intValue(valueOf(doc, `${nic.device}.pciSlotNumber`));
    if (slot !== undefined && slot >= 0) return []; // pinned: VMware keeps the slot whatever else is present
    const bootOrder = valueOf(doc, 'bios.bootOrder')?.trim().toLowerCase() ?? '';
    const netBoot = bootOrder.startsWith('ethernet') || !hasDisk(doc);
    const hw = intValue(valueOf(doc, 'virtualHW.version'));
    const where =
      hw !== undefined && hw >= 7
        ? `${nic.device} lands one PCI slot earlier than in a VM with a SCSI controller (VMware assigns slots in device order at first power-on: e.g. slot 32 instead of 33 behind pciBridge0; on legacy hardware 00:10.0 instead of 00:11.0)`
        : `VMware puts ${nic.device} at PCI 00:10.0 instead of 00:11.0, the address it has when scsi0 takes 00:10.0`;
    const scsiPresent = lastEntry(doc, 'scsi0.present');
    const fix: VmxFix = scsiPresent
      ? { title: 'Set scsi0.present = "TRUE" (keeps the NIC at 00:11.0)', edits: [setValueEdit(scsiPresent, 'TRUE')], preferred: true }
      : {
          title: 'Add scsi0.present = "TRUE" (keeps the NIC at 00:11.0)',
          edits: [insertLineEdit(doc, eolOf(text), 'scsi0.present = "TRUE"', doc.entries.find((e) => e.parts?.device.toLowerCase() === nic.device.toLowerCase())?.line)],
          preferred: true,
        };
    return [
      vmxDiagnostic(
        'vmx/iscsi-nic-slot',
        netBoot ? DiagnosticSeverity.Warning : DiagnosticSeverity.Information,
        nic.entry.keyRange,
        `No SCSI controller is present, so ${where}. Windows identifies a NIC by its PCI location: an image prepared for iSCSI boot in a VM with a SCSI controller has its boot NIC bound at 00:11.0, ` +
          `and at the new address Windows sees a different adapter without the iSCSI/TCP-IP boot settings and stops with 0x7B INACCESSIBLE_BOOT_DEVICE. ` +
          `Keep an empty SCSI controller (scsi0.present = "TRUE", no disk needed) or pin ${nic.device}.pciSlotNumber to the install VM's value.`,
        [fix],
      ),
    ];
  },
};

// --- serial ports for kernel debugging -------------------------------------------------------

const PIPE_NAME = /^\\\\\.\\pipe\\[^\\]+$/i;

const serialKdRule: VmxRule = {
  code: 'vmx/serial-kd',
  run({ doc, text }) {
    const out: Diagnostic[] = [];
    const eol = eolOf(text);
    const serials = new Map<string, number>();
    for (const e of doc.entries) {
      const p = e.parts;
      if (p?.family.family === 'serial' && p.unit === undefined && !serials.has(p.device.toLowerCase())) serials.set(p.device.toLowerCase(), p.index);
    }
    for (const [dev, index] of serials) {
      const get = (prop: string): VmxEntry | undefined => lastEntry(doc, `${dev}.${prop}`);
      const fileType = get('fileType');
      const kind = fileType?.value.trim().toLowerCase();
      if (kind !== 'pipe' && kind !== 'network') continue;
      const at = fileType!.keyRange;
      const name = `serial${index}`;
      const com = `COM${index + 1}`;
      const add = (prop: string, value: string): VmxFix => ({
        title: `Add ${name}.${prop} = "${value}"`,
        edits: [insertLineEdit(doc, eol, `${name}.${prop} = "${value}"`, fileType!.line + 1)],
        preferred: true,
      });
      const set = (entry: VmxEntry | undefined, prop: string, value: string): VmxFix =>
        entry ? { title: `Set ${name}.${prop} = "${value}"`, edits: [setValueEdit(entry, value)], preferred: true } : add(prop, value);
      const present = get('present');
      if (!present || !isTrue(present.value)) {
        out.push(
          vmxDiagnostic(
            'vmx/serial-kd',
            DiagnosticSeverity.Warning,
            present?.valueRange ?? at,
            `${name} is set up as a ${kind} but ${name}.present is ${present ? `"${present.value}"` : 'missing'}, so the guest has no ${com} and a kernel debugger cannot attach. Set ${name}.present = "TRUE".`,
            [set(present, 'present', 'TRUE')],
          ),
        );
        continue;
      }
      const fileName = get('fileName');
      if (!fileName || fileName.value.trim() === '') {
        out.push(
          vmxDiagnostic(
            'vmx/serial-kd',
            DiagnosticSeverity.Warning,
            fileName?.lineRange ?? at,
            kind === 'pipe'
              ? `${name} is a named pipe without ${name}.fileName: VMware has no pipe to open. On Windows hosts use "\\\\.\\pipe\\com_${index + 1}"; on Linux/macOS a socket path such as "/tmp/com${index + 1}".`
              : `${name} is a network serial port without ${name}.fileName (a URI such as "telnet://:5000"): nothing to listen on.`,
          ),
        );
      }
      const startConnected = get('startConnected');
      if (startConnected && startConnected.value.trim().toLowerCase() === 'false') {
        out.push(
          vmxDiagnostic(
            'vmx/serial-kd',
            DiagnosticSeverity.Warning,
            startConnected.valueRange,
            `${name} starts disconnected: the guest's ${com} exists but goes nowhere until you connect it in VMware, so the debugger misses the boot (and /break waits forever).`,
            [set(startConnected, 'startConnected', 'TRUE')],
          ),
        );
      }
      if (kind !== 'pipe') continue;
      const endPoint = get('pipe.endPoint');
      if (!endPoint) {
        out.push(
          vmxDiagnostic(
            'vmx/serial-kd',
            DiagnosticSeverity.Warning,
            at,
            `${name} is a named pipe without ${name}.pipe.endPoint, so VMware does not know whether to create the pipe (server) or connect to one (client). ` +
              'For WinDbg/kd/BootDbg on the host connecting to the VM, use "server".',
            [add('pipe.endPoint', 'server')],
          ),
        );
      }
      if (fileName) {
        const path = fileName.value;
        if (/^\\\\\\\\/.test(path) || /\\\\pipe\\\\/i.test(path)) {
          out.push(
            vmxDiagnostic(
              'vmx/serial-kd',
              DiagnosticSeverity.Warning,
              fileName.valueRange,
              `The pipe name has doubled backslashes ("${path}"), probably copied from C or JSON. In a .vmx a backslash is literal, so VMware opens a pipe with that odd name and the debugger, looking for \\\\.\\pipe\\…, never finds it.`,
              [{ title: 'Undouble the backslashes', edits: [setValueEdit(fileName, path.replace(/\\\\/g, '\\'))], preferred: true }],
            ),
          );
        } else if (path.startsWith('\\') && !PIPE_NAME.test(path)) {
          out.push(
            vmxDiagnostic(
              'vmx/serial-kd',
              DiagnosticSeverity.Warning,
              fileName.valueRange,
              `Named pipes on a Windows host are called \\\\.\\pipe\\<name> (one name, no further backslashes); "${path}" is not such a name, so VMware cannot create the pipe.`,
            ),
          );
        }
      }
      const rxLoss = get('tryNoRxLoss');
      if (!rxLoss || !isTrue(rxLoss.value)) {
        out.push(
          vmxDiagnostic(
            'vmx/serial-kd',
            DiagnosticSeverity.Information,
            rxLoss?.valueRange ?? at,
            `${name}.tryNoRxLoss is ${rxLoss ? `"${rxLoss.value}"` : 'not set (FALSE)'}: right only when the other end of the pipe is another VM. ` +
              'When a debugger application (WinDbg, kd, BootDbg) is the other end, set it to "TRUE" ("the other end is an application") so VMware does not drop received bytes.',
            [set(rxLoss, 'tryNoRxLoss', 'TRUE')],
          ),
        );
      }
      const yieldMsr = get('yieldOnMsrRead');
      if (!yieldMsr || !isTrue(yieldMsr.value)) {
        out.push(
          vmxDiagnostic(
            'vmx/serial-kd',
            DiagnosticSeverity.Hint,
            yieldMsr?.valueRange ?? at,
            `Set ${name}.yieldOnMsrRead = "TRUE" ("Yield CPU on poll"): the kernel debugger polls the port constantly and otherwise keeps a host CPU at 100%.`,
            [set(yieldMsr, 'yieldOnMsrRead', 'TRUE')],
          ),
        );
      }
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

const hwVersionRule: VmxRule = {
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
const requiresRule: VmxRule = {
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

export const VMX_RULES: readonly VmxRule[] = [
  syntaxRule,
  duplicateRule,
  unknownKeyRule,
  deviceIndexRule,
  ignoredKeyRule,
  invalidValueRule,
  memsizeRule,
  guestOsRule,
  iscsiNicSlotRule,
  serialKdRule,
  hwVersionRule,
  requiresRule,
];

export function runVmxRules(input: VmxRuleInput): Diagnostic[] {
  return VMX_RULES.flatMap((r) => r.run(input));
}
