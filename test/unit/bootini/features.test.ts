// Parser, completions, hovers, code actions, symbols and folding over inline documents.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CompletionItem, Hover, TextEdit } from 'vscode-languageserver-types';
import { bootIniFeatures } from '../../../language-server/bootini';
import { ADD_DEBUG_ENTRY_TITLE } from '../../../language-server/bootini/codeActions';
import { parseArcPath } from '../../../language-server/bootini/arcPath';
import { parseBootIni } from '../../../language-server/bootini/parser';
import { isolatedContext, type BootDbgSettings } from '../../../language-server/languageFeatures';

const XP = 'multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS';
const FILE = ['[boot loader]', 'timeout=30', `default=${XP}`, '[operating systems]', `${XP}="Microsoft Windows XP Professional" /fastdetect`, 'C:\\="MS-DOS"', ''].join('\r\n');

function input(text: string, settings: Partial<BootDbgSettings> = {}) {
  return { uri: 'file:///w/boot.ini', text, ctx: isolatedContext(settings) };
}

function labels(items: CompletionItem[]): string[] {
  return items.map((i) => i.label);
}

function hoverText(h: Hover | null | undefined): string {
  if (!h) return '';
  const c = h.contents;
  return typeof c === 'string' ? c : 'value' in c ? c.value : JSON.stringify(c);
}

function apply(text: string, edits: TextEdit[]): string {
  const lines = text.split('\r\n');
  const offset = (l: number, c: number) => lines.slice(0, l).reduce((n, s) => n + s.length + 2, 0) + c;
  let out = text;
  for (const e of [...edits].sort((a, b) => offset(b.range.start.line, b.range.start.character) - offset(a.range.start.line, a.range.start.character))) {
    out = out.slice(0, offset(e.range.start.line, e.range.start.character)) + e.newText + out.slice(offset(e.range.end.line, e.range.end.character));
  }
  return out;
}

describe('boot.ini parser (NTLDR rules, not INI folklore)', () => {
  it('reads sections, keys, entries, quoted titles and switches with positions', () => {
    const doc = parseBootIni(FILE);
    assert.deepEqual(doc.headers.map((h) => [h.kind, h.wholeLine]), [['bootLoader', true], ['operatingSystems', true]]);
    assert.deepEqual(doc.keys.map((k) => [k.key, k.value]), [['timeout', '30'], ['default', XP]]);
    const [xp, dos] = doc.entries;
    assert.equal(xp.path, XP);
    assert.equal(xp.description, 'Microsoft Windows XP Professional');
    assert.equal(xp.switches[0].upper, 'FASTDETECT');
    assert.deepEqual(xp.switches[0].nameRange, { start: { line: 4, character: 80 }, end: { line: 4, character: 91 } });
    assert.equal(dos.path, 'C:\\');
    assert.equal(parseArcPath(dos.path).kind, 'drive');
  });
  it('a ; line in [operating systems] is an entry, not a comment', () => {
    const doc = parseBootIni('[operating systems]\r\n; old entry\r\n');
    assert.equal(doc.entries.length, 1);
    assert.equal(doc.entries[0].comment, true);
  });
  it('blanks around = are tolerated (Wubi writes them); the path ends at a blank', () => {
    const doc = parseBootIni('[operating systems]\r\nC:\\wubildr.mbr = "Ubuntu"\r\n');
    assert.equal(doc.entries[0].path, 'C:\\wubildr.mbr');
    assert.equal(doc.entries[0].description, 'Ubuntu');
    assert.equal(doc.entries[0].pathHasBlank, false);
  });
  it('switch values use = or :, and / separates switches even without blanks', () => {
    const doc = parseBootIni(`[operating systems]\r\n${XP}="x" /safeboot:network/sos /NoSerialMice:COM1`);
    assert.deepEqual(doc.entries[0].switches.map((s) => [s.upper, s.separator ?? null, s.value ?? null]), [
      ['SAFEBOOT', ':', 'network'],
      ['SOS', null, null],
      ['NOSERIALMICE', ':', 'COM1'],
    ]);
  });
  it('LF-only and CR line breaks split like CRLF', () => {
    assert.equal(parseBootIni(FILE.replace(/\r\n/g, '\n')).entries.length, 2);
  });
});

describe('boot.ini completions', () => {
  it('offers sections on a [ and keys in [boot loader]', () => {
    assert.deepEqual(labels(bootIniFeatures.completions!(input('['), { line: 0, character: 1 })), ['[boot loader]', '[operating systems]', '[flexboot]', '[multiboot]']);
    const t = '[boot loader]\r\nti';
    assert.ok(labels(bootIniFeatures.completions!(input(t), { line: 1, character: 2 })).includes('timeout'));
  });
  it('default= completes the paths of existing entries', () => {
    const t = FILE.replace(`default=${XP}`, 'default=');
    const items = bootIniFeatures.completions!(input(t), { line: 2, character: 8 });
    assert.deepEqual(labels(items), [XP, 'C:\\']);
  });
  it('switches after the title, with value choices after =', () => {
    const line = `${XP}="XP" /deb`;
    const t = `[operating systems]\r\n${line}`;
    const items = bootIniFeatures.completions!(input(t), { line: 1, character: line.length });
    assert.ok(labels(items).includes('/debugport'));
    const dp = items.find((i) => i.label === '/debugport')!;
    assert.equal((dp.textEdit as TextEdit).newText, '/debugport=');
    const line2 = `${XP}="XP" /baudrate=`;
    const values = labels(bootIniFeatures.completions!(input(`[operating systems]\r\n${line2}`), { line: 1, character: line2.length }));
    const line4 = `${XP}="XP" /debugport=`;
    assert.deepEqual(labels(bootIniFeatures.completions!(input(`[operating systems]\r\n${line4}`), { line: 1, character: line4.length })), ['com1', 'com2', 'com3', 'com4', '1394']);
    assert.deepEqual(values, ['9600', '19200', '38400', '57600', '115200']);
    const line3 = `${XP}="XP" /safeboot:`;
    assert.ok(labels(bootIniFeatures.completions!(input(`[operating systems]\r\n${line3}`), { line: 1, character: line3.length })).includes('minimal(alternateshell)'));
  });
  it('switches already present are not offered again; boot-sector switches first on C:\\ entries', () => {
    const line = `${XP}="XP" /fastdetect /sos /`;
    const items = labels(bootIniFeatures.completions!(input(`[operating systems]\r\n${line}`), { line: 1, character: line.length }));
    assert.ok(!items.includes('/fastdetect') && !items.includes('/sos') && items.includes('/debug'));
    const dos = 'C:\\="MS-DOS" /';
    const sorted = bootIniFeatures.completions!(input(`[operating systems]\r\n${dos}`), { line: 1, character: dos.length }).sort((a, b) => (a.sortText ?? '').localeCompare(b.sortText ?? ''));
    assert.deepEqual(sorted.slice(0, 3).map((i) => i.label).sort(), ['/cmdcons', '/win95', '/win95dos']);
  });
  it('no switch completions inside the title', () => {
    const line = `${XP}="XP /de`;
    assert.deepEqual(bootIniFeatures.completions!(input(`[operating systems]\r\n${line}`), { line: 1, character: line.length }), []);
  });
});

describe('boot.ini hovers', () => {
  it('explains a switch: what it does, versions, and [debugger enabled] on debug entries', () => {
    const line = `${XP}="XP" /debug /debugport=com1 /baudrate=115200`;
    const t = `[operating systems]\r\n${line}`;
    const h = hoverText(bootIniFeatures.hover!(input(t), { line: 1, character: line.indexOf('/debugport') + 2 }));
    assert.match(h, /DEBUGPORT/);
    assert.match(h, /Versions/);
    assert.match(h, /"XP \[debugger enabled\]"/);
  });
  it('default= says which entry it boots, or that it matches none', () => {
    assert.match(hoverText(bootIniFeatures.hover!(input(FILE), { line: 2, character: 12 })), /Boots \*\*Microsoft Windows XP Professional\*\* \(line 5\)/);
    const t = FILE.replace(`default=${XP}`, 'default=multi(0)disk(0)rdisk(1)partition(1)\\WINDOWS');
    assert.match(hoverText(bootIniFeatures.hover!(input(t), { line: 2, character: 12 })), /Matches no entry/);
  });
  it('explains ARC path components and [boot loader] keys', () => {
    const h = hoverText(bootIniFeatures.hover!(input(FILE), { line: 4, character: 3 }));
    assert.match(h, /rdisk\(0\)/);
    assert.match(h, /partition numbers|starting at 1/i);
    assert.match(hoverText(bootIniFeatures.hover!(input(FILE), { line: 1, character: 2 })), /waits/);
    assert.equal(bootIniFeatures.hover!(input(FILE), { line: 6, character: 0 }), null);
  });
});

describe('boot.ini code actions', () => {
  it('"Add a debugger-enabled entry" duplicates the line with the debug switches from settings', () => {
    const actions = bootIniFeatures.codeActions!(input(FILE, { debugPort: 'com2', baudRate: 57600 }), { start: { line: 4, character: 5 }, end: { line: 4, character: 5 } }, []);
    const add = actions.find((a) => a.title === ADD_DEBUG_ENTRY_TITLE)!;
    const out = apply(FILE, add.edit!.changes!['file:///w/boot.ini']);
    const lines = out.split('\r\n');
    assert.equal(lines[4], `${XP}="Microsoft Windows XP Professional" /fastdetect`);
    assert.equal(lines[5], `${XP}="Microsoft Windows XP Professional (kernel debug)" /fastdetect /debug /debugport=com2 /baudrate=57600 /break`);
    assert.deepEqual(bootIniFeatures.diagnostics(input(out)), []);
  });
  it('replaces existing debug switches instead of doubling them; default settings give com1 at 115200', () => {
    const t = `[boot loader]\r\ntimeout=30\r\ndefault=${XP}\r\n[operating systems]\r\n${XP}="XP" /nodebug /baudrate=9600 /sos`;
    const add = bootIniFeatures.codeActions!(input(t), { start: { line: 4, character: 0 }, end: { line: 4, character: 0 } }, []).find((a) => a.title === ADD_DEBUG_ENTRY_TITLE)!;
    assert.match(add.edit!.changes!['file:///w/boot.ini'][0].newText, /="XP \(kernel debug\)" \/sos \/debug \/debugport=com1 \/baudrate=115200 \/break$/);
  });
  it('with timeout=0 it also shows the menu again, or the new entry could not be chosen', () => {
    const t = FILE.replace('timeout=30', 'timeout=0');
    const add = bootIniFeatures.codeActions!(input(t), { start: { line: 4, character: 0 }, end: { line: 4, character: 0 } }, []).find((a) => a.title === ADD_DEBUG_ENTRY_TITLE)!;
    const out = apply(t, add.edit!.changes!['file:///w/boot.ini']);
    assert.match(out, /\r\ntimeout=30\r\n/);
    assert.equal(out.split('\r\n').length, FILE.split('\r\n').length + 1);
  });
  it('not offered on boot-sector entries or outside entries', () => {
    const titles = (line: number) => bootIniFeatures.codeActions!(input(FILE), { start: { line, character: 0 }, end: { line, character: 0 } }, []).map((a) => a.title);
    assert.deepEqual(titles(5), []);
    assert.deepEqual(titles(1), []);
  });
  it('turns the fixes carried by diagnostics into quick fixes (remove duplicate, correct default=)', () => {
    const t = `[boot loader]\r\ntimeout=30\r\ntimeout=5\r\ndefault=multi(0)disk(0)rdisk(0)partition(1)\\WINDOWSS\r\n[operating systems]\r\n${XP}="XP"`;
    const doc = input(t);
    const diags = bootIniFeatures.diagnostics(doc);
    const all = bootIniFeatures.codeActions!(doc, { start: { line: 0, character: 0 }, end: { line: 5, character: 0 } }, diags);
    const dup = all.find((a) => a.title.startsWith('Remove this timeout='))!;
    const def = all.find((a) => a.title === `Change default= to ${XP}`)!;
    assert.equal(def.isPreferred, true);
    let fixed = apply(t, dup.edit!.changes!['file:///w/boot.ini']);
    fixed = apply(fixed, bootIniFeatures.codeActions!(input(fixed), { start: { line: 0, character: 0 }, end: { line: 5, character: 0 } }, bootIniFeatures.diagnostics(input(fixed))).find((a) => a.title === `Change default= to ${XP}`)!.edit!.changes!['file:///w/boot.ini']);
    assert.deepEqual(bootIniFeatures.diagnostics(input(fixed)), []);
  });
  it('fix an invalid value', () => {
    const t = `[boot loader]\r\ntimeout=30\r\ndefault=${XP}\r\n[operating systems]\r\n${XP}="XP" /debugport=com1 /baudrate=11520`;
    const diags = bootIniFeatures.diagnostics(input(t));
    const fix = bootIniFeatures.codeActions!(input(t), diags[0].range, diags).find((a) => a.title === 'Change to /baudrate=115200')!;
    assert.ok(fix, 'closest value offered');
    assert.deepEqual(bootIniFeatures.diagnostics(input(apply(t, fix.edit!.changes!['file:///w/boot.ini']))), []);
  });
});

describe('boot.ini outline', () => {
  it('symbols: sections with keys and entries; folding per section', () => {
    const symbols = bootIniFeatures.documentSymbols!(input(FILE));
    assert.deepEqual(symbols.map((s) => [s.name, (s.children ?? []).map((c) => c.name)]), [
      ['[boot loader]', ['timeout', 'default']],
      ['[operating systems]', ['Microsoft Windows XP Professional', 'MS-DOS']],
    ]);
    assert.deepEqual(bootIniFeatures.foldingRanges!(input(FILE)).map((f) => [f.startLine, f.endLine]), [[0, 2], [3, 5]]);
  });
});
