/** Helpers for the .vmx tests: run features over inline text, apply quick-fix edits, find the reference. */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic, TextEdit } from 'vscode-languageserver-types';
import { isolatedContext } from '../../../language-server/languageFeatures';
import type { DocumentInput, WorkspaceContext } from '../../../language-server/languageFeatures';
import { vmxFeatures } from '../../../language-server/vmx/vmxFeatures';

export const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');

/** ../shared/reference/<sub>, also from a git worktree one level deeper; undefined when absent. */
export function referencePath(...sub: string[]): string | undefined {
  for (const base of [path.resolve(repoRoot, '..'), path.resolve(repoRoot, '..', '..')]) {
    const p = path.join(base, 'shared', 'reference', ...sub);
    if (existsSync(p)) return p;
  }
  return undefined;
}

export function input(text: string, uri = 'file:///lab/vm.vmx', ctx: WorkspaceContext = isolatedContext()): DocumentInput {
  return { uri, text, ctx };
}

/** Our diagnostics always carry a plain-string message. */
export type Diag = Diagnostic & { message: string };

export function diagnose(text: string): Diag[] {
  return vmxFeatures.diagnostics(input(text)) as Diag[];
}

export function withCode(text: string, code: string): Diag[] {
  return diagnose(text).filter((d) => d.code === code);
}

/** Offset of an LSP position; CRLF, LF and a lone CR all end a line, as in LSP. */
function offsetAt(text: string, line: number, character: number): number {
  let off = 0;
  for (let l = 0; l < line; l++) {
    const m = /\r\n|\r|\n/g;
    m.lastIndex = off;
    const hit = m.exec(text);
    if (!hit) return text.length;
    off = hit.index + hit[0].length;
  }
  return off + character;
}

/** Applies non-overlapping edits (as an LSP client would). */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const withOffsets = edits.map((e) => ({ e, s: offsetAt(text, e.range.start.line, e.range.start.character), t: offsetAt(text, e.range.end.line, e.range.end.character) }));
  withOffsets.sort((a, b) => b.s - a.s);
  let out = text;
  for (const { e, s, t } of withOffsets) out = out.slice(0, s) + e.newText + out.slice(t);
  return out;
}

/** Runs the quick fix titled `title` (or the preferred one) for the first diagnostic with `code`. */
export function applyFix(text: string, code: string, title?: string): string {
  const d = withCode(text, code)[0];
  if (!d) throw new Error(`no ${code} diagnostic`);
  const actions = vmxFeatures.codeActions!(input(text), d.range, [d]);
  const action = title ? actions.find((a) => a.title.includes(title)) : (actions.find((a) => a.isPreferred) ?? actions[0]);
  if (!action?.edit?.changes) throw new Error(`no fix for ${code}: ${actions.map((a) => a.title).join(', ')}`);
  return applyEdits(text, action.edit.changes['file:///lab/vm.vmx']);
}

export const lines = (...l: string[]): string => l.join('\n') + '\n';
