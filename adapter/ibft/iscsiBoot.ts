/**
 * `media: "iscsi"` for the gdb-remote launcher: QEMU boots Debian's iPXE (`ipxe.lkrn`) with an
 * `#!ipxe` script as its initrd, which sanboots a LUN from an iSCSI target on the host's loopback
 * (reference iscsi/loopback-iscsi-boot.md). The guest network is QEMU user-mode with `restrict=on`:
 * the guest gets DHCP and exactly one forward, 10.0.2.100:<port> → the loopback portal; nothing
 * else leaves the VM and nothing listens outside loopback.
 * This module validates the launch.json `iscsi` object, writes the script and builds the QEMU args.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../target/target';

export const DEFAULT_IPXE_KERNEL = '/usr/lib/ipxe/ipxe.lkrn';
/** Where the guest reaches the forwarded portal. */
export const GUEST_PORTAL_ADDRESS = '10.0.2.100';
export const DEFAULT_PORTAL = '127.0.0.1:3260';
export const DEFAULT_INITIATOR_IQN = 'iqn.2010-04.org.ipxe:bootdbg';

export interface IscsiBootConfig {
  /** Host side of the portal; always loopback. */
  portalHost: string;
  portalPort: number;
  targetIqn: string;
  lun: number;
  initiatorIqn: string;
  username?: string;
  password?: string;
  reverseUsername?: string;
  reversePassword?: string;
}

/** The launch.json attributes inside `"iscsi": { … }`, with their help text (package.json mirrors it). */
export const ISCSI_ATTRIBUTES: Record<string, string> = {
  portal: `iSCSI portal on the host's loopback, "127.0.0.1:3260" by default (the guest reaches it as ${GUEST_PORTAL_ADDRESS} through a restricted user-mode network)`,
  targetIqn: 'IQN of the target to sanboot, e.g. "iqn.2026-11.test.bootdbg:disk1" (required)',
  lun: 'LUN to boot (default 1: tgt uses LUN 0 for its controller)',
  initiatorIqn: `iPXE's initiator-iqn (default "${DEFAULT_INITIATOR_IQN}")`,
  username: 'CHAP user name (one-way CHAP)',
  password: 'CHAP secret',
  reverseUsername: 'reverse CHAP user name (mutual CHAP)',
  reversePassword: 'reverse CHAP secret',
};

const IQN = /^(iqn\.\d{4}-\d{2}\.[a-z0-9][a-z0-9.-]*(:[^\s]+)?|eui\.[0-9a-f]{16}|naa\.[0-9a-f]{16,32})$/i;
// QEMU's guestfwd connects over IPv4.
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost']);

function field(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v === '') throw new ConfigError(`gdb-remote: "iscsi.${key}" must be a non-empty string (${ISCSI_ATTRIBUTES[key]})`);
  // One script line per value: a newline would inject iPXE commands.
  if ([...v].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)) throw new ConfigError(`gdb-remote: "iscsi.${key}" must not contain control characters or line breaks`);
  return v;
}

export function parseIscsiConfig(raw: unknown): IscsiBootConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError('gdb-remote: "media": "iscsi" needs "iscsi": { "targetIqn": "iqn.…:disk1", "portal": "127.0.0.1:3260", "lun": 1 }');
  }
  const o = raw as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!(key in ISCSI_ATTRIBUTES)) throw new ConfigError(`gdb-remote: unknown attribute "iscsi.${key}"; known: ${Object.keys(ISCSI_ATTRIBUTES).join(', ')}`);
  }
  const portal = field(o, 'portal') ?? DEFAULT_PORTAL;
  const m = /^([^:]+):(\d{1,5})$/.exec(portal);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) throw new ConfigError(`gdb-remote: "iscsi.portal" must be host:port like "127.0.0.1:3260" (got ${JSON.stringify(portal)})`);
  if (!LOOPBACK_HOSTS.has(m[1].toLowerCase())) {
    throw new ConfigError(`gdb-remote: "iscsi.portal" must be on loopback (127.0.0.1): the VM reaches nothing but this one forward (got ${m[1]})`);
  }
  const targetIqn = field(o, 'targetIqn');
  if (!targetIqn) throw new ConfigError(`gdb-remote: "iscsi.targetIqn" is required: ${ISCSI_ATTRIBUTES.targetIqn}`);
  if (!IQN.test(targetIqn)) throw new ConfigError(`gdb-remote: "iscsi.targetIqn" ${JSON.stringify(targetIqn)} is not an iSCSI name (iqn.YYYY-MM.reversed.domain[:name], eui.… or naa.…)`);
  const initiatorIqn = field(o, 'initiatorIqn') ?? DEFAULT_INITIATOR_IQN;
  if (!IQN.test(initiatorIqn)) throw new ConfigError(`gdb-remote: "iscsi.initiatorIqn" ${JSON.stringify(initiatorIqn)} is not an iSCSI name (iqn.YYYY-MM.reversed.domain[:name])`);
  const lun = o.lun ?? 1;
  if (typeof lun !== 'number' || !Number.isInteger(lun) || lun < 0 || lun > 0x3fff) throw new ConfigError('gdb-remote: "iscsi.lun" must be an integer LUN between 0 and 16383');
  const cfg: IscsiBootConfig = {
    portalHost: '127.0.0.1',
    portalPort: port,
    targetIqn,
    lun,
    initiatorIqn,
    username: field(o, 'username'),
    password: field(o, 'password'),
    reverseUsername: field(o, 'reverseUsername'),
    reversePassword: field(o, 'reversePassword'),
  };
  if ((cfg.username === undefined) !== (cfg.password === undefined)) throw new ConfigError('gdb-remote: "iscsi.username" and "iscsi.password" go together (one-way CHAP)');
  if ((cfg.reverseUsername === undefined) !== (cfg.reversePassword === undefined)) throw new ConfigError('gdb-remote: "iscsi.reverseUsername" and "iscsi.reversePassword" go together (mutual CHAP)');
  if (cfg.reverseUsername !== undefined && cfg.username === undefined) throw new ConfigError('gdb-remote: mutual CHAP ("iscsi.reverseUsername") needs one-way CHAP ("iscsi.username"/"iscsi.password") too');
  return cfg;
}

/** iPXE's URI: iscsi:<server>:<protocol>:<port>:<lun>:<target name> (protocol empty = TCP). */
export function sanbootUri(cfg: IscsiBootConfig): string {
  return `iscsi:${GUEST_PORTAL_ADDRESS}::${cfg.portalPort}:${cfg.lun}:${cfg.targetIqn}`;
}

export function ipxeScript(cfg: IscsiBootConfig): string {
  const lines = ['#!ipxe', 'dhcp net0', `set initiator-iqn ${cfg.initiatorIqn}`];
  if (cfg.username !== undefined) lines.push(`set username ${cfg.username}`, `set password ${cfg.password}`);
  if (cfg.reverseUsername !== undefined) lines.push(`set reverse-username ${cfg.reverseUsername}`, `set reverse-password ${cfg.reversePassword}`);
  lines.push(`sanboot ${sanbootUri(cfg)}`);
  return lines.join('\n') + '\n';
}

/** QEMU arguments besides `-kernel`: the script as initrd, the restricted network with one forward, an e1000 without its own ROM. */
export function iscsiQemuArgs(cfg: IscsiBootConfig, scriptPath: string): string[] {
  return [
    '-initrd', scriptPath,
    '-netdev', `user,id=n0,restrict=on,guestfwd=tcp:${GUEST_PORTAL_ADDRESS}:${cfg.portalPort}-tcp:${cfg.portalHost}:${cfg.portalPort}`,
    '-device', 'e1000,netdev=n0,romfile=',
  ];
}

/** Writes the script (mode 0600: it may hold CHAP secrets) into a private temp folder. */
export function writeIpxeScript(cfg: IscsiBootConfig): { path: string; dispose(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bootdbg-iscsi-'));
  const file = path.join(dir, 'boot.ipxe');
  writeFileSync(file, ipxeScript(cfg), { mode: 0o600 });
  return { path: file, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
