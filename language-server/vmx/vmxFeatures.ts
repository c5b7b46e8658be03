/** The .vmx language: parser → document model → rules, completions, hovers, outline, quick fixes. */
import { CodeActionKind } from 'vscode-languageserver-types';
import type { CodeAction, Diagnostic } from 'vscode-languageserver-types';
import type { DocumentInput, LanguageFeatures } from '../languageFeatures';
import { parseVmx } from './vmxParser';
import type { VmxDocument } from './vmxParser';
import { runVmxRules } from './vmxRules';
import { DiagnosticSeverity, SOURCE, vmxDiagnostic } from './vmxDiagnostic';
import type { VmxDiagnosticData, VmxFix } from './vmxDiagnostic';
import { vmxCompletions } from './vmxCompletions';
import { vmxHover } from './vmxHover';
import { vmxDocumentSymbols, vmxFoldingRanges } from './vmxOutline';

/** The server asks for diagnostics, symbols and folding of the same text in a row: parse it once. */
let cached: { uri: string; text: string; doc: VmxDocument } | undefined;

export function parsedVmx(text: string, uri = ''): VmxDocument {
  if (cached && cached.text === text) return cached.doc;
  const doc = parseVmx(text);
  cached = { uri, text, doc };
  return doc;
}

/** Line `n` of `text` without splitting the whole text. */
function lineAt(text: string, n: number): string | undefined {
  let start = 0;
  for (let i = 0; i < n; i++) {
    const lf = text.indexOf('\n', start);
    const cr = text.indexOf('\r', start);
    if (lf < 0 && cr < 0) return undefined;
    start = cr >= 0 && (lf < 0 || cr < lf) ? (text[cr + 1] === '\n' ? cr + 2 : cr + 1) : lf + 1;
  }
  const m = /\r|\n/.exec(text.slice(start, start + 100_000));
  return text.slice(start, m ? start + m.index : text.length);
}

/**
 * Completion is asked right after a keystroke, before the (debounced) diagnostics parsed the new
 * text: the devices and keys in use come from the parse of the previous version of the same
 * document (when it differs by a few keystrokes), the cursor's line from the new text.
 */
function completionDoc(input: DocumentInput, line: number): { doc: VmxDocument; lineText: string | undefined } {
  const prev = cached;
  if (prev && prev.uri === input.uri && prev.uri !== '' && prev.text !== input.text && Math.abs(prev.text.length - input.text.length) <= 256) {
    return { doc: prev.doc, lineText: lineAt(input.text, line) };
  }
  const doc = parsedVmx(input.text, input.uri);
  return { doc, lineText: doc.lines[line] };
}

/** Keys every VMware-written configuration has (vmx.md §1 "minimal valid VM", §7). */
const VMWARE_MARKERS = ['config.version', 'virtualhw.version', 'guestos', '.encoding', 'displayname', 'memsize'];

/**
 * `.vmx` is also the extension of Valve Hammer map backups and of student bytecode files
 * (vmx.md §7): a text with no VMware marker key whose lines mostly are not `name = value` is
 * not checked, so it does not drown in syntax errors.
 */
export function looksLikeVmwareConfig(doc: VmxDocument): boolean {
  if (VMWARE_MARKERS.some((k) => doc.lastByKey.has(k))) return true;
  const ignoredLines = doc.problems.filter((p) => p.lineIgnored).length;
  return ignoredLines <= doc.entries.length;
}

export function vmxDiagnostics(input: DocumentInput): Diagnostic[] {
  const doc = parsedVmx(input.text, input.uri);
  if (!looksLikeVmwareConfig(doc)) {
    const at = { line: 0, character: 0 };
    return [
      vmxDiagnostic(
        'vmx/not-vmware',
        DiagnosticSeverity.Information,
        { start: at, end: at },
        'This file does not look like a VMware configuration (no config.version, virtualHW.version or guestOS key, and most lines are not name = "value"; .vmx is also used by Valve Hammer map backups and other tools), so the .vmx checks are off.',
      ),
    ];
  }
  return runVmxRules({ doc, text: input.text });
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
  completions: (input, position) => {
    const { doc, lineText } = completionDoc(input, position.line);
    return vmxCompletions(doc, position, lineText);
  },
  hover: (input, position) => vmxHover(parsedVmx(input.text, input.uri), position),
  codeActions: (input, _range, diagnostics) => vmxCodeActions(input, diagnostics),
  documentSymbols: (input) => vmxDocumentSymbols(parsedVmx(input.text, input.uri)),
  foldingRanges: (input) => vmxFoldingRanges(parsedVmx(input.text, input.uri)),
};
