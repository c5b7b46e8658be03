/**
 * Cross-file checks for a boot.ini debug entry (`/debug /debugport=comN /baudrate=B`):
 *  - against the .vmx files in the same folder: is serial(N-1) — the guest's COMN — present and
 *    backed by something a kernel debugger can talk to (a pipe or socket), not absent, a ThinPrint
 *    printer port, output-only or disconnected at power-on?
 *  - against the workspace's `windows-kd` launch configurations: same baud rate, and does the
 *    debugger open the pipe/socket that the VM's serial port uses?
 * Workspace access goes through WorkspaceContext only (siblings, readText, kdLaunchConfigs).
 */
import { CodeActionKind, DiagnosticSeverity } from 'vscode-languageserver-types';
import type { CodeAction, Diagnostic, Range, TextEdit } from 'vscode-languageserver-types';
import type { DocumentInput, KdLaunchConfig } from '../languageFeatures';
import { parseVmx, isTrue, lastEntry } from '../vmx/vmxParser';
import type { VmxDocument } from '../vmx/vmxParser';

/** What the boot.ini parser knows about one debugger-enabled OS entry. */
export interface BootIniDebugSetting {
  /** The entry's line (diagnostics without a more precise switch range go here). */
  lineRange: Range;
  /** `/debugport=` value as written (`com1`, `COM2`, `1394`, `usb`); undefined = NTLDR's default. */
  debugPort?: string;
  debugPortRange?: Range;
  /** `/baudrate=` value; undefined = not given. */
  baudRate?: number;
  baudRateRange?: Range;
}

export const CROSSFILE_CODES = ['crossfile/vmx-serial', 'crossfile/kd-baudrate', 'crossfile/kd-port'] as const;

/** NTLDR's default rate when /baudrate is missing (WDK, KB 170756; KB 833721 says 115200). */
const NTLDR_DEFAULT_BAUD = 19200;
/** Rates NTLDR accepts; anything else is the boot.ini rules' business (invalid value), not a mismatch. */
const NTLDR_BAUD_RATES: readonly number[] = [9600, 19200, 38400, 57600, 115200];

export interface SerialPort {
  index: number;
  present: boolean;
  fileType?: string;
  fileName?: string;
  startConnected: boolean;
}

export function serialPorts(doc: VmxDocument): SerialPort[] {
  const out: SerialPort[] = [];
  for (let index = 0; index <= 3; index++) {
    const get = (p: string): string | undefined => lastEntry(doc, `serial${index}.${p}`)?.value;
    const present = get('present');
    if (present === undefined && get('fileType') === undefined) continue;
    const startConnected = get('startConnected');
    out.push({
      index,
      present: isTrue(present),
      fileType: get('fileType')?.trim().toLowerCase(),
      fileName: get('fileName'),
      startConnected: startConnected === undefined || startConnected.trim().toLowerCase() !== 'false',
    });
  }
  return out;
}

/** The guest COM number the entry debugs over; undefined for 1394/USB/unparsable ports.
 *  NTLDR: /debug without /debugport uses COM2 when it exists, else COM1. */
export function targetCom(setting: BootIniDebugSetting, ports: readonly SerialPort[]): number | undefined {
  const port = setting.debugPort?.trim().toLowerCase();
  if (port === undefined) return ports.some((s) => s.index === 1 && s.present) ? 2 : 1;
  const m = /^com(\d+)$/.exec(port);
  return m ? Number(m[1]) : undefined;
}

export const usable = (p: SerialPort): boolean => p.present && (p.fileType === 'pipe' || p.fileType === 'network');

function baseName(uri: string): string {
  return decodeURIComponent(uri.slice(uri.lastIndexOf('/') + 1));
}

function dirPath(uri: string): string {
  const path = decodeURIComponent(uri.replace(/^file:\/\//, ''));
  return path.slice(0, path.lastIndexOf('/'));
}

/** Pipe/socket names compared the way the host would: Windows pipe names case-insensitively,
 *  relative VMware paths against the .vmx folder. */
function normalizeEndpoint(name: string, vmxUri?: string): string {
  let n = name.trim();
  if (/^\\\\\.\\pipe\\/i.test(n)) return n.toLowerCase();
  if (vmxUri && !n.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(n)) n = `${dirPath(vmxUri)}/${n}`;
  return n.replace(/\/+/g, '/');
}

/** A launch-config port that names a pipe or a socket path (not `com1`, `tcp:…`, a host serial device). */
function isPipeOrSocket(port: string): boolean {
  return /^\\\\\.\\pipe\\/i.test(port) || (port.startsWith('/') && !port.startsWith('/dev/'));
}

function diag(code: (typeof CROSSFILE_CODES)[number], severity: DiagnosticSeverity, range: Range, message: string, fixes: { title: string; edits: TextEdit[] }[] = []): Diagnostic {
  const d: Diagnostic = { range, severity, code, source: 'bootdbg', message };
  if (fixes.length) d.data = { fixes };
  return d;
}

function checkAgainstVmx(setting: BootIniDebugSetting, vmxUri: string, doc: VmxDocument): Diagnostic[] {
  const vm = baseName(vmxUri);
  const ports = serialPorts(doc);
  const port = setting.debugPort?.trim().toLowerCase();
  const at = setting.debugPortRange ?? setting.lineRange;
  if (port === '1394' || port === 'usb') {
    return [
      diag(
        'crossfile/vmx-serial',
        DiagnosticSeverity.Warning,
        at,
        `${vm} is a VMware VM, which has no ${port === '1394' ? 'IEEE 1394 controller' : 'USB debug device'} for the kernel debugger. Debug a VMware guest over a serial port backed by a named pipe: /debugport=comN with serial(N-1) as a pipe.`,
      ),
    ];
  }
  const com = targetCom(setting, ports);
  if (com === undefined) return [];
  const want = com - 1;
  const serial = ports.find((s) => s.index === want);
  const alternative = ports.find((s) => s.index !== want && usable(s));
  const portText = port === undefined ? `COM${com} (NTLDR's default without /debugport)` : `COM${com}`;
  const fixes =
    alternative && setting.debugPortRange
      ? [{ title: `Use /debugport=com${alternative.index + 1} (serial${alternative.index} of ${vm})`, edits: [{ range: setting.debugPortRange, newText: `/debugport=com${alternative.index + 1}` }] }]
      : [];
  const hint = alternative
    ? ` serial${alternative.index} is a ${alternative.fileType}, which the guest sees as COM${alternative.index + 1}: use /debugport=com${alternative.index + 1}.`
    : ` Add serial${want} to the VM as a named pipe (serial${want}.fileType = "pipe") for the debugger.`;
  if (!serial || !serial.present) {
    return [
      diag(
        'crossfile/vmx-serial',
        DiagnosticSeverity.Warning,
        at,
        `The kernel debugger is sent to ${portText}, but in ${vm} serial${want} (the guest's COM${com}) is ${serial ? 'not present (serial' + want + '.present is not TRUE)' : 'not configured'}, so no debugger can reach it.${hint}`,
        fixes,
      ),
    ];
  }
  if (serial.fileType === 'thinprint') {
    return [
      diag(
        'crossfile/vmx-serial',
        DiagnosticSeverity.Warning,
        at,
        `The kernel debugger is sent to ${portText}, but in ${vm} serial${want} is VMware's ThinPrint virtual printer port, not a connection a debugger can use.${hint}`,
        fixes,
      ),
    ];
  }
  const out: Diagnostic[] = [];
  if (serial.fileType === 'file') {
    out.push(
      diag(
        'crossfile/vmx-serial',
        DiagnosticSeverity.Information,
        at,
        `In ${vm}, serial${want} (COM${com}) writes to the file "${serial.fileName ?? ''}": the target's KD packets are captured but no debugger can answer them. Use a named pipe (fileType "pipe") to debug.`,
      ),
    );
  }
  if (!serial.startConnected) {
    out.push(
      diag(
        'crossfile/vmx-serial',
        DiagnosticSeverity.Warning,
        at,
        `In ${vm}, serial${want} (COM${com}) starts disconnected (serial${want}.startConnected = "FALSE"): the guest's COM${com} goes nowhere until it is connected in VMware, so the debugger misses the boot.`,
      ),
    );
  }
  return out;
}

function checkAgainstLaunchConfigs(setting: BootIniDebugSetting, configs: KdLaunchConfig[], vmxPipes: { uri: string; name: string }[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const withBaud = configs.filter((c) => c.baudRate !== undefined);
  const validBaud = setting.baudRate === undefined || NTLDR_BAUD_RATES.includes(setting.baudRate);
  if (withBaud.length && validBaud && !withBaud.some((c) => c.baudRate === (setting.baudRate ?? NTLDR_DEFAULT_BAUD))) {
    const c = withBaud[0];
    const given = setting.baudRate !== undefined;
    out.push(
      diag(
        'crossfile/kd-baudrate',
        given ? DiagnosticSeverity.Warning : DiagnosticSeverity.Information,
        setting.baudRateRange ?? setting.debugPortRange ?? setting.lineRange,
        given
          ? `/baudrate=${setting.baudRate} does not match the windows-kd launch configuration "${c.name}" (baudRate ${c.baudRate}). On a real or emulated UART both ends must use the same rate or the debugger sees garbage; set both to the same value (115200 is usual).`
          : `No /baudrate: NTLDR uses ${NTLDR_DEFAULT_BAUD}, but the windows-kd launch configuration "${c.name}" uses ${c.baudRate}. Add /baudrate=${c.baudRate} (the rate is ignored over a VMware pipe, not over a real or emulated UART).`,
        setting.baudRateRange ? [{ title: `Change to /baudrate=${c.baudRate}`, edits: [{ range: setting.baudRateRange, newText: `/baudrate=${c.baudRate}` }] }] : [],
      ),
    );
  }
  const pipeConfigs = configs.filter((c) => c.port && isPipeOrSocket(c.port));
  if (pipeConfigs.length && vmxPipes.length) {
    const matches = pipeConfigs.some((c) => vmxPipes.some((p) => normalizeEndpoint(p.name, p.uri) === normalizeEndpoint(c.port!)));
    if (!matches) {
      const c = pipeConfigs[0];
      const p = vmxPipes[0];
      out.push(
        diag(
          'crossfile/kd-port',
          DiagnosticSeverity.Warning,
          setting.debugPortRange ?? setting.lineRange,
          `The windows-kd launch configuration "${c.name}" connects to "${c.port}", but ${baseName(p.uri)} puts this COM port on "${p.name}". The debugger would wait on a pipe nobody writes to; use the same name in both.`,
        ),
      );
    }
  }
  return out;
}

/**
 * Diagnostics for the debug entries of a boot.ini (`doc`), from the .vmx files next to it and the
 * windows-kd launch configurations. `settings` are the debugger-enabled entries found by the
 * boot.ini parser.
 */
export function bootIniCrossFileDiagnostics(doc: DocumentInput, settings: readonly BootIniDebugSetting[]): Diagnostic[] {
  if (settings.length === 0) return [];
  const vmxDocs: { uri: string; doc: VmxDocument }[] = [];
  for (const uri of doc.ctx.siblings(doc.uri)) {
    if (!/\.vmx$/i.test(uri)) continue;
    const text = doc.ctx.readText(uri);
    if (text !== undefined) vmxDocs.push({ uri, doc: parseVmx(text) });
  }
  const configs = doc.ctx.kdLaunchConfigs();
  const out: Diagnostic[] = [];
  for (const setting of settings) {
    const pipes: { uri: string; name: string }[] = [];
    for (const v of vmxDocs) {
      out.push(...checkAgainstVmx(setting, v.uri, v.doc));
      const ports = serialPorts(v.doc);
      const com = targetCom(setting, ports);
      const serial = com === undefined ? undefined : ports.find((s) => s.index === com - 1);
      if (serial && usable(serial) && serial.fileName) pipes.push({ uri: v.uri, name: serial.fileName });
    }
    out.push(...checkAgainstLaunchConfigs(setting, configs, pipes));
  }
  return out;
}

/** Quick fixes carried by the cross-file diagnostics (for the boot.ini code-action handler). */
export function crossFileCodeActions(uri: string, diagnostics: readonly Diagnostic[]): CodeAction[] {
  const actions: CodeAction[] = [];
  for (const d of diagnostics) {
    if (d.source !== 'bootdbg' || typeof d.code !== 'string' || !d.code.startsWith('crossfile/')) continue;
    const fixes = (d.data as { fixes?: { title: string; edits: TextEdit[] }[] } | undefined)?.fixes ?? [];
    for (const f of fixes) actions.push({ title: f.title, kind: CodeActionKind.QuickFix, diagnostics: [d], isPreferred: true, edit: { changes: { [uri]: f.edits } } });
  }
  return actions;
}
