/**
 * .vmx completions: keys (device families with the indices already used plus the next free one),
 * and values (enums, booleans, guestOS identifiers, hardware versions) for the key on the line.
 */
import { CompletionItemKind, InsertTextFormat, MarkupKind } from 'vscode-languageserver-types';
import type { CompletionItem, Position, Range } from 'vscode-languageserver-types';
import type { VmxDocument } from './vmxParser';
import { isTrue, templateOf } from './vmxParser';
import { KNOWN_TEMPLATES, specFor } from './vmxKeys';
import { VMX_GUEST_OS, VMX_VIRTUAL_HW } from './vmxKeyData';
import type { VmxKeySpec } from './vmxKeyTypes';
import { VMX_DEVICE_FAMILIES } from './vmxDevices';
import type { VmxDeviceFamily } from './vmxDevices';
import { describeDomain, keyDocumentation } from './vmxHover';

/** Where the cursor is on its line. */
type LineContext = { kind: 'key'; range: Range; hasEquals: boolean } | { kind: 'value'; key: string; range: Range; quoted: boolean };

function lineContext(line: string, pos: Position): LineContext | undefined {
  const ch = Math.min(pos.character, line.length);
  const hash = line.indexOf('#');
  const eq = line.indexOf('=');
  if (hash >= 0 && hash < ch && (eq < 0 || hash < eq || !inQuotes(line, eq, hash))) return undefined; // in a comment
  if (eq < 0 || ch <= eq) {
    let start = ch;
    while (start > 0 && !/[\s=]/.test(line[start - 1])) start--;
    let end = ch;
    while (end < line.length && !/[\s=#]/.test(line[end])) end++;
    return { kind: 'key', range: { start: { line: pos.line, character: start }, end: { line: pos.line, character: end } }, hasEquals: eq >= 0 };
  }
  const key = line.slice(0, eq).trim();
  let vStart = eq + 1;
  while (line[vStart] === ' ' || line[vStart] === '\t') vStart++;
  if (line[vStart] === '"') {
    const close = line.indexOf('"', vStart + 1);
    const end = close < 0 ? line.replace(/[ \t]+$/, '').length : close;
    return { kind: 'value', key, range: { start: { line: pos.line, character: vStart + 1 }, end: { line: pos.line, character: Math.max(end, vStart + 1) } }, quoted: true };
  }
  let end = vStart;
  while (end < line.length && !/[\s#]/.test(line[end])) end++;
  return { kind: 'value', key, range: { start: { line: pos.line, character: vStart }, end: { line: pos.line, character: end } }, quoted: false };
}

function inQuotes(line: string, from: number, at: number): boolean {
  let q = false;
  for (let i = from; i < at; i++) if (line[i] === '"') q = !q;
  return q;
}

/** Indices to offer per family: those in use, plus the next free one (or 0). */
type IndicesInUse = Map<string, { controllers: Set<number>; units: Map<number, Set<number>> }>;
const indicesMemo = new WeakMap<VmxDocument, IndicesInUse>();

function indicesInUse(doc: VmxDocument): IndicesInUse {
  const memo = indicesMemo.get(doc);
  if (memo) return memo;
  const used: IndicesInUse = new Map();
  indicesMemo.set(doc, used);
  for (const e of doc.entries) {
    const p = e.parts;
    if (!p) continue;
    let u = used.get(p.family.family);
    if (!u) used.set(p.family.family, (u = { controllers: new Set(), units: new Map() }));
    u.controllers.add(p.index);
    if (p.unit !== undefined) {
      let s = u.units.get(p.index);
      if (!s) u.units.set(p.index, (s = new Set()));
      s.add(p.unit);
    }
  }
  return used;
}

/** Indices worth offering: the one being typed, the lowest few in use, and the next free one
 *  (families such as sharedFolderN can have hundreds; the list stays small). */
function indicesToOffer(set: Set<number> | undefined, max: number | undefined, typed: number | undefined, reserved: readonly number[] = []): number[] {
  const list = [...(set ?? [])].sort((a, b) => a - b).slice(0, 4);
  let next = 0;
  while (set?.has(next) || reserved.includes(next)) next++;
  if (max === undefined || next <= max) list.push(next);
  if (typed !== undefined && (max === undefined || typed <= max) && !list.includes(typed)) list.push(typed);
  return list;
}

function snippetFor(spec: VmxKeySpec | undefined): string {
  const values = spec?.value.values?.filter((v) => v !== '<integer>');
  if (values && values.length > 1 && values.length <= 12) return `"\${1|${values.map((v) => v.replace(/[,|\\$}]/g, '\\$&')).join(',')}|}"`;
  if (spec?.value.default !== undefined) return `"\${1:${spec.value.default.replace(/[\\$}]/g, '\\$&')}}"`;
  return '"$1"';
}

function keyItem(key: string, spec: VmxKeySpec | undefined, ctx: Extract<LineContext, { kind: 'key' }>, sortGroup: string): CompletionItem {
  const item: CompletionItem = {
    label: key,
    kind: CompletionItemKind.Property,
    detail: spec ? describeDomain(spec) : 'written by VMware (undocumented)',
    sortText: `${sortGroup}${key.toLowerCase()}`,
    filterText: key,
  };
  if (spec) item.documentation = { kind: MarkupKind.Markdown, value: keyDocumentation(spec) };
  if (ctx.hasEquals) item.textEdit = { range: ctx.range, newText: key };
  else {
    item.textEdit = { range: ctx.range, newText: `${key} = ${snippetFor(spec)}` };
    item.insertTextFormat = InsertTextFormat.Snippet;
  }
  return item;
}

function keyCompletions(doc: VmxDocument, ctx: Extract<LineContext, { kind: 'key' }>, lineText: string): CompletionItem[] {
  const used = indicesInUse(doc);
  // `ethernet3.` / `scsi0:2.` typed so far: offer that device's keys too.
  const typedKey = lineText.slice(ctx.range.start.character, ctx.range.end.character);
  const typed = /^([A-Za-z_]+)(\d+)(?::(\d+))?/.exec(typedKey);
  const typedFamily = typed?.[1].toLowerCase();
  const typedIndex = (family: string): number | undefined => (typedFamily === family.toLowerCase() ? Number(typed![2]) : undefined);
  const typedUnit = (family: string, n: number): number | undefined => (typedFamily === family.toLowerCase() && Number(typed![2]) === n && typed![3] !== undefined ? Number(typed![3]) : undefined);
  const line = ctx.range.start.line;
  const isSet = (lower: string): boolean => {
    const e = doc.lastByKey.get(lower);
    return e !== undefined && (e.line !== line || doc.duplicates.has(lower));
  };
  const items: CompletionItem[] = [];
  const familyByLower = new Map<string, VmxDeviceFamily>(VMX_DEVICE_FAMILIES.map((f) => [f.family.toLowerCase(), f]));
  const seen = new Set<string>();
  const push = (key: string, spec: VmxKeySpec | undefined, group: string): void => {
    const lower = key.toLowerCase();
    if (seen.has(lower) || isSet(lower)) return;
    seen.add(lower);
    items.push(keyItem(key, spec, ctx, group));
  };
  for (const { template, spec } of KNOWN_TEMPLATES) {
    const group = spec ? '1' : '3';
    const m = /^([A-Za-z_]+)N(:M)?\.(.+)$/.exec(template);
    const family = m ? familyByLower.get(m[1].toLowerCase()) : undefined;
    if (!m || !family) {
      push(template, spec, group);
      continue;
    }
    const u = used.get(family.family);
    for (const n of indicesToOffer(u?.controllers, family.maxIndex, typedIndex(family.family))) {
      if (!m[2]) {
        push(`${m[1]}${n}.${m[3]}`, spec, group);
        continue;
      }
      for (const unit of indicesToOffer(u?.units.get(n), family.units?.maxUnit, typedUnit(family.family, n), family.units?.reserved)) push(`${m[1]}${n}:${unit}.${m[3]}`, spec, group);
    }
  }
  // Device prefixes (`ethernet1.`, `scsi0:1.`) that re-open the list for the device's keys.
  for (const family of VMX_DEVICE_FAMILIES) {
    const u = used.get(family.family);
    for (const n of indicesToOffer(u?.controllers, family.maxIndex, typedIndex(family.family))) {
      const prefixes = [`${family.family}${n}.`];
      if (family.units) for (const unit of indicesToOffer(u?.units.get(n), family.units.maxUnit, typedUnit(family.family, n), family.units.reserved)) prefixes.push(`${family.family}${n}:${unit}.`);
      for (const prefix of prefixes) {
        const isUnit = prefix.includes(':');
        items.push({
          label: prefix,
          kind: CompletionItemKind.Module,
          detail: `${isUnit ? family.units?.label : family.label}${u?.controllers.has(n) && (!isUnit || u.units.get(n)?.has(Number(prefix.split(':')[1]))) ? '' : ' (new)'}`,
          sortText: `2${prefix}`,
          textEdit: { range: ctx.range, newText: prefix },
          command: { title: 'Suggest keys', command: 'editor.action.triggerSuggest' },
        });
      }
    }
  }
  return items;
}

/** Values worth proposing for free-form keys, from what the document already has. */
function suggestedValues(doc: VmxDocument, key: string): { value: string; detail: string }[] {
  const t = templateOf(key);
  const m = /^serial(\d+)\./i.exec(key);
  if (t === 'serialn.filename' && m) {
    const com = Number(m[1]) + 1;
    return [
      { value: `\\\\.\\pipe\\com_${com}`, detail: 'named pipe on a Windows host (WinDbg: com:pipe,port=…)' },
      { value: `/tmp/com${com}`, detail: 'Unix socket on a Linux or macOS host' },
    ];
  }
  const present = (family: string): string[] =>
    doc.entries.filter((e) => e.parts?.family.family === family && e.keyLower.endsWith('.present') && isTrue(e.value)).map((e) => e.parts!.device);
  if (t === 'bios.bootorder') {
    const nics = present('ethernet');
    const nic = nics[0] ?? 'ethernet0';
    return [
      { value: nic, detail: 'network boot (PXE / iSCSI) only' },
      { value: `${nic},hdd`, detail: 'network first, then the disk in bios.hddOrder' },
      { value: `hdd,${nic}`, detail: 'disk first, network as a fallback' },
      { value: 'cdrom,hdd', detail: 'install from CD' },
      { value: 'hdd,cdrom', detail: 'disk first' },
    ];
  }
  if (t === 'bios.hddorder') {
    const disks = doc.entries
      .filter((e) => e.parts?.unit !== undefined && e.keyLower.endsWith('.present') && isTrue(e.value) && ['scsi', 'ide', 'sata', 'nvme'].includes(e.parts.family.family))
      .map((e) => e.parts!.device);
    return disks.map((d) => ({ value: d, detail: 'boot disk' }));
  }
  return [];
}

function valueCompletions(doc: VmxDocument, ctx: Extract<LineContext, { kind: 'value' }>): CompletionItem[] {
  const spec = specFor(ctx.key);
  if (!spec) return [];
  const item = (value: string, detail: string | undefined, sort: string, kind: CompletionItemKind = CompletionItemKind.EnumMember): CompletionItem => ({
    label: value,
    kind,
    detail,
    sortText: sort,
    filterText: value,
    textEdit: { range: ctx.range, newText: ctx.quoted ? value : `"${value}"` },
  });
  if (ctx.key.toLowerCase() === 'guestos') {
    return VMX_GUEST_OS.map((g, i) =>
      item(g.vmx, `${g.family}, ${g.bits}-bit${g.canonical ? '' : ' (alias)'}`, `${g.canonical ? '1' : '2'}${String(i).padStart(4, '0')}`),
    );
  }
  if (ctx.key.toLowerCase() === 'virtualhw.version') {
    return VMX_VIRTUAL_HW.map((h) => item(String(h.version), h.products.join(', '), String(100 - h.version).padStart(3, '0'), CompletionItemKind.Value));
  }
  const values = spec.value.values?.filter((v) => v !== '<integer>') ?? [];
  if (values.length) return values.map((v, i) => item(v, v === spec.value.default ? 'default' : undefined, String(i).padStart(3, '0')));
  if (spec.value.default !== undefined) return [item(spec.value.default, 'default', '000', CompletionItemKind.Value)];
  return suggestedValues(doc, ctx.key).map((v, i) => item(v.value, v.detail, String(i).padStart(3, '0'), CompletionItemKind.Value));
}

/**
 * Completions at `position`. `lineText` is the cursor's line in the current text; `doc` gives the
 * rest of the file (devices and keys in use) and may be the parse of the version just before
 * the keystroke that asked for completion.
 */
export function vmxCompletions(doc: VmxDocument, position: Position, lineText: string | undefined = doc.lines[position.line]): CompletionItem[] {
  if (lineText === undefined) return [];
  const ctx = lineContext(lineText, position);
  if (!ctx) return [];
  return ctx.kind === 'key' ? keyCompletions(doc, ctx, lineText) : valueCompletions(doc, ctx);
}
