/** .vmx outline (devices with their keys; disks nested under their controller) and folding by device. */
import { FoldingRangeKind, SymbolKind } from 'vscode-languageserver-types';
import type { DocumentSymbol, FoldingRange, Range } from 'vscode-languageserver-types';
import type { VmxDocument, VmxEntry } from './vmxParser';
import { deviceOf, familyLabel } from './vmxDevices';

interface Group {
  name: string;
  entries: VmxEntry[];
  children: Map<string, Group>;
  isDevice: boolean;
}

function span(entries: readonly VmxEntry[], children: Iterable<Group>): Range {
  let start = entries[0]?.lineRange.start;
  let end = entries[0]?.lineRange.end;
  const all = [...entries, ...[...children].flatMap((c) => c.entries)];
  for (const e of all) {
    if (!start || e.line < start.line) start = e.lineRange.start;
    if (!end || e.line > end.line) end = e.lineRange.end;
  }
  return { start: start!, end: end! };
}

function entrySymbol(e: VmxEntry): DocumentSymbol {
  return { name: e.key, detail: e.value, kind: SymbolKind.Property, range: e.lineRange, selectionRange: e.keyRange };
}

function groupSymbol(g: Group): DocumentSymbol {
  const children = [...g.children.values()];
  const range = span(g.entries, children);
  const first = g.entries[0] ?? children[0]?.entries[0];
  return {
    name: g.name,
    detail: familyLabel(g.name) ?? (g.isDevice ? undefined : 'settings'),
    kind: g.isDevice ? SymbolKind.Module : SymbolKind.Namespace,
    range,
    selectionRange: first.keyRange,
    children: [...g.entries.map(entrySymbol), ...children.map(groupSymbol)].sort((a, b) => a.range.start.line - b.range.start.line),
  };
}

export function vmxDocumentSymbols(doc: VmxDocument): DocumentSymbol[] {
  const top: (Group | VmxEntry)[] = [];
  const groups = new Map<string, Group>();
  const groupFor = (name: string, isDevice: boolean): Group => {
    const lower = name.toLowerCase();
    let g = groups.get(lower);
    if (!g) {
      g = { name, entries: [], children: new Map(), isDevice };
      groups.set(lower, g);
      top.push(g);
    }
    return g;
  };
  for (const e of doc.entries) {
    const parts = e.parts;
    if (parts && parts.unit !== undefined) {
      const controller = groupFor(parts.controller, true);
      const lower = parts.device.toLowerCase();
      let unit = controller.children.get(lower);
      if (!unit) controller.children.set(lower, (unit = { name: parts.device, entries: [], children: new Map(), isDevice: true }));
      unit.entries.push(e);
      continue;
    }
    const device = deviceOf(e.key);
    if (device) groupFor(device, parts !== undefined || familyLabel(device) !== undefined).entries.push(e);
    else top.push(e);
  }
  return top.map((t) => ('key' in t ? entrySymbol(t) : groupSymbol(t)));
}

/** Folds runs of consecutive lines that belong to the same device (and the same unit inside it), and comment blocks. */
export function vmxFoldingRanges(doc: VmxDocument): FoldingRange[] {
  const out: FoldingRange[] = [];
  const runs = (keyOf: (e: VmxEntry) => string | undefined): void => {
    let current: string | undefined;
    let start = -1;
    let last = -1;
    const close = (): void => {
      if (current !== undefined && last > start) out.push({ startLine: start, endLine: last });
    };
    for (const e of doc.entries) {
      const k = keyOf(e)?.toLowerCase();
      if (k !== current || k === undefined) {
        close();
        current = k;
        start = e.line;
      }
      last = e.line;
    }
    close();
  };
  runs((e) => e.parts?.controller ?? deviceOf(e.key));
  runs((e) => {
    const p = e.parts;
    return p?.unit !== undefined ? p.device : undefined;
  });
  // Full-line comment blocks.
  let blockStart = -1;
  let prev = -2;
  for (const c of doc.comments) {
    if (c.start.character !== doc.lines[c.start.line].search(/\S/)) continue; // trailing comment
    if (c.start.line !== prev + 1) {
      if (prev > blockStart && blockStart >= 0) out.push({ startLine: blockStart, endLine: prev, kind: FoldingRangeKind.Comment });
      blockStart = c.start.line;
    }
    prev = c.start.line;
  }
  if (prev > blockStart && blockStart >= 0) out.push({ startLine: blockStart, endLine: prev, kind: FoldingRangeKind.Comment });
  return out.sort((a, b) => a.startLine - b.startLine || b.endLine - a.endLine);
}
