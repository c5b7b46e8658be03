/** Hovers: what a switch does and since when, what an ARC path means, what a key or section is for. */
import { MarkupKind, type Hover, type Position } from 'vscode-languageserver-types';
import { COMPONENT_DOCS, parseArcPath } from './arcPath';
import { debuggerState, ntldrShowsDebuggerEnabled } from './debugSwitches';
import { menuEntries, plainRange, positionIn, type BootIniDocument, type OsEntry } from './parser';
import { BOOT_LOADER_KEYS } from './rules';
import { findSwitch, type Requirement } from './switchTable';

const SECTION_HOVERS: Record<string, string> = {
  bootLoader: '**[boot loader]** — `timeout=` and `default=` (EMS: `redirect=`, `redirectbaudrate=`). `[flexboot]` and `[multiboot]` are accepted aliases.',
  operatingSystems: '**[operating systems]** — one menu entry per line: `<ARC path>="<title>" /switch …`. NTLDR has no comment syntax here: every non-empty line is a menu item. Only the first 10 are shown.',
  debug: '**[debug]** — undocumented; used to debug NTLDR itself. Tolerated, not checked.',
  unknown: 'Not a section NTLDR knows; the lines under it are ignored.',
};

function md(value: string): Hover {
  return { contents: { kind: MarkupKind.Markdown, value } };
}

function requirementText(r: Requirement): string {
  if ('switch' in r) return `\`/${r.switch.toLowerCase()}${r.value ? '=' + r.value.toLowerCase() : ''}\``;
  if ('debuggerEnabled' in r) return 'the kernel debugger enabled (`/debug`, `/debugport` or `/baudrate`)';
  if ('bootLoaderKey' in r) return `\`${r.bootLoaderKey}=\` in [boot loader]`;
  return 'a `ramdisk(0)\\…` entry path';
}

function debugNote(e: OsEntry): string {
  const state = debuggerState(e);
  const menu = ntldrShowsDebuggerEnabled(e) ? `NTLDR shows this entry as **"${e.description} [debugger enabled]"** in the boot menu (it looks for DEBUG or BAUDRATE in the options; the tag is dropped when title + tag exceed ~70 characters).` : '';
  const live =
    state === 'on'
      ? 'The kernel debugger is enabled for this entry.'
      : state === 'crash-only'
        ? '/crashdebug: the debugger stays passive until a bug check.'
        : state === 'disabled-by-nodebug'
          ? '/nodebug turns the kernel debugger off for this entry.'
          : '';
  return [menu, live].filter(Boolean).join('\n\n');
}

export function bootIniHover(doc: BootIniDocument, pos: Position): Hover | null {
  const h = doc.headers.find((x) => positionIn(x.range, pos));
  if (h) return { ...md(SECTION_HOVERS[h.kind]), range: plainRange(h.range) };

  const k = doc.keys.find((x) => x.line === pos.line);
  if (k && positionIn(k.lineRange, pos)) {
    const known = BOOT_LOADER_KEYS.find((x) => x.name === k.key.toLowerCase());
    if (known && known.name === 'default' && positionIn(k.valueRange, pos) && k.value) {
      const target = k.value.toLowerCase();
      const matches = menuEntries(doc).filter((e) => e.hasEquals && e.path.toLowerCase() === target);
      const text = matches.length
        ? `Boots **${matches[0].description || matches[0].path}** (line ${matches[0].line + 1})${matches.length > 1 ? ` — the first of ${matches.length} entries with this path, which NTLDR pre-selects` : ''} when the timeout runs out.`
        : 'Matches no entry: NTLDR adds a "Windows (default)" menu item that boots this path.';
      return { ...md(text), range: plainRange(k.valueRange) };
    }
    if (known) return { ...md(`**${known.name}=** — ${known.doc}`), range: plainRange(k.keyRange) };
  }

  const e = doc.entries.find((x) => x.line === pos.line);
  if (!e) return null;
  const sw = e.switches.find((s) => positionIn(s.range, pos));
  if (sw) {
    const info = findSwitch(sw.upper);
    if (!info) return { ...md(`\`/${sw.name}\` is not a switch NTLDR knows; it is silently ignored.`), range: plainRange(sw.range) };
    const parts = [`**/${info.name}** — \`${info.syntax}\``, info.description, `*Versions:* ${info.versions}`];
    const v = info.value;
    if (v.kind === 'enum') parts.push(`*Values:* ${v.values.join(', ')}${v.default !== undefined ? ` (default ${v.default})` : ''}`);
    if (v.kind === 'integer') parts.push(`*Range:* ${v.min ?? '…'}–${v.max ?? '…'}${v.unit ? ' ' + v.unit : ''}${v.default !== undefined ? ` (default ${v.default})` : ''}`);
    if (info.implies?.length) parts.push(`*Implies:* ${info.implies.map((x) => '`/' + x.toLowerCase() + '`').join(', ')}`);
    if (info.requires?.length) parts.push(`*Needs:* ${info.requires.map(requirementText).join(', ')}`);
    if (info.conflicts?.length) parts.push(`*Conflicts with:* ${info.conflicts.map((x) => '`/' + x.toLowerCase() + '`').join(', ')}`);
    if (info.notes.length) parts.push(info.notes.map((n) => `- ${n}`).join('\n'));
    if (info.bcdEquivalent) parts.push(`*BCD (Vista+):* \`${info.bcdEquivalent}\``);
    if (['DEBUG', 'DEBUGPORT', 'BAUDRATE', 'CHANNEL', 'BREAK', 'NODEBUG', 'CRASHDEBUG'].includes(info.name)) {
      const note = debugNote(e);
      if (note) parts.push(note);
    }
    return { ...md(parts.join('\n\n')), range: plainRange(sw.range) };
  }
  if (positionIn(e.pathRange, pos) && e.path) {
    const arc = parseArcPath(e.path);
    const parts: string[] = [`**${e.path}**`];
    if (arc.kind === 'drive') {
      parts.push(e.path.replace(/\\$/, '') === e.path.slice(0, 2) || /^[A-Za-z]:\\$/.test(e.path) ? 'Boot-sector entry: NTLDR loads `C:\\bootsect.dos` (the saved previous boot sector) and runs it.' : 'Boot-sector file entry (or a DOS-style NT path that NTLDR translates to ARC): NTLDR loads this file as a boot sector and runs it.');
    } else {
      for (const c of arc.components) if (COMPONENT_DOCS[c.name]) parts.push(`- \`${c.name}(${c.arg})\` — ${COMPONENT_DOCS[c.name]}`);
      if (arc.directory) parts.push(`- \`${arc.directory}\` — the Windows directory (%SystemRoot%).`);
    }
    const note = debugNote(e);
    if (note) parts.push(note);
    return { ...md(parts.join('\n\n')), range: plainRange(e.pathRange) };
  }
  if (positionIn(e.descriptionRange, pos)) {
    const note = debugNote(e);
    return { ...md([`Menu title: **${e.description}**`, note].filter(Boolean).join('\n\n')), range: plainRange(e.descriptionRange) };
  }
  return null;
}
