/**
 * Payload layouts of KD packets (kd-protocol.md §2–5): state changes, manipulate-state requests and
 * replies, debug I/O, file I/O, the version block. Pure encode/decode functions over Buffers, no I/O.
 * All pointers travel as 64-bit values; 32-bit targets sign-extend them (§2.4).
 */

export const MANIPULATE_HEADER_SIZE = 0x38;
export const STATE_CHANGE_SIZE = 0xf0;
export const DEBUG_IO_HEADER_SIZE = 0x10;
export const FILE_IO_HEADER_SIZE = 0x40;
/** Largest memory transfer in one manipulate packet: PACKET_MAX_SIZE - header (§1.3). */
export const MAX_TRANSFER = 4000 - MANIPULATE_HEADER_SIZE;

export enum ManipulateApi {
  ReadVirtualMemory = 0x3130,
  WriteVirtualMemory = 0x3131,
  GetContext = 0x3132,
  SetContext = 0x3133,
  WriteBreakPoint = 0x3134,
  RestoreBreakPoint = 0x3135,
  Continue = 0x3136,
  ReadControlSpace = 0x3137,
  WriteControlSpace = 0x3138,
  ReadIoSpace = 0x3139,
  WriteIoSpace = 0x313a,
  Reboot = 0x313b,
  Continue2 = 0x313c,
  ReadPhysicalMemory = 0x313d,
  WritePhysicalMemory = 0x313e,
  GetVersion = 0x3146,
  CauseBugCheck = 0x3149,
  SwitchProcessor = 0x3150,
  ClearAllInternalBreakpoints = 0x315a,
  QueryMemory = 0x315c,
  GetContextEx = 0x315f,
  SetContextEx = 0x3160,
}

/** APIs the target answers only with a link ACK (§10 item 8). */
export const NO_REPLY_APIS: ReadonlySet<number> = new Set([
  ManipulateApi.Continue,
  ManipulateApi.Continue2,
  ManipulateApi.Reboot,
  ManipulateApi.CauseBugCheck,
  ManipulateApi.SwitchProcessor,
  ManipulateApi.ClearAllInternalBreakpoints,
]);

export enum StateChangeKind {
  Exception = 0x3030,
  LoadSymbols = 0x3031,
  CommandString = 0x3032,
}

export enum DebugIoApi {
  PrintString = 0x3230,
  GetString = 0x3231,
}

export enum FileIoApi {
  CreateFile = 0x3430,
  ReadFile = 0x3431,
  WriteFile = 0x3432,
  CloseFile = 0x3433,
}

export const STATUS = {
  SUCCESS: 0x00000000,
  PENDING: 0x00000103,
  UNSUCCESSFUL: 0xc0000001,
  NOT_IMPLEMENTED: 0xc0000002,
  NO_SUCH_FILE: 0xc000000f,
} as const;

export const DBG_CONTINUE = 0x00010002;
export const DBG_EXCEPTION_HANDLED = 0x00010001;
export const DBG_EXCEPTION_NOT_HANDLED = 0x80010001;
export const STATUS_BREAKPOINT = 0x80000003;
export const STATUS_SINGLE_STEP = 0x80000004;

export enum MachineType {
  I386 = 0x014c,
  AMD64 = 0x8664,
}

export type Arch = 'x86' | 'x64';

export function archOfMachine(machineType: number): Arch {
  return machineType === MachineType.AMD64 ? 'x64' : 'x86';
}

/** 32-bit targets want sign-extended 64-bit pointers (§2.4). */
export function toWirePointer(addr: bigint, arch: Arch): bigint {
  if (arch === 'x64') return BigInt.asUintN(64, addr);
  return BigInt.asUintN(64, BigInt.asIntN(32, addr));
}

/** Pointers from a 32-bit target come sign-extended; we keep them as 32-bit linear addresses. */
export function fromWirePointer(v: bigint, arch: Arch): bigint {
  return arch === 'x64' ? BigInt.asUintN(64, v) : BigInt.asUintN(32, v);
}

// ---------------------------------------------------------------------------------------------
// State change (DBGKD_WAIT_STATE_CHANGE64)

export interface ControlReport {
  dr6: bigint;
  dr7: bigint;
  eflags: number;
  instructionStream: Buffer;
  reportFlags: number;
  segCs: number;
  segDs: number;
  segEs: number;
  segFs: number;
}

export interface ExceptionRecord {
  code: number;
  flags: number;
  record: bigint;
  address: bigint;
  parameters: bigint[];
  firstChance: boolean;
}

export interface LoadSymbolsInfo {
  baseOfDll: bigint;
  processId: bigint;
  checksum: number;
  sizeOfImage: number;
  unload: boolean;
  path: string;
}

export interface StateChange {
  newState: number;
  processorLevel: number;
  processor: number;
  numberProcessors: number;
  thread: bigint;
  programCounter: bigint;
  exception?: ExceptionRecord;
  loadSymbols?: LoadSymbolsInfo;
  control: ControlReport;
  /** The raw payload, for comparison of retransmissions. */
  raw: Buffer;
}

export class MalformedPacketError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedPacketError';
  }
}

function u64(buf: Buffer, off: number): bigint {
  return buf.readBigUInt64LE(off);
}

/** Decodes the first 0xF0 bytes; extra bytes (LoadSymbols path, 4-byte padding) are tolerated. */
export function decodeStateChange(payload: Buffer, arch: Arch): StateChange {
  if (payload.length < STATE_CHANGE_SIZE) throw new MalformedPacketError(`state change of ${payload.length} bytes (expected at least ${STATE_CHANGE_SIZE})`);
  const newState = payload.readUInt32LE(0) & 0xffff;
  const sc: StateChange = {
    newState: payload.readUInt32LE(0),
    processorLevel: payload.readUInt16LE(4),
    processor: payload.readUInt16LE(6),
    numberProcessors: payload.readUInt32LE(8),
    thread: fromWirePointer(u64(payload, 0x10), arch),
    programCounter: fromWirePointer(u64(payload, 0x18), arch),
    control: decodeControlReport(payload, arch),
    raw: payload,
  };
  if (newState === StateChangeKind.Exception) {
    const n = Math.min(payload.readUInt32LE(0x38), 15);
    const parameters: bigint[] = [];
    for (let i = 0; i < n; i++) parameters.push(fromWirePointer(u64(payload, 0x40 + 8 * i), arch));
    sc.exception = {
      code: payload.readUInt32LE(0x20),
      flags: payload.readUInt32LE(0x24),
      record: fromWirePointer(u64(payload, 0x28), arch),
      address: fromWirePointer(u64(payload, 0x30), arch),
      parameters,
      firstChance: payload.readUInt32LE(0xb8) !== 0,
    };
  } else if (newState === StateChangeKind.LoadSymbols) {
    const pathLen = payload.readUInt32LE(0x20);
    const pathBytes = payload.subarray(STATE_CHANGE_SIZE, STATE_CHANGE_SIZE + Math.min(pathLen, payload.length - STATE_CHANGE_SIZE));
    const nul = pathBytes.indexOf(0);
    sc.loadSymbols = {
      baseOfDll: u64(payload, 0x28) === 0xffffffffffffffffn ? -1n : fromWirePointer(u64(payload, 0x28), arch),
      processId: u64(payload, 0x30),
      checksum: payload.readUInt32LE(0x38),
      sizeOfImage: payload.readUInt32LE(0x3c),
      unload: payload[0x40] !== 0,
      path: pathBytes.subarray(0, nul >= 0 ? nul : pathBytes.length).toString('latin1'),
    };
  }
  return sc;
}

function decodeControlReport(p: Buffer, arch: Arch): ControlReport {
  if (arch === 'x86') {
    const count = Math.min(p.readUInt16LE(0xc8), 16);
    return {
      dr6: BigInt(p.readUInt32LE(0xc0)),
      dr7: BigInt(p.readUInt32LE(0xc4)),
      reportFlags: p.readUInt16LE(0xca),
      instructionStream: Buffer.from(p.subarray(0xcc, 0xcc + count)),
      segCs: p.readUInt16LE(0xdc),
      segDs: p.readUInt16LE(0xde),
      segEs: p.readUInt16LE(0xe0),
      segFs: p.readUInt16LE(0xe2),
      eflags: p.readUInt32LE(0xe4),
    };
  }
  const count = Math.min(p.readUInt16LE(0xd4), 16);
  return {
    dr6: u64(p, 0xc0),
    dr7: u64(p, 0xc8),
    eflags: p.readUInt32LE(0xd0),
    reportFlags: p.readUInt16LE(0xd6),
    instructionStream: Buffer.from(p.subarray(0xd8, 0xd8 + count)),
    segCs: p.readUInt16LE(0xe8),
    segDs: p.readUInt16LE(0xea),
    segEs: p.readUInt16LE(0xec),
    segFs: p.readUInt16LE(0xee),
  };
}

// ---------------------------------------------------------------------------------------------
// Manipulate state (DBGKD_MANIPULATE_STATE64)

export interface Manipulate {
  api: number;
  processorLevel: number;
  processor: number;
  returnStatus: number;
  /** The 40-byte parameter union at 0x10. */
  params: Buffer;
  /** Data after the 0x38-byte header. */
  data: Buffer;
}

export function encodeManipulate(api: number, params: Buffer = Buffer.alloc(0), data: Buffer = Buffer.alloc(0), processor = 0): Buffer {
  if (params.length > 40) throw new RangeError('manipulate parameters exceed 40 bytes');
  const out = Buffer.alloc(MANIPULATE_HEADER_SIZE + data.length);
  out.writeUInt32LE(api, 0);
  out.writeUInt16LE(processor, 6);
  // ReturnStatus: what WinDbg puts in requests (STATUS_PENDING) [CAP]; unused fields zeroed.
  out.writeUInt32LE(STATUS.PENDING, 8);
  params.copy(out, 0x10);
  data.copy(out, MANIPULATE_HEADER_SIZE);
  return out;
}

export function decodeManipulate(payload: Buffer): Manipulate {
  if (payload.length < MANIPULATE_HEADER_SIZE) throw new MalformedPacketError(`manipulate packet of ${payload.length} bytes (header is ${MANIPULATE_HEADER_SIZE})`);
  return {
    api: payload.readUInt32LE(0),
    processorLevel: payload.readUInt16LE(4),
    processor: payload.readUInt16LE(6),
    returnStatus: payload.readUInt32LE(8),
    params: Buffer.from(payload.subarray(0x10, 0x38)),
    data: Buffer.from(payload.subarray(MANIPULATE_HEADER_SIZE)),
  };
}

/** DBGKD_READ_MEMORY64 / WRITE_MEMORY64 parameters. */
export function memoryParams(address: bigint, count: number, arch: Arch, actual = 0): Buffer {
  const p = Buffer.alloc(16);
  p.writeBigUInt64LE(toWirePointer(address, arch), 0);
  p.writeUInt32LE(count >>> 0, 8);
  p.writeUInt32LE(actual >>> 0, 12);
  return p;
}

export function decodeMemoryParams(params: Buffer, arch: Arch): { address: bigint; count: number; actual: number } {
  return { address: fromWirePointer(params.readBigUInt64LE(0), arch), count: params.readUInt32LE(8), actual: params.readUInt32LE(12) };
}

/** DBGKD_CONTINUE2: the control-set layout differs between x86 (u32) and x64 (u64) (§3.3). */
export function continue2Params(arch: Arch, continueStatus: number, trace: boolean, dr7 = 0x400n): Buffer {
  const p = Buffer.alloc(arch === 'x86' ? 20 : 32);
  p.writeUInt32LE(continueStatus >>> 0, 0);
  p.writeUInt32LE(trace ? 1 : 0, 4);
  if (arch === 'x86') {
    p.writeUInt32LE(Number(dr7 & 0xffffffffn), 8);
    p.writeUInt32LE(1, 12); // CurrentSymbolStart = 1: "don't change the step range"
    p.writeUInt32LE(0, 16);
  } else {
    p.writeBigUInt64LE(dr7, 8);
    p.writeBigUInt64LE(1n, 16);
    p.writeBigUInt64LE(0n, 24);
  }
  return p;
}

export function decodeContinue2Params(params: Buffer, arch: Arch): { continueStatus: number; trace: boolean; dr7: bigint; symbolStart: bigint; symbolEnd: bigint } {
  const x86 = arch === 'x86';
  return {
    continueStatus: params.readUInt32LE(0),
    trace: params.readUInt32LE(4) !== 0,
    dr7: x86 ? BigInt(params.readUInt32LE(8)) : params.readBigUInt64LE(8),
    symbolStart: x86 ? BigInt(params.readUInt32LE(12)) : params.readBigUInt64LE(16),
    symbolEnd: x86 ? BigInt(params.readUInt32LE(16)) : params.readBigUInt64LE(24),
  };
}

// ---------------------------------------------------------------------------------------------
// Version (DBGKD_GET_VERSION64)

export interface KdVersion {
  majorVersion: number;
  minorVersion: number;
  protocolVersion: number;
  kdSecondaryVersion: number;
  flags: number;
  machineType: number;
  maxPacketType: number;
  maxStateChange: number;
  maxManipulate: number;
  simulation: number;
  kernBase: bigint;
  psLoadedModuleList: bigint;
  debuggerDataList: bigint;
  arch: Arch;
}

/** Decodes GetVersion's parameter union; the pointer width comes from MachineType, not PTR64 (§5.3). */
export function decodeVersion(params: Buffer): KdVersion {
  const machineType = params.readUInt16LE(8);
  const arch = archOfMachine(machineType);
  return {
    majorVersion: params.readUInt16LE(0),
    minorVersion: params.readUInt16LE(2),
    protocolVersion: params[4],
    kdSecondaryVersion: params[5],
    flags: params.readUInt16LE(6),
    machineType,
    maxPacketType: params[0x0a],
    maxStateChange: params[0x0b],
    maxManipulate: params[0x0c],
    simulation: params[0x0d],
    kernBase: fromWirePointer(params.readBigUInt64LE(0x10), arch),
    psLoadedModuleList: fromWirePointer(params.readBigUInt64LE(0x18), arch),
    debuggerDataList: fromWirePointer(params.readBigUInt64LE(0x20), arch),
    arch,
  };
}

/** "Windows XP 2600 x86 compatible" style name from the build number (§9.1). */
export function describeVersion(v: KdVersion): string {
  const builds: Record<number, string> = { 2195: 'Windows 2000', 2600: 'Windows XP', 3790: 'Windows Server 2003', 6000: 'Windows Vista', 6001: 'Windows Vista/Server 2008', 6002: 'Windows Vista/Server 2008', 7600: 'Windows 7', 7601: 'Windows 7' };
  const os = builds[v.minorVersion] ?? 'Windows';
  const family = v.majorVersion >> 8;
  const kind = family === 4 ? ' boot debugger' : '';
  const checked = (v.majorVersion & 0xff) === 0x0c ? ' checked' : '';
  return `${os}${kind} ${v.minorVersion} ${v.arch === 'x64' ? 'x64' : 'x86'} compatible${checked}`;
}

// ---------------------------------------------------------------------------------------------
// Debug I/O (DBGKD_DEBUG_IO) and file I/O (DBGKD_FILE_IO)

export interface DebugIo {
  api: number;
  processor: number;
  /** PrintString: the text; GetString: the prompt. */
  text: string;
  /** GetString: size of the target's buffer for the answer. */
  lengthOfStringRead: number;
}

export function decodeDebugIo(payload: Buffer): DebugIo {
  if (payload.length < DEBUG_IO_HEADER_SIZE) throw new MalformedPacketError(`debug I/O packet of ${payload.length} bytes`);
  const api = payload.readUInt32LE(0);
  const len = Math.min(payload.readUInt32LE(8), payload.length - DEBUG_IO_HEADER_SIZE);
  return {
    api,
    processor: payload.readUInt16LE(6),
    text: payload.subarray(DEBUG_IO_HEADER_SIZE, DEBUG_IO_HEADER_SIZE + len).toString('latin1'),
    lengthOfStringRead: payload.readUInt32LE(12),
  };
}

/** The answer to a DbgPrompt (GetString). */
export function encodeGetStringReply(processor: number, answer: string, maxLength: number): Buffer {
  const text = Buffer.from(answer, 'latin1').subarray(0, Math.max(0, maxLength));
  const out = Buffer.alloc(DEBUG_IO_HEADER_SIZE + text.length);
  out.writeUInt32LE(DebugIoApi.GetString, 0);
  out.writeUInt16LE(processor, 6);
  out.writeUInt32LE(0, 8);
  out.writeUInt32LE(text.length, 12);
  text.copy(out, DEBUG_IO_HEADER_SIZE);
  return out;
}

export function encodePrintString(text: string, processor = 0): Buffer {
  const t = Buffer.from(text, 'latin1');
  const out = Buffer.alloc(DEBUG_IO_HEADER_SIZE + t.length);
  out.writeUInt32LE(DebugIoApi.PrintString, 0);
  out.writeUInt16LE(processor, 6);
  out.writeUInt32LE(t.length, 8);
  t.copy(out, DEBUG_IO_HEADER_SIZE);
  return out;
}

/** We serve no files (.kdfiles): every file request is answered STATUS_NO_SUCH_FILE, as WinDbg does. */
export function encodeFileIoNotFound(request: Buffer): Buffer {
  const out = Buffer.alloc(FILE_IO_HEADER_SIZE);
  request.copy(out, 0, 0, Math.min(request.length, FILE_IO_HEADER_SIZE));
  out.writeUInt32LE(STATUS.NO_SUCH_FILE, 4);
  return out;
}
