/** Lexical rules: lines VMware ignores, escapes, BOM, and duplicate keys. */
import type { Diagnostic } from 'vscode-languageserver-types';
import { DiagnosticSeverity, deleteLineEdit, vmxDiagnostic } from './vmxDiagnostic';
import type { VmxFix } from './vmxDiagnostic';
import type { VmxProblemKind } from './vmxParser';
import type { VmxRule } from './vmxRules';

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

export const syntaxRule: VmxRule = {
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

export const duplicateRule: VmxRule = {
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
