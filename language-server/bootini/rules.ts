/**
 * boot.ini rules: each one reads the parsed document and reports diagnostics with a stable code,
 * a severity that reflects what really happens at boot, and a message that says why and what to do.
 */
import type { Diagnostic, Range } from 'vscode-languageserver-types';
import type { BootDbgSettings } from '../languageFeatures';
import { parseArcPath } from './arcPath';
import { canonicalName, debuggerState, hasSwitch, ntldrShowsDebuggerEnabled, switchValue } from './debugSwitches';
import { closest, deleteLine, diag, insertLineAfter, DiagnosticSeverity, editDistance, lineRange, type BootIniCode, type QuickFix } from './diagnostic';
import { bootLoaderKeys, findKey, menuEntries, ntldrKeyName, SECTION_NAMES, type BootIniDocument, type KeyLine, type OsEntry, type Switch } from './parser';
import { findSwitchUpper, SWITCHES, type Requirement, type SwitchInfo } from './switchTable';

export interface RuleContext {
  doc: BootIniDocument;
  settings: BootDbgSettings;
  /** Line break used by inserted text (boot.ini is normally CRLF). */
  eol: string;
}

export interface Rule {
  id: string;
  codes: readonly BootIniCode[];
  check(c: RuleContext): Diagnostic[];
}

const { Error, Warning, Information } = DiagnosticSeverity;

/** The path part of an [operating systems] line (ARC device or C:\...). */
const ENTRY_LIKE = /^(?:[A-Za-z]+\([^()]*\))+|^[A-Za-z]:\\/;
/** What NTLDR appends to the title of an entry with the debugger on. */
const DEBUGGER_TAG = ' [debugger enabled]';
/** NTLDR shows only this many entries in the menu. */
export const MAX_MENU_ENTRIES = 10;
/** Menu titles longer than this are cut, and the "[debugger enabled]" tag is dropped when title + tag exceed it. */
export const MAX_TITLE_CHARS = 70;

/** [boot loader] keys and their value domains. */
export const BOOT_LOADER_KEYS: ReadonlyArray<{ name: string; doc: string; values?: readonly string[] }> = [
  { name: 'timeout', doc: 'Seconds the menu waits before booting the default entry: 0 boots it at once (menu hidden; hold an arrow key to see it), -1 waits forever. Control Panel accepts 0–999.' },
  { name: 'default', doc: 'The path of the entry booted when the timeout runs out; must equal (case-insensitively) the path part of one [operating systems] line, or NTLDR adds a phantom "(default)" entry.' },
  { name: 'redirect', doc: 'EMS console redirection port (Server 2003): COM1–COM4, or USEBIOSSETTINGS (needs an ACPI SPCR table). Entries also need /redirect.', values: ['COM1', 'COM2', 'COM3', 'COM4', 'USEBIOSSETTINGS'] },
  { name: 'redirectbaudrate', doc: 'EMS redirection speed: 9600 (default), 19200, 57600 or 115200 — 38400 is not valid.', values: ['9600', '19200', '57600', '115200'] },
];

// ---------------------------------------------------------------- sections and structure

const missingSection: Rule = {
  id: 'missing-section',
  codes: ['bootini/missing-section'],
  check({ doc, eol }) {
    const out: Diagnostic[] = [];
    const valid = doc.headers.filter((h) => h.wholeLine);
    const hasOs = valid.some((h) => h.kind === 'operatingSystems');
    const hasLoader = valid.some((h) => h.kind === 'bootLoader');
    const broken = doc.headers.find((h) => h.kind === 'operatingSystems' && !h.wholeLine);
    if (!hasOs) {
      // Entries with no header above them, or misplaced under [boot loader] (parsed as keys there).
      const orphan = doc.entries.find((e) => e.section === 'none') ?? bootLoaderKeys(doc).find((k) => ENTRY_LIKE.test(k.key));
      const at: Range = broken ? broken.range : orphan ? orphan.lineRange : lineRange(0, 0, doc.lines[0]?.length ?? 0);
      const fixes: QuickFix[] = [];
      if (broken?.trailing) {
        fixes.push({ title: 'Put the entry on its own line after [operating systems]', edits: [{ range: lineRange(broken.line, broken.range.end.character, broken.trailing.range.start.character), newText: eol }], preferred: true });
      } else if (orphan) {
        fixes.push({ title: 'Insert the [operating systems] header', edits: [{ range: lineRange(orphan.line, 0, 0), newText: '[operating systems]' + eol }], preferred: true });
      } else {
        const last = doc.lines.length - 1;
        const lastText = doc.lines[last] ?? '';
        fixes.push({ title: 'Append an [operating systems] section', edits: [{ range: lineRange(last, lastText.length, lastText.length), newText: (lastText ? eol : '') + '[operating systems]' + eol + 'multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS="Microsoft Windows XP Professional" /fastdetect' + eol }] });
      }
      const why = broken
        ? 'NTLDR only recognises a section header that is the whole line; here it is followed by other text, so there is no [operating systems] section.'
        : 'There is no [operating systems] section.';
      out.push(diag('bootini/missing-section', Error, at, `${why} NTLDR then reports "Invalid BOOT.INI file" and tries to boot C:\\WINDOWS (or C:\\WINNT) on the first partition. Add an [operating systems] line above the entries.`, fixes));
    }
    if (!hasLoader && (hasOs || doc.entries.length > 0)) {
      const first = doc.entries[0]?.lineRange ?? lineRange(0, 0, 0);
      const firstPath = menuEntries(doc).find((e) => e.hasEquals && !e.switchesOnly && !e.comment)?.path ?? 'multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS';
      const osHeader = valid.find((h) => h.kind === 'operatingSystems');
      const insertAt = osHeader ? osHeader.line : first.start.line;
      out.push(
        diag(
          'bootini/missing-section',
          Warning,
          osHeader ? osHeader.range : first,
          'There is no [boot loader] section, so NTLDR has no timeout= and no default=: with more than one entry the menu waits until someone presses Enter, and the pre-selected entry is not under your control. Add [boot loader] with timeout= and default=.',
          [{ title: 'Insert a [boot loader] section', edits: [{ range: lineRange(insertAt, 0, 0), newText: `[boot loader]${eol}timeout=30${eol}default=${firstPath}${eol}` }], preferred: true }],
        ),
      );
    }
    return out;
  },
};

const unknownSection: Rule = {
  id: 'unknown-section',
  codes: ['bootini/unknown-section'],
  check({ doc }) {
    const out: Diagnostic[] = [];
    for (const h of doc.headers) {
      if (h.kind !== 'unknown' || doc.entries.some((e) => e.line === h.line && e.continuation)) continue;
      const names = SECTION_NAMES.filter((s) => s.kind !== 'debug').map((s) => s.name);
      const guess = closest(h.name, names, 3, 2);
      const fixes = guess.map((g, i) => ({ title: `Change to [${g}]`, edits: [{ range: h.nameRange, newText: g }], preferred: i === 0 }));
      const what = h.closed ? `[${h.name}] is not a section NTLDR knows` : `"${h.name}" has no closing ]`;
      out.push(
        diag(
          'bootini/unknown-section',
          Warning,
          h.range,
          `${what}; NTLDR ignores the lines under it${guess.length ? ` — did you mean [${guess[0]}]?` : '.'} The sections are [boot loader] (aliases [flexboot], [multiboot]) and [operating systems].`,
          fixes,
        ),
      );
    }
    return out;
  },
};

const duplicateSection: Rule = {
  id: 'duplicate-section',
  codes: ['bootini/duplicate-key'],
  check({ doc }) {
    const out: Diagnostic[] = [];
    const seen = new Map<string, number>();
    for (const h of doc.headers) {
      if (!h.wholeLine || h.kind === 'unknown' || h.kind === 'debug') continue;
      const before = seen.get(h.kind);
      if (before !== undefined) {
        out.push(diag('bootini/duplicate-key', Warning, h.range, `A second [${h.name}] header (the first is on line ${before + 1}): NTLDR reads the first one it finds, so the lines under this one may be ignored. Merge the two sections.`));
      } else seen.set(h.kind, h.line);
    }
    return out;
  },
};

const encoding: Rule = {
  id: 'encoding',
  codes: ['bootini/encoding'],
  check({ doc }) {
    if (!doc.bom) return [];
    return [
      diag('bootini/encoding', Warning, lineRange(0, 0, 1), 'The file starts with a Unicode byte-order mark: NTLDR compares section headers byte for byte, so it does not see the first section (typically [boot loader], losing timeout= and default=). Save the file as plain ANSI/ASCII.', [
        { title: 'Remove the byte-order mark', edits: [{ range: lineRange(0, 0, 1), newText: '' }], preferred: true },
      ]),
    ];
  },
};

// ---------------------------------------------------------------- [boot loader] keys

const keys: Rule = {
  id: 'boot-loader-keys',
  codes: ['bootini/unknown-key', 'bootini/duplicate-key', 'bootini/invalid-key-value', 'bootini/comment-syntax'],
  check({ doc }) {
    const out: Diagnostic[] = [];
    const seen = new Map<string, KeyLine>();
    const names = BOOT_LOADER_KEYS.map((k) => k.name);
    for (const k of bootLoaderKeys(doc)) {
      const lower = k.key.toLowerCase();
      const known = BOOT_LOADER_KEYS.find((x) => x.name === lower);
      if (!known) {
        if (ENTRY_LIKE.test(k.key)) {
          out.push(diag('bootini/unknown-key', Warning, k.lineRange, 'This is an operating-system entry, but it sits in [boot loader], where NTLDR only reads timeout=, default= and redirect settings: it never appears in the boot menu. Move it below [operating systems].'));
          continue;
        }
        const prefixOf = ntldrKeyName(k.key);
        if (prefixOf) {
          out.push(
            diag('bootini/unknown-key', Warning, k.keyRange, `NTLDR matches [boot loader] keys by prefix, so it reads "${k.key}" as ${prefixOf}=, but bootcfg and Control Panel look for the exact name and will not see it. Write ${prefixOf}.`, [
              { title: `Change to ${prefixOf}`, edits: [{ range: k.keyRange, newText: prefixOf }], preferred: true },
            ]),
          );
          continue;
        }
        const guess = closest(lower, names, 3, 2);
        out.push(
          diag(
            'bootini/unknown-key',
            Warning,
            k.keyRange,
            `NTLDR does not know the [boot loader] key "${k.key}" and ignores it${guess.length ? ` — did you mean "${guess[0]}"?` : '; remove the line.'} Known keys: ${names.join(', ')}.`,
            guess.map((g, i) => ({ title: `Change to ${g}`, edits: [{ range: k.keyRange, newText: g }], preferred: i === 0 })),
          ),
        );
        continue;
      }
      const first = seen.get(lower);
      if (first) {
        out.push(diag('bootini/duplicate-key', Warning, k.keyRange, `${known.name}= appears twice (first on line ${first.line + 1}): only one of them is used, so an edit to the other has no effect. Remove one.`, [{ title: `Remove this ${known.name}= line`, edits: [deleteLine(doc.lines, k.line)], preferred: true }]));
      } else seen.set(lower, k);
      if (known.values && !known.values.some((v) => v.toLowerCase() === k.value.toLowerCase())) {
        if (lower === 'redirect' && /^(0x)?[0-9a-f]{2,4}$/i.test(k.value)) continue; // NTLDR also accepts an I/O port address
        const why = lower === 'redirectbaudrate' && k.value === '38400' ? '38400 is not a valid EMS speed (bootcfg offers it, NTLDR does not use it)' : `"${k.value}" is not a valid ${known.name}`;
        out.push(
          diag(
            'bootini/invalid-key-value',
            Warning,
            k.value ? k.valueRange : k.lineRange,
            `${why}: EMS console redirection will not come up as configured. Use one of ${known.values.join(', ')}.`,
            known.values.map((v, i) => ({ title: `Change to ${v}`, edits: [{ range: k.valueRange, newText: v }], preferred: i === 0 && lower === 'redirectbaudrate' && v === '115200' })),
          ),
        );
      }
    }
    for (const o of doc.others) {
      if (o.section !== 'bootLoader') continue;
      if (o.comment) {
        out.push(diag('bootini/comment-syntax', Information, o.range, 'boot.ini has no comment syntax. NTLDR ignores this line in [boot loader] (it is not a key), but the same line in [operating systems] would become a menu item. Prefer deleting notes from boot.ini.'));
      } else {
        out.push(diag('bootini/unknown-key', Warning, o.range, 'This line is not key=value, so NTLDR ignores it. If it is a note copied from an article, delete it: boot.ini has no comment syntax.', [{ title: 'Delete the line', edits: [deleteLine(doc.lines, o.line)] }]));
      }
    }
    return out;
  },
};

const timeout: Rule = {
  id: 'timeout',
  codes: ['bootini/timeout-range'],
  check({ doc }) {
    const hasLoader = doc.headers.some((h) => h.wholeLine && h.kind === 'bootLoader');
    const t = findKey(doc, 'timeout');
    const entries = menuEntries(doc).length;
    if (!t) {
      if (!hasLoader) return [];
      const h = doc.headers.find((x) => x.wholeLine && x.kind === 'bootLoader');
      return h && entries > 1 ? [diag('bootini/timeout-range', Information, h.range, 'No timeout= line: with more than one entry NTLDR waits at the menu until a key is pressed. Add timeout=30 if the machine should boot unattended.')] : [];
    }
    if (!/^-?[0-9]+$/.test(t.value)) {
      return [
        diag('bootini/timeout-range', Warning, t.value ? t.valueRange : t.lineRange, `timeout=${t.value} is not a whole number: NTLDR reads it as 0 and boots the default entry at once without showing the menu. Write seconds, e.g. timeout=30 (-1 waits forever).`, [
          { title: 'Set timeout=30', edits: [{ range: t.valueRange, newText: '30' }], preferred: true },
        ]),
      ];
    }
    const n = Number(t.value);
    if (n < -1 || n > 999) {
      const fix = n < -1 ? '-1' : '999';
      return [
        diag('bootini/timeout-range', Warning, t.valueRange, `timeout=${n} is outside -1…999 (-1 waits forever; Control Panel and bootcfg accept 0–999), so tools rewrite or reject it. Use a value in range.`, [
          { title: `Set timeout=${fix}`, edits: [{ range: t.valueRange, newText: fix }], preferred: true },
        ]),
      ];
    }
    if (n === 0 && entries > 1) {
      return [
        diag('bootini/timeout-range', Information, t.valueRange, 'timeout=0 boots the default entry at once and hides the menu, so the other entries (e.g. a debugger-enabled one) can only be reached by holding an arrow key during start-up. Use timeout=30 to choose at boot.', [
          { title: 'Set timeout=30', edits: [{ range: t.valueRange, newText: '30' }] },
        ]),
      ];
    }
    return [];
  },
};

const defaultEntry: Rule = {
  id: 'default',
  codes: ['bootini/default-not-found', 'bootini/invalid-arc-path'],
  check({ doc, eol }) {
    const hasLoader = doc.headers.some((h) => h.wholeLine && h.kind === 'bootLoader');
    const entries = menuEntries(doc).filter((e) => e.hasEquals && !e.comment && !e.switchesOnly);
    const d = findKey(doc, 'default');
    if (!d) {
      if (!hasLoader || entries.length === 0) return [];
      const h = doc.headers.find((x) => x.wholeLine && x.kind === 'bootLoader');
      if (!h) return [];
      return [
        diag('bootini/default-not-found', Warning, h.range, `No default= line: NTLDR has no entry to pre-select and boot when the timeout runs out. Add default=${entries[0].path}.`, [
          { title: `Add default=${entries[0].path}`, edits: [insertLineAfter(doc.lines, h.line, `default=${entries[0].path}`, eol)], preferred: true },
        ]),
      ];
    }
    const out: Diagnostic[] = [];
    if (d.value) {
      const arc = parseArcPath(d.value);
      for (const p of arc.problems) {
        out.push(diag('bootini/invalid-arc-path', p.severity === 'error' ? Error : Warning, lineRange(d.line, d.valueRange.start.character + p.start, d.valueRange.start.character + p.end), `default=: ${p.message}`));
      }
    }
    if (entries.length === 0) return out;
    const target = d.value.toLowerCase();
    if (entries.some((e) => e.path.toLowerCase() === target)) return out;
    const paths = [...new Set(entries.map((e) => e.path))].sort((a, b) => editDistance(d.value, a) - editDistance(d.value, b));
    out.push(
      diag(
        'bootini/default-not-found',
        Error,
        d.value ? d.valueRange : d.lineRange,
        `default=${d.value} matches no entry in [operating systems] (NTLDR compares the whole path, ignoring only case): it adds an extra menu item "Windows (default)" that boots this path and pre-selects it — a path that may not exist ("hal.dll is missing"). Set default= to one of the entry paths.`,
        paths.slice(0, 3).map((p, i) => ({ title: `Change default= to ${p}`, edits: [{ range: d.valueRange, newText: p }], preferred: i === 0 })),
      ),
    );
    return out;
  },
};

// ---------------------------------------------------------------- [operating systems] lines

const entryLines: Rule = {
  id: 'entry-lines',
  codes: ['bootini/wrapped-line', 'bootini/unterminated-quote', 'bootini/comment-syntax', 'bootini/invalid-arc-path', 'bootini/too-many-entries', 'bootini/duplicate-key', 'bootini/title-length'],
  check({ doc, eol }) {
    const out: Diagnostic[] = [];
    const identical = new Map<string, OsEntry>();
    let menuIndex = 0;
    for (const e of doc.entries) {
      const joinFix = (what: string): QuickFix[] =>
        e.line > 0 ? [{ title: `Join with the previous line (${what})`, edits: [{ range: { start: { line: e.line - 1, character: doc.lines[e.line - 1].trimEnd().length }, end: { line: e.line, character: e.start } }, newText: ' ' }], preferred: true }] : [];
      if (e.continuation) {
        const endsSection = doc.headers.some((h) => h.line === e.line);
        out.push(
          diag(
            'bootini/wrapped-line',
            Error,
            e.lineRange,
            `This line continues the description begun on line ${e.line}: the entry was wrapped (typically when copied from a web page or KB article). NTLDR reads each line on its own, so this becomes a menu item that cannot boot${endsSection ? ', and because it starts with "[" it also ends the [operating systems] section' : ''}. Join it with the line above.`,
            joinFix('restore the wrapped entry'),
          ),
        );
        continue;
      }
      if (e.switchesOnly) {
        out.push(
          diag(
            'bootini/wrapped-line',
            Error,
            e.lineRange,
            `Switches on a line of their own: NTLDR reads "${e.switches[0] ? '/' + e.switches[0].name : e.path}" as the path of a separate menu item that cannot boot, and the entry above does not get ${e.switches.map((s) => '/' + s.name).join(' ')}. Join the line with the entry above.`,
            joinFix('apply the switches to the entry above'),
          ),
        );
        continue;
      }
      if (e.comment) {
        out.push(diag('bootini/comment-syntax', Warning, e.lineRange, 'boot.ini has no comment syntax: in [operating systems] NTLDR shows every non-empty line — this ";" line too — as a menu item, which cannot boot. Delete the line (keep notes elsewhere).', [{ title: 'Delete the line', edits: [deleteLine(doc.lines, e.line)], preferred: true }]));
        continue;
      }
      menuIndex++;
      if (e.afterHeader) {
        out.push(
          diag('bootini/wrapped-line', Error, e.lineRange, 'The [operating systems] header and the first entry are on one line (a lost line break): NTLDR only accepts a header that is the whole line. Put the entry on its own line.', [
            { title: 'Break the line after [operating systems]', edits: [{ range: lineRange(e.line, doc.lines[e.line].indexOf(']') + 1, e.start), newText: eol }], preferred: true },
          ]),
        );
      }
      if (e.quote === 'unterminated') {
        const next = doc.entries.find((x) => x.line === e.line + 1 && x.continuation);
        const swallowed = /(^|\s)\/[A-Za-z0-9]/.test(e.description);
        const fixes: QuickFix[] = [];
        if (next) {
          fixes.push({ title: 'Join with the next line', edits: [{ range: { start: { line: e.line, character: doc.lines[e.line].trimEnd().length }, end: { line: next.line, character: next.start } }, newText: ' ' }], preferred: true });
        } else {
          const m = /\s+\//.exec(e.description);
          const descStart = e.descriptionRange.start.character + 1;
          const at = m ? descStart + m.index : e.descriptionRange.end.character;
          fixes.push({ title: 'Close the quote after the title', edits: [{ range: lineRange(e.line, at, at), newText: '"' }], preferred: true });
        }
        out.push(
          diag(
            'bootini/unterminated-quote',
            swallowed ? Error : Warning,
            e.descriptionRange,
            swallowed
              ? 'The description has no closing quote: NTLDR takes the rest of the line as the menu title, so the switches in it are silently not applied. Close the quote after the title.'
              : next
                ? 'The description has no closing quote; the line below looks like its wrapped continuation. NTLDR shows the two halves as separate menu items. Join the lines.'
                : 'The description has no closing quote: NTLDR uses the rest of the line as the title, and anything added later (switches) becomes part of it. Close the quote.',
            fixes,
          ),
        );
      } else if (e.quote === 'none' && e.hasEquals && /(^|\s)\/[A-Za-z0-9]/.test(e.description)) {
        const descStart = e.descriptionRange.start.character;
        const m = /\s+\//.exec(e.description);
        const titleEnd = m ? descStart + m.index : e.descriptionRange.end.character;
        out.push(
          diag('bootini/unterminated-quote', Error, e.descriptionRange, 'The description is not in quotes: NTLDR takes everything up to the end of the line as the menu title, so the switches after it are not applied. Put the title in double quotes.', [
            {
              title: 'Quote the title',
              edits: [
                { range: lineRange(e.line, descStart, descStart), newText: '"' },
                { range: lineRange(e.line, titleEnd, titleEnd), newText: '"' },
              ],
              preferred: true,
            },
          ]),
        );
      }
      if (!e.hasEquals) {
        out.push(diag('bootini/invalid-arc-path', Error, e.lineRange, 'Every line in [operating systems] is a menu entry for NTLDR, but this one has no "=": it shows as a menu item that cannot boot. Write <ARC path>="<title>" [switches], or delete the line.', [{ title: 'Delete the line', edits: [deleteLine(doc.lines, e.line)] }]));
      } else {
        if (e.pathHasBlank) {
          const blank = e.path.search(/\s/);
          out.push(diag('bootini/invalid-arc-path', Error, e.pathRange, `The path contains a blank: NTLDR ends the path at the first blank, so it tries to boot "${e.path.slice(0, blank)}". ARC paths cannot contain blanks; rename the directory or use its 8.3 short name.`));
        }
        for (const p of parseArcPath(e.path).problems) {
          const s = e.pathRange.start.character;
          out.push(diag('bootini/invalid-arc-path', p.severity === 'error' ? Error : Warning, lineRange(e.line, s + p.start, s + p.end), p.message));
        }
      }
      if (e.quote === 'closed' && e.description.length > MAX_TITLE_CHARS) {
        out.push(diag('bootini/title-length', Information, e.descriptionRange, `The title has ${e.description.length} characters: NTLDR cuts menu titles after about ${MAX_TITLE_CHARS}, so entries that differ only at the end look the same. Shorten it.`));
      } else if (e.quote === 'closed' && ntldrShowsDebuggerEnabled(e) && e.description.length + DEBUGGER_TAG.length > MAX_TITLE_CHARS) {
        out.push(diag('bootini/title-length', Information, e.descriptionRange, `NTLDR drops the "${DEBUGGER_TAG.trim()}" tag when title and tag together exceed about ${MAX_TITLE_CHARS} characters, so this debug entry will not be marked in the menu. Shorten the title to ${MAX_TITLE_CHARS - DEBUGGER_TAG.length} characters or less.`));
      }
      if (menuIndex === MAX_MENU_ENTRIES + 1) {
        out.push(diag('bootini/too-many-entries', Warning, e.lineRange, `NTLDR shows only the first ${MAX_MENU_ENTRIES} entries of [operating systems]; this one and those after it cannot be chosen from the menu. Remove entries you no longer need.`));
      }
      if (e.quote === 'closed') {
        const key = doc.lines[e.line].slice(e.start).trimEnd().toLowerCase(); // switches are case-insensitive
        const first = identical.get(key);
        if (first) {
          out.push(diag('bootini/duplicate-key', Warning, e.lineRange, `This entry is identical to the one on line ${first.line + 1}: the menu shows the same item twice (same path, title and switches). Duplicate paths are normal in boot.ini, identical lines are not — remove one.`, [{ title: 'Remove the duplicate entry', edits: [deleteLine(doc.lines, e.line)], preferred: true }]));
        } else identical.set(key, e);
      }
    }
    return out;
  },
};

// ---------------------------------------------------------------- switches

/** Why each requirement matters and what to do; severity by what actually breaks. */
const REQUIREMENT_EXPLANATIONS: Record<string, { severity: DiagnosticSeverity; message: string }> = {
  BREAK: { severity: Error, message: '/break makes the HAL stop at a breakpoint during initialisation, but this entry does not enable the kernel debugger (no /debug, /debugport or /baudrate, or /nodebug/crashdebug turns it off): the system bug-checks 0x78 (PHASE0_EXCEPTION) at every boot. Add /debug /debugport=com1 /baudrate=115200, or remove /break.' },
  BAUDRATE: { severity: Warning, message: '/baudrate turns the debugger on, but without /debugport it listens on the default port — COM2 if the machine has one, otherwise COM1 — which may not be the port your debugger is attached to. Add /debugport=com1 (or the port you use).' },
  USERVA: { severity: Warning, message: '/userva only takes effect together with /3GB; without it the value is ignored and user mode keeps 2 GB. Add /3GB or remove /userva.' },
  CHANNEL: { severity: Warning, message: '/channel selects the IEEE 1394 debug channel and is ignored unless /debugport=1394: the debugger uses another transport. Add /debugport=1394 or remove /channel.' },
  NOLOWMEM: { severity: Warning, message: '/nolowmem only works with the PAE kernel; without /pae it is ignored. Add /pae or remove /nolowmem.' },
  BOOTLOGO: { severity: Warning, message: '/bootlogo only shows boot.bmp when the standard progress screen is off; without /noguiboot it is ignored. Add /noguiboot.' },
  REDIRECT: { severity: Warning, message: '/redirect enables EMS console redirection, but [boot loader] has no redirect= line naming the port: on BIOS machines nothing is redirected. Add redirect=COM1 (or USEBIOSSETTINGS) to [boot loader].' },
  TARGETNAME: { severity: Warning, message: '/targetname names a USB 2.0 debug target, which needs /debugport=usb — and USB kernel debugging needs a Vista or later target, which boot.ini systems are not. Use /debugport=com1 or 1394.' },
};

function requirementMet(r: Requirement, e: OsEntry, doc: BootIniDocument): boolean {
  if ('switch' in r) return hasSwitch(e, r.switch, r.value);
  if ('debuggerEnabled' in r) return debuggerState(e) === 'on';
  if ('bootLoaderKey' in r) return findKey(doc, r.bootLoaderKey) !== undefined;
  return /^ramdisk\(/i.test(e.path);
}

function describeRequirement(r: Requirement): string {
  if ('switch' in r) return `/${r.switch.toLowerCase()}${r.value ? '=' + r.value.toLowerCase() : ''}`;
  if ('debuggerEnabled' in r) return 'the kernel debugger enabled';
  if ('bootLoaderKey' in r) return `${r.bootLoaderKey}= in [boot loader]`;
  return 'a ramdisk(0)\\<dir> entry path';
}

const CONFLICT_EXPLANATIONS: Record<string, string> = {
  'DEBUG|NODEBUG': '/nodebug overrides /debug: the kernel debugger is off for this entry, and a hard-coded breakpoint in a driver then bug-checks. Remove /nodebug to debug, or the debug switches to run without it.',
  'DEBUG|CRASHDEBUG': 'With /crashdebug present /debug is ignored: the debugger stays passive until a bug check, so you cannot break in during boot. Keep one of the two.',
  'PAE|NOPAE': '/pae and /nopae contradict each other (with hardware DEP enabled PAE is forced on anyway). Keep the one you mean.',
  'EXECUTE|NOEXECUTE': '/execute (DEP off) and /noexecute= (DEP policy) contradict each other. Keep one.',
  'RDEXPORTASCD|RDEXPORTASHD': 'The RAM disk is exposed either as a CD (/rdexportascd) or as a hard disk (/rdexportashd), not both. Keep one.',
};

function conflictMessage(a: string, b: string): string {
  return CONFLICT_EXPLANATIONS[`${a}|${b}`] ?? CONFLICT_EXPLANATIONS[`${b}|${a}`] ?? `/${a.toLowerCase()} and /${b.toLowerCase()} contradict each other. Keep one.`;
}

function valueProblem(info: SwitchInfo, sw: Switch): { message: string; fixes: string[] } | undefined {
  const v = info.value;
  const shown = `/${sw.name}${sw.separator ?? ''}${sw.value ?? ''}`;
  if (sw.value !== undefined && info.separatorStrict && sw.separator !== info.separator) {
    return { message: `${shown}: the value must follow a "${info.separator}" (${info.syntax}); the kernel searches for "/${info.name}${info.separator}", so with "${sw.separator}" the switch has no effect.`, fixes: [`/${sw.name}${info.separator}${sw.value}`] };
  }
  if (v.kind === 'flag') {
    if (sw.value !== undefined) return { message: `/${info.name.toLowerCase()} takes no value; NTLDR matches the switch name and ignores "${sw.separator}${sw.value}". Remove the value.`, fixes: [`/${sw.name}`] };
    return undefined;
  }
  if (sw.value === undefined || sw.value === '') {
    if ((v.kind === 'enum' || v.kind === 'string') && v.optional) return undefined;
    const choices = v.kind === 'enum' ? v.values : [];
    return { message: `/${info.name.toLowerCase()} needs a value (${info.syntax}); without one it is ignored.`, fixes: choices.slice(0, 5).map((c) => `/${sw.name}${info.separator}${c.toLowerCase()}`) };
  }
  const value = sw.value;
  if (v.kind === 'enum') {
    const parts = v.list ? value.split(',') : [value];
    const bad = parts.filter((p) => !v.values.some((x) => x.toUpperCase() === p.toUpperCase()));
    if (bad.length === 0) {
      if (info.name === 'DEBUGPORT' && value.toUpperCase() === 'USB') {
        return { message: '/debugport=usb needs a Windows Vista or later target; the systems boot.ini starts (NT–Server 2003) cannot debug over USB. Use com1–com4 or 1394.', fixes: ['/debugport=com1', '/debugport=1394'] };
      }
      return undefined;
    }
    const ranked = [...v.values].sort((a, b) => editDistance(bad[0], a) - editDistance(bad[0], b));
    const com = /^COM([0-9]+)$/i.exec(value);
    const extra = info.name === 'DEBUGPORT' && com ? ` COM${com[1]} works only if the BIOS/NTDETECT sees that port; bootcfg accepts COM1–COM4.` : '';
    return {
      message: `${shown}: "${bad[0]}" is not a valid value, so ${info.name === 'BAUDRATE' || info.name === 'DEBUGPORT' ? 'the debugger cannot connect as intended' : 'the setting does not take effect'}.${extra} Valid: ${v.values.join(', ')}.`,
      fixes: ranked.slice(0, 5).map((c) => `/${sw.name}${sw.separator ?? info.separator}${c.toLowerCase()}`),
    };
  }
  if (v.kind === 'integer') {
    if (!/^[0-9]+$/.test(value)) return { message: `${shown}: the value must be a whole number${v.unit ? ` of ${v.unit}` : ''}, so NTLDR cannot use it. Write it as ${info.syntax}.`, fixes: [] };
    const n = Number(value);
    if ((v.min !== undefined && n < v.min) || (v.max !== undefined && n > v.max)) {
      const clamp = v.min !== undefined && n < v.min ? v.min : (v.max as number);
      const rec = v.recommended ? ` (recommended ${v.recommended.join('–')})` : '';
      const consequence = info.invalidValueBreaksBoot ? 'Windows does not have enough memory to boot. Raise the value' : 'the value is out of range and ignored or clamped. Use a value in range';
      return {
        message: `${shown}: ${v.min !== undefined && v.max !== undefined ? `must be ${v.min}–${v.max}` : v.min !== undefined ? `must be at least ${v.min}` : `must be at most ${v.max}`}${v.unit ? ' ' + v.unit : ''}${rec}; ${consequence}.`,
        fixes: [`/${sw.name}${sw.separator ?? info.separator}${v.recommended && info.name === 'USERVA' ? v.recommended[1] : clamp}`],
      };
    }
    return undefined;
  }
  if (v.pattern && !v.pattern.test(value)) {
    return { message: `${shown}: "${value}" does not have the expected form, so NTLDR cannot use it. Write it as ${info.syntax}.`, fixes: [] };
  }
  return undefined;
}

const switches: Rule = {
  id: 'switches',
  codes: ['bootini/unknown-switch', 'bootini/invalid-switch-value', 'bootini/switch-requires', 'bootini/conflicting-switches'],
  check({ doc }) {
    const out: Diagnostic[] = [];
    const allNames = SWITCHES.map((s) => s.name);
    const redirect = findKey(doc, 'redirect')?.value.toUpperCase();
    for (const e of doc.entries) {
      if (e.continuation || e.switchesOnly || e.comment) continue;
      for (const st of e.stray) {
        out.push(diag('bootini/unknown-switch', Warning, st.range, `"${st.text}" after the title is not a switch (switches start with "/"); NTLDR ignores it. Remove it or add the missing "/".`));
      }
      for (const sw of e.switches) {
        const info = findSwitchUpper(sw.canonical);
        if (!info) {
          const guesses = closest(sw.upper, allNames, 2, 3);
          out.push(
            diag(
              'bootini/unknown-switch',
              Warning,
              sw.nameRange,
              /DEBUG|BAUDRATE/.test(sw.upper)
                ? `NTLDR does not know /${sw.name}, but it finds options by substring: because the name contains ${sw.upper.includes('DEBUG') ? 'DEBUG' : 'BAUDRATE'}, it enables the kernel debugger (with default port and speed)${guesses.length ? ` — did you mean /${guesses[0].toLowerCase()}?` : '.'} Write the documented switch.`
                : `NTLDR does not know /${sw.name} and silently ignores it${guesses.length ? ` — did you mean /${guesses[0].toLowerCase()}?` : '; remove it or correct the spelling.'} (Switches are case-insensitive.)`,
              guesses.map((g, i) => ({ title: `Change to /${g.toLowerCase()}`, edits: [{ range: sw.nameRange, newText: `/${g.toLowerCase()}` }], preferred: i === 0 })),
            ),
          );
          continue;
        }
        const problem = valueProblem(info, sw);
        if (problem) {
          out.push(
            diag(
              'bootini/invalid-switch-value',
              info.invalidValueBreaksBoot ? Error : Warning,
              sw.range,
              problem.message,
              problem.fixes.map((f, i) => ({ title: `Change to ${f}`, edits: [{ range: sw.range, newText: f }], preferred: i === 0 })),
            ),
          );
        }
        if (info.scope === 'bootsector-entry' && parseArcPath(e.path).kind !== 'drive') {
          out.push(diag('bootini/invalid-switch-value', Warning, sw.nameRange, `/${info.name.toLowerCase()} belongs on a boot-sector entry (C:\\…="…"); NTLDR ignores it on a Windows entry. Remove it.`));
        }
      }
      // Requirements: one diagnostic per switch whose preconditions are not met.
      let reported: Set<string> | undefined;
      for (const sw of e.switches) {
        const info = findSwitchUpper(sw.canonical);
        if (!info?.requires || reported?.has(info.name)) continue;
        const missing = info.requires.filter((r) => !requirementMet(r, e, doc));
        if (missing.length === 0) continue;
        (reported ??= new Set()).add(info.name);
        const known = REQUIREMENT_EXPLANATIONS[info.name];
        out.push(diag('bootini/switch-requires', known?.severity ?? Warning, sw.range, known?.message ?? `/${info.name.toLowerCase()} needs ${missing.map(describeRequirement).join(' and ')}; without it the switch has no effect. Add it or remove /${info.name.toLowerCase()}.`));
      }
      // Conflicts: each pair once.
      let seenPairs: Set<string> | undefined;
      for (const sw of e.switches) {
        const info = findSwitchUpper(sw.canonical);
        for (const other of info?.conflicts ?? []) {
          if (!hasSwitch(e, other)) continue;
          const pair = info!.name < other ? `${info!.name}|${other}` : `${other}|${info!.name}`;
          if (seenPairs?.has(pair)) continue;
          (seenPairs ??= new Set()).add(pair);
          out.push(diag('bootini/conflicting-switches', Warning, sw.range, conflictMessage(info!.name, other)));
        }
      }
      if (hasSwitch(e, 'NODEBUG') && !hasSwitch(e, 'DEBUG') && !hasSwitch(e, 'CRASHDEBUG') && (hasSwitch(e, 'DEBUGPORT') || hasSwitch(e, 'BAUDRATE'))) {
        const nd = e.switches.find((s) => canonicalName(s) === 'NODEBUG')!;
        out.push(diag('bootini/conflicting-switches', Warning, nd.range, '/nodebug overrides /debugport and /baudrate: the kernel debugger is off for this entry. Remove /nodebug to debug.'));
      }
      // EMS and the debugger cannot share a COM port.
      const port = switchValue(e, 'DEBUGPORT')?.toUpperCase();
      if (hasSwitch(e, 'REDIRECT') && redirect && port && redirect === port && debuggerState(e) !== 'off') {
        const sw = e.switches.find((s) => canonicalName(s) === 'DEBUGPORT')!;
        out.push(diag('bootini/conflicting-switches', Warning, sw.range, `EMS redirection (redirect=${redirect}, /redirect) and the kernel debugger both use ${port}: neither works reliably. Move the debugger to another port (e.g. /debugport=com2) or the EMS console.`));
      }
    }
    return out;
  },
};

export const RULES: readonly Rule[] = [encoding, missingSection, unknownSection, duplicateSection, keys, timeout, defaultEntry, entryLines, switches];
