/** Diagnostic codes, their quick fixes (carried in `data`) and the small helpers rules share. */
import { DiagnosticSeverity, type Diagnostic, type Range, type TextEdit } from 'vscode-languageserver-types';

export const BOOTINI_CODES = [
  'bootini/default-not-found',
  'bootini/unknown-switch',
  'bootini/invalid-switch-value',
  'bootini/switch-requires',
  'bootini/conflicting-switches',
  'bootini/invalid-arc-path',
  'bootini/unterminated-quote',
  'bootini/wrapped-line',
  'bootini/timeout-range',
  'bootini/duplicate-key',
  'bootini/missing-section',
  'bootini/unknown-section',
  'bootini/unknown-key',
  'bootini/invalid-key-value',
  'bootini/comment-syntax',
  'bootini/too-many-entries',
  'bootini/title-length',
  'bootini/encoding',
  'bootini/not-ntldr',
] as const;

export type BootIniCode = (typeof BOOTINI_CODES)[number];

/** A quick fix a rule already knows when it reports; codeActions turns it into a CodeAction. */
export interface QuickFix {
  title: string;
  edits: TextEdit[];
  preferred?: boolean;
}

export interface FixData {
  fixes: QuickFix[];
}

export const SOURCE = 'bootdbg';

/** Results get their own range objects, never shared with the (cached) parse. */
function plain(r: Range): Range {
  return { start: { line: r.start.line, character: r.start.character }, end: { line: r.end.line, character: r.end.character } };
}

export function diag(code: BootIniCode, severity: DiagnosticSeverity, range: Range, message: string, fixes: QuickFix[] = []): Diagnostic {
  const d: Diagnostic = { range: plain(range), severity, code, source: SOURCE, message };
  if (fixes.length > 0) d.data = { fixes: fixes.map((f) => ({ ...f, edits: f.edits.map((e) => ({ range: plain(e.range), newText: e.newText })) })) } satisfies FixData;
  return d;
}

export { DiagnosticSeverity };

export function fixesOf(d: Diagnostic): QuickFix[] {
  const data = d.data as Partial<FixData> | undefined;
  return Array.isArray(data?.fixes) ? data.fixes : [];
}

/** Levenshtein distance, case-insensitive; small inputs only (names and paths). */
export function editDistance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  if (a.length > 200 || b.length > 200) return Math.abs(a.length - b.length) + 200;
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diagonal = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = tmp;
    }
  }
  return prev[b.length];
}

const closestCache = new Map<string, string[]>();

/** Candidates within a small edit distance, closest first (memoised: the same typo recurs). */
export function closest(word: string, candidates: readonly string[], maxDistance = 2, limit = 3): string[] {
  const key = `${maxDistance}/${limit}/${word.toLowerCase()}/${candidates.length}/${candidates[0] ?? ''}`;
  const hit = closestCache.get(key);
  if (hit) return hit;
  const result = closestUncached(word, candidates, maxDistance, limit);
  if (closestCache.size > 2000) closestCache.clear();
  closestCache.set(key, result);
  return result;
}

function closestUncached(word: string, candidates: readonly string[], maxDistance: number, limit: number): string[] {
  return candidates
    .map((c) => ({ c, d: editDistance(word, c) }))
    .filter((x) => x.d <= maxDistance && x.d > 0)
    .sort((x, y) => x.d - y.d)
    .slice(0, limit)
    .map((x) => x.c);
}

export function lineRange(line: number, start: number, end: number): Range {
  return { start: { line, character: start }, end: { line, character: end } };
}

/** An edit that deletes a whole line including its line break. */
export function deleteLine(lines: string[], line: number): TextEdit {
  if (line + 1 < lines.length) return { range: { start: { line, character: 0 }, end: { line: line + 1, character: 0 } }, newText: '' };
  if (line > 0) return { range: { start: { line: line - 1, character: lines[line - 1].length }, end: { line, character: lines[line].length } }, newText: '' };
  return { range: lineRange(line, 0, lines[line].length), newText: '' };
}

/** An edit that inserts `text` as a new line after `line` (also when `line` is the last line). */
export function insertLineAfter(lines: string[], line: number, text: string, eol: string): TextEdit {
  if (line + 1 < lines.length) return { range: lineRange(line + 1, 0, 0), newText: text + eol };
  const end = lines[line]?.length ?? 0;
  return { range: lineRange(line, end, end), newText: eol + text };
}
