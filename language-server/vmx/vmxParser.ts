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
import { deviceParts } from './vmxDevices';
import type { VmxKeyParts } from './vmxDevices';

/** One `key = value` line. Ranges are computed on access: a 10,000-line file makes 10,000 entries,
 *  and only the few that get a diagnostic ever need theirs. */
export class VmxEntry {
  constructor(
    readonly line: number,
    /** Key as written. */
    readonly key: string,
    readonly keyLower: string,
    /** Lower-case key with indices as n / n:m (`ethernetn.virtualdev`): what the key tables are keyed by. */
    readonly template: string,
    /** Device family, index, unit and property for `ethernet0.virtualDev`, `scsi0:1.fileName`. */
    readonly parts: VmxKeyParts | undefined,
    /** Value text as written (between the quotes when quoted). */
    readonly rawValue: string,
    /** Value after `|XX` decoding. */
    readonly value: string,
    readonly quoted: boolean,
    private readonly keyStart: number,
    private readonly valueStart: number,
    private readonly lineLength: number,
  ) {}

  get keyRange(): Range {
    return rng(this.line, this.keyStart, this.keyStart + this.key.length);
  }

  /** Span of rawValue (inside the quotes); empty range right after `=` for `key =`. */
  get valueRange(): Range {
    return rng(this.line, this.valueStart, this.valueStart + this.rawValue.length);
  }

  /** Whole line (for removal edits). */
  get lineRange(): Range {
    return rng(this.line, 0, this.lineLength);
  }

  /** `key =` with nothing after it. */
  get isEmpty(): boolean {
    return this.rawValue.length === 0;
  }
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
  /** The last entry of each lower-case key (VMware-compatible tools keep the last duplicate). */
  lastByKey: ReadonlyMap<string, VmxEntry>;
  /** Keys set more than once: every occurrence in file order. */
  duplicates: ReadonlyMap<string, readonly VmxEntry[]>;
  hasBom: boolean;
}

const LINE_BREAK = /\r\n|\r|\n/;
const TYPOGRAPHIC_QUOTES = /[\u201C\u201D\u201E\u201F\u2033\u301D\u301E\uFF02]/;

function rng(line: number, start: number, end: number): Range {
  return { start: { line, character: start }, end: { line, character: end } };
}

/** `|XX` decoding; returns the decoded value and the offsets (within raw) of invalid `|` sequences. */
export function decodeVmxEscapes(raw: string): { value: string; invalidAt: number[] } {
  if (!raw.includes('|')) return { value: raw, invalidAt: NO_INVALID };
  let out = '';
  const invalidAt: number[] = [];
  let bytes: number[] = [];
  let highBytes = false;
  const flushBytes = (): void => {
    if (bytes.length === 0) return;
    // Escaped bytes >= 0x80 form UTF-8 sequences; ASCII ones map straight to characters.
    out += highBytes ? Buffer.from(bytes).toString('utf8') : String.fromCharCode(...bytes);
    bytes = [];
    highBytes = false;
  };
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '|' && isHex(raw.charCodeAt(i + 1)) && isHex(raw.charCodeAt(i + 2))) {
      const b = parseInt(raw.slice(i + 1, i + 3), 16);
      if (b >= 0x80) highBytes = true;
      bytes.push(b);
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

const NO_INVALID: number[] = [];

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
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
  const lastByKey = new Map<string, VmxEntry>();
  const duplicates = new Map<string, VmxEntry[]>();
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
    const previous = lastByKey.get(entry.keyLower);
    if (previous) {
      const list = duplicates.get(entry.keyLower);
      if (list) list.push(entry);
      else duplicates.set(entry.keyLower, [previous, entry]);
    }
    lastByKey.set(entry.keyLower, entry);
  }
  return { lines, entries, problems, comments, lastByKey, duplicates, hasBom };
}

const SPACE = 0x20;
const TAB = 0x09;
const HASH = 0x23;
const EQ = 0x3d;
const QUOTE = 0x22;

function parseLine(s: string, n: number, from: number, problems: VmxProblem[], comments: Range[]): VmxEntry | undefined {
  const len = s.length;
  const weird = (kind: VmxProblemKind, start: number, end: number, message: string): undefined => {
    problems.push({ kind, line: n, range: rng(n, start, Math.max(end, start + 1 <= len ? start + 1 : start)), message, lineIgnored: true });
    return undefined;
  };
  let i = from;
  let c = s.charCodeAt(i);
  while (c === SPACE || c === TAB) c = s.charCodeAt(++i);
  if (i >= len) return undefined;
  if (c === HASH) {
    comments.push(rng(n, i, len));
    return undefined;
  }
  const lineStart = i;
  let end = len;
  while (end > i && (s.charCodeAt(end - 1) === SPACE || s.charCodeAt(end - 1) === TAB)) end--;
  if (c === EQ) {
    return weird('missing-name', i, end, 'This line has no key before "=". VMware ignores it. Write it as key = "value".');
  }
  const nameStart = i;
  while (i < len && c !== SPACE && c !== TAB && c !== EQ && c !== HASH) c = s.charCodeAt(++i);
  const key = s.slice(nameStart, i);
  while (c === SPACE || c === TAB) c = s.charCodeAt(++i);
  if (c !== EQ) {
    const what = i >= len || c === HASH ? `"${key}" has no "= value"` : `"${key}" is followed by text instead of "="`;
    return weird('missing-equals', lineStart, end, `${what}. VMware ignores this line. Write it as ${key} = "value" (keys contain no spaces).`);
  }
  c = s.charCodeAt(++i);
  while (c === SPACE || c === TAB) c = s.charCodeAt(++i);
  let rawValue = '';
  let valueStart = i;
  let quoted = false;
  if (i < len && c !== HASH) {
    if (c === QUOTE) {
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
      while (i < len && c !== SPACE && c !== TAB && c !== QUOTE && c !== HASH) c = s.charCodeAt(++i);
      rawValue = s.slice(valueStart, i);
      if (c === QUOTE) {
        return weird('quote-in-value', valueStart, end, `The unquoted value of "${key}" contains a quote. VMware ignores this line. Quote the whole value and write an inner quote as |22.`);
      }
    }
  }
  const valueEnd = valueStart + rawValue.length;
  c = s.charCodeAt(i);
  while (c === SPACE || c === TAB) c = s.charCodeAt(++i);
  if (i < len && c !== HASH) {
    const message = quoted
      ? `Text after the closing quote of "${key}". VMware ignores the whole line. Remove it, or make it a comment with "#"; an inner quote is written |22.`
      : `The unquoted value of "${key}" contains a space. VMware ignores the whole line. Put the value in quotes: ${key} = "${s.slice(valueStart, end)}".`;
    return weird('text-after-value', quoted ? i : valueStart, end, message);
  }
  if (i < len) comments.push(rng(n, i, len));
  // Most values have no escape at all: skip the decoder (and its result object) for them.
  const decoded = rawValue.includes('|') ? decodeVmxEscapes(rawValue) : { value: rawValue, invalidAt: NO_INVALID };
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
  const keyLower = key.toLowerCase();
  // One match on the lower-case key gives both the table template and the device parts.
  const m = INDEXED_TEMPLATE.exec(keyLower);
  const template = m ? `${m[1]}n${m[3] !== undefined ? ':m' : ''}.${keyLower.slice(m[0].length)}` : keyLower;
  const parts = m && m[0].length < keyLower.length ? deviceParts(key, m[1], m[2], m[3], m[0].length) : undefined;
  return new VmxEntry(n, key, keyLower, template, parts, rawValue, decoded.value, quoted, nameStart, valueStart, len);
}

const INDEXED_TEMPLATE = /^([a-z_]+)(\d+)(?::(\d+))?\./;

/** Lower-case template of a key: `Ethernet0.VirtualDev` → `ethernetn.virtualdev`,
 *  `pciBridge1:0.pxm` → `pcibridgen:m.pxm` (the rule the generator applied to the corpus keys). */
export function templateOf(key: string): string {
  const lower = key.toLowerCase();
  const m = INDEXED_TEMPLATE.exec(lower);
  if (!m) return lower;
  return `${m[1]}n${m[3] !== undefined ? ':m' : ''}.${lower.slice(m[0].length)}`;
}

/** The last occurrence of a key (VMware-compatible tools keep the last duplicate). */
export function lastEntry(doc: VmxDocument, key: string): VmxEntry | undefined {
  return doc.lastByKey.get(key.toLowerCase());
}

/** Every occurrence of a key, in file order. */
export function entriesOf(doc: VmxDocument, key: string): readonly VmxEntry[] {
  const lower = key.toLowerCase();
  const dups = doc.duplicates.get(lower);
  if (dups) return dups;
  const one = doc.lastByKey.get(lower);
  return one ? [one] : [];
}

export function valueOf(doc: VmxDocument, key: string): string | undefined {
  return lastEntry(doc, key)?.value;
}

/** VMware booleans: TRUE/FALSE in any case. */
export function isTrue(v: string | undefined): boolean {
  return v !== undefined && v.trim().toLowerCase() === 'true';
}
