/**
 * boot.ini as NTLDR reads it (not as INI folklore): a section starts at a line whose first
 * character is `[` and the header must be the whole line; `[flexboot]`/`[multiboot]` are aliases of
 * `[boot loader]`; in `[operating systems]` every non-empty line is a menu entry (no comment
 * syntax); an entry's path ends at the first blank or `=`, the description at the next `"`, and
 * switches follow, each starting with `/`, `=` or `:` before the value. Every element keeps its
 * position so rules, hovers and fixes can point at it. All ranges lie on one line.
 */
import type { Position, Range } from 'vscode-languageserver-types';
import { findSwitch } from './switchTable';

export type SectionKind = 'bootLoader' | 'operatingSystems' | 'debug' | 'unknown';

/** Section names NTLDR searches for (matched case-insensitively). */
export const SECTION_NAMES: ReadonlyArray<{ name: string; kind: SectionKind; alias?: boolean }> = [
  { name: 'boot loader', kind: 'bootLoader' },
  { name: 'operating systems', kind: 'operatingSystems' },
  { name: 'flexboot', kind: 'bootLoader', alias: true },
  { name: 'multiboot', kind: 'bootLoader', alias: true },
  { name: 'debug', kind: 'debug' },
];

export interface SectionHeader {
  line: number;
  /** The text between the brackets, as written. */
  name: string;
  kind: SectionKind;
  /** NTLDR accepts it: `[name]` with nothing but blanks after it. */
  wholeLine: boolean;
  closed: boolean;
  range: Range; // the `[...]` part
  nameRange: Range;
  /** Text after `]` on the same line (the header is then not recognised). */
  trailing?: { text: string; range: Range };
}

export interface KeyLine {
  line: number;
  key: string; // as written, trimmed
  keyRange: Range;
  hasEquals: boolean;
  value: string; // trimmed
  valueRange: Range;
  lineRange: Range;
  section: SectionKind | 'none';
}

export interface Switch {
  /** Name without the slash, as written. */
  name: string;
  upper: string;
  /** The switch-table name (aliases resolved), or `upper` for an unknown switch. */
  canonical: string;
  separator?: '=' | ':';
  value?: string;
  readonly range: Range; // the whole `/name=value`
  readonly nameRange: Range; // `/name`
  readonly valueRange?: Range;
}

export type QuoteState = 'closed' | 'unterminated' | 'none';

export interface OsEntry {
  line: number;
  readonly lineRange: Range;
  /** Where the entry text starts (after leading blanks, or after the header on a joined line). */
  start: number;
  path: string;
  readonly pathRange: Range;
  /** The path contains a blank before `=` (NTLDR ends the path at the blank). */
  pathHasBlank: boolean;
  hasEquals: boolean;
  description: string;
  readonly descriptionRange: Range;
  quote: QuoteState;
  /** Index in the line where the description's quoted text ends (after the closing quote). */
  descriptionEnd: number;
  switches: Switch[];
  /** Non-switch text after the description (NTLDR ignores it or matches substrings in it). */
  stray: Array<{ text: string; range: Range }>;
  /** The line follows a line whose description quote was never closed. */
  continuation: boolean;
  /** The line starts with `/`: switches that were wrapped onto a line of their own. */
  switchesOnly: boolean;
  /** The line starts with `;` (a comment for INI tools, a menu item for NTLDR). */
  comment: boolean;
  /** The entry shares its line with a section header. */
  afterHeader: boolean;
  section: SectionKind | 'none';
}

export interface Section {
  header?: SectionHeader;
  kind: SectionKind | 'none';
  startLine: number;
  /** Last line that belongs to the section (inclusive). */
  endLine: number;
}

export interface OtherLine {
  line: number;
  text: string;
  range: Range;
  section: SectionKind | 'none';
  comment: boolean;
}

export interface BootIniDocument {
  lines: string[];
  bom: boolean;
  headers: SectionHeader[];
  sections: Section[];
  keys: KeyLine[];
  entries: OsEntry[];
  /** Lines in [boot loader] that are not key=value, lines in [debug]/unknown sections. */
  others: OtherLine[];
}

export function splitLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

function range(line: number, start: number, end: number): Range {
  return { start: { line, character: start }, end: { line, character: end } };
}

/**
 * Entries and switches keep their columns as numbers and build LSP ranges on access: a parse
 * holds a dozen ranges per entry, and allocating them all up front made big files GC-bound.
 */
class SwitchToken implements Switch {
  separator?: '=' | ':';
  value?: string;
  constructor(
    readonly name: string,
    readonly upper: string,
    readonly canonical: string,
    private readonly ln: number,
    private readonly startCol: number,
    private readonly nameEndCol: number,
    private readonly endCol: number,
  ) {}
  get range(): Range {
    return range(this.ln, this.startCol, this.endCol);
  }
  get nameRange(): Range {
    return range(this.ln, this.startCol, this.nameEndCol);
  }
  get valueRange(): Range | undefined {
    return this.separator === undefined ? undefined : range(this.ln, this.nameEndCol + 1, this.endCol);
  }
}

class EntryLine implements OsEntry {
  path = '';
  pathStart: number;
  pathEnd: number;
  pathHasBlank = false;
  hasEquals = false;
  description = '';
  descriptionStart: number;
  descriptionStop: number;
  quote: QuoteState = 'none';
  descriptionEnd: number;
  switches: Switch[] = [];
  stray: Array<{ text: string; range: Range }> = [];
  switchesOnly: boolean;
  comment: boolean;
  afterHeader = false;
  constructor(
    readonly line: number,
    readonly start: number,
    private readonly lineEnd: number,
    readonly section: SectionKind | 'none',
    readonly continuation: boolean,
    firstChar: string,
  ) {
    this.pathStart = this.pathEnd = this.descriptionStart = this.descriptionStop = start;
    this.descriptionEnd = lineEnd;
    this.switchesOnly = firstChar === '/';
    this.comment = firstChar === ';';
  }
  get lineRange(): Range {
    return range(this.line, this.start, this.lineEnd);
  }
  get pathRange(): Range {
    return range(this.line, this.pathStart, this.pathEnd);
  }
  get descriptionRange(): Range {
    return range(this.line, this.descriptionStart, this.descriptionStop);
  }
  setDescription(start: number, stop: number): void {
    this.descriptionStart = start;
    this.descriptionStop = stop;
  }
}

/** A fresh copy of a range, so results never share objects with the (cached) parse. */
export function plainRange(r: Range): Range {
  return { start: { line: r.start.line, character: r.start.character }, end: { line: r.end.line, character: r.end.character } };
}

function sectionKind(name: string): SectionKind {
  const lower = name.toLowerCase();
  return SECTION_NAMES.find((s) => s.name === lower)?.kind ?? 'unknown';
}

const ENTRY_START = /^(?:(?:[A-Za-z]+\([^()]*\))+[^\s=]*|[A-Za-z]:\\[^\s=]*)\s*=/;
const KEY_LIKE = /^(timeout|default|redirect|redirectbaudrate)\s*=/i;

export function parseBootIni(text: string): BootIniDocument {
  const lines = splitLines(text);
  const doc: BootIniDocument = { lines, bom: false, headers: [], sections: [], keys: [], entries: [], others: [] };
  let current: Section = { kind: 'none', startLine: 0, endLine: -1 };
  let previousUnterminated = false;
  let noneHasContent = false;

  for (let ln = 0; ln < lines.length; ln++) {
    const raw = lines[ln];
    let first = 0;
    if (ln === 0 && raw.charCodeAt(0) === 0xfeff) {
      doc.bom = true;
      first = 1;
    }
    while (first < raw.length && (raw[first] === ' ' || raw[first] === '\t')) first++;
    if (first >= raw.length) {
      previousUnterminated = false;
      continue;
    }

    if (raw[first] === '[') {
      const header = parseHeader(raw, ln, first);
      doc.headers.push(header);
      current.endLine = ln - 1;
      if (current.header || noneHasContent) doc.sections.push(current);
      current = { header, kind: header.kind, startLine: ln, endLine: ln };
      const wasContinuation = previousUnterminated;
      previousUnterminated = false;
      if (header.trailing && header.kind === 'operatingSystems') {
        const e = parseEntry(raw, ln, header.trailing.range.start.character, 'operatingSystems', false);
        e.afterHeader = true;
        doc.entries.push(e);
        previousUnterminated = e.quote === 'unterminated';
      } else if (wasContinuation) {
        // A wrapped description that happens to start with `[` (e.g. "[VGA mode]"): NTLDR ends
        // the section here; record it so the rules can explain both effects.
        const e = parseEntry(raw, ln, first, current.kind, true);
        doc.entries.push(e);
      }
      current.endLine = ln;
      continue;
    }

    current.endLine = ln;
    if (!current.header) noneHasContent = true;
    const kind = current.kind;
    if (kind === 'bootLoader' || (kind === 'none' && KEY_LIKE.test(raw.slice(first)))) {
      if (raw[first] === ';' || !raw.includes('=', first)) {
        doc.others.push({ line: ln, text: raw.slice(first), range: range(ln, first, raw.length), section: kind, comment: raw[first] === ';' });
      } else {
        doc.keys.push(parseKey(raw, ln, first, kind));
      }
      previousUnterminated = false;
    } else if (kind === 'operatingSystems' || kind === 'none') {
      // After a description whose quote never closed, a line that does not start a new entry is
      // the rest of a line wrapped by copy-paste (for NTLDR it is still a menu item of its own).
      const continuation = previousUnterminated && !ENTRY_START.test(raw.slice(first));
      const e = parseEntry(raw, ln, first, kind, continuation);
      doc.entries.push(e);
      previousUnterminated = e.quote === 'unterminated';
    } else {
      doc.others.push({ line: ln, text: raw.slice(first), range: range(ln, first, raw.length), section: kind, comment: raw[first] === ';' });
      previousUnterminated = false;
    }
  }
  if (current.header || noneHasContent) doc.sections.push(current);
  return doc;
}

function parseHeader(raw: string, ln: number, first: number): SectionHeader {
  const close = raw.indexOf(']', first);
  const closed = close >= 0;
  const name = raw.slice(first + 1, closed ? close : raw.length);
  const after = closed ? close + 1 : raw.length;
  let t = after;
  while (t < raw.length && (raw[t] === ' ' || raw[t] === '\t')) t++;
  const header: SectionHeader = {
    line: ln,
    name,
    kind: closed ? sectionKind(name) : 'unknown',
    wholeLine: closed && t >= raw.length,
    closed,
    range: range(ln, first, after),
    nameRange: range(ln, first + 1, first + 1 + name.length),
  };
  if (t < raw.length) header.trailing = { text: raw.slice(t), range: range(ln, t, raw.length) };
  return header;
}

function parseKey(raw: string, ln: number, first: number, section: SectionKind | 'none'): KeyLine {
  const eq = raw.indexOf('=', first);
  let keyEnd = eq;
  while (keyEnd > first && (raw[keyEnd - 1] === ' ' || raw[keyEnd - 1] === '\t')) keyEnd--;
  let vStart = eq + 1;
  while (vStart < raw.length && (raw[vStart] === ' ' || raw[vStart] === '\t')) vStart++;
  let vEnd = raw.length;
  while (vEnd > vStart && (raw[vEnd - 1] === ' ' || raw[vEnd - 1] === '\t')) vEnd--;
  return {
    line: ln,
    key: raw.slice(first, keyEnd),
    keyRange: range(ln, first, keyEnd),
    hasEquals: true,
    value: raw.slice(vStart, vEnd),
    valueRange: range(ln, vStart, vEnd),
    lineRange: range(ln, first, raw.length),
    section,
  };
}

function parseEntry(raw: string, ln: number, first: number, section: SectionKind | 'none', continuation: boolean): EntryLine {
  const e = new EntryLine(ln, first, raw.length, section, continuation, raw[first]);
  if (continuation) {
    // The rest of a description wrapped from the line above: it ends at the first quote.
    const q = raw.indexOf('"', first);
    if (q >= 0) {
      e.description = raw.slice(first, q);
      e.setDescription(first, q);
      e.quote = 'closed';
      e.descriptionEnd = q + 1;
      parseSwitches(raw, ln, q + 1, e);
    } else {
      e.description = raw.slice(first).trimEnd();
      e.setDescription(first, first + e.description.length);
      e.quote = 'unterminated';
    }
    return e;
  }
  if (e.switchesOnly) {
    parseSwitches(raw, ln, first, e);
    return e;
  }

  // Path: up to the first blank or `=`; when a blank comes first, keep reading to `=` so the
  // rules can say what NTLDR does with a blank in a path.
  let p = first;
  while (p < raw.length && raw[p] !== ' ' && raw[p] !== '\t' && raw[p] !== '=') p++;
  let pathEnd = p;
  const eq = raw.indexOf('=', p);
  if (p < raw.length && raw[p] !== '=') {
    const beforeEq = eq >= 0 ? raw.slice(p, eq) : '';
    if (eq >= 0 && beforeEq.trim() !== '' && !beforeEq.includes('"')) {
      e.pathHasBlank = true;
      pathEnd = eq;
      while (pathEnd > p && (raw[pathEnd - 1] === ' ' || raw[pathEnd - 1] === '\t')) pathEnd--;
    }
  }
  e.path = raw.slice(first, pathEnd);
  e.pathStart = first;
  e.pathEnd = pathEnd;
  let d = pathEnd;
  while (d < raw.length && (raw[d] === ' ' || raw[d] === '\t')) d++;
  if (raw[d] !== '=') {
    e.descriptionEnd = raw.length;
    e.setDescription(pathEnd, pathEnd);
    // No `=`: NTLDR still makes a menu item of it; whatever follows is its description.
    if (d < raw.length) {
      e.description = raw.slice(d).trimEnd();
      e.setDescription(d, d + e.description.length);
    }
    return e;
  }
  e.hasEquals = true;
  d++;
  while (d < raw.length && (raw[d] === ' ' || raw[d] === '\t')) d++;
  if (raw[d] === '"') {
    const close = raw.indexOf('"', d + 1);
    if (close >= 0) {
      e.quote = 'closed';
      e.description = raw.slice(d + 1, close);
      e.setDescription(d, close + 1);
      e.descriptionEnd = close + 1;
      parseSwitches(raw, ln, close + 1, e);
    } else {
      e.quote = 'unterminated';
      const text = raw.slice(d + 1).trimEnd();
      e.description = text;
      e.setDescription(d, d + 1 + text.length);
      e.descriptionEnd = raw.length;
    }
  } else {
    // Unquoted: NTLDR takes the description up to the next quote or the end of the line.
    const q = raw.indexOf('"', d);
    const end = q >= 0 ? q : raw.length;
    const text = raw.slice(d, end).trimEnd();
    e.description = text;
    e.setDescription(d, d + text.length);
    e.descriptionEnd = q >= 0 ? q + 1 : raw.length;
    if (q >= 0) parseSwitches(raw, ln, q + 1, e);
  }
  return e;
}

function parseSwitches(raw: string, ln: number, from: number, e: EntryLine): void {
  let i = from;
  while (i < raw.length) {
    const c = raw[i];
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '/') {
      let j = i + 1;
      while (j < raw.length && raw[j] !== ' ' && raw[j] !== '\t' && raw[j] !== '/') j++;
      const token = raw.slice(i + 1, j);
      const sepAt = token.search(/[=:]/);
      const upper = (sepAt >= 0 ? token.slice(0, sepAt) : token).toUpperCase();
      const sw = new SwitchToken(sepAt >= 0 ? token.slice(0, sepAt) : token, upper, findSwitch(upper)?.name ?? upper, ln, i, i + 1 + (sepAt >= 0 ? sepAt : token.length), j);
      if (sepAt >= 0) {
        sw.separator = token[sepAt] as '=' | ':';
        sw.value = token.slice(sepAt + 1);
      }
      e.switches.push(sw);
      i = j;
    } else {
      let j = i;
      while (j < raw.length && raw[j] !== ' ' && raw[j] !== '\t' && raw[j] !== '/') j++;
      e.stray.push({ text: raw.slice(i, j), range: range(ln, i, j) });
      i = j;
    }
  }
}

/** True when the text looks like an NTLDR boot.ini (many files named boot.ini are U-Boot scripts). */
export function looksLikeNtBootIni(text: string): boolean {
  return (
    /^[\s\uFEFF]*\[\s*(boot loader|operating systems?|flexboot|multiboot)\s*\]/im.test(text) ||
    /\b(multi|scsi|signature|ramdisk)\([0-9A-Fa-f]*\)/i.test(text) ||
    /^\s*[A-Za-z]:\\[^=\r\n]*=\s*"/m.test(text)
  );
}

export function positionIn(r: Range, p: Position): boolean {
  return p.line === r.start.line && p.character >= r.start.character && p.character <= r.end.character;
}

/** Entries that are real menu items (not the tail of a wrapped line). */
export function menuEntries(doc: BootIniDocument): OsEntry[] {
  return doc.entries.filter((e) => !e.continuation);
}

export function bootLoaderKeys(doc: BootIniDocument): KeyLine[] {
  return doc.keys.filter((k) => k.section === 'bootLoader');
}

/** [boot loader] keys NTLDR reads, longest first: it compares by prefix (strnicmp). */
const NTLDR_KEYS = ['redirectbaudrate', 'timeout', 'default', 'redirect'];

/** The key NTLDR takes this line for (`Timeoutx` reads as `timeout`), or undefined. */
export function ntldrKeyName(key: string): string | undefined {
  const lower = key.toLowerCase();
  return NTLDR_KEYS.find((n) => lower.startsWith(n));
}

export function findKey(doc: BootIniDocument, name: string): KeyLine | undefined {
  return bootLoaderKeys(doc).find((k) => k.key.toLowerCase() === name) ?? bootLoaderKeys(doc).find((k) => ntldrKeyName(k.key) === name);
}
