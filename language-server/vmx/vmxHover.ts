/** .vmx hovers: what a key means and accepts, and what a value means (guestOS, HW version, PCI slot, COM port). */
import { MarkupKind } from 'vscode-languageserver-types';
import type { Hover, Position } from 'vscode-languageserver-types';
import type { VmxDocument, VmxEntry } from './vmxParser';
import { guestOsInfo, intValue, isKnownKey, specFor, virtualHwInfo } from './vmxKeys';
import type { VmxKeySpec } from './vmxKeyTypes';
import { familyLabel } from './vmxDevices';

const domainMemo = new Map<VmxKeySpec, string>();
const docMemo = new Map<VmxKeySpec, string>();

/** One line: `enum: a | b | c (default b)`. */
export function describeDomain(spec: VmxKeySpec): string {
  let text = domainMemo.get(spec);
  if (text === undefined) domainMemo.set(spec, (text = domainText(spec)));
  return text;
}

function domainText(spec: VmxKeySpec): string {
  const d = spec.value;
  const parts: string[] = [];
  if (d.type === 'enum' && d.values) parts.push(d.values.length > 8 ? `one of ${d.values.length} values` : d.values.join(' | '));
  else if (d.type === 'boolean') parts.push('TRUE | FALSE');
  else if (d.type === 'integer') {
    const range = d.min !== undefined && d.max !== undefined ? ` ${d.min}–${d.max}` : d.min !== undefined ? ` ≥ ${d.min}` : d.max !== undefined ? ` ≤ ${d.max}` : '';
    parts.push(`integer${range}${d.multipleOf ? `, multiple of ${d.multipleOf}` : ''}${d.unit ? ` (${d.unit})` : ''}`);
  } else parts.push('string');
  if (d.default !== undefined) parts.push(`default ${d.default}`);
  return parts.join(', ');
}

/** Markdown for a key spec (memoised: completion lists carry it for hundreds of keys). */
export function keyDocumentation(spec: VmxKeySpec): string {
  let text = docMemo.get(spec);
  if (text === undefined) docMemo.set(spec, (text = documentationText(spec)));
  return text;
}

function documentationText(spec: VmxKeySpec): string {
  const lines = [`**${spec.key}** — ${spec.description}`, '', `Value: ${describeDomain(spec)}`];
  if (spec.value.note) lines.push('', spec.value.note);
  if (spec.since) lines.push('', `Since: ${spec.since}`);
  for (const n of spec.notes ?? []) lines.push('', `- ${n}`);
  if (spec.related?.length) lines.push('', `Related: ${spec.related.join(', ')}`);
  return lines.join('\n');
}

/** PCI slot number → guest-visible address (VMware KB 2047927: bits FFF.BBBBB.DDDDD). */
export function describePciSlot(n: number): string {
  if (n < 0) return 'assigned by VMware at the next power-on';
  const dev = n & 0x1f;
  const bus = (n >> 5) & 0x1f;
  const fn = (n >> 10) & 0x7;
  const hex = dev.toString(16).padStart(2, '0');
  if (bus === 0) return `bus 0, device 0x${hex}: PCI address 00:${hex}.0`;
  return `device 0x${hex} behind pciBridge${bus - 1}${fn ? ` function ${fn}` : ''} (the bridge's own slot is pciBridge${bus - 1}.pciSlotNumber)`;
}

function valueHover(entry: VmxEntry): string | undefined {
  const key = entry.keyLower;
  if (key === 'guestos') {
    const g = guestOsInfo(entry.value);
    return g ? `**${g.vmx}** — ${g.family}, ${g.bits}-bit guest${g.canonical ? '' : ' (accepted alias)'}` : undefined;
  }
  if (key === 'virtualhw.version') {
    const n = intValue(entry.value);
    const hw = n === undefined ? undefined : virtualHwInfo(n);
    return hw ? `**Virtual hardware ${hw.version}**: ${hw.products.join(', ')}${hw.notes ? `\n\n${hw.notes}` : ''}\n\nThe VM does not power on in older products.` : undefined;
  }
  if (key.endsWith('.pcislotnumber')) {
    const n = intValue(entry.value);
    return n === undefined ? undefined : `PCI slot ${n}: ${describePciSlot(n)}`;
  }
  const p = entry.parts;
  if (p?.family.family === 'serial' && p.unit === undefined) {
    return `${p.device} is the guest's COM${p.index + 1} (when the lower ports exist); in boot.ini: /debugport=com${p.index + 1}`;
  }
  return undefined;
}

export function vmxHover(doc: VmxDocument, position: Position): Hover | null {
  const entry = doc.entries.find((e) => e.line === position.line);
  if (!entry) return null;
  const ch = position.character;
  const inKey = ch >= entry.keyRange.start.character && ch <= entry.keyRange.end.character;
  const inValue = ch >= entry.valueRange.start.character - 1 && ch <= entry.valueRange.end.character + 1;
  if (inKey) {
    const spec = specFor(entry.key);
    const device = entry.parts;
    const deviceLine = device ? `\n\n${device.device}: ${familyLabel(device.device) ?? device.family.label} ${device.unit !== undefined ? `${device.unit} on ${device.controller}` : device.index}` : '';
    const text = spec
      ? keyDocumentation(spec).replace(`**${spec.key}**`, `**${entry.key}**`) + deviceLine
      : isKnownKey(entry.key)
        ? `**${entry.key}** — written by VMware products (seen in real .vmx files); not documented in BootDbg's key table.${deviceLine}`
        : `**${entry.key}** — not a key BootDbg knows; VMware ignores keys it does not know.${deviceLine}`;
    return { contents: { kind: MarkupKind.Markdown, value: text }, range: entry.keyRange };
  }
  if (inValue) {
    const text = valueHover(entry);
    if (text) return { contents: { kind: MarkupKind.Markdown, value: text }, range: entry.valueRange };
  }
  return null;
}
