/** Completions: section headers, [boot loader] keys and values, entry templates, switches and switch values. */
import { CompletionItemKind, InsertTextFormat, MarkupKind, type CompletionItem, type Position, type Range } from 'vscode-languageserver-types';
import type { BootDbgSettings } from '../languageFeatures';
import { parseArcPath } from './arcPath';
import { debugSwitchesFor } from './debugSwitches';
import { menuEntries, SECTION_NAMES, type BootIniDocument, type SectionKind } from './parser';
import { BOOT_LOADER_KEYS } from './rules';
import { findSwitch, SWITCHES, type SwitchInfo } from './switchTable';

export const TRIGGER_CHARACTERS = ['[', '/', '=', ':'];

const SECTION_DOCS: Record<string, string> = {
  'boot loader': 'timeout= and default= (and EMS redirect=/redirectbaudrate=). Required.',
  'operating systems': 'One menu entry per line: <ARC path>="<title>" [/switches]. Every non-empty line is an entry. Required.',
  flexboot: 'Legacy alias of [boot loader] (NT 3.1 heritage); NTLDR still accepts it.',
  multiboot: 'Legacy alias of [boot loader] (NT 3.1 heritage); NTLDR still accepts it.',
};

const ENTRY_TEMPLATES: ReadonlyArray<{ label: string; text: string; doc: string }> = [
  { label: 'multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS', text: 'multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS="${1:Microsoft Windows XP Professional}" /fastdetect', doc: 'XP / Server 2003 on the first partition of the first BIOS disk.' },
  { label: 'multi(0)disk(0)rdisk(0)partition(1)\\WINNT', text: 'multi(0)disk(0)rdisk(0)partition(1)\\WINNT="${1:Windows 2000 Professional}" /fastdetect', doc: 'NT 4.0 / Windows 2000 default directory.' },
  { label: 'signature(XXXXXXXX)disk(0)rdisk(0)partition(1)\\WINDOWS', text: 'signature(${1:8b5a2c10})disk(0)rdisk(0)partition(1)\\WINDOWS="${2:Windows}" /fastdetect', doc: 'Disk found by its MBR signature through NTBOOTDD.SYS (Setup writes this for disks beyond INT 13h reach).' },
  { label: 'C:\\="MS-DOS"', text: 'C:\\="${1:MS-DOS}"', doc: 'Boots C:\\bootsect.dos (the saved previous boot sector).' },
  { label: 'C:\\CMDCONS\\BOOTSECT.DAT (Recovery Console)', text: 'C:\\CMDCONS\\BOOTSECT.DAT="Microsoft Windows Recovery Console" /cmdcons', doc: 'The Recovery Console entry that winnt32 /cmdcons installs.' },
  { label: 'C:\\GRLDR="Start GRUB"', text: 'C:\\GRLDR="${1:Start GRUB}"', doc: 'Chain-loads GRUB4DOS (grldr in the root of C:).' },
];

function sectionAt(doc: BootIniDocument, line: number): SectionKind | 'none' {
  let kind: SectionKind | 'none' = 'none';
  for (const h of doc.headers) if (h.line < line) kind = h.kind;
  return kind;
}

function replace(line: number, start: number, end: number): Range {
  return { start: { line, character: start }, end: { line, character: end } };
}

function switchDoc(s: SwitchInfo): string {
  return [s.description, '', `Syntax: \`${s.syntax}\``, `Versions: ${s.versions}`].join('\n');
}

export function bootIniCompletions(doc: BootIniDocument, pos: Position, settings: BootDbgSettings): CompletionItem[] {
  const lineText = doc.lines[pos.line] ?? '';
  const before = lineText.slice(0, pos.character);
  const indent = before.length - before.trimStart().length;
  const section = sectionAt(doc, pos.line);

  // Section headers.
  if (/^\s*\[[^\]]*$/.test(before) || before.trim() === '') {
    const start = before.trim() === '' ? pos.character : before.indexOf('[');
    const closeAt = lineText.indexOf(']', pos.character);
    const end = closeAt >= 0 ? closeAt + 1 : pos.character;
    const items: CompletionItem[] = SECTION_NAMES.filter((s) => s.kind !== 'debug').map((s, i) => ({
      label: `[${s.name}]`,
      kind: CompletionItemKind.Module,
      detail: s.alias ? 'alias of [boot loader]' : 'boot.ini section',
      documentation: SECTION_DOCS[s.name],
      sortText: `9${i}`,
      textEdit: { range: replace(pos.line, start, end), newText: `[${s.name}]` },
    }));
    if (before.trim() !== '') return items;
    return [...lineStartItems(doc, pos, section, indent, settings), ...items];
  }

  if (section === 'bootLoader') {
    const kv = /^(\s*)([A-Za-z]+)\s*=\s*(.*)$/.exec(before);
    if (kv) {
      const key = kv[2].toLowerCase();
      const valueStart = before.length - kv[3].length;
      const r = replace(pos.line, valueStart, lineText.length);
      if (key === 'default') {
        return [...new Set(menuEntries(doc).filter((e) => e.hasEquals && !e.switchesOnly && !e.comment).map((e) => e.path))].map((p, i) => ({
          label: p,
          kind: CompletionItemKind.Reference,
          detail: menuEntries(doc).find((e) => e.path === p)?.description,
          sortText: String(i).padStart(3, '0'),
          textEdit: { range: r, newText: p },
        }));
      }
      if (key === 'timeout') {
        return [
          { v: '30', d: 'seconds (Setup default)' },
          { v: '10', d: 'seconds' },
          { v: '0', d: 'boot the default at once, menu hidden' },
          { v: '-1', d: 'wait forever' },
        ].map((x, i) => ({ label: x.v, detail: x.d, kind: CompletionItemKind.Value, sortText: String(i), textEdit: { range: r, newText: x.v } }));
      }
      const known = BOOT_LOADER_KEYS.find((k) => k.name === key);
      return (known?.values ?? []).map((v, i) => ({ label: v, kind: CompletionItemKind.EnumMember, sortText: String(i).padStart(2, '0'), textEdit: { range: r, newText: v } }));
    }
    if (/^\s*[A-Za-z]*$/.test(before)) return keyItems(pos, indent, lineText);
    return [];
  }

  if (section === 'operatingSystems' || section === 'none') {
    const entry = doc.entries.find((e) => e.line === pos.line);
    if (!entry || (!entry.switchesOnly && (entry.quote !== 'closed' || pos.character < entry.descriptionEnd))) {
      if (/^\s*[^\s=]*$/.test(before)) return entryItems(doc, pos, indent, lineText, settings);
      return [];
    }
    const tokenStart = Math.max(before.lastIndexOf(' '), before.lastIndexOf('\t')) + 1;
    const token = before.slice(tokenStart);
    const valueMatch = /^\/([A-Za-z0-9]+)([=:])([^\s/]*)$/.exec(token);
    if (valueMatch) {
      const info = findSwitch(valueMatch[1]);
      if (!info) return [];
      const start = tokenStart + 1 + valueMatch[1].length + 1;
      let end = pos.character;
      while (end < lineText.length && !/[\s/]/.test(lineText[end])) end++;
      return valueItems(info, replace(pos.line, start, end));
    }
    if (token === '' || /^\/[A-Za-z0-9]*$/.test(token)) {
      const slashAt = token.lastIndexOf('/');
      const start = slashAt >= 0 ? tokenStart + slashAt : pos.character;
      let end = pos.character;
      while (end < lineText.length && !/[\s/=:]/.test(lineText[end])) end++;
      // Switches already on the entry are not offered again (except the one being typed); those
      // that fit the entry's kind (Windows vs boot-sector file) come first.
      const present = new Set(entry.switches.filter((w) => !(w.range.start.character <= start && start < w.range.end.character)).map((w) => w.canonical));
      const bootSector = parseArcPath(entry.path).kind === 'drive';
      return SWITCHES.filter((s) => !present.has(s.name)).map((s, i) => {
        const fits = (s.scope === 'bootsector-entry') === bootSector;
        const takesValue = s.value.kind !== 'flag' && !('optional' in s.value && s.value.optional);
        const insert = `/${s.name.toLowerCase()}${takesValue ? s.separator : ''}`;
        return {
          label: `/${s.name.toLowerCase()}`,
          kind: CompletionItemKind.Keyword,
          detail: s.syntax,
          documentation: { kind: MarkupKind.Markdown, value: switchDoc(s) },
          filterText: insert,
          sortText: (fits ? '0' : '1') + String(i).padStart(3, '0'),
          textEdit: { range: replace(pos.line, start, end), newText: insert },
          command: takesValue ? { title: 'value', command: 'editor.action.triggerSuggest' } : undefined,
        };
      });
    }
  }
  return [];
}

function keyItems(pos: Position, indent: number, lineText: string): CompletionItem[] {
  let end = pos.character;
  while (end < lineText.length && /[A-Za-z]/.test(lineText[end])) end++;
  return BOOT_LOADER_KEYS.map((k, i) => ({
    label: k.name,
    kind: CompletionItemKind.Property,
    documentation: k.doc,
    sortText: String(i),
    textEdit: { range: replace(pos.line, indent, end), newText: `${k.name}=` },
    command: { title: 'value', command: 'editor.action.triggerSuggest' },
  }));
}

function entryItems(doc: BootIniDocument, pos: Position, indent: number, lineText: string, settings: BootDbgSettings): CompletionItem[] {
  let end = pos.character;
  while (end < lineText.length && !/[\s=]/.test(lineText[end])) end++;
  const r = replace(pos.line, indent, end);
  const items: CompletionItem[] = ENTRY_TEMPLATES.map((t, i) => ({
    label: t.label,
    kind: CompletionItemKind.Snippet,
    documentation: t.doc,
    insertTextFormat: InsertTextFormat.Snippet,
    sortText: `1${i}`,
    textEdit: { range: r, newText: t.text },
  }));
  const seen = new Set<string>();
  for (const e of menuEntries(doc)) {
    if (e.line === pos.line || !e.hasEquals || e.switchesOnly || e.comment || seen.has(e.path.toLowerCase())) continue;
    seen.add(e.path.toLowerCase());
    items.push({
      label: `${e.path} (debugger-enabled copy)`,
      kind: CompletionItemKind.Snippet,
      detail: 'same path, kernel debugger on',
      documentation: `${e.path}="${e.description} (kernel debug)" ${debugSwitchesFor(settings)}`,
      sortText: `0${items.length}`,
      textEdit: { range: r, newText: `${e.path}="${e.description} (kernel debug)" ${debugSwitchesFor(settings)}` },
    });
  }
  return items;
}

function valueItems(info: SwitchInfo, r: Range): CompletionItem[] {
  const v = info.value;
  let values: string[] = [];
  // USB debugging needs a Vista+ target, which boot.ini never starts: not offered.
  if (v.kind === 'enum') values = v.values.filter((x) => !(info.name === 'DEBUGPORT' && x === 'USB')).map((x) => x.toLowerCase());
  else if (v.kind === 'integer') values = (v.recommended ?? [v.default, v.min, v.max].filter((x): x is number => x !== undefined)).map(String);
  else if (info.name === 'FASTDETECT' || info.name === 'NOSERIALMICE') values = ['com1', 'com2', 'com1,2'];
  const dflt = v.kind === 'enum' || v.kind === 'integer' ? v.default : undefined;
  return [...new Set(values)].map((x, i) => ({
    label: x,
    kind: CompletionItemKind.EnumMember,
    detail: dflt !== undefined && String(dflt).toLowerCase() === x ? 'default' : info.syntax,
    sortText: String(i).padStart(2, '0'),
    textEdit: { range: r, newText: x },
  }));
}

function lineStartItems(doc: BootIniDocument, pos: Position, section: SectionKind | 'none', indent: number, settings: BootDbgSettings): CompletionItem[] {
  const lineText = doc.lines[pos.line] ?? '';
  if (section === 'bootLoader') return keyItems(pos, indent, lineText);
  if (section === 'operatingSystems' || section === 'none') return entryItems(doc, pos, indent, lineText, settings);
  return [];
}
