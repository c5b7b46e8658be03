/**
 * .vmx text → document model with ranges, following VMware's own line lexer
 * (open-vm-tools lib/dict/dictll.c, DictLL_UnmarshalLine; see ../shared/reference/lang/vmx.md §1):
 *
 *   line   := ws name ws "=" ws ( '"' qvalue '"' | value | ε ) ws [ "#" comment ]  |  ws [ "#" comment ]
 *   name   := 1*(any char except space, tab, "=", "#")
 *   value  := 1*(any char except space, tab, '"', "#")        (unquoted values are tolerated)
 *   qvalue := *(any char except '"')                           ("#" inside quotes is data)
 *
 * Anything else is a "weird" line that VMware keeps verbatim but ignores as a setting; we record it
 * as a problem with the exact span at fault. Values are decoded with `|XX` (two hex digits) escapes;
 * an invalid `|` sequence is kept literally, as VMware does. Backslash is not an escape.
 * Keys are case-insensitive: `keyLower` is what lookups use.
 */
import type { Range } from 'vscode-languageserver-types';

export interface VmxEntry {
  line: number;
  /** Key as written. */
  key: string;
  keyLower: string;
  keyRange: Range;
  /** Value text as written (between the quotes when quoted). */
  rawValue: string;
  /** Value after `|XX` decoding. */
  value: string;
  /** Span of rawValue (inside the quotes); empty range right after `=` for `key =`. */
  valueRange: Range;
  quoted: boolean;
  /** Whole line (for removal edits). */
  lineRange: Range;
}

export type VmxProblemKind =
  | 'missing-equals'
  | 'missing-name'
  | 'unterminated-quote'
  | 'text-after-value'
  | 'quote-in-value'
  | 'invalid-escape'
  | 'typographic-quotes'
  | 'bom';

export interface VmxProblem {
  kind: VmxProblemKind;
  line: number;
  range: Range;
  message: string;
  /** true: VMware ignores the whole line (a "weird" line). */
  lineIgnored: boolean;
}

export interface VmxDocument {
  lines: readonly string[];
  entries: readonly VmxEntry[];
  problems: readonly VmxProblem[];
  /** Comment spans (full-line and trailing). */
  comments: readonly Range[];
  /** Entries by lower-case key, in file order (duplicates keep every occurrence). */
  byKey: ReadonlyMap<string, readonly VmxEntry[]>;
  hasBom: boolean;
}

const LINE_BREAK = /\r\n|\r|\n/;
const HEX2 = /^[0-9A-Fa-f]{2}$/;
const TYPOGRAPHIC_QUOTES = /[\u201C\u201D\u201E\u201F\u2033\u301D\u301E\uFF02]/;

function rng(line: number, start: number, end: number): Range {
  return { start: { line, character: start }, end: { line, character: end } };
}

function isWs(c: string | undefined): boolean {
  return c === ' ' || c === '\t';
}

/** `|XX` decoding; returns the decoded value and the offsets (within raw) of invalid `|` sequences. */
export function decodeVmxEscapes(raw: string): { value: string; invalidAt: number[] } {
  if (!raw.includes('|')) return { value: raw, invalidAt: [] };
  let out = '';
  const invalidAt: number[] = [];
  const bytes: number[] = [];
  const flushBytes = (): void => {
    if (bytes.length) {
      out += Buffer.from(bytes).toString('utf8');
      bytes.length = 0;
    }
  };
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    const hex = raw.slice(i + 1, i + 3);
    if (c === '|' && HEX2.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
      continue;
    }
    flushBytes();
    if (c === '|') invalidAt.push(i);
    out += c;
  }
  flushBytes();
  return { value: out, invalidAt };
}

/** Encodes a value the way VMware's writer does: `"`, `|`, DEL and control chars except TAB as |XX. */
export function encodeVmxValue(value: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '|' || code === 0x7f || (code < 0x20 && ch !== '\t')) {
      out += '|' + code.toString(16).toUpperCase().padStart(2, '0');
    } else out += ch;
  }
  return out;
}

export function parseVmx(text: string): VmxDocument {
  const hasBom = text.charCodeAt(0) === 0xfeff;
  const lines = text.split(LINE_BREAK);
  const entries: VmxEntry[] = [];
  const problems: VmxProblem[] = [];
  const comments: Range[] = [];
  const byKey = new Map<string, VmxEntry[]>();
  if (hasBom) {
    problems.push({
      kind: 'bom',
      line: 0,
      range: rng(0, 0, 1),
      message:
        'The file starts with a UTF-8 byte-order mark. VMware reads it, but VMs saved this way (e.g. by Notepad) have been reported as "corrupted"; save as UTF-8 without BOM.',
      lineIgnored: false,
    });
  }
  for (let n = 0; n < lines.length; n++) {
    const entry = parseLine(lines[n], n, n === 0 && hasBom ? 1 : 0, problems, comments);
    if (!entry) continue;
    entries.push(entry);
    const list = byKey.get(entry.keyLower);
    if (list) list.push(entry);
    else byKey.set(entry.keyLower, [entry]);
  }
  return { lines, entries, problems, comments, byKey, hasBom };
}

function parseLine(s: string, n: number, from: number, problems: VmxProblem[], comments: Range[]): VmxEntry | undefined {
  const len = s.length;
  const weird = (kind: VmxProblemKind, start: number, end: number, message: string): undefined => {
    problems.push({ kind, line: n, range: rng(n, start, Math.max(end, start + 1 <= len ? start + 1 : start)), message, lineIgnored: true });
    return undefined;
  };
  let i = from;
  while (isWs(s[i])) i++;
  if (i >= len) return undefined;
  if (s[i] === '#') {
    comments.push(rng(n, i, len));
    return undefined;
  }
  const lineStart = i;
  let end = len;
  while (end > i && isWs(s[end - 1])) end--;
  if (s[i] === '=') {
    return weird('missing-name', i, end, 'This line has no key before "=". VMware ignores it. Write it as key = "value".');
  }
  const nameStart = i;
  while (i < len && !isWs(s[i]) && s[i] !== '=' && s[i] !== '#') i++;
  const key = s.slice(nameStart, i);
  while (isWs(s[i])) i++;
  if (s[i] !== '=') {
    const what = i >= len || s[i] === '#' ? `"${key}" has no "= value"` : `"${key}" is followed by text instead of "="`;
    return weird('missing-equals', lineStart, end, `${what}. VMware ignores this line. Write it as ${key} = "value" (keys contain no spaces).`);
  }
  i++;
  while (isWs(s[i])) i++;
  let rawValue = '';
  let valueStart = i;
  let quoted = false;
  if (i < len && s[i] !== '#') {
    if (s[i] === '"') {
      quoted = true;
      const close = s.indexOf('"', i + 1);
      if (close < 0) {
        return weird(
          'unterminated-quote',
          i,
          end,
          `The value of "${key}" has no closing quote. VMware ignores this line (the setting is lost). Add the closing " (a value cannot span lines; write a newline as |0A).`,
        );
      }
      valueStart = i + 1;
      rawValue = s.slice(valueStart, close);
      i = close + 1;
    } else {
      while (i < len && !isWs(s[i]) && s[i] !== '"' && s[i] !== '#') i++;
      rawValue = s.slice(valueStart, i);
      if (s[i] === '"') {
        return weird('quote-in-value', valueStart, end, `The unquoted value of "${key}" contains a quote. VMware ignores this line. Quote the whole value and write an inner quote as |22.`);
      }
    }
  }
  const valueEnd = valueStart + rawValue.length;
  while (isWs(s[i])) i++;
  if (i < len && s[i] !== '#') {
    const message = quoted
      ? `Text after the closing quote of "${key}". VMware ignores the whole line. Remove it, or make it a comment with "#"; an inner quote is written |22.`
      : `The unquoted value of "${key}" contains a space. VMware ignores the whole line. Put the value in quotes: ${key} = "${s.slice(valueStart, end)}".`;
    return weird('text-after-value', quoted ? i : valueStart, end, message);
  }
  if (i < len) comments.push(rng(n, i, len));
  const decoded = decodeVmxEscapes(rawValue);
  for (const at of decoded.invalidAt) {
    problems.push({
      kind: 'invalid-escape',
      line: n,
      range: rng(n, valueStart + at, valueStart + Math.min(at + 3, rawValue.length)),
      message:
        'VMware decodes "|" followed by two hex digits as a byte (|22 is a quote, |7C is "|"). This "|" is not followed by two hex digits: VMware keeps it literally, libvirt rejects the file. Write a literal "|" as |7C.',
      lineIgnored: false,
    });
  }
  if (!quoted && TYPOGRAPHIC_QUOTES.test(rawValue)) {
    problems.push({
      kind: 'typographic-quotes',
      line: n,
      range: rng(n, valueStart, valueEnd),
      message: `The value of "${key}" is wrapped in typographic quotes, which VMware takes as part of the value. Use straight double quotes (").`,
      lineIgnored: false,
    });
  }
  return {
    line: n,
    key,
    keyLower: key.toLowerCase(),
    keyRange: rng(n, nameStart, nameStart + key.length),
    rawValue,
    value: decoded.value,
    valueRange: rng(n, valueStart, valueEnd),
    quoted,
    lineRange: rng(n, 0, len),
  };
}

/** The last occurrence of a key (VMware-compatible tools keep the last duplicate). */
export function lastEntry(doc: VmxDocument, key: string): VmxEntry | undefined {
  const list = doc.byKey.get(key.toLowerCase());
  return list ? list[list.length - 1] : undefined;
}

export function valueOf(doc: VmxDocument, key: string): string | undefined {
  return lastEntry(doc, key)?.value;
}

/** VMware booleans: TRUE/FALSE in any case. */
export function isTrue(v: string | undefined): boolean {
  return v !== undefined && v.trim().toLowerCase() === 'true';
}
