/**
 * Markdown for the iSCSI boot report: the whole report (preview / "Show iSCSI Boot Report") and
 * single sections (hover on a transcript line). Values that came from the transcript are escaped.
 */
import { inaccessibleBootDeviceCauses } from './bugcheckNames';
import {
  bootDiskArrived,
  buildReport,
  iscsiBootAttempted,
  nicPresentGateway,
  type IscsiBootReport,
  type ReportBugcheck,
  type ReportNic,
  type ReportTarget,
  type SectionId,
} from './iscsiBootReport';

export interface MarkdownOptions {
  /** Show CHAP names (secrets are never in the report). Default true. */
  showChapNames?: boolean;
  /** Prefix for line references, e.g. "line " (1-based numbers are printed). */
  lineLabel?: string;
}

const PATH_NAMES: Record<IscsiBootReport['path'], string> = {
  sanbootconf: 'sanbootconf (iPXE SAN Boot Configuration Driver)',
  microsoft: 'Microsoft iSCSI initiator boot (IscsiBP)',
  unknown: 'no iSCSI boot driver output seen',
};

const ORIGINS = ['other', 'manual', 'well-known', 'DHCP', 'router advertisement'];

/** Text from the transcript as an inline code span (device paths are full of markdown syntax). */
export function code(text: string): string {
  return '`' + text.replace(/`/g, "'") + '`';
}

/** Escapes text from the transcript for markdown (no HTML, no links, no emphasis). */
export function md(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+!|<>~]/g, (c) => '\\' + c);
}

function at(line: number, o: MarkdownOptions): string {
  return ` _(${o.lineLabel ?? 'line '}${line + 1})_`;
}

function row(label: string, value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : `| ${label} | ${value} |`;
}

function table(rows: Array<string | undefined>): string {
  const body = rows.filter((r): r is string => r !== undefined);
  if (body.length === 0) return '';
  return ['| | |', '|---|---|', ...body].join('\n');
}

export function summaryMarkdown(r: IscsiBootReport, o: MarkdownOptions = {}): string {
  const lines: string[] = [];
  lines.push(`**Path:** ${PATH_NAMES[r.path]}`);
  if (r.drivers.length > 1) lines.push(`Also seen: ${r.drivers.slice(1).map((d) => PATH_NAMES[d.value]).join(', ')}`);
  lines.push(`**iBFT:** ${ibftText(r, o)}`);
  lines.push(`**Boot disk:** ${diskText(r, o)}`);
  if (r.bootStatus) lines.push(`**Boot status:** ${statusText(r)}${at(r.bootStatus.line, o)}`);
  if (r.bugcheck) lines.push(`**Bugcheck:** ${bugcheckTitle(r.bugcheck)}${at(r.bugcheck.line, o)}`);
  if (r.noisyLines > 0) lines.push(`_${r.noisyLines} line(s) had binary noise removed._`);
  return lines.join('  \n');
}

function ibftText(r: IscsiBootReport, o: MarkdownOptions): string {
  const f = r.ibft.found;
  if (f) {
    const where = f.address ? ` at 0x${md(f.address.replace(/^0x/i, ''))}` : '';
    const ids = [f.oemId, f.oemTableId].filter((x) => x).map((x) => `"${md(x ?? '')}"`).join(' / ');
    return `found${where}${ids ? ` (OEM ${ids})` : ''}${at(f.line, o)}`;
  }
  if (r.ibft.missingLine !== undefined) {
    const other = r.otherSanTables.map((t) => md(t.value)).join(', ');
    return other ? `not found; booting from ${other} instead${at(r.otherSanTables[0].line, o)}` : `**not found**${at(r.ibft.missingLine, o)}`;
  }
  return iscsiBootAttempted(r) ? 'not reported' : 'no iSCSI boot driver output';
}

function diskText(r: IscsiBootReport, o: MarkdownOptions): string {
  if (r.bootDisk) return `arrived${r.bootDisk.name ? ` (${code(r.bootDisk.name)})` : ''}${at(r.bootDisk.line, o)}`;
  if (bootDiskArrived(r)) return 'session up (boot status 0)';
  if (r.gaveUpLine !== undefined) return `**driver gave up waiting**${at(r.gaveUpLine, o)}`;
  if (r.waitingForDisk) {
    const secs = r.waitingForDisk.seconds !== undefined ? `${r.waitingForDisk.seconds} s` : `${r.waitingForDisk.attempts} attempt(s)`;
    return `waiting (${secs}), not seen to arrive${at(r.waitingForDisk.line, o)}`;
  }
  return 'not seen';
}

function statusText(r: IscsiBootReport): string {
  const s = r.bootStatus;
  if (!s) return '';
  const hex = '0x' + (s.value >>> 0).toString(16).toUpperCase().padStart(8, '0');
  const name = s.name ? ` ${s.name}` : '';
  return s.value === 0 ? `0 (success)` : `**${md(s.text)}** (${hex}${name}${s.meaning ? `: ${s.meaning}` : ''})`;
}

export function bugcheckTitle(b: ReportBugcheck): string {
  return `${b.codeText}${b.name ? ` ${b.name}` : ''}`;
}

export function initiatorMarkdown(r: IscsiBootReport, o: MarkdownOptions = {}): string {
  const i = r.initiator;
  if (!i) return '';
  return [
    `#### Initiator${at(i.line, o)}`,
    table([row('Name', i.name ? `\`${i.name.replace(/`/g, "'")}\`` : undefined), row('Flags', flagsText(i))]),
  ].join('\n\n');
}

function flagsText(x: { flags?: number; valid?: boolean; bootSelected?: boolean }): string | undefined {
  if (x.flags === undefined) return undefined;
  const words = [x.valid ? 'valid' : 'not valid', x.bootSelected ? 'boot selected' : undefined].filter((w) => w);
  return `0x${x.flags.toString(16).padStart(2, '0')} (${words.join(', ')})`;
}

export function nicMarkdown(n: ReportNic, o: MarkdownOptions = {}): string {
  const gw = nicPresentGateway(n);
  const matched = n.matched
    ? `yes${at(n.matched.line, o)}`
    : n.notFoundLine !== undefined
      ? `**no**${at(n.notFoundLine, o)}`
      : n.source === 'sanbootconf'
        ? '**no** (no "iBFT NIC … is interface" line)'
        : undefined;
  return [
    `#### NIC ${n.index}${at(n.line, o)}`,
    table([
      row('Flags', flagsText(n)),
      row('IP', n.ip ? `${md(n.ip.value)}${n.prefix !== undefined ? `/${n.prefix}` : ''}` : undefined),
      row('Origin', n.origin !== undefined ? (ORIGINS[n.origin] ?? String(n.origin)) : undefined),
      row('Gateway', n.gateway ? (gw ? md(gw) : '**none**') : undefined),
      row('DNS', n.dns.length > 0 ? n.dns.map(md).join(', ') : undefined),
      row('DHCP server', n.dhcp ? md(n.dhcp) : undefined),
      row('VLAN', n.vlan !== undefined ? String(n.vlan) : undefined),
      row('MAC', n.mac ? md(n.mac.value) : undefined),
      row('PCI', n.pci ? md(n.pci.value) : undefined),
      row('Hostname', n.hostname ? md(n.hostname) : undefined),
      row('NIC handle', n.nicHandle ? md(n.nicHandle) : undefined),
      row('Matched to a Windows NIC', matched),
      row(
        'Configured by sanbootconf',
        n.configured ? `${n.configured.ok ? 'yes' : `**no**${n.configured.status ? ` (status ${md(n.configured.status)})` : ''}`}${at(n.configured.line, o)}` : undefined,
      ),
      row('NetCfgInstanceId', n.matched?.netCfgInstanceId ? code(n.matched.netCfgInstanceId) : undefined),
      row('Windows interface', n.matched?.interface ? code(n.matched.interface) : undefined),
      row('PDO', n.matched?.pdo ? code(n.matched.pdo) : undefined),
    ]),
  ].join('\n\n');
}

export function targetMarkdown(t: ReportTarget, o: MarkdownOptions = {}): string {
  const showNames = o.showChapNames ?? true;
  const chapName = (name: string | undefined): string | undefined =>
    name === undefined || name === '' ? undefined : showNames ? md(name) : '(hidden)';
  return [
    `#### Target ${t.index}${at(t.line, o)}`,
    table([
      row('Flags', flagsText(t)),
      row('IP', t.ip ? md(t.ip.value) : undefined),
      row('Port', t.port !== undefined ? String(t.port) : undefined),
      row('LUN', t.lun ? md(t.lun) : undefined),
      row('IQN', t.iqn ? `\`${t.iqn.replace(/`/g, "'")}\`` : undefined),
      row('CHAP', t.chapType),
      row('NIC', t.nicIndex !== undefined ? String(t.nicIndex) : undefined),
      row('CHAP name', chapName(t.chapName)),
      row('CHAP secret', t.hasChapSecret === undefined ? undefined : t.hasChapSecret ? 'set (not shown)' : 'none'),
      row('Reverse CHAP name', chapName(t.reverseChapName)),
      row('Reverse CHAP secret', t.hasReverseChapSecret === undefined ? undefined : t.hasReverseChapSecret ? 'set (not shown)' : 'none'),
    ]),
  ].join('\n\n');
}

export function firmwareMarkdown(r: IscsiBootReport, o: MarkdownOptions = {}): string {
  const fw = r.firmware;
  if (!fw) return '';
  const rows: Array<string | undefined> = [];
  for (const n of fw.nics) {
    const parts = [n.mac, n.pci ? `PCI ${n.pci}` : undefined, n.ip ? `${n.ip}${n.prefix !== undefined ? `/${n.prefix}` : ''}` : undefined, n.gateway ? `gw ${n.gateway}` : undefined];
    rows.push(row(md(n.name), parts.filter((p) => p).map((p) => md(p ?? '')).join(', ')));
  }
  rows.push(row('SAN device', fw.sanRegistered ? `${md(fw.sanRegistered.value)} registered${at(fw.sanRegistered.line, o)}` : undefined));
  rows.push(row('Boot', fw.sanBooting ? `from SAN device ${md(fw.sanBooting.value)}${at(fw.sanBooting.line, o)}` : undefined));
  rows.push(
    row(
      'Error',
      fw.sanError ? `**Could not ${md(fw.sanError.action)}**: ${md(fw.sanError.message)}${fw.sanError.code ? ` (ipxe.org/${fw.sanError.code})` : ''}${at(fw.sanError.line, o)}` : undefined,
    ),
  );
  return [`#### Firmware: ${fw.name}${fw.version ? ` ${md(fw.version)}` : ''}${at(fw.line, o)}`, table(rows)].filter((p) => p).join('\n\n');
}

export function bugcheckMarkdown(b: ReportBugcheck, o: MarkdownOptions = {}): string {
  const parts = [`#### Bugcheck ${bugcheckTitle(b)}${at(b.line, o)}`];
  if (b.meaning) parts.push(`${b.meaning}.`);
  parts.push(
    table([
      ...b.params.map((p, i) => row(`P${i + 1}`, `${code(p)}${b.paramMeanings?.[i] ? ` — ${md(b.paramMeanings[i])}` : ''}`)),
      row('Status parameter', b.statusParam ? `P${b.statusParam.index + 1} = ${b.statusParam.name ?? 'unknown status'}${b.statusParam.meaning ? `: ${b.statusParam.meaning}` : ''}` : undefined),
      row('Driver at fault', b.driverAtFault ? md(b.driverAtFault) : undefined),
    ]),
  );
  if (b.code === 0x7b) {
    parts.push('Usual causes on iSCSI boot:\n' + inaccessibleBootDeviceCauses(b.statusParam?.value).map((c) => `- ${c}`).join('\n'));
  }
  return parts.filter((p) => p.length > 0).join('\n\n');
}

/** Markdown of one section (hover). */
export function sectionMarkdown(r: IscsiBootReport, section: SectionId, o: MarkdownOptions = {}): string {
  if (section === 'initiator') return initiatorMarkdown(r, o);
  if (section === 'firmware') return firmwareMarkdown(r, o);
  if (section === 'bugcheck') return r.bugcheck ? bugcheckMarkdown(r.bugcheck, o) : '';
  if (section.startsWith('nic:')) {
    const index = Number(section.slice(4));
    return r.nics.filter((n) => n.index === index).map((n) => nicMarkdown(n, o)).join('\n\n');
  }
  if (section.startsWith('target:')) {
    const index = Number(section.slice(7));
    return r.targets.filter((t) => t.index === index).map((t) => targetMarkdown(t, o)).join('\n\n');
  }
  return '#### iSCSI boot\n\n' + summaryMarkdown(r, o);
}

/** The whole report as one markdown document. */
export function reportToMarkdown(r: IscsiBootReport, o: MarkdownOptions & { title?: string } = {}): string {
  const parts = [`# ${o.title ?? 'iSCSI boot report'}`, summaryMarkdown(r, o)];
  const fw = firmwareMarkdown(r, o);
  if (fw) parts.push(fw);
  const ini = initiatorMarkdown(r, o);
  if (ini) parts.push(ini);
  for (const n of r.nics) parts.push(nicMarkdown(n, o));
  for (const t of r.targets) parts.push(targetMarkdown(t, o));
  if (r.windowsNics.length > 0) {
    parts.push(
      '#### NICs Windows enumerated\n\n' +
        r.windowsNics.map((w) => `- ${md(w.mac)}${w.name ? ` at \`${w.name.replace(/`/g, "'")}\`` : ''}${at(w.line, o)}`).join('\n'),
    );
  }
  if (r.bugcheck) parts.push(bugcheckMarkdown(r.bugcheck, o));
  return parts.join('\n\n') + '\n';
}

/** Every boot of a transcript (usually one) as one markdown document. */
export function sessionsToMarkdown(reports: readonly IscsiBootReport[], o: MarkdownOptions & { title?: string } = {}): string {
  if (reports.length <= 1) return reportToMarkdown(reports[0] ?? buildEmpty(), o);
  const title = o.title ?? 'iSCSI boot report';
  const parts = [`# ${title}`, `_${reports.length} boots in this transcript; the last one is the current._`];
  reports.forEach((r, i) => {
    const body = reportToMarkdown(r, { ...o, title: `Boot ${i + 1}${at(r.firstLine, o)}` }).replace(/^# /, '## ').replace(/^#### /gm, '### ');
    parts.push(body.trimEnd());
  });
  return parts.join('\n\n') + '\n';
}

function buildEmpty(): IscsiBootReport {
  return buildReport('');
}
