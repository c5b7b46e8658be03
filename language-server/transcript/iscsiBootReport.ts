/**
 * The iSCSI boot report: what a transcript says about the boot — which driver path ran, where the
 * iBFT was, the initiator, each NIC and target, whether Windows matched the NIC, the boot status,
 * whether the boot disk arrived and the bugcheck. Built line by line (`BootReportBuilder.addLine`)
 * so a live KD session can feed DbgPrint lines as they arrive; `buildReport(text)` does a file.
 */
import { bugcheckInfo, ntStatusInfo } from './bugcheckNames';
import { classifyLine, normaliseMac, parseNumber, type FieldKey, type MsKey, type TranscriptEvent } from './transcriptParser';
import { cleanLine, splitRawLines } from './transcriptLines';

export type BootPath = 'sanbootconf' | 'microsoft' | 'unknown';

/** Where a value came from: 0-based line in the transcript. */
export interface Located<T> {
  value: T;
  line: number;
}

export interface NicMatch {
  interface?: string;
  pdo?: string;
  netCfgInstanceId?: string;
  line: number;
}

export interface ReportNic {
  index: number;
  /** Line of the block header ("Found iBFT NIC 0:") or of the first IscsiBP NIC value. */
  line: number;
  /** Last line that belongs to this NIC's block. */
  endLine: number;
  source: BootPath;
  flags?: number;
  valid?: boolean;
  bootSelected?: boolean;
  ip?: Located<string>;
  prefix?: number;
  origin?: number;
  gateway?: Located<string>;
  dns: string[];
  dhcp?: string;
  vlan?: number;
  mac?: Located<string>;
  pci?: Located<string>;
  hostname?: string;
  nicHandle?: string;
  /** Set when Windows bound the iBFT NIC to one of its adapters. */
  matched?: NicMatch;
  /** An explicit "not found" line from the driver. */
  notFoundLine?: number;
  /** sanbootconf's verdict: "Successfully configured iBFT NIC n" / "Could not configure … : status". */
  configured?: { ok: boolean; status?: string; line: number };
}

export type ChapType = 'none' | 'one-way' | 'mutual' | 'unknown';

export interface ReportTarget {
  index: number;
  line: number;
  endLine: number;
  source: BootPath;
  flags?: number;
  valid?: boolean;
  bootSelected?: boolean;
  ip?: Located<string>;
  port?: number;
  lun?: string;
  chapType?: ChapType;
  nicIndex?: number;
  iqn?: string;
  chapName?: string;
  hasChapSecret?: boolean;
  reverseChapName?: string;
  hasReverseChapSecret?: boolean;
}

export interface ReportInitiator {
  line: number;
  endLine: number;
  name?: string;
  flags?: number;
  valid?: boolean;
  bootSelected?: boolean;
}

export interface ReportBugcheck {
  code: number;
  /** "0x0000007B" */
  codeText: string;
  name?: string;
  meaning?: string;
  params: string[];
  /** What P1..P4 mean for this code ('' = unused), from the KD bugcheck table. */
  paramMeanings?: readonly string[];
  /** Status-valued parameter explained (0x7B P2, 0x7A P2, 0x6B P1). */
  statusParam?: { index: number; value: number; name?: string; meaning?: string };
  driverAtFault?: string;
  line: number;
  endLine: number;
}

/** What the boot firmware (iPXE/gPXE) printed on a serial console before Windows started. */
export interface FirmwareReport {
  name: 'iPXE' | 'gPXE';
  version?: string;
  line: number;
  nics: Array<{ name: string; mac?: string; pci?: string; ip?: string; prefix?: number; gateway?: string; line: number }>;
  sanRegistered?: Located<string>;
  sanBooting?: Located<string>;
  sanError?: { action: string; message: string; code?: string; line: number };
}

export interface IscsiBootReport {
  path: BootPath;
  firmware?: FirmwareReport;
  /** Every boot driver that printed something, in the order first seen. */
  drivers: Array<Located<BootPath>>;
  ibft: {
    found?: { line: number; address?: string; oemId?: string; oemTableId?: string };
    missingLine?: number;
  };
  bootVia?: Located<string>;
  /** Other SAN boot tables found instead (aBFT: AoE, sBFT: SRP): then no iBFT is expected. */
  otherSanTables: Array<Located<string>>;
  initiator?: ReportInitiator;
  nics: ReportNic[];
  targets: ReportTarget[];
  /** NICs Windows enumerated (sanbootconf "Found NIC with MAC address … at …"). */
  windowsNics: Array<{ mac: string; name: string; line: number }>;
  nicListFailed?: Located<string>;
  connectionPool?: Located<string>;
  waitingForDisk?: { line: number; seconds?: number; attempts: number };
  bootDisk?: { line: number; name?: string };
  gaveUpLine?: number;
  bootStatus?: { value: number; text: string; line: number; name?: string; meaning?: string };
  bugcheck?: ReportBugcheck;
  breakLine?: number;
  noSanBootLine?: number;
  /** First line of this boot (a transcript may hold several: the debugger reconnects per boot). */
  firstLine: number;
  /** Number of lines seen, the last non-empty one, and how many had binary noise removed. */
  lineCount: number;
  lastTextLine: number;
  noisyLines: number;
  /** Lines that belong to a report section, for hover: line → section id (see `sectionOf`). */
  lineSections: Map<number, SectionId>;
}

export type SectionId = 'summary' | 'firmware' | 'ibft' | 'initiator' | `nic:${number}` | `target:${number}` | 'status' | 'disk' | 'bugcheck';

const CHAP_TYPES: readonly ChapType[] = ['none', 'one-way', 'mutual'];

function emptyReport(firstLine = 0): IscsiBootReport {
  return {
    firstLine,
    path: 'unknown',
    drivers: [],
    ibft: {},
    nics: [],
    targets: [],
    windowsNics: [],
    otherSanTables: [],
    lineCount: 0,
    lastTextLine: -1,
    noisyLines: 0,
    lineSections: new Map(),
  };
}

/** Parses "0x%02x, valid, boot selected" into flag bits (bit 0 valid, bit 1 boot selected). */
function parseFlags(value: string): { flags?: number; valid?: boolean; bootSelected?: boolean } {
  const m = /^(0x[0-9a-f]+|\d+)/i.exec(value.trim());
  const flags = m ? (m[1].toLowerCase().startsWith('0x') ? Number.parseInt(m[1].slice(2), 16) : Number(m[1])) : undefined;
  const valid = /\bvalid\b/i.test(value) || (flags !== undefined && (flags & 1) === 1);
  const bootSelected = /boot selected/i.test(value) || (flags !== undefined && (flags & 2) === 2);
  return { flags, valid, bootSelected };
}

function parseChapType(value: string): ChapType {
  const t = value.trim().toLowerCase();
  const n = /^(\d+)/.exec(t);
  if (n) return CHAP_TYPES[Number(n[1])] ?? 'unknown';
  if (t.startsWith('none')) return 'none';
  if (t.startsWith('one')) return 'one-way';
  if (t.startsWith('mutual')) return 'mutual';
  return 'unknown';
}

/** "255.255.255.0" → 24; undefined when not a contiguous mask. */
export function maskToPrefix(mask: string): number | undefined {
  const n = ipToNumber(mask);
  if (n === undefined) return undefined;
  const inverted = ~n >>> 0;
  if ((inverted & (inverted + 1)) !== 0) return undefined;
  return 32 - Math.log2(inverted + 1);
}

export function ipToNumber(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n >>> 0;
}

export function sameSubnet(a: string, b: string, prefix: number): boolean | undefined {
  const x = ipToNumber(a);
  const y = ipToNumber(b);
  if (x === undefined || y === undefined || prefix < 0 || prefix > 32) return undefined;
  if (prefix === 0) return true;
  const mask = prefix === 32 ? 0xffffffff : (~((1 << (32 - prefix)) - 1) >>> 0);
  return ((x & mask) >>> 0) === ((y & mask) >>> 0);
}

/** Treats 0.0.0.0 (what sanbootconf prints for an absent address) as absent. */
function presentIp(ip: string | undefined): string | undefined {
  if (!ip) return undefined;
  const m = /(\d{1,3}(?:\.\d{1,3}){3})/.exec(ip);
  if (!m || m[1] === '0.0.0.0' || ipToNumber(m[1]) === undefined) return undefined;
  return m[1];
}

const STATUS_PARAM: ReadonlyMap<number, number> = new Map([
  [0x7b, 1],
  [0x7a, 1],
  [0x77, 1],
  [0x6b, 0],
]);

function describeBugcheck(code: number, params: string[], line: number): ReportBugcheck {
  const info = bugcheckInfo(code);
  const bc: ReportBugcheck = {
    code,
    codeText: '0x' + (code >>> 0).toString(16).toUpperCase().padStart(8, '0'),
    name: info?.name,
    meaning: info?.meaning,
    paramMeanings: info?.parameters,
    params,
    line,
    endLine: line,
  };
  explainStatusParam(bc);
  return bc;
}

function explainStatusParam(bc: ReportBugcheck): void {
  const index = STATUS_PARAM.get(bc.code);
  if (index === undefined || bc.params[index] === undefined) return;
  // 64-bit values print as 00000000`c0000034 or ffffffff`c0000034: the low 32 bits are the status.
  const digits = bc.params[index].replace(/`/g, '').replace(/^0x/i, '');
  if (!/^[0-9a-f]+$/i.test(digits)) return;
  const low = Number.parseInt(digits.slice(-8), 16) >>> 0;
  const st = ntStatusInfo(low);
  bc.statusParam = { index, value: low, name: st?.name, meaning: st?.meaning };
}

/** Lines that begin a debugger session: BootDbg's header, WinDbg's (re)connect messages. */
const SESSION_START = /^(?:BootDbg transcript\b|Connected to Windows\b|Kernel Debugger connection established)/;

/** Has this boot printed anything the report is about (so a reconnect means a new boot)? */
function hasBootContent(r: IscsiBootReport): boolean {
  return (
    r.drivers.length > 0 ||
    r.ibft.found !== undefined ||
    r.ibft.missingLine !== undefined ||
    r.nics.length > 0 ||
    r.targets.length > 0 ||
    r.bugcheck !== undefined ||
    r.bootStatus !== undefined ||
    r.bootDisk !== undefined
  );
}

type Block =
  | { kind: 'initiator'; item: ReportInitiator }
  | { kind: 'nic'; item: ReportNic }
  | { kind: 'target'; item: ReportTarget };

/**
 * Folds lines into a report. Feed whole lines in order (`addLine`) or raw chunks as they arrive
 * from a live session (`addText`, which reassembles lines split across DbgPrint packets).
 */
export class BootReportBuilder {
  private r = emptyReport();
  private readonly sessions: IscsiBootReport[] = [this.r];
  private block: Block | undefined;
  private nextLine = 0;
  private partial = '';
  private pendingCr = false;
  /** The last bugcheck line waits for a "(0x…,0x…)" parameter line. */
  private bugcheckAwaitingParams = false;

  /** Adds one line (without its line break). Returns the events it produced. */
  addLine(raw: string): TranscriptEvent[] {
    const line = this.nextLine++;
    const { message, noisy } = cleanLine(raw);
    if (SESSION_START.test(message) && hasBootContent(this.r)) this.startSession(line);
    const r = this.r;
    r.lineCount = this.nextLine;
    if (noisy) r.noisyLines++;
    if (message.trim().length > 0) r.lastTextLine = line;
    let events: TranscriptEvent[];
    try {
      events = classifyLine(message, { inBlock: this.block !== undefined });
    } catch {
      events = [];
    }
    // A block ends at the first line that is not one of its "Key = value" lines.
    if (this.block && !events.some((e) => e.kind === 'field') && message.trim().length > 0) this.block = undefined;
    for (const e of events) this.apply(e, line);
    if (this.bugcheckAwaitingParams && !events.some((e) => e.kind === 'bugcheck' || e.kind === 'bugcheck-params')) {
      if (message.trim().length > 0) this.bugcheckAwaitingParams = false;
    }
    return events;
  }

  /** Adds raw text as it arrives; complete lines are parsed, the rest waits for more. */
  addText(chunk: string): void {
    let text = chunk;
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = text.endsWith('\r');
    const parts = (this.partial + text).split(/\r\n|\n|\r/);
    this.partial = parts.pop() ?? '';
    for (const p of parts) this.addLine(p);
  }

  /** Parses an unterminated last line (end of file). */
  flush(): void {
    if (this.partial.length > 0) {
      const rest = this.partial;
      this.partial = '';
      this.addLine(rest);
    }
  }

  /** The report of the current (last) boot so far (a live view; do not mutate). */
  get report(): IscsiBootReport {
    return this.r;
  }

  /** One report per boot in the transcript, in order; the last is `report`. */
  get reports(): readonly IscsiBootReport[] {
    return this.sessions;
  }

  private startSession(line: number): void {
    this.r = emptyReport(line);
    this.sessions.push(this.r);
    this.block = undefined;
    this.bugcheckAwaitingParams = false;
  }

  private mark(line: number, section: SectionId): void {
    this.r.lineSections.set(line, section);
  }

  private notePath(driver: BootPath, line: number): void {
    const r = this.r;
    if (!r.drivers.some((d) => d.value === driver)) r.drivers.push({ value: driver, line });
    if (r.path === 'unknown') r.path = driver;
  }

  private nic(index: number, source: BootPath, line: number): ReportNic {
    let n = this.r.nics.find((x) => x.index === index && x.source === source);
    if (!n) {
      n = { index, line, endLine: line, source, dns: [] };
      this.r.nics.push(n);
    }
    return n;
  }

  private target(index: number, source: BootPath, line: number): ReportTarget {
    let t = this.r.targets.find((x) => x.index === index && x.source === source);
    if (!t) {
      t = { index, line, endLine: line, source };
      this.r.targets.push(t);
    }
    return t;
  }

  private apply(e: TranscriptEvent, line: number): void {
    const r = this.r;
    switch (e.kind) {
      case 'driver-init':
        this.notePath(e.driver, line);
        this.mark(line, 'summary');
        return;
      case 'ibft-found':
        this.notePath(e.driver, line);
        r.ibft.found ??= { line, address: e.address, oemId: e.oemId, oemTableId: e.oemTableId };
        this.mark(line, 'ibft');
        return;
      case 'ibft-missing':
        this.notePath(e.driver, line);
        r.ibft.missingLine ??= line;
        this.mark(line, 'ibft');
        return;
      case 'no-san-boot':
        r.noSanBootLine ??= line;
        this.mark(line, 'ibft');
        return;
      case 'boot-via':
        r.bootVia = { value: `${e.label} boot via ${e.via}`, line };
        this.mark(line, 'ibft');
        return;
      case 'block':
        this.openBlock(e.block, e.index, line);
        return;
      case 'field':
        this.applyField(e.key, e.value, line);
        return;
      case 'nic-seen':
        r.windowsNics.push({ mac: e.mac, name: e.name, line });
        this.mark(line, 'summary');
        return;
      case 'nic-matched': {
        const n = r.nics.find((x) => x.index === e.index && x.source === 'sanbootconf') ?? this.nic(e.index, 'sanbootconf', line);
        n.matched ??= { line };
        n.matched[e.what] = e.value;
        n.endLine = Math.max(n.endLine, line);
        this.mark(line, `nic:${e.index}`);
        return;
      }
      case 'other-san-table':
        this.notePath('sanbootconf', line);
        r.otherSanTables.push({ value: e.table, line });
        this.mark(line, 'ibft');
        return;
      case 'nic-matched-mac': {
        const n = [...r.nics].reverse().find((x) => x.source === 'sanbootconf' && x.mac?.value === e.mac);
        if (!n) return; // an aBFT/sBFT NIC, or a NIC printed before its iBFT block: not ours
        n.matched ??= { line };
        n.matched[e.what] = e.value;
        n.endLine = Math.max(n.endLine, line);
        this.mark(line, `nic:${n.index}`);
        return;
      }
      case 'nic-configured': {
        const n = r.nics.find((x) => x.index === e.index && x.source === 'sanbootconf');
        if (!n) return;
        n.configured = { ok: e.ok, status: e.status, line };
        n.endLine = Math.max(n.endLine, line);
        this.mark(line, `nic:${n.index}`);
        return;
      }
      case 'nic-mac-not-found': {
        const n = [...r.nics].reverse().find((x) => x.source === 'sanbootconf' && x.mac?.value === e.mac);
        if (!n) return;
        n.notFoundLine ??= line;
        n.endLine = Math.max(n.endLine, line);
        this.mark(line, `nic:${n.index}`);
        return;
      }
      case 'nic-list-failed':
        r.nicListFailed = { value: e.text, line };
        return;
      case 'ms-line':
        this.notePath('microsoft', line);
        return;
      case 'ms-value':
        this.applyMsValue(e.key, e.value, line);
        return;
      case 'ms-nic-not-found': {
        const n = this.nic(0, 'microsoft', line);
        n.notFoundLine ??= line;
        this.mark(line, 'nic:0');
        return;
      }
      case 'connection-pool':
        r.connectionPool = { value: e.text, line };
        this.mark(line, 'status');
        return;
      case 'waiting-for-disk':
        if (r.waitingForDisk) {
          r.waitingForDisk.attempts++;
          r.waitingForDisk.seconds ??= e.seconds;
        } else {
          r.waitingForDisk = { line, seconds: e.seconds, attempts: 1 };
        }
        this.mark(line, 'disk');
        return;
      case 'boot-disk-found':
        r.bootDisk ??= { line, name: e.name };
        if (e.name) r.bootDisk.name ??= e.name;
        this.mark(line, 'disk');
        return;
      case 'gave-up':
        r.gaveUpLine ??= line;
        this.mark(line, 'disk');
        return;
      case 'boot-status': {
        const st = ntStatusInfo(e.value);
        r.bootStatus = { value: e.value, text: e.text, line, name: st?.name, meaning: st?.meaning };
        this.mark(line, 'status');
        return;
      }
      case 'bugcheck':
        // The first bugcheck is the one that matters; WinDbg repeats it in !analyze output.
        if (!r.bugcheck) {
          r.bugcheck = describeBugcheck(e.code, e.params, line);
          this.bugcheckAwaitingParams = e.params.length === 0;
        } else if (r.bugcheck.params.length === 0 && e.params.length > 0 && e.code === r.bugcheck.code) {
          r.bugcheck.params = e.params;
          explainStatusParam(r.bugcheck);
        }
        this.mark(line, 'bugcheck');
        return;
      case 'bugcheck-params':
        if (r.bugcheck && this.bugcheckAwaitingParams) {
          r.bugcheck.params = e.params;
          r.bugcheck.endLine = line;
          explainStatusParam(r.bugcheck);
          this.bugcheckAwaitingParams = false;
          this.mark(line, 'bugcheck');
        }
        return;
      case 'driver-at-fault':
        if (r.bugcheck) {
          r.bugcheck.driverAtFault = e.driver;
          r.bugcheck.endLine = Math.max(r.bugcheck.endLine, line);
          this.mark(line, 'bugcheck');
        }
        return;
      case 'break-exception':
        r.breakLine ??= line;
        return;
      case 'debugger-banner':
        this.mark(line, 'summary');
        return;
      case 'fw-banner':
        r.firmware ??= { name: e.firmware, version: e.version, line, nics: [] };
        if (e.version) r.firmware.version ??= e.version;
        this.mark(line, 'firmware');
        return;
      case 'fw-nic': {
        const fw = (r.firmware ??= { name: 'iPXE', line, nics: [] });
        let n = fw.nics.find((x) => x.name === e.name);
        if (!n) fw.nics.push((n = { name: e.name, line }));
        if (e.mac) n.mac = e.mac;
        if (e.pci) n.pci = e.pci;
        if (e.ip) n.ip = e.ip;
        if (e.mask) n.prefix = maskToPrefix(e.mask);
        if (e.gateway) n.gateway = e.gateway;
        this.mark(line, 'firmware');
        return;
      }
      case 'fw-san': {
        const fw = (r.firmware ??= { name: 'iPXE', line, nics: [] });
        if (e.action === 'registered') fw.sanRegistered = { value: e.drive, line };
        else fw.sanBooting = { value: e.drive, line };
        this.mark(line, 'firmware');
        return;
      }
      case 'fw-san-error': {
        const fw = (r.firmware ??= { name: 'iPXE', line, nics: [] });
        fw.sanError ??= { action: e.action, message: e.message, code: e.code, line };
        this.mark(line, 'firmware');
        return;
      }
    }
  }

  private openBlock(kind: 'initiator' | 'nic' | 'target', index: number, line: number): void {
    this.notePath('sanbootconf', line);
    if (kind === 'initiator') {
      const item: ReportInitiator = { line, endLine: line };
      this.r.initiator ??= item;
      this.block = { kind, item: this.r.initiator };
      this.mark(line, 'initiator');
    } else if (kind === 'nic') {
      const item = this.nic(index, 'sanbootconf', line);
      this.block = { kind, item };
      this.mark(line, `nic:${index}`);
    } else {
      const item = this.target(index, 'sanbootconf', line);
      this.block = { kind, item };
      this.mark(line, `target:${index}`);
    }
  }

  private applyField(key: FieldKey, value: string, line: number): void {
    const b = this.block;
    if (!b) return;
    b.item.endLine = line;
    if (key === 'flags') {
      Object.assign(b.item, parseFlags(value));
    } else if (b.kind === 'initiator') {
      if (key === 'name') b.item.name = value;
    } else if (b.kind === 'nic') {
      applyNicField(b.item, key, value, line);
    } else {
      applyTargetField(b.item, key, value, line);
    }
    this.mark(line, b.kind === 'initiator' ? 'initiator' : `${b.kind}:${b.item.index}`);
  }

  private applyMsValue(key: MsKey, value: string, line: number): void {
    const r = this.r;
    const nicKeys: MsKey[] = ['nicIp', 'nicPrefix', 'subnetMask', 'gateway', 'dns', 'dhcp', 'mac', 'vlan', 'pci', 'nicHandle'];
    if (key === 'initiatorIqn') {
      r.initiator ??= { line, endLine: line };
      r.initiator.name = value;
      this.mark(line, 'initiator');
      return;
    }
    if (nicKeys.includes(key)) {
      const n = this.nic(0, 'microsoft', line);
      n.endLine = Math.max(n.endLine, line);
      n.valid ??= true;
      switch (key) {
        case 'nicIp':
          n.ip = { value, line };
          break;
        case 'nicPrefix':
          n.prefix = Number(value);
          break;
        case 'subnetMask':
          n.prefix = maskToPrefix(value) ?? n.prefix;
          break;
        case 'gateway':
          n.gateway = { value, line };
          break;
        case 'dns':
          if (!n.dns.includes(value)) n.dns.push(value);
          break;
        case 'dhcp':
          n.dhcp = value;
          break;
        case 'mac':
          n.mac = { value: normaliseMac(value), line };
          break;
        case 'vlan':
          n.vlan = parseNumber(value, !value.toLowerCase().startsWith('0x'));
          break;
        case 'pci':
          n.pci = { value, line };
          break;
        case 'nicHandle':
          n.nicHandle = value || n.nicHandle || '(present)';
          break;
        default:
          break;
      }
      this.mark(line, 'nic:0');
      return;
    }
    const t = this.target(0, 'microsoft', line);
    t.endLine = Math.max(t.endLine, line);
    t.valid ??= true;
    switch (key) {
      case 'targetIp':
        t.ip = { value, line };
        break;
      case 'targetPort':
        t.port = Number(value);
        break;
      case 'lun':
        t.lun = value;
        break;
      case 'targetIqn':
        t.iqn = value;
        break;
      case 'chapType':
        t.chapType = parseChapType(value);
        break;
      default:
        break;
    }
    this.mark(line, 'target:0');
  }
}

function applyNicField(n: ReportNic, key: FieldKey, value: string, line: number): void {
  switch (key) {
    case 'ip': {
      const m = /^(\S+?)(?:\/(\d{1,2}))?$/.exec(value);
      if (m) {
        n.ip = { value: m[1], line };
        if (m[2] !== undefined) n.prefix = Number(m[2]);
      }
      return;
    }
    case 'origin':
      n.origin = Number.parseInt(value, 10);
      return;
    case 'gateway':
      n.gateway = { value, line };
      return;
    case 'dns':
      n.dns = value
        .split(',')
        .map((d) => d.trim())
        .filter((d) => presentIp(d) !== undefined);
      return;
    case 'dhcp':
      n.dhcp = value;
      return;
    case 'vlan':
      n.vlan = Number.parseInt(value, 16);
      return;
    case 'mac':
      // A MAC cut short by a truncated capture is no MAC: leave it unknown.
      if (/^(?:[0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i.test(value)) n.mac = { value: normaliseMac(value), line };
      return;
    case 'pci':
      if (/^[0-9a-f]{1,2}:[0-9a-f]{1,2}\.[0-7]$/i.test(value)) n.pci = { value, line };
      return;
    case 'hostname':
      n.hostname = value;
      return;
    default:
      return;
  }
}

function applyTargetField(t: ReportTarget, key: FieldKey, value: string, line: number): void {
  switch (key) {
    case 'ip':
      t.ip = { value, line };
      return;
    case 'port':
      t.port = Number.parseInt(value, 10);
      return;
    case 'lun':
      t.lun = value;
      return;
    case 'chapType':
      t.chapType = parseChapType(value);
      return;
    case 'nic':
      t.nicIndex = Number.parseInt(value, 10);
      return;
    case 'name':
      t.iqn = value;
      return;
    case 'chapName':
      t.chapName = value;
      return;
    case 'chapSecret':
      t.hasChapSecret = value.length > 0;
      return;
    case 'reverseChapName':
      t.reverseChapName = value;
      return;
    case 'reverseChapSecret':
      t.hasReverseChapSecret = value.length > 0;
      return;
    default:
      return;
  }
}

/** The report of the last boot in a transcript. */
export function buildReport(text: string): IscsiBootReport {
  const reports = buildSessionReports(text);
  return reports[reports.length - 1];
}

/** One report per boot: a new boot starts where the debugger (re)connects after boot output. */
export function buildSessionReports(text: string): readonly IscsiBootReport[] {
  const b = new BootReportBuilder();
  for (const raw of splitRawLines(text)) b.addLine(raw);
  return b.reports;
}

/** Gateway and subnet checks shared by diagnostics and the markdown. */
export function nicPresentIp(n: ReportNic): string | undefined {
  return presentIp(n.ip?.value);
}
export function nicPresentGateway(n: ReportNic): string | undefined {
  return presentIp(n.gateway?.value);
}
export function targetPresentIp(t: ReportTarget): string | undefined {
  return presentIp(t.ip?.value);
}

/** Did the boot get past the point where the boot disk must be there? */
export function bootDiskArrived(r: IscsiBootReport): boolean {
  if (r.bootDisk) return true;
  // Microsoft initiator: a zero boot status after the wait means the session and disk are up.
  return r.bootStatus !== undefined && r.bootStatus.value === 0;
}

/** Did this transcript show an iSCSI boot attempt at all? */
export function iscsiBootAttempted(r: IscsiBootReport): boolean {
  return r.drivers.length > 0 || r.ibft.found !== undefined || r.nics.length > 0 || r.targets.length > 0;
}
