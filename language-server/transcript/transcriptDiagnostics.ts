/**
 * Diagnostics on a KD transcript, from its iSCSI boot report. Every diagnostic has source
 * 'bootdbg' and a stable code (`transcript/…`) that tests, docs and quick fixes rely on.
 */
import { DiagnosticSeverity, type Diagnostic, type DiagnosticRelatedInformation, type Range } from 'vscode-languageserver-types';
import type { WorkspaceContext } from '../languageFeatures';
import { inaccessibleBootDeviceCauses } from './bugcheckNames';
import {
  bootDiskArrived,
  iscsiBootAttempted,
  nicPresentGateway,
  nicPresentIp,
  sameSubnet,
  targetPresentIp,
  type IscsiBootReport,
  type ReportNic,
  type ReportTarget,
} from './iscsiBootReport';
import { bugcheckTitle } from './reportMarkdown';

export const TRANSCRIPT_CODES = {
  noIbft: 'transcript/no-ibft',
  nicNotMatched: 'transcript/nic-not-matched',
  noGateway: 'transcript/no-gateway',
  bootStatus: 'transcript/boot-status',
  bugcheck7b: 'transcript/bugcheck-7b',
  bugcheck: 'transcript/bugcheck',
  truncated: 'transcript/truncated',
  sanError: 'transcript/san-error',
} as const;

export type TranscriptCode = (typeof TRANSCRIPT_CODES)[keyof typeof TRANSCRIPT_CODES];

export interface DiagnosticInput {
  uri: string;
  /** Raw lines of the document (for ranges). */
  lines: string[];
  report: IscsiBootReport;
  ctx: WorkspaceContext;
  /** First line of the next boot in the same transcript, when this is not the last one. */
  nextBootLine?: number;
}

function lineRange(lines: string[], line: number): Range {
  const l = Math.max(0, Math.min(line, lines.length - 1));
  return { start: { line: l, character: 0 }, end: { line: l, character: (lines[l] ?? '').length } };
}

function diag(
  input: DiagnosticInput,
  line: number,
  severity: DiagnosticSeverity,
  code: TranscriptCode,
  message: string,
  relatedInformation?: DiagnosticRelatedInformation[],
): Diagnostic {
  const d: Diagnostic = { range: lineRange(input.lines, line), severity, code, source: 'bootdbg', message };
  if (relatedInformation && relatedInformation.length > 0) d.relatedInformation = relatedInformation;
  return d;
}

/** A .vmx next to the transcript and where its `scsi0.present` line is (the VMware PCI-slot case). */
export interface VmxScsiHint {
  uri: string;
  /** 0-based line of `scsi0.present`, undefined when the key is absent. */
  line?: number;
  lineText?: string;
  /** The value, lower-cased without quotes ("true"/"false"), undefined when absent. */
  value?: string;
}

/** Folders searched for a .vmx: the transcript's, then up to two parents (BootDbg keeps its
 *  transcripts in .bootdbg/transcripts/ under the workspace that holds the VM). */
function vmxCandidates(uri: string, ctx: WorkspaceContext): string[] {
  const out: string[] = [];
  for (const probe of ['', '../.bootdbg-probe', '../../.bootdbg-probe']) {
    let at = uri;
    if (probe) {
      try {
        at = new URL(probe, uri).toString();
      } catch {
        break;
      }
    }
    try {
      out.push(...ctx.siblings(at).filter((s) => /\.vmx$/i.test(s) && !out.includes(s)));
    } catch {
      // a context that cannot list folders: no hint
    }
  }
  return out;
}

/**
 * The .vmx the transcript belongs to — nearest folder first, and among several the one whose
 * ethernet address is the iBFT NIC's MAC — and where its `scsi0.present` line is.
 */
export function findVmxScsiHint(uri: string, ctx: WorkspaceContext, mac?: string): VmxScsiHint | undefined {
  const texts = vmxCandidates(uri, ctx)
    .map((vmx) => ({ vmx, text: ctx.readText(vmx) }))
    .filter((c): c is { vmx: string; text: string } => c.text !== undefined);
  const wanted = mac?.toLowerCase();
  const pick = (wanted && texts.find((c) => c.text.toLowerCase().includes(wanted))) || texts[0];
  if (!pick) return undefined;
  const lines = pick.text.split(/\r\n|\n|\r/);
  const line = lines.findIndex((l) => /^\s*scsi0\.present\s*=/i.test(l));
  if (line < 0) return { uri: pick.vmx };
  const value = /=\s*"?([^"\s]*)"?/.exec(lines[line])?.[1]?.toLowerCase();
  return { uri: pick.vmx, line, lineText: lines[line], value };
}

function vmxRelated(hint: VmxScsiHint | undefined): DiagnosticRelatedInformation[] {
  if (!hint) return [];
  if (hint.line === undefined) {
    return [
      {
        location: { uri: hint.uri, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } },
        message: 'This .vmx has no scsi0.present: without a SCSI controller the NIC moves to another PCI slot than at install time',
      },
    ];
  }
  return [
    {
      location: {
        uri: hint.uri,
        range: { start: { line: hint.line, character: 0 }, end: { line: hint.line, character: hint.lineText?.length ?? 0 } },
      },
      message:
        hint.value === 'true'
          ? 'scsi0.present is TRUE here: compare ethernet0.pciSlotNumber with the VM the image was installed in'
          : 'scsi0.present is not TRUE: the NIC sits at another PCI slot than at install time, so Windows sees a new adapter',
    },
  ];
}

function nicLabel(n: ReportNic): string {
  const bits = [n.mac ? `MAC ${n.mac.value}` : undefined, n.pci ? `PCI ${n.pci.value}` : undefined].filter((b) => b);
  return `iBFT NIC ${n.index}${bits.length > 0 ? ` (${bits.join(', ')})` : ''}`;
}

function nicNotMatched(input: DiagnosticInput, n: ReportNic): Diagnostic | undefined {
  const r = input.report;
  if (n.matched || n.valid === false) return undefined;
  const explicit = n.notFoundLine !== undefined;
  // sanbootconf prints the match right after the NIC block: only judge once the transcript went on.
  if (!explicit && (n.source !== 'sanbootconf' || r.lastTextLine <= n.endLine)) return undefined;
  const hint = findVmxScsiHint(input.uri, input.ctx, n.mac?.value);
  const seen = r.windowsNics.filter((w) => w.line > n.line).map((w) => w.mac);
  let message = `${nicLabel(n)} was not matched to any Windows NIC, so its IP settings were not applied and the iSCSI session cannot start.`;
  if (r.nicListFailed) message += ` The driver could not list NICs (line ${r.nicListFailed.line + 1}).`;
  else if (seen.length > 0) message += ` Windows NICs seen: ${[...new Set(seen)].join(', ')}.`;
  else message += ' No Windows NIC answered: is the NIC driver boot-start?';
  message += hint
    ? ` VMware: the NIC's PCI slot depends on scsi0.present (see ${hint.uri.replace(/^.*[\\/]/, '')}).`
    : ' VMware: keep scsi0.present = "TRUE" in the .vmx so the NIC stays at the PCI slot it had at install time.';
  return diag(input, explicit ? (n.notFoundLine ?? n.line) : n.line, DiagnosticSeverity.Error, TRANSCRIPT_CODES.nicNotMatched, message, vmxRelated(hint));
}

function nicForTarget(r: IscsiBootReport, t: ReportTarget): ReportNic | undefined {
  const same = r.nics.filter((n) => n.source === t.source && n.valid !== false);
  return same.find((n) => n.index === (t.nicIndex ?? 0)) ?? same[0];
}

function noGateway(input: DiagnosticInput, t: ReportTarget): Diagnostic | undefined {
  const r = input.report;
  const nic = nicForTarget(r, t);
  const tip = targetPresentIp(t);
  const nip = nic ? nicPresentIp(nic) : undefined;
  if (!nic || !tip || !nip || nic.prefix === undefined) return undefined;
  if (sameSubnet(nip, tip, nic.prefix) !== false) return undefined;
  if (nicPresentGateway(nic)) return undefined;
  return diag(
    input,
    nic.gateway?.line ?? nic.ip?.line ?? nic.line,
    DiagnosticSeverity.Error,
    TRANSCRIPT_CODES.noGateway,
    `NIC ${nic.index} (${nip}/${nic.prefix}) has no gateway, but target ${t.index} (${tip}) is on another subnet: Windows cannot reach the target. Give the NIC a gateway (DHCP option 3 or iPXE "set gateway") or put the target on the NIC's subnet.`,
    t.ip ? [{ location: { uri: input.uri, range: lineRange(input.lines, t.ip.line) }, message: `target ${t.index} IP ${tip}` }] : undefined,
  );
}

/** Hints from the report itself that explain a 0x7B. */
function observedCauses(r: IscsiBootReport): string[] {
  const found: string[] = [];
  if (r.ibft.missingLine !== undefined) found.push(`no iBFT was found (line ${r.ibft.missingLine + 1})`);
  if (!iscsiBootAttempted(r)) found.push('no iSCSI boot driver printed anything (is it installed and boot-start?)');
  for (const n of r.nics) {
    if (!n.matched && n.valid !== false && (n.source === 'sanbootconf' || n.notFoundLine !== undefined)) {
      found.push(`${nicLabel(n)} was not matched to a Windows NIC (line ${n.line + 1})`);
    }
  }
  if (r.bootStatus && r.bootStatus.value !== 0) found.push(`iSCSI boot status ${r.bootStatus.text} (line ${r.bootStatus.line + 1})`);
  if (r.gaveUpLine !== undefined) found.push(`the driver gave up waiting for the disk (line ${r.gaveUpLine + 1})`);
  return found;
}

export function transcriptDiagnostics(input: DiagnosticInput): Diagnostic[] {
  const r = input.report;
  const out: Diagnostic[] = [];
  const arrived = bootDiskArrived(r);

  // "No iBFT found" is only a problem when no other SAN boot table (aBFT/sBFT) was found either.
  if (r.ibft.missingLine !== undefined && !r.ibft.found && r.otherSanTables.length === 0) {
    out.push(
      diag(
        input,
        r.ibft.missingLine,
        arrived ? DiagnosticSeverity.Information : DiagnosticSeverity.Error,
        TRANSCRIPT_CODES.noIbft,
        'No iBFT found: the firmware (gPXE/iPXE "sanboot", or the NIC option ROM) did not leave an iSCSI Boot Firmware Table in memory, so Windows does not know the target. Boot through iPXE\'s sanboot (not chain-loading away from it) and check that its iBFT is in base memory (0x80000–0x9FFFF).',
      ),
    );
  }

  for (const n of r.nics) {
    const d = nicNotMatched(input, n);
    if (d) out.push(d);
  }
  for (const t of r.targets) {
    const d = noGateway(input, t);
    if (d) out.push(d);
  }

  const fwError = r.firmware?.sanError;
  if (fwError) {
    out.push(
      diag(
        input,
        fwError.line,
        DiagnosticSeverity.Error,
        TRANSCRIPT_CODES.sanError,
        `iPXE could not ${fwError.action}: ${fwError.message}${fwError.code ? ` (https://ipxe.org/${fwError.code} explains this error code)` : ''}. Windows never gets an iBFT or a disk from this boot: check the target address, LUN, initiator IQN and CHAP credentials in the iPXE script.`,
      ),
    );
  }

  if (r.bootStatus && r.bootStatus.value !== 0) {
    const s = r.bootStatus;
    out.push(
      diag(
        input,
        s.line,
        DiagnosticSeverity.Error,
        TRANSCRIPT_CODES.bootStatus,
        `iSCSI boot status ${s.text}${s.name ? ` (${s.name}${s.meaning ? `: ${s.meaning}` : ''})` : ''}: the initiator did not bring up the boot session.`,
      ),
    );
  }

  if (r.bugcheck) {
    const b = r.bugcheck;
    if (b.code === 0x7b) {
      const observed = observedCauses(r);
      const usual = inaccessibleBootDeviceCauses(b.statusParam?.value);
      const status = b.statusParam ? ` with ${b.statusParam.name ?? 'status ' + b.params[b.statusParam.index]}` : '';
      const message =
        `Bugcheck 0x7B INACCESSIBLE_BOOT_DEVICE${status}: Windows could not open the boot disk.` +
        (observed.length > 0 ? ` In this transcript: ${observed.join('; ')}.` : ` Usual causes: ${usual.join('; ')}.`);
      out.push(diag(input, b.line, DiagnosticSeverity.Error, TRANSCRIPT_CODES.bugcheck7b, message));
    } else {
      out.push(
        diag(
          input,
          b.line,
          b.code === 0xe2 ? DiagnosticSeverity.Information : DiagnosticSeverity.Error,
          TRANSCRIPT_CODES.bugcheck,
          `Bugcheck ${bugcheckTitle(b)}${b.meaning ? `: ${b.meaning}` : ''}${b.driverAtFault ? ` (driver at fault: ${b.driverAtFault})` : ''}.`,
        ),
      );
    }
  }

  const failed =
    r.bugcheck !== undefined || r.gaveUpLine !== undefined || fwError !== undefined || (r.bootStatus !== undefined && r.bootStatus.value !== 0);
  const iscsi = iscsiBootAttempted(r) && (r.otherSanTables.length === 0 || r.ibft.found !== undefined);
  if (iscsi && !arrived && !failed && r.noSanBootLine === undefined && r.ibft.missingLine === undefined) {
    const last = Math.max(0, r.lastTextLine);
    out.push(
      diag(
        input,
        last,
        DiagnosticSeverity.Warning,
        TRANSCRIPT_CODES.truncated,
        input.nextBootLine !== undefined
          ? `This boot stops (line ${last + 1}) before the boot disk arrived; the next boot starts at line ${input.nextBootLine + 1}: the machine was reset or the debugger reconnected while ${
              r.waitingForDisk ? 'waiting for the iSCSI disk' : 'setting up the iSCSI boot'
            }.`
          : `The transcript stops (line ${last + 1}) before the boot disk arrived: the capture ended early or the machine hung while ${
              r.waitingForDisk ? 'waiting for the iSCSI disk' : 'setting up the iSCSI boot'
            }. Send the whole transcript, up to the bugcheck or the desktop.`,
      ),
    );
  }
  // A capture that ends right after iPXE handed over to Windows: nothing from Windows followed.
  if (!iscsiBootAttempted(r) && r.firmware?.sanBooting && !failed && input.nextBootLine === undefined) {
    const last = Math.max(0, r.lastTextLine);
    out.push(
      diag(
        input,
        last,
        DiagnosticSeverity.Warning,
        TRANSCRIPT_CODES.truncated,
        `iPXE booted from SAN device ${r.firmware.sanBooting.value} (line ${r.firmware.sanBooting.line + 1}) but no Windows output follows: the capture ended, or Windows does not talk on this port (boot.ini needs /debug /debugport=COMn /baudrate=… for KD, and the boot driver's DbgPrint only reaches a debugger).`,
      ),
    );
  }
  return out;
}
