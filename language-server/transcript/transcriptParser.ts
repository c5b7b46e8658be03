/**
 * Classifies one transcript line into events: what the iSCSI boot drivers, the kernel and the
 * debugger printed. Knowledge lives in the tables below (one row per kind of line); the report
 * builder (iscsiBootReport.ts) only folds events into a report.
 *
 * Sources of the line formats:
 * - sanbootconf (iPXE's "SAN Boot Configuration Driver", earlier "iSCSI Boot Parameter Driver"):
 *   its DbgPrint strings — "Found iBFT at %05x OEM ID ...", per-structure blocks "Found iBFT NIC %d:"
 *   followed by indented "  Key = value" lines, "iBFT NIC %d is NetCfgInstanceId ...".
 * - Microsoft iSCSI initiator boot (IscsiBP / iScsiBP prefix): the lines quoted in issue 6 (iBF
 *   table found, NIC handle, IP/subnet/gateway, boot connection pool, "Waiting 60 seconds for boot
 *   disk", "ISCSI Boot Status 0"). Their exact wording varies between initiator versions, so these
 *   patterns look for keywords on lines carrying the IscsiBP prefix instead of whole sentences.
 * - The kernel's bugcheck print "*** Fatal System Error: 0x%08lx\n (0x%p,0x%p,0x%p,0x%p)" and
 *   WinDbg's "BugCheck 7B, {...}" / blue-screen "*** STOP: 0x0000007B (...)".
 */

export type BootDriver = 'sanbootconf' | 'microsoft';
export type BlockKind = 'initiator' | 'nic' | 'target';

/** Fields of the sanbootconf "Found iBFT <block> n:" dumps, by the name it prints. */
export type FieldKey =
  | 'flags'
  | 'ip'
  | 'origin'
  | 'gateway'
  | 'dns'
  | 'dhcp'
  | 'vlan'
  | 'mac'
  | 'pci'
  | 'hostname'
  | 'port'
  | 'lun'
  | 'chapType'
  | 'nic'
  | 'name'
  | 'chapName'
  | 'chapSecret'
  | 'reverseChapName'
  | 'reverseChapSecret'
  | 'isns'
  | 'slp'
  | 'radius';

/** Microsoft-initiator keywords found on IscsiBP lines. */
export type MsKey =
  | 'nicIp'
  | 'nicPrefix'
  | 'subnetMask'
  | 'gateway'
  | 'dns'
  | 'dhcp'
  | 'mac'
  | 'vlan'
  | 'pci'
  | 'targetIp'
  | 'targetPort'
  | 'lun'
  | 'targetIqn'
  | 'initiatorIqn'
  | 'chapType'
  | 'nicHandle';

export type TranscriptEvent =
  | { kind: 'driver-init'; driver: BootDriver; text: string }
  | { kind: 'ibft-found'; driver: BootDriver; address?: string; oemId?: string; oemTableId?: string }
  | { kind: 'ibft-missing'; driver: BootDriver }
  | { kind: 'other-san-table'; table: string }
  | { kind: 'no-san-boot' }
  | { kind: 'boot-via'; label: string; via: string }
  | { kind: 'block'; block: BlockKind; index: number }
  | { kind: 'field'; key: FieldKey; value: string }
  | { kind: 'nic-seen'; mac: string; name: string }
  | { kind: 'nic-matched'; index: number; what: 'interface' | 'pdo' | 'netCfgInstanceId'; value: string }
  | { kind: 'nic-matched-mac'; mac: string; what: 'interface' | 'pdo' | 'netCfgInstanceId'; value: string }
  | { kind: 'nic-configured'; index: number; ok: boolean; status?: string }
  | { kind: 'nic-mac-not-found'; mac: string }
  | { kind: 'nic-list-failed'; text: string }
  | { kind: 'ms-line' }
  | { kind: 'ms-value'; key: MsKey; value: string }
  | { kind: 'ms-nic-not-found'; text: string }
  | { kind: 'connection-pool'; text: string }
  | { kind: 'waiting-for-disk'; seconds?: number; attempt?: number }
  | { kind: 'boot-disk-found'; name?: string }
  | { kind: 'gave-up' }
  | { kind: 'boot-status'; value: number; text: string }
  | { kind: 'bugcheck'; code: number; params: string[]; form: 'fatal' | 'windbg' | 'stop' }
  | { kind: 'bugcheck-params'; params: string[] }
  | { kind: 'driver-at-fault'; driver: string }
  | { kind: 'break-exception' }
  | { kind: 'debugger-banner'; text: string }
  | { kind: 'fw-banner'; firmware: 'iPXE' | 'gPXE'; version?: string }
  | { kind: 'fw-nic'; name: string; mac?: string; pci?: string; ip?: string; mask?: string; gateway?: string }
  | { kind: 'fw-san'; action: 'registered' | 'booting'; drive: string }
  | { kind: 'fw-san-error'; action: string; message: string; code?: string };

const IP = String.raw`(\d{1,3}(?:\.\d{1,3}){3})`;
const MAC = String.raw`((?:[0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2})`;
const HEXNUM = String.raw`(0x[0-9a-fA-F\x60]+|[0-9a-fA-F\x60]+)`;

interface LineRule {
  /** Which printer the rule belongs to, for documentation and tests. */
  source: 'sanbootconf' | 'microsoft' | 'kernel' | 'debugger' | 'firmware';
  /** Lower-case substrings of which one must occur for the regex to be worth running. */
  hint?: readonly string[];
  re: RegExp;
  events(m: RegExpExecArray): TranscriptEvent[];
}

/** Parses "0x1234", "1234" (hex), "0000`1234" (WinDbg 64-bit), or decimal when `decimal`. */
export function parseNumber(text: string, decimal = false): number | undefined {
  const t = text.trim().replace(/`/g, '');
  if (/^0x[0-9a-f]+$/i.test(t)) return Number.parseInt(t.slice(2), 16);
  if (decimal && /^-?\d+$/.test(t)) return Number.parseInt(t, 10);
  if (/^[0-9a-f]+$/i.test(t)) return Number.parseInt(t, 16);
  return undefined;
}

function splitParams(text: string): string[] {
  return text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .slice(0, 4);
}

const MS_HINT = ['scsibp', 'scsi bp'];

/** Whole-line rules, tried in order; every matching rule contributes its events. */
const LINE_RULES: readonly LineRule[] = [
  // --- sanbootconf -------------------------------------------------------------------------
  {
    source: 'sanbootconf',
    hint: ['initiali'],
    re: /\b(iSCSI Boot Parameter Driver|SAN Boot Configuration Driver) initiali[sz]ing\b/i,
    events: (m) => [{ kind: 'driver-init', driver: 'sanbootconf', text: m[1] }],
  },
  {
    source: 'sanbootconf',
    hint: ['found ibft at'],
    re: /\bFound iBFT at (?:0x)?([0-9a-fA-F]+)(?: OEM ID "([^"]*)")?(?: OEM table ID "([^"]*)")?/,
    events: (m) => [{ kind: 'ibft-found', driver: 'sanbootconf', address: m[1], oemId: m[2], oemTableId: m[3] }],
  },
  {
    // Newer sanbootconf: one scanner for every boot firmware table (iBFT, aBFT for AoE, sBFT for SRP).
    source: 'sanbootconf',
    hint: ['found acpi table'],
    re: /\bFound ACPI table "(\w{4})" at (?:0x)?([0-9a-fA-F]+)(?: OEM ID "([^"]*)")?(?: OEM table ID "([^"]*)")?/,
    events: (m) =>
      m[1].toLowerCase() === 'ibft'
        ? [{ kind: 'ibft-found', driver: 'sanbootconf', address: m[2], oemId: m[3], oemTableId: m[4] }]
        : [{ kind: 'other-san-table', table: m[1] }],
  },
  {
    source: 'sanbootconf',
    hint: ['no ibft'],
    re: /^\s*No iBFT (?:found|available)/i,
    events: () => [{ kind: 'ibft-missing', driver: 'sanbootconf' }],
  },
  { source: 'sanbootconf', hint: ['no san boot'], re: /\bNo SAN boot method detected\b/i, events: () => [{ kind: 'no-san-boot' }] },
  {
    source: 'sanbootconf',
    hint: [' boot via '],
    re: /^\s*(iSCSI|AoE|SRP) boot via (\S+)/,
    events: (m) => [{ kind: 'boot-via', label: m[1], via: m[2] }],
  },
  {
    source: 'sanbootconf',
    hint: ['found ibft '],
    re: /\bFound iBFT (Initiator|NIC|target) (\d+):?/i,
    events: (m) => [{ kind: 'block', block: m[1].toLowerCase() as BlockKind, index: Number(m[2]) }],
  },
  {
    source: 'sanbootconf',
    hint: ['found nic with mac'],
    re: new RegExp(String.raw`\bFound NIC with MAC address\s+${MAC}(?:\s+at\s+"([^"]*)")?`),
    events: (m) => [{ kind: 'nic-seen', mac: normaliseMac(m[1]), name: m[2] ?? '' }],
  },
  {
    source: 'sanbootconf',
    hint: ['ibft nic '],
    re: /\biBFT NIC (\d+) is (interface|PDO|NetCfgInstanceId)\s+"?([^"]*)"?/,
    events: (m) => [
      {
        kind: 'nic-matched',
        index: Number(m[1]),
        what: m[2] === 'PDO' ? 'pdo' : m[2] === 'interface' ? 'interface' : 'netCfgInstanceId',
        value: m[3].trim(),
      },
    ],
  },
  {
    // Newer sanbootconf names the NIC by its MAC: "NIC 52:54:00:12:34:56 is interface \"…\"".
    source: 'sanbootconf',
    hint: [' is interface', ' is pdo', ' is netcfginstanceid'],
    re: new RegExp(String.raw`^\s*NIC ${MAC} is (interface|PDO|NetCfgInstanceId)\s+"?([^"]*)"?`),
    events: (m) => [
      {
        kind: 'nic-matched-mac',
        mac: normaliseMac(m[1]),
        what: m[2] === 'PDO' ? 'pdo' : m[2] === 'interface' ? 'interface' : 'netCfgInstanceId',
        value: m[3].trim(),
      },
    ],
  },
  {
    source: 'sanbootconf',
    hint: ['configure'],
    re: /\b(Successfully configured|Could not configure) iBFT NIC (\d+)(?::\s*([0-9a-fA-Fx]+))?/,
    events: (m) => [{ kind: 'nic-configured', index: Number(m[2]), ok: m[1].startsWith('Success'), status: m[3] }],
  },
  {
    source: 'sanbootconf',
    hint: ['not found'],
    re: new RegExp(String.raw`\bERROR:\s*${MAC} not found`),
    events: (m) => [{ kind: 'nic-mac-not-found', mac: normaliseMac(m[1]) }],
  },
  {
    source: 'sanbootconf',
    hint: ['nic list'],
    re: /\bCould not fetch NIC list\b.*/i,
    events: (m) => [{ kind: 'nic-list-failed', text: m[0] }],
  },
  {
    source: 'sanbootconf',
    hint: ['waiting for san'],
    re: /\bWaiting for SAN (?:system|boot) disk \(attempt (\d+)\)/i,
    events: (m) => [{ kind: 'waiting-for-disk', attempt: Number(m[1]) }],
  },
  {
    source: 'sanbootconf',
    hint: ['found san', 'found system disk'],
    re: /\b(?:Found SAN (?:system|boot) disk|Found system disk at "([^"]*)")/i,
    events: (m) => [{ kind: 'boot-disk-found', name: m[1] }],
  },
  { source: 'sanbootconf', hint: ['giving up'], re: /\bGiving up waiting for SAN (?:system|boot) disk\b/i, events: () => [{ kind: 'gave-up' }] },
  // --- Microsoft iSCSI initiator boot ----------------------------------------------------------
  {
    source: 'microsoft',
    hint: MS_HINT,
    re: /\bi?scsi\s*BP\b.*\b(?<!\bno\s+)(?:iBFT?|iSCSI Boot Firmware)\s*(?:Table\s*)?(?:found|located)(?:\s+at)?(?:\s+(?:PA|address|physical address))?\s*[:=]?\s*(?:0x)?([0-9a-fA-F]{4,16})?/i,
    events: (m) => [{ kind: 'ibft-found', driver: 'microsoft', address: m[1] }],
  },
  {
    source: 'microsoft',
    hint: MS_HINT,
    re: /\bi?scsi\s*BP\b.*\b(?:no\s+iBFT?\s*(?:table\s*)?(?:found|present)|iBFT?\s*(?:table\s*)?not\s+(?:found|present)|(?:could\s+not|cannot|unable\s+to)\s+(?:find|locate)\s+(?:the\s+)?iBFT?)/i,
    events: () => [{ kind: 'ibft-missing', driver: 'microsoft' }],
  },
  {
    source: 'microsoft',
    hint: MS_HINT,
    re: /\bi?scsi\s*BP\b.*\b(?:(?:no|could not find|cannot find|unable to find|failed to find)\s+(?:a\s+)?(?:matching\s+)?(?:NIC|adapter|network adapter)|NIC\s+not\s+found)\b.*/i,
    events: (m) => [{ kind: 'ms-nic-not-found', text: m[0] }],
  },
  {
    // "iBF" (no T) is the Microsoft initiator's name for the table: such lines are its own even
    // when a capture lost the IscsiBP prefix.
    source: 'microsoft',
    hint: ['ibf table'],
    re: /(?<!\bno\s+)\biBF\s+Table\s+(?:found|located)(?:\s+at)?(?:\s+(?:PA|address|physical address))?\s*[:=]?\s*(?:0x)?([0-9a-fA-F]{4,16})?/i,
    events: (m) => [{ kind: 'ibft-found', driver: 'microsoft', address: m[1] }],
  },
  {
    source: 'microsoft',
    hint: ['ibf table'],
    re: /\b(?:no\s+iBF\s+Table\s+(?:found|present)|iBF\s+Table\s+not\s+(?:found|present))/i,
    events: () => [{ kind: 'ibft-missing', driver: 'microsoft' }],
  },
  {
    source: 'microsoft',
    hint: ['connection pool'],
    re: /\bboot\s+connection\s+pool\b.*/i,
    events: (m) => [{ kind: 'connection-pool', text: m[0] }],
  },
  {
    source: 'microsoft',
    hint: ['waiting'],
    re: /\bWaiting\s+(\d+)\s+seconds?\s+for\s+(?:the\s+)?boot\s+disk/i,
    events: (m) => [{ kind: 'waiting-for-disk', seconds: Number(m[1]) }],
  },
  {
    source: 'microsoft',
    hint: ['boot status'],
    re: /\biSCSI\s+Boot\s+Status\s*[:=]?\s*(0x[0-9a-fA-F]+|-?\d+)/i,
    events: (m) => [{ kind: 'boot-status', value: parseNumber(m[1], true) ?? -1, text: m[1] }],
  },
  // --- kernel / debugger -----------------------------------------------------------------------
  {
    source: 'kernel',
    hint: ['fatal system error'],
    re: /\*\*\*\s*Fatal System Error:\s*(0x[0-9a-fA-F`]+)\s*(?:\(([^)]*)\)?)?/i,
    events: (m) => [{ kind: 'bugcheck', code: parseNumber(m[1]) ?? 0, params: splitParams(m[2] ?? ''), form: 'fatal' }],
  },
  {
    source: 'kernel',
    hint: ['stop:'],
    re: /\*\*\*\s*STOP:\s*(0x[0-9a-fA-F`]+)\s*(?:\(([^)]*)\)?)?/i,
    events: (m) => [{ kind: 'bugcheck', code: parseNumber(m[1]) ?? 0, params: splitParams(m[2] ?? ''), form: 'stop' }],
  },
  {
    source: 'debugger',
    hint: ['bugcheck'],
    re: new RegExp(String.raw`^\s*BugCheck\s+${HEXNUM}\s*,\s*\{([^}]*)\}?`, 'i'),
    events: (m) => [{ kind: 'bugcheck', code: parseNumber(m[1]) ?? 0, params: splitParams(m[2]), form: 'windbg' }],
  },
  {
    source: 'kernel',
    hint: ['0x'],
    re: /^\s*\(\s*(0x[0-9a-fA-F`]+(?:\s*,\s*0x[0-9a-fA-F`]+){0,3})\s*\)?\s*$/,
    events: (m) => [{ kind: 'bugcheck-params', params: splitParams(m[1]) }],
  },
  {
    source: 'kernel',
    hint: ['driver at fault'],
    re: /\bDriver at fault:\s*([^\s]+?)\.?\s*$/i,
    events: (m) => [{ kind: 'driver-at-fault', driver: m[1] }],
  },
  {
    source: 'debugger',
    hint: ['break instruction'],
    re: /\bBreak instruction exception - code 80000003\b/i,
    events: () => [{ kind: 'break-exception' }],
  },
  {
    source: 'debugger',
    re: /^(?:Microsoft \(R\) Windows Debugger.*|Opened \\\\\.\\\S+|Connected to Windows .*|Kernel Debugger connection established.*|BootDbg transcript.*)$/,
    events: (m) => [{ kind: 'debugger-banner', text: m[0] }],
  },
];

/**
 * iPXE/gPXE console lines, for raw serial captures that start before Windows takes the port:
 * "iPXE 1.0.0+ -- Open Source Network Boot Firmware", "net0: 52:54:00:12:34:56 using 82540em on
 * 0000:00:03.0 (open)", "net0: 10.0.2.15/255.255.255.0 gw 10.0.2.2", "Registered SAN device 0x80",
 * "Booting from SAN device 0x80", "Could not open SAN device: … (http://ipxe.org/410d613c)".
 */
const FIRMWARE_RULES: readonly LineRule[] = [
  {
    source: 'firmware',
    hint: ['pxe'],
    re: /\b(iPXE|gPXE)(?: (\S+))? (?:--|initialising devices)/,
    events: (m) => [{ kind: 'fw-banner', firmware: m[1] as 'iPXE' | 'gPXE', version: m[2] && m[2] !== 'initialising' ? m[2] : undefined }],
  },
  {
    source: 'firmware',
    hint: [' using '],
    re: new RegExp(String.raw`^\s*(net\d+): ${MAC} using \S+ on (?:PCI|[0-9a-fA-F]{4}:)?([0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7])`),
    events: (m) => [{ kind: 'fw-nic', name: m[1], mac: normaliseMac(m[2]), pci: m[3] }],
  },
  {
    source: 'firmware',
    hint: [' gw ', '/'],
    re: new RegExp(String.raw`^\s*(net\d+): ${IP}/${IP}(?: gw ${IP})?`),
    events: (m) => [{ kind: 'fw-nic', name: m[1], ip: m[2], mask: m[3], gateway: m[4] }],
  },
  {
    source: 'firmware',
    hint: ['san device'],
    re: /\b(Registered|Booting from) SAN device (0x[0-9a-fA-F]+)/,
    events: (m) => [{ kind: 'fw-san', action: m[1] === 'Registered' ? 'registered' : 'booting', drive: m[2] }],
  },
  {
    source: 'firmware',
    hint: ['could not'],
    re: /\bCould not ((?:open|boot from|describe|register|hook|boot) SAN devices?|boot(?: image)?):\s*(.*?)\s*(?:\((?:https?:\/\/ipxe\.org\/|0x)([0-9a-fA-F]{8})\))?\s*$/,
    events: (m) => [{ kind: 'fw-san-error', action: m[1], message: m[2], code: m[3] }],
  },
];

const ALL_RULES: readonly LineRule[] = [...LINE_RULES, ...FIRMWARE_RULES];

/** "  Key = value" lines inside a sanbootconf block. Matched only while a block is open. */
const FIELD_LINE = /^\s*([A-Za-z][A-Za-z ]*?)\s*=\s?(.*)$/;

const FIELD_NAMES: Readonly<Record<string, FieldKey>> = {
  flags: 'flags',
  ip: 'ip',
  origin: 'origin',
  gateway: 'gateway',
  dns: 'dns',
  dhcp: 'dhcp',
  vlan: 'vlan',
  mac: 'mac',
  pci: 'pci',
  hostname: 'hostname',
  port: 'port',
  lun: 'lun',
  'chap type': 'chapType',
  nic: 'nic',
  name: 'name',
  'chap name': 'chapName',
  'chap secret': 'chapSecret',
  'reverse chap name': 'reverseChapName',
  'reverse chap secret': 'reverseChapSecret',
  isns: 'isns',
  slp: 'slp',
  radius: 'radius',
};

/** Keyword extraction on IscsiBP lines (Microsoft initiator), in order; earlier rows consume text. */
const MS_VALUE_RULES: ReadonlyArray<{ key: MsKey; re: RegExp; group?: number }> = [
  { key: 'targetIp', re: new RegExp(String.raw`\bTarget\s*(?:IP|Address|Portal)(?:\s*Address)?\s*[:=]?\s*${IP}`, 'i') },
  { key: 'targetPort', re: /\b(?:Target\s*)?Port\s*[:=]?\s*(\d{1,5})\b/i },
  { key: 'initiatorIqn', re: /\bInitiator\s*(?:Name|IQN)?\s*[:=]?\s*((?:iqn|eui|naa)\.[^\s"',;]+)/i },
  { key: 'targetIqn', re: /\b((?:iqn|eui|naa)\.[^\s"',;]+)/i },
  { key: 'lun', re: /\bLUN\s*[:=]?\s*(0x[0-9a-fA-F]+|[0-9a-fA-F-]+)\b/i },
  { key: 'subnetMask', re: new RegExp(String.raw`\b(?:Subnet(?:\s*Mask)?|Net\s*mask|Mask)\s*[:=]?\s*${IP}`, 'i') },
  { key: 'gateway', re: new RegExp(String.raw`\b(?:Default\s*)?Gateway\s*[:=]?\s*${IP}`, 'i') },
  { key: 'dns', re: new RegExp(String.raw`\bDNS(?:\s*Server)?\s*[:=]?\s*${IP}`, 'i') },
  { key: 'dhcp', re: new RegExp(String.raw`\bDHCP(?:\s*Server)?(?:\s*(?:IP|Address))?\s*[:=]?\s*${IP}`, 'i') },
  { key: 'nicIp', re: new RegExp(String.raw`\b(?:IP(?:\s*Address)?|Address)\s*[:=]?\s*${IP}(?:/(\d{1,2}))?`, 'i') },
  { key: 'mac', re: new RegExp(String.raw`\bMAC(?:\s*Address)?\s*[:=]?\s*${MAC}`, 'i') },
  { key: 'vlan', re: /\bVLAN(?:\s*ID)?\s*[:=]?\s*(0x[0-9a-fA-F]+|\d+)/i },
  { key: 'pci', re: /\bPCI(?:\s*(?:Bus\/Dev\/Func|address|location|BDF))?\s*[:=]?\s*([0-9a-fA-F]{1,2}:[0-9a-fA-F]{1,2}\.[0-7])/i },
  { key: 'chapType', re: /\bCHAP(?:\s*type)?\s*[:=]?\s*(\d|none|one-?way|mutual)\b/i },
  { key: 'nicHandle', re: /\bNIC\s*handle\s*[:=]?\s*(0x[0-9a-fA-F]+|[0-9a-fA-F]+)?/i },
];

const MS_PREFIX = /\bi?scsi\s*BP\b/i;

export function normaliseMac(mac: string): string {
  return mac.toLowerCase().replace(/-/g, ':');
}

export interface ClassifyContext {
  /** A sanbootconf "Found iBFT …:" block is open, so indented "Key = value" lines are fields. */
  inBlock: boolean;
}

/** All events of one cleaned line (see transcriptLines.ts). Never throws. */
export function classifyLine(message: string, ctx: ClassifyContext): TranscriptEvent[] {
  const events: TranscriptEvent[] = [];
  if (message.length === 0) return events;
  // Keep pathological lines (a megabyte of noise without a line break) cheap.
  const text = message.length > 4096 ? message.slice(0, 4096) : message;
  const lower = text.toLowerCase();
  for (const rule of ALL_RULES) {
    if (rule.hint && !rule.hint.some((h) => lower.includes(h))) continue;
    const m = rule.re.exec(text);
    if (m) events.push(...rule.events(m));
  }
  if (ctx.inBlock && events.length === 0) {
    const f = FIELD_LINE.exec(text);
    const key = f ? FIELD_NAMES[f[1].trim().toLowerCase()] : undefined;
    if (f && key) events.push({ kind: 'field', key, value: f[2].trim() });
  }
  if (MS_HINT.some((h) => lower.includes(h)) && MS_PREFIX.test(text)) {
    events.push({ kind: 'ms-line' });
    let rest = text;
    for (const rule of MS_VALUE_RULES) {
      const m = rule.re.exec(rest);
      if (!m) continue;
      if (rule.key === 'nicIp' && m[2] !== undefined) {
        events.push({ kind: 'ms-value', key: 'nicIp', value: m[1] });
        events.push({ kind: 'ms-value', key: 'nicPrefix', value: m[2] });
      } else {
        events.push({ kind: 'ms-value', key: rule.key, value: m[1] ?? '' });
      }
      rest = rest.slice(0, m.index) + ' ' + rest.slice(m.index + m[0].length);
    }
  }
  return events;
}
