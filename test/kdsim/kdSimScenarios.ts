/**
 * Data-driven scripts for the simulated machine. A scenario yields steps per boot (boot 1, and again
 * after every reboot); `idle` with Infinity ends a boot with the machine idling (break-in still works).
 */

export type ScenarioStep =
  /** A DbgPrint from `from` (a module short name: 'nt', 'msiscsi', 'sanbootconf', 'E1000325'). */
  | { kind: 'print'; text: string; from?: string }
  /** A hard-coded breakpoint: nt!DbgBreakPoint called by KdInitSystem (the `/break` initial stop). */
  | { kind: 'break' }
  /** A driver load notification (LoadSymbols state change); the host must continue. */
  | { kind: 'loadSymbols'; module: string }
  /** KeBugCheckEx(code, p1..p4): "*** Fatal System Error" print, KiBugcheckData, break with status 3. */
  | { kind: 'bugcheck'; code: number; params: [number, number, number, number] }
  /** Executes a function once (so a breakpoint on it hits), e.g. 'nt!KeStallExecutionProcessor'. */
  | { kind: 'call'; symbol: string }
  | { kind: 'idle'; ms: number }
  /**
   * The machine restarts on its own (also what the Reboot API does). `notice`: first the "going away"
   * LoadSymbols stop (Unload, BaseOfDll = −1) that a normal shutdown sends; the host must continue it.
   */
  | { kind: 'reboot'; notice?: boolean }
  /** DbgPrompt: the host must answer with a GetString reply. */
  | { kind: 'prompt'; text: string; bufferSize?: number }
  /** FILE_IO CreateFile (driver replacement query); the host must answer (normally "not found"). */
  | { kind: 'fileOpen'; path: string };

export interface Scenario {
  name: string;
  /** Steps for the given boot (1 = power-on, 2 = after the first reboot, …). */
  steps(boot: number): Iterable<ScenarioStep>;
}

export type ScenarioName = 'iscsi-boot' | 'initial-break' | 'bugcheck-7b' | 'dbgprint-flood' | 'reboot';

export interface ScenarioParams {
  floodLines: number;
  loadSymbols: boolean;
  /** Address of the ARC-name UNICODE_STRING that 0x7B's first parameter points at (per architecture). */
  arcNameAddress?: number;
}

const p = (text: string, from = 'nt'): ScenarioStep => ({ kind: 'print', text, from });

const EARLY_BOOT: ScenarioStep[] = [
  p('Microsoft Windows XP Professional 5.1 (Build 2600.xpsp_sp2_rtm) [BootDbg simulated target]\n'),
  p('KD: COM1 at 115200 baud, kernel debugger enabled\n'),
  p('Phase1Initialization: 1 processor, 256 MB physical memory\n'),
];

/** The Microsoft iSCSI initiator's boot messages (IscsiBP) on a successful boot. */
export const ISCSI_BP_SUCCESS: string[] = [
  'IscsiBP: iBF table found at 0x0009E620, length 0x23F\n',
  'IscsiBP: Initiator name iqn.1991-05.com.microsoft:xpclient\n',
  'IscsiBP: NIC handle 0x81F3A008, MAC 52-54-00-12-34-56\n',
  'IscsiBP: IP 10.0.2.15 Subnet 255.255.255.0 Gateway 10.0.2.2\n',
  'IscsiBP: Target 10.0.2.2:3260 LUN 0 iqn.2010-04.org.example:disk1\n',
  'IscsiBP: Boot connection pool created, 1 connection\n',
  'IscsiBP: Waiting 60 seconds for boot disk\n',
  'IscsiBP: Boot disk arrived\n',
  'IscsiBP: ISCSI Boot Status 0\n',
];

/**
 * sanbootconf's iBFT dump, in its DbgPrint formats. Some lines take several DbgPrint calls, as in the
 * driver: "DNS = a" + ", b\n", "Radius = a" + ", b\n", and the MAC of each NIC it probes byte by byte.
 * `matched: false` is the classic failure: Windows never shows a NIC with the iBFT's MAC (e.g. a
 * VMware NIC in another PCI slot), so there is no "iBFT NIC 0 is …" line.
 */
export function sanbootconfLines(matched: boolean): string[] {
  const mac = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
  const otherMac = [0x00, 0x0c, 0x29, 0x3a, 0x4b, 0x5c];
  const probe = (m: number[], name: string): string[] => [
    'Found NIC with MAC address',
    ...m.map((b, i) => `${i ? ':' : ' '}${b.toString(16).padStart(2, '0')}`),
    ` at "${name}"\n`,
  ];
  const iface = '\\??\\PCI#VEN_8086&DEV_100E&SUBSYS_001E8086&REV_02#3&267A616A&0&18#{ad498944-762f-11d0-8dcf-00c04fc3358c}\\{8E3F2A6B-5C1D-4E0F-9A7B-2C4D6E8F0A1B}';
  return [
    'iSCSI Boot Parameter Driver initialising\n',
    'Found iBFT at 9e620 OEM ID "FENSYS" OEM table ID "iPXE"\n',
    'Found iBFT Initiator 0:\n',
    '  Flags = 0x3, valid, boot selected\n',
    '  iSNS = 0.0.0.0\n',
    '  SLP = 0.0.0.0\n',
    '  Radius = 0.0.0.0',
    ', 0.0.0.0\n',
    '  Name = iqn.2010-04.org.ipxe:xpclient\n',
    'Found iBFT NIC 0:\n',
    '  Flags = 0x3, valid, boot selected\n',
    '  IP = 10.0.2.15/24\n',
    '  Origin = 3\n',
    '  Gateway = 10.0.2.2\n',
    '  DNS = 10.0.2.3',
    ', 0.0.0.0\n',
    '  DHCP = 10.0.2.2\n',
    '  VLAN = 0000\n',
    '  MAC = 52:54:00:12:34:56\n',
    '  PCI = 00:03.0\n',
    '  Hostname = xpclient\n',
    ...(matched
      ? [
          ...probe(mac, iface),
          `iBFT NIC 0 is interface "${iface}"\n`,
          'iBFT NIC 0 is PDO 81F4A0E8\n',
          'iBFT NIC 0 is NetCfgInstanceId "{8E3F2A6B-5C1D-4E0F-9A7B-2C4D6E8F0A1B}"\n',
        ]
      : probe(otherMac, iface.replace('DEV_100E', 'DEV_100F'))),
    'Found iBFT target 0:\n',
    '  Flags = 0x3, valid, boot selected\n',
    '  IP = 10.0.2.2\n',
    '  Port = 3260\n',
    '  LUN = 0000-0000-0000-0100\n',
    '  CHAP type = 0 (None)\n',
    '  NIC = 0\n',
    '  Name = iqn.2010-04.org.example:disk1\n',
    '  CHAP name = \n',
    '  CHAP secret = \n',
    '  Reverse CHAP name = \n',
    '  Reverse CHAP secret = \n',
  ];
}

/** The successful dump (kept for callers that want the lines as data). */
export const SANBOOTCONF_LINES: string[] = sanbootconfLines(true);

function* iscsiDriverLoads(params: ScenarioParams, success: boolean): Generator<ScenarioStep> {
  if (params.loadSymbols) yield { kind: 'loadSymbols', module: 'E1000325.sys' };
  yield p('Intel(R) PRO/1000 MT Network Connection: link up, 1000 Mbps full duplex\n', 'E1000325');
  if (params.loadSymbols) yield { kind: 'loadSymbols', module: 'sanbootconf.sys' };
  for (const l of sanbootconfLines(success)) yield p(l, 'sanbootconf');
  if (params.loadSymbols) yield { kind: 'loadSymbols', module: 'msiscsi.sys' };
  const lines = success ? ISCSI_BP_SUCCESS : ISCSI_BP_SUCCESS.slice(0, 7);
  for (const l of lines) yield p(l, 'msiscsi');
  if (!success) yield p('IscsiBP: Timed out waiting for boot disk, ISCSI Boot Status 0xC0000034\n', 'msiscsi');
}

/** 0x7B's first parameter points at the ARC name UNICODE_STRING (kd-protocol.md §6). */
export const BUGCHECK_7B_PARAMS: [number, number, number, number] = [0xf78a6a94, 0xc0000034, 0, 0];

export function floodLine(n: number): string {
  const head = `line ${String(n).padStart(6, '0')} `;
  return (head + 'DbgPrint flood from the BootDbg KD simulator abcdefghijklmnopqrstuvwxyz').slice(0, 79) + '\n';
}

const BUILT_IN: Record<ScenarioName, (params: ScenarioParams) => Scenario> = {
  'iscsi-boot': (params) => ({
    name: 'iscsi-boot',
    *steps(boot) {
      yield* EARLY_BOOT;
      if (boot > 1) yield p(`Boot ${boot} after reboot\n`);
      yield* iscsiDriverLoads(params, true);
      yield p('iSCSI boot complete: \\Device\\Harddisk0\\Partition1 is the boot volume\n');
      yield { kind: 'idle', ms: Infinity };
    },
  }),
  'initial-break': (params) => ({
    name: 'initial-break',
    *steps(boot) {
      yield* EARLY_BOOT;
      if (boot > 1) yield p(`Boot ${boot} after reboot\n`);
      yield { kind: 'break' };
      yield* iscsiDriverLoads(params, true);
      yield { kind: 'idle', ms: Infinity };
    },
  }),
  'bugcheck-7b': (params) => ({
    name: 'bugcheck-7b',
    *steps() {
      yield* EARLY_BOOT;
      yield* iscsiDriverLoads(params, false);
      const [, status, p3, p4] = BUGCHECK_7B_PARAMS;
      yield { kind: 'bugcheck', code: 0x7b, params: [params.arcNameAddress ?? BUGCHECK_7B_PARAMS[0], status, p3, p4] };
    },
  }),
  'dbgprint-flood': (params) => ({
    name: 'dbgprint-flood',
    *steps() {
      for (let i = 1; i <= params.floodLines; i++) yield p(floodLine(i));
      yield { kind: 'idle', ms: Infinity };
    },
  }),
  reboot: () => ({
    name: 'reboot',
    *steps(boot) {
      yield* EARLY_BOOT;
      yield p(`Boot ${boot}\n`);
      if (boot === 1) {
        for (let i = 1; i <= 5; i++) yield p(`before reboot ${i}\n`);
        yield { kind: 'reboot' };
      } else {
        for (let i = 1; i <= 5; i++) yield p(`after reboot ${i}\n`);
        yield { kind: 'idle', ms: Infinity };
      }
    },
  }),
};

export function resolveScenario(s: ScenarioName | Scenario, params: ScenarioParams): Scenario {
  if (typeof s !== 'string') return s;
  const make = BUILT_IN[s];
  if (!make) throw new Error(`kdsim: unknown scenario '${String(s)}' (known: ${Object.keys(BUILT_IN).join(', ')})`);
  return make(params);
}

export const SCENARIO_NAMES = Object.keys(BUILT_IN) as ScenarioName[];
