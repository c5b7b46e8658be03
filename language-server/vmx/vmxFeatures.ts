/** The .vmx language: parser → document model → rules, completions, hovers, outline, quick fixes. */
import { CodeActionKind } from 'vscode-languageserver-types';
import type { CodeAction, Diagnostic } from 'vscode-languageserver-types';
import type { DocumentInput, LanguageFeatures } from '../languageFeatures';
import { parseVmx } from './vmxParser';
import type { VmxDocument } from './vmxParser';
import { runVmxRules } from './vmxRules';
import { SOURCE } from './vmxDiagnostic';
import type { VmxDiagnosticData, VmxFix } from './vmxDiagnostic';
import { vmxCompletions } from './vmxCompletions';
import { vmxHover } from './vmxHover';
import { vmxDocumentSymbols, vmxFoldingRanges } from './vmxOutline';

/** The server asks for diagnostics, symbols and folding of the same text in a row: parse it once. */
let cached: { text: string; doc: VmxDocument } | undefined;

export function parsedVmx(text: string): VmxDocument {
  if (cached && cached.text === text) return cached.doc;
  const doc = parseVmx(text);
  cached = { text, doc };
  return doc;
}

export function vmxDiagnostics(input: DocumentInput): Diagnostic[] {
  return runVmxRules({ doc: parsedVmx(input.text), text: input.text });
}

function fixesOf(d: Diagnostic): VmxFix[] | undefined {
  const data = d.data as Partial<VmxDiagnosticData> | undefined;
  return Array.isArray(data?.fixes) ? data.fixes : undefined;
}

function sameRange(a: Diagnostic, b: Diagnostic): boolean {
  return (
    a.range.start.line === b.range.start.line &&
    a.range.start.character === b.range.start.character &&
    a.range.end.line === b.range.end.line &&
    a.range.end.character === b.range.end.character
  );
}

export function vmxCodeActions(input: DocumentInput, diagnostics: Diagnostic[]): CodeAction[] {
  const ours = diagnostics.filter((d) => d.source === SOURCE && typeof d.code === 'string' && d.code.startsWith('vmx/'));
  if (ours.length === 0) return [];
  let fresh: Diagnostic[] | undefined;
  const actions: CodeAction[] = [];
  for (const d of ours) {
    // Clients usually echo `data` back; when one does not, find the same diagnostic again.
    let fixes = fixesOf(d);
    if (!fixes) {
      fresh ??= vmxDiagnostics(input);
      fixes = fixesOf(fresh.find((f) => f.code === d.code && sameRange(f, d)) ?? d) ?? [];
    }
    for (const fix of fixes) {
      actions.push({ title: fix.title, kind: CodeActionKind.QuickFix, diagnostics: [d], isPreferred: fix.preferred, edit: { changes: { [input.uri]: fix.edits } } });
    }
  }
  return actions;
}

export const vmxFeatures: LanguageFeatures = {
  languageId: 'vmx',
  diagnostics: vmxDiagnostics,
  completions: (input, position) => vmxCompletions(parsedVmx(input.text), position),
  hover: (input, position) => vmxHover(parsedVmx(input.text), position),
  codeActions: (input, _range, diagnostics) => vmxCodeActions(input, diagnostics),
  documentSymbols: (input) => vmxDocumentSymbols(parsedVmx(input.text)),
  foldingRanges: (input) => vmxFoldingRanges(parsedVmx(input.text)),
};
