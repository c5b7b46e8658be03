/**
 * The `kd-transcript` language: diagnostics, hover (the report section a line belongs to),
 * outline (iBFT blocks, bugcheck), folding of the iBFT dumps, and a quick fix that sets
 * `scsi0.present = "TRUE"` in the .vmx next to the transcript.
 */
import {
  CodeActionKind,
  MarkupKind,
  SymbolKind,
  type CodeAction,
  type Diagnostic,
  type DocumentSymbol,
  type FoldingRange,
  type Hover,
  type Position,
  type Range,
} from 'vscode-languageserver-types';
import type { DocumentInput, LanguageFeatures } from '../languageFeatures';
import { buildSessionReports, type IscsiBootReport, type SectionId } from './iscsiBootReport';
import { bugcheckTitle, sectionMarkdown } from './reportMarkdown';
import { findVmxScsiHint, TRANSCRIPT_CODES, transcriptDiagnostics } from './transcriptDiagnostics';
import { splitRawLines } from './transcriptLines';

interface Analysis {
  text: string;
  lines: string[];
  /** One report per boot in the transcript (usually one). */
  reports: readonly IscsiBootReport[];
}

/** One-entry cache: the server asks for diagnostics, symbols and hovers on the same text. */
let cache: Analysis | undefined;

export function analyseTranscript(text: string): Analysis {
  if (cache && cache.text === text) return cache;
  cache = { text, lines: splitRawLines(text), reports: buildSessionReports(text) };
  return cache;
}

/** The boot a line belongs to. */
function reportAt(reports: readonly IscsiBootReport[], line: number): IscsiBootReport {
  let hit = reports[0];
  for (const r of reports) if (r.firstLine <= line) hit = r;
  return hit;
}

function range(lines: string[], start: number, end: number): Range {
  const s = Math.max(0, Math.min(start, lines.length - 1));
  const e = Math.max(s, Math.min(end, lines.length - 1));
  return { start: { line: s, character: 0 }, end: { line: e, character: (lines[e] ?? '').length } };
}

function diagnostics(doc: DocumentInput): Diagnostic[] {
  const { lines, reports } = analyseTranscript(doc.text);
  return reports.flatMap((report, i) =>
    transcriptDiagnostics({ uri: doc.uri, lines, report, ctx: doc.ctx, nextBootLine: reports[i + 1]?.firstLine }),
  );
}

function hover(doc: DocumentInput, position: Position): Hover | null {
  const { lines, reports } = analyseTranscript(doc.text);
  const report = reportAt(reports, position.line);
  const section: SectionId | undefined =
    report.lineSections.get(position.line) ?? (position.line === report.firstLine ? 'summary' : undefined);
  if (!section) return null;
  const value = sectionMarkdown(report, section);
  if (!value) return null;
  return { contents: { kind: MarkupKind.Markdown, value }, range: range(lines, position.line, position.line) };
}

function documentSymbols(doc: DocumentInput): DocumentSymbol[] {
  const { lines, reports } = analyseTranscript(doc.text);
  const out: DocumentSymbol[] = [];
  reports.forEach((report, i) => {
    const prefix = reports.length > 1 ? `Boot ${i + 1}: ` : '';
    const sym = (name: string, detail: string, kind: SymbolKind, start: number, end: number): void => {
      const r = range(lines, start, end);
      out.push({ name: prefix + name, detail, kind, range: r, selectionRange: range(lines, start, start) });
    };
    if (report.ibft.found) sym('iBFT', report.ibft.found.address ? `at ${report.ibft.found.address}` : 'found', SymbolKind.Namespace, report.ibft.found.line, report.ibft.found.line);
    if (report.initiator) sym('Initiator', report.initiator.name ?? '', SymbolKind.Object, report.initiator.line, report.initiator.endLine);
    for (const n of report.nics) sym(`NIC ${n.index}`, n.ip?.value ?? n.mac?.value ?? '', SymbolKind.Interface, n.line, n.endLine);
    for (const t of report.targets) sym(`Target ${t.index}`, t.iqn ?? t.ip?.value ?? '', SymbolKind.Object, t.line, t.endLine);
    if (report.bootStatus) sym('Boot status', report.bootStatus.text, SymbolKind.Constant, report.bootStatus.line, report.bootStatus.line);
    if (report.bugcheck) sym('Bugcheck', bugcheckTitle(report.bugcheck), SymbolKind.Event, report.bugcheck.line, report.bugcheck.endLine);
  });
  return out.sort((a, b) => a.range.start.line - b.range.start.line);
}

function foldingRanges(doc: DocumentInput): FoldingRange[] {
  const { reports } = analyseTranscript(doc.text);
  const blocks = reports.flatMap((report) => [report.initiator, ...report.nics, ...report.targets]).filter(
    (b): b is NonNullable<typeof b> => b !== undefined && b.endLine > b.line,
  );
  return blocks.map((b) => ({ startLine: b.line, endLine: b.endLine, kind: 'region' }));
}

/** Quick fix for `transcript/nic-not-matched`: set scsi0.present = "TRUE" in the sibling .vmx. */
function codeActions(doc: DocumentInput, _range: Range, diags: Diagnostic[]): CodeAction[] {
  const relevant = diags.filter((d) => d.code === TRANSCRIPT_CODES.nicNotMatched);
  if (relevant.length === 0) return [];
  const { reports } = analyseTranscript(doc.text);
  const unmatched = reports.flatMap((r) => r.nics).find((n) => !n.matched && n.mac);
  const hint = findVmxScsiHint(doc.uri, doc.ctx, unmatched?.mac?.value);
  if (!hint || hint.value === 'true') return [];
  const newLine = 'scsi0.present = "TRUE"';
  const edit =
    hint.line !== undefined
      ? { range: { start: { line: hint.line, character: 0 }, end: { line: hint.line, character: hint.lineText?.length ?? 0 } }, newText: newLine }
      : { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: newLine + '\n' };
  return [
    {
      title: 'Set scsi0.present = "TRUE" in the .vmx (keep the NIC at its install-time PCI slot)',
      kind: CodeActionKind.QuickFix,
      diagnostics: relevant,
      edit: { changes: { [hint.uri]: [edit] } },
    },
  ];
}

export const transcriptFeatures: LanguageFeatures = {
  languageId: 'kd-transcript',
  diagnostics,
  hover,
  documentSymbols,
  foldingRanges,
  codeActions,
};
