/** How .vmx rules report: a stable code, source "bootdbg", and the quick fixes carried in `data`. */
import { DiagnosticSeverity, DiagnosticTag } from 'vscode-languageserver-types';
import type { Diagnostic, Range, TextEdit } from 'vscode-languageserver-types';
import type { VmxDocument, VmxEntry } from './vmxParser';

export const VMX_CODES = [
  'vmx/syntax',
  'vmx/escape',
  'vmx/bom',
  'vmx/duplicate-key',
  'vmx/unknown-key',
  'vmx/device-index',
  'vmx/invalid-value',
  'vmx/memsize',
  'vmx/unknown-guestos',
  'vmx/iscsi-nic-slot',
  'vmx/serial-kd',
  'vmx/ignored-key',
  'vmx/hw-version',
  'vmx/requires',
  'vmx/not-vmware',
] as const;
export type VmxCode = (typeof VMX_CODES)[number];

export interface VmxFix {
  title: string;
  edits: TextEdit[];
  preferred?: boolean;
}

export interface VmxDiagnosticData {
  fixes: VmxFix[];
}

export const SOURCE = 'bootdbg';

export function vmxDiagnostic(
  code: VmxCode,
  severity: DiagnosticSeverity,
  range: Range,
  message: string,
  fixes: VmxFix[] = [],
  tags?: DiagnosticTag[],
): Diagnostic {
  const d: Diagnostic = { range, severity, code, source: SOURCE, message };
  if (fixes.length) d.data = { fixes } satisfies VmxDiagnosticData;
  if (tags) d.tags = tags;
  return d;
}

/** The line break the document uses (VMware writes CRLF on Windows, LF elsewhere). */
export function eolOf(text: string): string {
  const m = /\r\n|\n|\r/.exec(text);
  return m ? m[0] : '\n';
}

/** An edit deleting a whole line including its line break. */
export function deleteLineEdit(doc: VmxDocument, line: number): TextEdit {
  if (line + 1 < doc.lines.length) {
    return { range: { start: { line, character: 0 }, end: { line: line + 1, character: 0 } }, newText: '' };
  }
  const start = line > 0 ? { line: line - 1, character: doc.lines[line - 1].length } : { line, character: 0 };
  return { range: { start, end: { line, character: doc.lines[line].length } }, newText: '' };
}

/** An edit inserting `key = "value"` as a new line before `beforeLine` (or at the end). */
export function insertLineEdit(doc: VmxDocument, eol: string, text: string, beforeLine?: number): TextEdit {
  if (beforeLine !== undefined && beforeLine < doc.lines.length) {
    const at = { line: beforeLine, character: 0 };
    return { range: { start: at, end: at }, newText: text + eol };
  }
  const last = doc.lines.length - 1;
  const end = { line: last, character: doc.lines[last].length };
  return { range: { start: end, end }, newText: doc.lines[last].length ? eol + text + eol : text + eol };
}

/** Replaces an entry's value, adding quotes when it was unquoted. */
export function setValueEdit(entry: VmxEntry, value: string): TextEdit {
  if (entry.quoted) return { range: entry.valueRange, newText: value };
  return { range: entry.valueRange, newText: `"${value}"` };
}

export { DiagnosticSeverity, DiagnosticTag };
