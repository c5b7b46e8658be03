/** The `loadord` language: diagnostics, hover on a row (its role and start type), outline. */
import { MarkupKind, SymbolKind, type Diagnostic, type DocumentSymbol, type Hover, type Position } from 'vscode-languageserver-types';
import type { DocumentInput, LanguageFeatures } from '../languageFeatures';
import { parseLoadOrd, type LoadOrdListing, type StartType } from './loadOrdParser';
import { loadOrdDiagnostics, roleOf } from './loadOrdRules';

const START_MEANING: Record<StartType, string> = {
  boot: 'BOOT (0): loaded by the OS loader with the kernel',
  system: 'SYSTEM (1): loaded during kernel initialisation, after the boot drivers',
  auto: 'AUTO (2): started by the service control manager',
  demand: 'DEMAND (3): started on request',
  disabled: 'DISABLED (4): never started',
};

let cache: { text: string; lines: string[]; listing: LoadOrdListing } | undefined;

function analyse(text: string): { lines: string[]; listing: LoadOrdListing } {
  if (cache && cache.text === text) return cache;
  cache = { text, lines: text.split(/\r\n|\n|\r/), listing: parseLoadOrd(text) };
  return cache;
}

function diagnostics(doc: DocumentInput): Diagnostic[] {
  const { lines, listing } = analyse(doc.text);
  return loadOrdDiagnostics(listing, lines);
}

function hover(doc: DocumentInput, position: Position): Hover | null {
  const { listing } = analyse(doc.text);
  const row = listing.rows.find((r) => r.line === position.line);
  if (!row) return null;
  const role = roleOf(row);
  const parts = [
    `**${row.name.replace(/[\\`*_[\]<>]/g, (c) => '\\' + c)}** — load position ${row.order + 1}`,
    row.start ? START_MEANING[row.start] : `start "${row.startText}" not understood`,
  ];
  if (role) parts.push(`iSCSI boot role: ${role.label}, ${role.why}; must be BOOT.`);
  return { contents: { kind: MarkupKind.Markdown, value: parts.join('\n\n') } };
}

function documentSymbols(doc: DocumentInput): DocumentSymbol[] {
  const { lines, listing } = analyse(doc.text);
  return listing.rows.map((row) => {
    const range = { start: { line: row.line, character: 0 }, end: { line: row.line, character: (lines[row.line] ?? '').length } };
    return {
      name: row.name || row.driver || `row ${row.order + 1}`,
      detail: `${row.start?.toUpperCase() ?? row.startText} ${row.group}`.trim(),
      kind: roleOf(row) ? SymbolKind.Module : SymbolKind.File,
      range,
      selectionRange: range,
    };
  });
}

export const loadOrdFeatures: LanguageFeatures = {
  languageId: 'loadord',
  diagnostics,
  hover,
  documentSymbols,
};
