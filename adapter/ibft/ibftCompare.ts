/**
 * Firmware vs Windows: the iBFT read from memory compared, field by field, with the iSCSI boot
 * report of a transcript (what sanbootconf or the Microsoft initiator printed). Pure functions; the
 * field list is a data table, values are normalised (MAC case/separators, 0.0.0.0 = unset, LUN
 * forms "0001-0000-0000-0000" / "1" / "0x1") before they are compared.
 */
import type { IscsiBootReport, ReportNic, ReportTarget } from '../../language-server/transcript/iscsiBootReport';
import type { IbftNic, IbftTable, IbftTarget } from './ibftDecoder';

export type ComparisonVerdict = 'agree' | 'differ' | 'firmware-only' | 'transcript-only';

export interface IbftComparison {
  /** "iBFT", "initiator", "NIC 0", "target 0" */
  section: string;
  field: string;
  firmware?: string;
  transcript?: string;
  verdict: ComparisonVerdict;
  /** 0-based transcript line the value came from, when known. */
  line?: number;
}

type Normaliser = (v: string) => string | undefined;

const unsetIp: Normaliser = (v) => {
  const t = v.trim().toLowerCase();
  return t === '' || t === '0.0.0.0' || t === '::' ? undefined : t;
};
const mac: Normaliser = (v) => v.trim().toLowerCase().replace(/-/g, ':') || undefined;
const text: Normaliser = (v) => (v.trim() === '' ? undefined : v.trim());
const pci: Normaliser = (v) => {
  const m = /^([0-9a-f]{1,2}):([0-9a-f]{1,2})\.([0-7])$/i.exec(v.trim());
  return m ? `${m[1].padStart(2, '0')}:${m[2].padStart(2, '0')}.${m[3]}`.toLowerCase() : text(v);
};
const num: Normaliser = (v) => {
  const t = v.trim();
  if (t === '') return undefined;
  const n = /^0x[0-9a-f]+$/i.test(t) ? Number.parseInt(t, 16) : /^\d+$/.test(t) ? Number(t) : NaN;
  return Number.isNaN(n) ? t : String(n);
};

/** Both sides of one field: firmware value, transcript value (+line), how to normalise. */
interface FieldSpec<F, R> {
  field: string;
  firmware: (f: F) => string | undefined;
  transcript: (r: R) => { value?: string; line?: number };
  normalise: Normaliser;
  /** Custom equality on the raw values (LUN forms). */
  equal?: (firmware: string, transcript: string) => boolean;
}

const str = (v: number | undefined): string | undefined => (v === undefined ? undefined : String(v));

const NIC_FIELDS: ReadonlyArray<FieldSpec<IbftNic, ReportNic>> = [
  { field: 'IP address', firmware: (f) => f.ip, transcript: (r) => ({ value: r.ip?.value, line: r.ip?.line }), normalise: unsetIp },
  { field: 'prefix length', firmware: (f) => str(f.prefix), transcript: (r) => ({ value: str(r.prefix) }), normalise: num },
  { field: 'gateway', firmware: (f) => f.gateway, transcript: (r) => ({ value: r.gateway?.value, line: r.gateway?.line }), normalise: unsetIp },
  { field: 'primary DNS', firmware: (f) => f.primaryDns, transcript: (r) => ({ value: r.dns[0] }), normalise: unsetIp },
  { field: 'DHCP server', firmware: (f) => f.dhcp, transcript: (r) => ({ value: r.dhcp }), normalise: unsetIp },
  { field: 'VLAN', firmware: (f) => str(f.vlan), transcript: (r) => ({ value: str(r.vlan) }), normalise: num },
  { field: 'MAC address', firmware: (f) => f.mac, transcript: (r) => ({ value: r.mac?.value, line: r.mac?.line }), normalise: mac },
  { field: 'PCI bus:dev.fn', firmware: (f) => f.pci, transcript: (r) => ({ value: r.pci?.value, line: r.pci?.line }), normalise: pci },
];

/** LUN equality across "0001-0000-0000-0000", "0001000000000000", "1" and "0x1". */
export function sameLun(firmwareHex: string, transcript: string): boolean {
  const t = transcript.trim().toLowerCase();
  const dashed = t.replace(/-/g, '');
  if (/^[0-9a-f]{16}$/.test(dashed) && (t.includes('-') || t.length === 16)) {
    // Two renderings of the 8 bytes occur: in order ("0001-0000-0000-0000") and as one
    // little-endian 64-bit number printed high to low ("0000-0000-0000-0100").
    const fw = firmwareHex.toLowerCase();
    const asLe64 = (fw.match(/../g) ?? []).reverse().join('');
    return dashed === fw || dashed === asLe64;
  }
  const n = num(t);
  const bytes = Buffer.from(firmwareHex, 'hex');
  const fwNumber = bytes.length === 8 && bytes.subarray(2).every((b) => b === 0) && bytes[0] >> 6 <= 1 ? ((bytes[0] & 0x3f) << 8) | bytes[1] : undefined;
  return n !== undefined && fwNumber !== undefined && n === String(fwNumber);
}

const TARGET_FIELDS: ReadonlyArray<FieldSpec<IbftTarget, ReportTarget>> = [
  { field: 'IP address', firmware: (f) => f.ip, transcript: (r) => ({ value: r.ip?.value, line: r.ip?.line }), normalise: unsetIp },
  { field: 'port', firmware: (f) => str(f.port), transcript: (r) => ({ value: str(r.port) }), normalise: num },
  { field: 'LUN', firmware: (f) => f.lunHex, transcript: (r) => ({ value: r.lun }), normalise: text, equal: sameLun },
  { field: 'IQN', firmware: (f) => f.name, transcript: (r) => ({ value: r.iqn }), normalise: (v) => text(v)?.toLowerCase() },
  { field: 'CHAP type', firmware: (f) => f.chapKind, transcript: (r) => ({ value: r.chapType }), normalise: text },
  { field: 'NIC index', firmware: (f) => str(f.nicIndex), transcript: (r) => ({ value: str(r.nicIndex) }), normalise: num },
  { field: 'CHAP name', firmware: (f) => f.chapName, transcript: (r) => ({ value: r.chapName }), normalise: text },
];

function verdictOf(fw: string | undefined, tr: string | undefined, normalise: Normaliser, equal?: (a: string, b: string) => boolean): ComparisonVerdict | undefined {
  const a = fw === undefined ? undefined : normalise(fw);
  const b = tr === undefined ? undefined : normalise(tr);
  if (a === undefined && b === undefined) return undefined;
  if (a === undefined) return 'transcript-only';
  // The transcript printed the field as unset (0.0.0.0) while the firmware has a value.
  if (b === undefined) return tr !== undefined && tr.trim() !== '' ? 'differ' : 'firmware-only';
  return (equal ? equal(fw!, tr!) : a === b) ? 'agree' : 'differ';
}

function compareFields<F, R>(section: string, specs: ReadonlyArray<FieldSpec<F, R>>, f: F | undefined, r: R | undefined, out: IbftComparison[]): void {
  if (!f || !r) {
    out.push({ section, field: 'structure', verdict: f ? 'firmware-only' : 'transcript-only', firmware: f ? 'present' : undefined, transcript: r ? 'present' : undefined });
    return;
  }
  for (const spec of specs) {
    const fw = spec.firmware(f);
    const tr = spec.transcript(r);
    // A field the transcript's driver never prints (Microsoft initiator: no DNS, no PCI) is not a disagreement.
    if (tr.value === undefined) continue;
    const verdict = verdictOf(fw, tr.value, spec.normalise, spec.equal);
    if (verdict) out.push({ section, field: spec.field, firmware: fw, transcript: tr.value, verdict, line: tr.line });
  }
}

function hexAddress(v: string): string | undefined {
  const t = v.trim().toLowerCase().replace(/^0x/, '');
  return /^[0-9a-f]+$/.test(t) ? `0x${t.replace(/^0+(?=.)/, '')}` : undefined;
}

/**
 * Every field both sides know, with a verdict. Structures only one side has are listed with
 * 'firmware-only' / 'transcript-only' verdicts so a missing NIC or target stands out.
 */
export function compareIbftWithReport(table: IbftTable, address: number | undefined, report: IscsiBootReport): IbftComparison[] {
  const out: IbftComparison[] = [];
  const found = report.ibft.found;
  if (found?.address !== undefined && address !== undefined) {
    const tr = hexAddress(found.address);
    const fw = `0x${address.toString(16)}`;
    out.push({ section: 'iBFT', field: 'address', firmware: fw, transcript: found.address, verdict: tr === fw ? 'agree' : 'differ', line: found.line });
  }
  if (found?.oemTableId) {
    const v = verdictOf(table.header.oemTableId, found.oemTableId, text);
    if (v) out.push({ section: 'iBFT', field: 'OEM table ID', firmware: table.header.oemTableId, transcript: found.oemTableId, verdict: v, line: found.line });
  }
  const init = verdictOf(table.initiator?.name, report.initiator?.name, (v) => text(v)?.toLowerCase());
  if (init) out.push({ section: 'initiator', field: 'name', firmware: table.initiator?.name, transcript: report.initiator?.name, verdict: init, line: report.initiator?.line });
  const nicSlots = new Set([...table.nics.map((n) => n.slot), ...report.nics.map((n) => n.index)]);
  for (const slot of [...nicSlots].sort()) {
    compareFields(`NIC ${slot}`, NIC_FIELDS, table.nics.find((n) => n.slot === slot), report.nics.find((n) => n.index === slot), out);
  }
  const targetSlots = new Set([...table.targets.map((t) => t.slot), ...report.targets.map((t) => t.index)]);
  for (const slot of [...targetSlots].sort()) {
    compareFields(`target ${slot}`, TARGET_FIELDS, table.targets.find((t) => t.slot === slot), report.targets.find((t) => t.index === slot), out);
  }
  return out;
}

export function disagreements(list: readonly IbftComparison[]): IbftComparison[] {
  return list.filter((c) => c.verdict !== 'agree');
}

/**
 * The iBFT address a transcript names (sanbootconf's "Found iBFT at 9e620", the Microsoft
 * initiator's "iBF table found at PA 0x9e620"), when it lies where an iBFT may be: the scanner's hint.
 */
export function ibftAddressFromReport(report: IscsiBootReport | undefined): number | undefined {
  const text = report?.ibft.found?.address;
  if (!text) return undefined;
  const t = text.trim().replace(/^0x/i, '');
  if (!/^[0-9a-f]{1,8}$/i.test(t)) return undefined;
  const n = Number.parseInt(t, 16);
  return n >= 0x80000 && n < 0x100000 ? n : undefined;
}
