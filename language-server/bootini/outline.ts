/** Document symbols (sections → keys and entries) and folding ranges (one per section). */
import { SymbolKind, type DocumentSymbol, type FoldingRange } from 'vscode-languageserver-types';
import { plainRange, type BootIniDocument } from './parser';

export function bootIniSymbols(doc: BootIniDocument): DocumentSymbol[] {
  const out: DocumentSymbol[] = [];
  for (const s of doc.sections) {
    const endLine = Math.max(s.startLine, s.endLine);
    const range = { start: { line: s.startLine, character: 0 }, end: { line: endLine, character: doc.lines[endLine]?.length ?? 0 } };
    const children: DocumentSymbol[] = [];
    for (const k of doc.keys) {
      if (k.line < s.startLine || k.line > endLine) continue;
      children.push({ name: k.key || '(empty key)', detail: k.value, kind: SymbolKind.Property, range: plainRange(k.lineRange), selectionRange: plainRange(k.keyRange) });
    }
    for (const e of doc.entries) {
      if (e.line < s.startLine || e.line > endLine || e.continuation || e.comment || e.switchesOnly) continue;
      const name = e.description.trim() || e.path || '(empty entry)';
      children.push({ name, detail: [e.path, ...e.switches.map((w) => '/' + w.name + (w.separator ?? '') + (w.value ?? ''))].join(' '), kind: SymbolKind.Object, range: plainRange(e.lineRange), selectionRange: plainRange(e.pathRange) });
    }
    const name = s.header ? `[${s.header.name}]` : '(before any section)';
    out.push({ name, kind: SymbolKind.Namespace, range, selectionRange: s.header ? plainRange(s.header.range) : range, children });
  }
  return out;
}

export function bootIniFolding(doc: BootIniDocument): FoldingRange[] {
  const out: FoldingRange[] = [];
  for (const s of doc.sections) {
    let end = s.endLine;
    while (end > s.startLine && (doc.lines[end] ?? '').trim() === '') end--;
    if (s.header && end > s.startLine) out.push({ startLine: s.startLine, endLine: end, kind: 'region' });
  }
  return out;
}
