/** Network-boot and kernel-debug lab rules: the iSCSI NIC PCI-slot shift and serial ports for KD
 *  (../shared/reference/lang/vmx.md §3, §4). */
import type { Diagnostic } from 'vscode-languageserver-types';
import { DiagnosticSeverity, eolOf, insertLineEdit, setValueEdit, vmxDiagnostic } from './vmxDiagnostic';
import type { VmxFix } from './vmxDiagnostic';
import type { VmxDocument, VmxEntry } from './vmxParser';
import { isTrue, lastEntry, valueOf } from './vmxParser';
import { intValue } from './vmxKeys';
import type { VmxRule } from './vmxRules';

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

export const iscsiNicSlotRule: VmxRule = {
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

export const serialKdRule: VmxRule = {
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
