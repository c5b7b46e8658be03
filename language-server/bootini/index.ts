/** boot.ini language features: plain functions from text to LSP results (see ../languageFeatures.ts). */
import type { Diagnostic } from 'vscode-languageserver-types';
import type { LanguageFeatures } from '../languageFeatures';
import { bootIniCodeActions } from './codeActions';
import { bootIniCompletions } from './completions';
import { diag, DiagnosticSeverity } from './diagnostic';
import { bootIniHover } from './hover';
import { bootIniFolding, bootIniSymbols } from './outline';
import { looksLikeNtBootIni, parseBootIni, type BootIniDocument } from './parser';
import { RULES } from './rules';
import type { BootDbgSettings } from '../languageFeatures';

export const BOOT_INI_LANGUAGE_ID = 'boot-ini';

/** One parse per text: LSP requests for the same version arrive back to back. */
let cache: { text: string; doc: BootIniDocument } | undefined;
function parsed(text: string): BootIniDocument {
  if (cache?.text !== text) cache = { text, doc: parseBootIni(text) };
  return cache.doc;
}

export function lineBreakOf(text: string): string {
  const m = /\r\n|\n|\r/.exec(text);
  return m ? m[0] : '\r\n';
}

export function bootIniDiagnostics(text: string, settings: BootDbgSettings): Diagnostic[] {
  if (!/\S/.test(text)) return [];
  if (!looksLikeNtBootIni(text)) {
    return [diag('bootini/not-ntldr', DiagnosticSeverity.Information, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, 'This file does not look like an NTLDR boot.ini (no [boot loader]/[operating systems] section and no ARC path; many files named boot.ini are U-Boot scripts or other INI files), so the boot.ini checks are off.')];
  }
  const doc = parsed(text);
  const ctx = { doc, settings, eol: lineBreakOf(text) };
  const out: Diagnostic[] = [];
  for (const rule of RULES) out.push(...rule.check(ctx));
  return out.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
}

export const bootIniFeatures: LanguageFeatures = {
  languageId: BOOT_INI_LANGUAGE_ID,
  diagnostics: (doc) => bootIniDiagnostics(doc.text, doc.ctx.settings),
  completions: (doc, position) => bootIniCompletions(parsed(doc.text), position, doc.ctx.settings),
  hover: (doc, position) => bootIniHover(parsed(doc.text), position),
  codeActions: (doc, range, diagnostics) => bootIniCodeActions(doc.uri, parsed(doc.text), range, diagnostics, doc.ctx.settings, lineBreakOf(doc.text)),
  documentSymbols: (doc) => bootIniSymbols(parsed(doc.text)),
  foldingRanges: (doc) => bootIniFolding(parsed(doc.text)),
};
