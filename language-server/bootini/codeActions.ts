/** Quick fixes: those the rules attached to their diagnostics, plus "Add a debugger-enabled entry". */
import { CodeActionKind, type CodeAction, type Diagnostic, type Range, type TextEdit } from 'vscode-languageserver-types';
import type { BootDbgSettings } from '../languageFeatures';
import { parseArcPath } from './arcPath';
import { DEBUG_SWITCH_NAMES, canonicalName, debugSwitchesFor } from './debugSwitches';
import { fixesOf, SOURCE } from './diagnostic';
import { findKey, menuEntries, plainRange, type BootIniDocument, type OsEntry } from './parser';

export const ADD_DEBUG_ENTRY_TITLE = 'Add a debugger-enabled entry';

/** Suffix that marks the copy's title (NTLDR adds "[debugger enabled]" itself on screen). */
export const DEBUG_TITLE_SUFFIX = ' (kernel debug)';

function overlaps(a: Range, b: Range): boolean {
  return !(a.end.line < b.start.line || b.end.line < a.start.line);
}

/** The text of a copy of `e` with its debug switches replaced by the ones from the settings. */
export function debuggerEnabledCopy(doc: BootIniDocument, e: OsEntry, settings: BootDbgSettings): string {
  const line = doc.lines[e.line];
  const kept = e.switches.filter((s) => !DEBUG_SWITCH_NAMES.has(canonicalName(s))).map((s) => line.slice(s.range.start.character, s.range.end.character));
  const title = e.description.endsWith(DEBUG_TITLE_SUFFIX) ? e.description : e.description + DEBUG_TITLE_SUFFIX;
  return `${e.path}="${title}"${kept.length ? ' ' + kept.join(' ') : ''} ${debugSwitchesFor(settings)}`;
}

export function bootIniCodeActions(uri: string, doc: BootIniDocument, range: Range, diagnostics: Diagnostic[], settings: BootDbgSettings, eol: string): CodeAction[] {
  const actions: CodeAction[] = [];
  for (const d of diagnostics) {
    if (d.source !== SOURCE || typeof d.code !== 'string' || !d.code.startsWith('bootini/')) continue;
    for (const f of fixesOf(d)) {
      actions.push({ title: f.title, kind: CodeActionKind.QuickFix, diagnostics: [d], isPreferred: f.preferred, edit: { changes: { [uri]: f.edits } } });
    }
  }
  for (const e of menuEntries(doc)) {
    if (!overlaps(e.lineRange, range) || e.switchesOnly || e.comment || !e.hasEquals || e.quote !== 'closed') continue;
    if (e.section !== 'operatingSystems' && e.section !== 'none') continue;
    const kind = parseArcPath(e.path).kind;
    if (kind === 'drive' || kind === 'unknown') continue; // boot-sector entries do not start Windows
    const end = doc.lines[e.line].length;
    const edits: TextEdit[] = [{ range: { start: { line: e.line, character: end }, end: { line: e.line, character: end } }, newText: eol + debuggerEnabledCopy(doc, e, settings) }];
    // With timeout=0 the menu is never shown, so the new entry could not be chosen at boot.
    const timeout = findKey(doc, 'timeout');
    if (timeout && /^0+$/.test(timeout.value)) edits.push({ range: plainRange(timeout.valueRange), newText: '30' });
    actions.push({ title: ADD_DEBUG_ENTRY_TITLE, kind: CodeActionKind.QuickFix, edit: { changes: { [uri]: edits } } });
  }
  return actions;
}
