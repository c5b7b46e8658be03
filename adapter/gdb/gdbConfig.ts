/**
 * launch.json validation for `"type": "gdb-remote"`. Every mistake becomes a ConfigError whose
 * text names the attribute and what would be valid.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../target/target';
import { BOOT_MEDIA, type BootMedia, type ConsoleKind } from './qemuLauncher';
import { MAX_PIPELINE_DEPTH, parseEndpoint, type RspEndpoint } from './rspClient';
import { DEFAULT_IPXE_KERNEL, parseIscsiConfig, type IscsiBootConfig } from '../ibft/iscsiBoot';

export interface GdbLaunchConfig {
  request: 'launch';
  qemu: string;
  image?: string;
  media?: BootMedia;
  qemuArgs: string[];
  console: ConsoleKind;
  /** media "iscsi": what iPXE sanboots. */
  iscsi?: IscsiBootConfig;
  common: GdbCommonConfig;
}

export interface GdbAttachConfig {
  request: 'attach';
  target: RspEndpoint;
  targetText: string;
  common: GdbCommonConfig;
}

export interface GdbCommonConfig {
  program?: string;
  stopOnEntry: boolean;
  stopOnReset: boolean;
  /** Section name → linear load bases (several when a stage runs from more than one place). */
  sectionBases: Map<string, bigint[]>;
  /** Request timeout for the stub. */
  timeoutMs: number;
  /** `memoryReadPipeline`: m packets on the wire at once; undefined = 4 for launch, 1 for attach. */
  memoryReadPipeline?: number;
}

export type GdbConfig = GdbLaunchConfig | GdbAttachConfig;

/** Media guessed from the image's file name when `media` is omitted. */
const MEDIA_BY_EXTENSION: Record<string, BootMedia> = {
  '.lkrn': 'kernel', '.krn': 'kernel', '.iso': 'cdrom', '.dsk': 'floppy', '.img': 'floppy', '.fd': 'floppy',
  '.hdd': 'disk', '.usb': 'disk', '.pxe': 'pxe', '.kpxe': 'pxe', '.kkpxe': 'pxe', '.rom': 'rom',
};

const CONSOLES: ConsoleKind[] = ['serial', 'debugcon', 'none'];

function str(config: Record<string, unknown>, key: string): string | undefined {
  const v = config[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.trim() === '') throw new ConfigError(`gdb-remote: "${key}" must be a non-empty string`);
  return v;
}

function bool(config: Record<string, unknown>, key: string, dflt: boolean): boolean {
  const v = config[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new ConfigError(`gdb-remote: "${key}" must be true or false`);
  return v;
}

export function parseAddress(text: unknown, what: string): bigint {
  if (typeof text === 'number' && Number.isInteger(text) && text >= 0) return BigInt(text);
  if (typeof text === 'string' && /^\s*(0x[0-9a-f]+|\d+)\s*$/i.test(text)) return BigInt(text.trim());
  throw new ConfigError(`gdb-remote: ${what} must be an address like "0x7c00" (got ${JSON.stringify(text)})`);
}

function parseSectionBases(v: unknown): Map<string, bigint[]> {
  const out = new Map<string, bigint[]>();
  if (v === undefined) return out;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new ConfigError('gdb-remote: "sectionBases" must be an object like { ".prefix": "0x7c00", ".text16": ["0x9c200"] }');
  }
  for (const [name, value] of Object.entries(v)) {
    const list = Array.isArray(value) ? value : [value];
    out.set(name, list.map((x) => parseAddress(x, `sectionBases["${name}"]`)));
  }
  return out;
}

function resolvePath(cwd: string, p: string): string {
  return path.isAbsolute(p) ? p : path.resolve(cwd, p);
}

export function parseGdbConfig(config: Record<string, unknown>, cwd: string): GdbConfig {
  const request = config.request;
  if (request !== 'launch' && request !== 'attach') throw new ConfigError('gdb-remote: "request" must be "launch" or "attach"');
  const program = str(config, 'program');
  const programPath = program ? resolvePath(cwd, program) : undefined;
  if (programPath && !fs.existsSync(programPath)) throw new ConfigError(`gdb-remote: "program" ${programPath} does not exist (an ELF with symbols, e.g. iPXE's bin/ipxe.dsk.tmp)`);
  const timeout = config.timeoutMs;
  if (timeout !== undefined && (typeof timeout !== 'number' || timeout < 100 || timeout > 600000)) {
    throw new ConfigError('gdb-remote: "timeoutMs" must be a number of milliseconds between 100 and 600000');
  }
  const pipeline = config.memoryReadPipeline;
  if (pipeline !== undefined && (typeof pipeline !== 'number' || !Number.isInteger(pipeline) || pipeline < 1 || pipeline > MAX_PIPELINE_DEPTH)) {
    throw new ConfigError(`gdb-remote: "memoryReadPipeline" must be a whole number from 1 (one request at a time, any gdbstub) to ${MAX_PIPELINE_DEPTH} (got ${JSON.stringify(pipeline)})`);
  }
  const common: GdbCommonConfig = {
    program: programPath,
    stopOnEntry: bool(config, 'stopOnEntry', false),
    stopOnReset: bool(config, 'stopOnReset', false),
    sectionBases: parseSectionBases(config.sectionBases),
    timeoutMs: (timeout as number | undefined) ?? 5000,
    memoryReadPipeline: pipeline as number | undefined,
  };
  if (request === 'attach') {
    const target = str(config, 'target');
    if (!target) throw new ConfigError('gdb-remote attach: "target" is required: "127.0.0.1:1234" (QEMU -gdb tcp:127.0.0.1:1234) or the path of a Unix socket');
    const endpoint = parseEndpoint(target);
    if (!endpoint) throw new ConfigError(`gdb-remote attach: "target" ${JSON.stringify(target)} is neither host:port nor a Unix socket path`);
    return { request, target: endpoint, targetText: target, common };
  }
  const qemu = str(config, 'qemu') ?? 'qemu-system-i386';
  const qemuArgsRaw = config.qemuArgs ?? [];
  if (!Array.isArray(qemuArgsRaw) || qemuArgsRaw.some((a) => typeof a !== 'string')) {
    throw new ConfigError('gdb-remote: "qemuArgs" must be an array of strings, e.g. ["-m", "256"]');
  }
  const qemuArgs = qemuArgsRaw as string[];
  for (const forbidden of ['-s', '-gdb', '-S']) {
    if (qemuArgs.includes(forbidden)) throw new ConfigError(`gdb-remote: do not put "${forbidden}" in "qemuArgs": the debugger adds its own paused loopback gdbstub`);
  }
  // media "iscsi": the image is iPXE itself (Debian's ipxe.lkrn unless overridden).
  const iscsi = config.media === 'iscsi' ? parseIscsiConfig(config.iscsi) : undefined;
  if (config.iscsi !== undefined && !iscsi) throw new ConfigError('gdb-remote: "iscsi" is only used with "media": "iscsi"');
  const image = str(config, 'image') ?? (iscsi ? DEFAULT_IPXE_KERNEL : undefined);
  const imagePath = image ? resolvePath(cwd, image) : undefined;
  if (iscsi && imagePath && !fs.existsSync(imagePath)) throw new ConfigError(`gdb-remote: "media": "iscsi" boots iPXE from ${imagePath}, which does not exist (install Debian's ipxe package or set "image" to an ipxe.lkrn)`);
  if (imagePath && !fs.existsSync(imagePath)) throw new ConfigError(`gdb-remote: "image" ${imagePath} does not exist`);
  let media = config.media as BootMedia | undefined;
  if (media !== undefined && !BOOT_MEDIA.includes(media)) {
    throw new ConfigError(`gdb-remote: "media" must be one of ${BOOT_MEDIA.join(', ')} (got ${JSON.stringify(media)})`);
  }
  if (imagePath && !media) {
    media = MEDIA_BY_EXTENSION[path.extname(imagePath).toLowerCase()];
    if (!media) throw new ConfigError(`gdb-remote: cannot tell how to boot ${path.basename(imagePath)}: set "media" to one of ${BOOT_MEDIA.join(', ')}`);
  }
  if (!imagePath && media) throw new ConfigError(`gdb-remote: "media": "${media}" needs an "image" to boot`);
  if (!imagePath && qemuArgs.length === 0) throw new ConfigError('gdb-remote launch: set "image" (and "media") or give QEMU its boot device in "qemuArgs"');
  const consoleKind = (config.console ?? 'serial') as ConsoleKind;
  if (!CONSOLES.includes(consoleKind)) throw new ConfigError(`gdb-remote: "console" must be one of ${CONSOLES.join(', ')}`);
  return { request, qemu, image: imagePath, media, qemuArgs, console: consoleKind, iscsi, common };
}

/** Where each standard medium puts code linked at 0 (reference §2.3). Used unless sectionBases says otherwise. */
export const DEFAULT_SECTION_BASES: Record<BootMedia, Record<string, bigint[]>> = {
  // Boot sector at 0x7C00; an iPXE .dsk then reads itself to 0x10000 and runs .prefix there.
  floppy: { '.prefix': [0x7c00n, 0x10000n], '.text': [0x7c00n], '.data': [0x7c00n] },
  disk: { '.prefix': [0x7c00n, 0x10000n], '.text': [0x7c00n], '.data': [0x7c00n] },
  pxe: { '.prefix': [0x7c00n], '.text': [0x7c00n], '.data': [0x7c00n] },
  // bzImage: QEMU's linuxboot puts the real-mode part at 0x10000 (setup entry 1020:0000).
  kernel: { '.prefix': [0x10000n], '.text': [0x10000n], '.data': [0x10000n] },
  cdrom: { '.prefix': [0x10000n] },
  rom: {},
  // iPXE sanboots the LUN's first sector to 0000:7C00.
  iscsi: { '.prefix': [0x7c00n], '.text': [0x7c00n], '.data': [0x7c00n] },
};
