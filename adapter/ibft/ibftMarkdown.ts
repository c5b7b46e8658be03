/**
 * The "Show iBFT" document: the decoded table as markdown (the fields sanbootconf prints), the
 * decoder's errors and warnings, and — when a transcript's boot report is at hand — the
 * firmware-vs-Windows comparison with disagreements first. Pure text; the extension only shows it.
 */
import type { IbftComparison } from './ibftCompare';
import type { IbftDecodeResult, IbftNic, IbftStructure, IbftTarget } from './ibftDecoder';

const UNSET = '—';

function cell(v: string | number | undefined): string {
  if (v === undefined || v === '') return UNSET;
  return String(v).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function table(rows: Array<[string, string | number | undefined]>): string[] {
  return ['| Field | Value |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${cell(v)} |`)];
}

function flags(s: IbftStructure): string {
  return `0x${s.flags.toString(16)}${s.flagNames.length ? ` (${s.flagNames.join(', ')})` : ''}`;
}

function nicRows(n: IbftNic): Array<[string, string | number | undefined]> {
  return [
    ['Flags', flags(n) + (n.global ? ', global' : '')],
    ['IP', n.ip ? `${n.ip}/${n.prefix}` : undefined],
    ['Origin', `${n.origin} (${n.originName})`],
    ['Gateway', n.gateway],
    ['DNS', [n.primaryDns, n.secondaryDns].filter(Boolean).join(', ')],
    ['DHCP server', n.dhcp],
    ['VLAN', n.vlan],
    ['MAC', n.mac],
    ['PCI bus:dev.fn', n.pci],
    ['Hostname', n.hostname],
  ];
}

function targetRows(t: IbftTarget): Array<[string, string | number | undefined]> {
  return [
    ['Flags', flags(t)],
    ['IP', t.ip],
    ['Port', t.port],
    ['LUN', `${t.lun}${t.lunNumber !== undefined ? ` (LUN ${t.lunNumber})` : ''}`],
    ['CHAP type', `${t.chapType} (${t.chapKind})`],
    ['NIC', t.nicIndex],
    ['Name', t.name],
    ['CHAP name', t.chapName],
    ['CHAP secret', t.chapSecret],
    ['Reverse CHAP name', t.reverseChapName],
    ['Reverse CHAP secret', t.reverseChapSecret],
  ];
}

const VERDICT_LABEL: Record<IbftComparison['verdict'], string> = {
  differ: '❌ differ',
  'firmware-only': '⚠️ firmware only',
  'transcript-only': '⚠️ transcript only',
  agree: '✅ agree',
};

export interface IbftDocumentInput {
  /** "gdb-remote session …" */
  source: string;
  address?: number;
  summary: string;
  result?: IbftDecodeResult;
  readErrors?: string[];
  comparison?: { transcript: string; items: IbftComparison[] };
}

export function ibftMarkdown(input: IbftDocumentInput): string {
  const out: string[] = ['# iSCSI Boot Firmware Table', '', `Source: ${input.source}`, '', `**${input.summary}**`, ''];
  const r = input.result;
  if (r && r.errors.length) out.push('## Errors', '', ...r.errors.map((e) => `- ❌ ${e}`), '');
  if (r && r.warnings.length) out.push('## Warnings', '', ...r.warnings.map((w) => `- ⚠️ ${w}`), '');
  if (input.readErrors?.length) out.push('## Read errors', '', ...input.readErrors.slice(0, 10).map((e) => `- ${e}`), '');
  const t = r?.table;
  if (t) {
    const h = t.header;
    out.push('## Header', '', ...table([
      ['Address', input.address !== undefined ? `0x${input.address.toString(16)}` : undefined],
      ['Length', h.length],
      ['Revision', h.revision],
      ['Checksum', `0x${h.checksum.toString(16).padStart(2, '0')} (${h.checksumValid ? 'valid' : 'INVALID'})`],
      ['OEM ID', h.oemId],
      ['OEM table ID', h.oemTableId],
    ]), '');
    if (t.initiator) {
      const i = t.initiator;
      out.push('## Initiator', '', ...table([
        ['Flags', flags(i)],
        ['Name', i.name],
        ['iSNS', i.isnsServer],
        ['SLP', i.slpServer],
        ['RADIUS', [i.primaryRadius, i.secondaryRadius].filter(Boolean).join(', ')],
      ]), '');
    }
    for (const n of t.nics) out.push(`## NIC ${n.slot}`, '', ...table(nicRows(n)), '');
    for (const g of t.targets) out.push(`## Target ${g.slot}`, '', ...table(targetRows(g)), '');
    if (t.targets.some((g) => g.secretsRedacted && (g.chapSecret || g.reverseChapSecret))) {
      out.push('_CHAP secrets are redacted; set `"bootdbg.ibft.revealSecrets": true` to show them._', '');
    }
  }
  if (input.comparison) {
    const items = [...input.comparison.items].sort((a, b) => Number(a.verdict === 'agree') - Number(b.verdict === 'agree'));
    const bad = items.filter((c) => c.verdict !== 'agree').length;
    out.push(`## Firmware vs ${input.comparison.transcript}`, '');
    out.push(bad === 0 ? `All ${items.length} compared fields agree.` : `**${bad} of ${items.length} compared fields disagree.**`, '');
    if (items.length) {
      out.push('| Where | Field | Firmware (iBFT) | Windows (transcript) | Verdict |', '|---|---|---|---|---|');
      for (const c of items) {
        const line = c.line !== undefined ? ` (line ${c.line + 1})` : '';
        out.push(`| ${c.section} | ${c.field} | ${cell(c.firmware)} | ${cell(c.transcript)}${line} | ${VERDICT_LABEL[c.verdict]} |`);
      }
      out.push('');
    }
  }
  return out.join('\n');
}
