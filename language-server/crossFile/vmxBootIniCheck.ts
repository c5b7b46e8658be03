/**
 * The .vmx side of the boot.ini ↔ .vmx check: when a boot.ini next to the VM debugs over COMn,
 * the VM's serial(n-1) must be a pipe or socket. Reported in the .vmx (where the fix goes), with a
 * quick fix that adds the serial port as a named pipe set up the way vmx.md §4 describes.
 */
import { DiagnosticSeverity } from 'vscode-languageserver-types';
import type { Diagnostic, Range } from 'vscode-languageserver-types';
import type { DocumentInput, LanguageFeatures } from '../languageFeatures';
import { parseBootIni } from '../bootini/parser';
import { lastEntry } from '../vmx/vmxParser';
import type { VmxDocument } from '../vmx/vmxParser';
import { parsedVmx, looksLikeVmwareConfig } from '../vmx/vmxFeatures';
import { eolOf, insertLineEdit, vmxDiagnostic } from '../vmx/vmxDiagnostic';
import type { VmxFix } from '../vmx/vmxDiagnostic';
import { bootIniDebugSettings } from './bootIniCrossFile';
import { serialPorts, targetCom, usable } from './bootIniVmxCheck';

/** The serial port block for a kernel debugger on the host (vmx.md §4). */
export function kdPipeLines(index: number): string[] {
  const s = `serial${index}`;
  return [
    `${s}.present = "TRUE"`,
    `${s}.fileType = "pipe"`,
    `${s}.fileName = "\\\\.\\pipe\\com_${index + 1}"`,
    `${s}.pipe.endPoint = "server"`,
    `${s}.tryNoRxLoss = "TRUE"`,
    `${s}.yieldOnMsrRead = "TRUE"`,
    `${s}.startConnected = "TRUE"`,
  ];
}

const FILE_START: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

export function vmxCrossFileDiagnostics(input: DocumentInput, doc: VmxDocument): Diagnostic[] {
  const bootUris = input.ctx.siblings(input.uri).filter((u) => /(^|\/)boot\.ini$/i.test(u));
  if (bootUris.length === 0) return [];
  const ports = serialPorts(doc);
  const out: Diagnostic[] = [];
  const reported = new Set<number>();
  for (const uri of bootUris) {
    const text = input.ctx.readText(uri);
    if (text === undefined) continue;
    for (const setting of bootIniDebugSettings(parseBootIni(text))) {
      const com = targetCom(setting, ports);
      if (com === undefined || com < 1 || com > 4 || reported.has(com)) continue;
      reported.add(com);
      const index = com - 1;
      const port = ports.find((p) => p.index === index);
      if (port && usable(port)) continue;
      // A pipe that is only switched off is already reported (with its fix) by the .vmx rules.
      if (port && (port.fileType === 'pipe' || port.fileType === 'network')) continue;
      const why = `boot.ini next to this VM sends the kernel debugger to COM${com}${setting.debugPort ? '' : " (NTLDR's default without /debugport)"}, which is serial${index} here`;
      const fixes: VmxFix[] = [];
      let range = FILE_START;
      let state: string;
      if (!port) {
        state = 'but the VM has no such port';
        fixes.push({ title: `Add serial${index} as a named pipe for the kernel debugger`, edits: [insertLineEdit(doc, eolOf(input.text), kdPipeLines(index).join(eolOf(input.text)))], preferred: true });
      } else {
        const present = lastEntry(doc, `serial${index}.present`);
        const fileType = lastEntry(doc, `serial${index}.fileType`);
        range = (port.present ? fileType : present)?.keyRange ?? FILE_START;
        if (!port.present) {
          state = `but serial${index}.present is not TRUE`;
        } else state = `but serial${index} is ${port.fileType === 'thinprint' ? 'the ThinPrint printer port' : port.fileType ? `a ${port.fileType}` : 'the host\'s physical port'}, not a pipe a debugger can attach to`;
      }
      const other = ports.find((p) => p.index !== index && usable(p));
      const instead = other ? ` serial${other.index} is a ${other.fileType}, the guest's COM${other.index + 1}: either use /debugport=com${other.index + 1} in boot.ini or` : '';
      out.push(vmxDiagnostic('vmx/serial-kd', DiagnosticSeverity.Warning, range, `${why}, ${state}.${instead ? instead + ' give' : ' Give'} serial${index} a named pipe (fileType "pipe")${other ? '' : ' or change /debugport in boot.ini'}.`, fixes));
    }
  }
  return out;
}

/** The .vmx features plus the boot.ini check. */
export function withVmxCrossFile(vmx: LanguageFeatures): LanguageFeatures {
  return {
    ...vmx,
    diagnostics(input) {
      const own = vmx.diagnostics(input);
      const doc = parsedVmx(input.text, input.uri);
      if (!looksLikeVmwareConfig(doc)) return own;
      return [...own, ...vmxCrossFileDiagnostics(input, doc)];
    },
  };
}
