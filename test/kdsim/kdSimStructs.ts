/**
 * Payload layouts the target produces and consumes (kd-protocol.md §2–§5), as plain encode/decode
 * functions over Buffers. Target side only; independent of adapter/kd.
 */
import { signExtend32 } from './kdSimMemory';

export const StateChange = { Exception: 0x3030, LoadSymbols: 0x3031 } as const;
export const STATE_CHANGE_SIZE = 0xf0;
export const MANIPULATE_HEADER_SIZE = 0x38;
export const DEBUG_IO_HEADER_SIZE = 0x10;
export const FILE_IO_HEADER_SIZE = 0x40;
export const X86_CONTEXT_SIZE = 0x2cc;
export const X86_SPECIAL_REGISTERS_SIZE = 0x54;

export const Api = {
  ReadVirtualMemory: 0x3130,
  WriteVirtualMemory: 0x3131,
  GetContext: 0x3132,
  SetContext: 0x3133,
  WriteBreakPoint: 0x3134,
  RestoreBreakPoint: 0x3135,
  Continue: 0x3136,
  ReadControlSpace: 0x3137,
  WriteControlSpace: 0x3138,
  ReadIoSpace: 0x3139,
  WriteIoSpace: 0x313a,
  Reboot: 0x313b,
  Continue2: 0x313c,
  ReadPhysicalMemory: 0x313d,
  WritePhysicalMemory: 0x313e,
  GetVersion: 0x3146,
  WriteBreakPointEx: 0x3147,
  RestoreBreakPointEx: 0x3148,
  CauseBugCheck: 0x3149,
  SwitchProcessor: 0x3150,
  ReadMachineSpecificRegister: 0x3152,
  WriteMachineSpecificRegister: 0x3153,
  SearchMemory: 0x3156,
  ClearAllInternalBreakpoints: 0x315a,
  FillMemory: 0x315b,
  QueryMemory: 0x315c,
  GetContextEx: 0x315f,
} as const;

export const DebugIoApi = { PrintString: 0x3230, GetString: 0x3231 } as const;
export const FileIoApi = { CreateFile: 0x3430, ReadFile: 0x3431, WriteFile: 0x3432, CloseFile: 0x3433 } as const;

export const Status = {
  Success: 0x00000000,
  Unsuccessful: 0xc0000001,
  NotImplemented: 0xc0000002,
  InvalidParameter: 0xc000000d,
  NoSuchDevice: 0xc000000e,
  NoSuchFile: 0xc000000f,
  DatatypeMisalignment: 0x80000002,
  Breakpoint: 0x80000003,
  SingleStep: 0x80000004,
} as const;

export const DBG_CONTINUE = 0x00010002;
export const DBG_EXCEPTION_HANDLED = 0x00010001;
export const DBG_EXCEPTION_NOT_HANDLED = 0x80010001;

/** X86 control report (§2.2) fields. */
export interface ControlReportX86 {
  dr6: number;
  dr7: number;
  instructionStream: Uint8Array;
  reportFlags: number;
  segCs: number;
  segDs: number;
  segEs: number;
  segFs: number;
  eflags: number;
}

export interface StateChangeCommon {
  /** 'x64' selects the AMD64 control report and canonical 64-bit pointers (default x86). */
  arch?: 'x86' | 'x64';
  /** How an address becomes its 64-bit wire form (default: x86 sign extension). */
  toWire?: (address: number) => bigint;
  processorLevel: number;
  processor: number;
  numberProcessors: number;
  thread: number;
  programCounter: number;
  report: ControlReportX86;
}

export interface ExceptionFields {
  code: number;
  flags: number;
  record: number;
  address: number;
  parameters: number[];
  firstChance: boolean;
}

function writeCommon(b: Buffer, newState: number, c: StateChangeCommon): void {
  const wire = c.toWire ?? signExtend32;
  b.writeUInt32LE(newState, 0);
  b.writeUInt16LE(c.processorLevel, 4);
  b.writeUInt16LE(c.processor, 6);
  b.writeUInt32LE(c.numberProcessors, 8);
  b.writeBigUInt64LE(wire(c.thread), 0x10);
  b.writeBigUInt64LE(wire(c.programCounter), 0x18);
  const r = c.report;
  if (c.arch === 'x64') {
    // AMD64_DBGKD_CONTROL_REPORT (§2.2).
    b.writeBigUInt64LE(BigInt(r.dr6 >>> 0), 0xc0);
    b.writeBigUInt64LE(BigInt(r.dr7 >>> 0), 0xc8);
    b.writeUInt32LE(r.eflags >>> 0, 0xd0);
    const n64 = Math.min(16, r.instructionStream.length);
    b.writeUInt16LE(n64, 0xd4);
    b.writeUInt16LE(r.reportFlags, 0xd6);
    b.set(r.instructionStream.subarray(0, n64), 0xd8);
    b.writeUInt16LE(r.segCs, 0xe8);
    b.writeUInt16LE(r.segDs, 0xea);
    b.writeUInt16LE(r.segEs, 0xec);
    b.writeUInt16LE(r.segFs, 0xee);
    return;
  }
  b.writeUInt32LE(r.dr6 >>> 0, 0xc0);
  b.writeUInt32LE(r.dr7 >>> 0, 0xc4);
  const n = Math.min(16, r.instructionStream.length);
  b.writeUInt16LE(n, 0xc8);
  b.writeUInt16LE(r.reportFlags, 0xca);
  b.set(r.instructionStream.subarray(0, n), 0xcc);
  b.writeUInt16LE(r.segCs, 0xdc);
  b.writeUInt16LE(r.segDs, 0xde);
  b.writeUInt16LE(r.segEs, 0xe0);
  b.writeUInt16LE(r.segFs, 0xe2);
  b.writeUInt32LE(r.eflags >>> 0, 0xe4);
}

/** DBGKD_WAIT_STATE_CHANGE64, exception variant, x86 control report; exactly 0xF0 bytes. */
export function encodeExceptionStateChange(c: StateChangeCommon, e: ExceptionFields): Buffer {
  const b = Buffer.alloc(STATE_CHANGE_SIZE);
  writeCommon(b, StateChange.Exception, c);
  const wire = c.toWire ?? signExtend32;
  b.writeUInt32LE(e.code >>> 0, 0x20);
  b.writeUInt32LE(e.flags >>> 0, 0x24);
  b.writeBigUInt64LE(wire(e.record), 0x28);
  b.writeBigUInt64LE(wire(e.address), 0x30);
  const params = e.parameters.slice(0, 15);
  b.writeUInt32LE(params.length, 0x38);
  params.forEach((p, i) => b.writeBigUInt64LE(wire(p), 0x40 + 8 * i));
  b.writeUInt32LE(e.firstChance ? 1 : 0, 0xb8);
  return b;
}

export interface LoadSymbolsFields {
  pathName: string;
  baseOfDll: number;
  processId: number;
  checksum: number;
  sizeOfImage: number;
  unload: boolean;
}

/** DBGKD_WAIT_STATE_CHANGE64, load-symbols variant, followed by the NUL-terminated ANSI path. */
export function encodeLoadSymbolsStateChange(c: StateChangeCommon, l: LoadSymbolsFields): Buffer {
  // An empty path (the "unload −1" going-away notice) has no trailing string at all.
  const path = l.pathName ? Buffer.from(l.pathName + '\0', 'latin1') : Buffer.alloc(0);
  const b = Buffer.alloc(STATE_CHANGE_SIZE + path.length);
  writeCommon(b, StateChange.LoadSymbols, c);
  b.writeUInt32LE(path.length, 0x20);
  b.writeBigUInt64LE(l.baseOfDll === -1 ? 0xffffffffffffffffn : (c.toWire ?? signExtend32)(l.baseOfDll), 0x28);
  b.writeBigUInt64LE(l.processId === -1 ? 0xffffffffffffffffn : BigInt(l.processId >>> 0), 0x30);
  b.writeUInt32LE(l.checksum >>> 0, 0x38);
  b.writeUInt32LE(l.sizeOfImage >>> 0, 0x3c);
  b[0x40] = l.unload ? 1 : 0;
  b.set(path, STATE_CHANGE_SIZE);
  return b;
}

/** DBGKD_DEBUG_IO PrintString (§4). `unused` is the field real targets leave uninitialised. */
export function encodePrintString(text: Buffer | string, opts: { processorLevel?: number; processor?: number; unused?: number } = {}): Buffer {
  const t = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  const b = Buffer.alloc(DEBUG_IO_HEADER_SIZE + t.length);
  b.writeUInt32LE(DebugIoApi.PrintString, 0);
  b.writeUInt16LE(opts.processorLevel ?? 0, 4);
  b.writeUInt16LE(opts.processor ?? 0, 6);
  b.writeUInt32LE(t.length, 8);
  b.writeUInt32LE((opts.unused ?? 0) >>> 0, 0x0c);
  b.set(t, DEBUG_IO_HEADER_SIZE);
  return b;
}

/** DBGKD_DEBUG_IO GetString (DbgPrompt): prompt text, and the size of the answer buffer. */
export function encodeGetString(prompt: string, bufferSize: number): Buffer {
  const t = Buffer.from(prompt, 'latin1');
  const b = Buffer.alloc(DEBUG_IO_HEADER_SIZE + t.length);
  b.writeUInt32LE(DebugIoApi.GetString, 0);
  b.writeUInt32LE(t.length, 8);
  b.writeUInt32LE(bufferSize, 0x0c);
  b.set(t, DEBUG_IO_HEADER_SIZE);
  return b;
}

export interface CreateFileFields {
  desiredAccess: number;
  fileAttributes: number;
  shareAccess: number;
  createDisposition: number;
  createOptions: number;
  handle: bigint;
  length: bigint;
  /** The 16 trailing bytes of the union that real targets leave uninitialised. */
  reserved?: Uint8Array;
}

/** DBGKD_FILE_IO CreateFile request (64-byte header + UTF-16 file name, NUL-terminated). */
export function encodeCreateFile(fileName: string, f: CreateFileFields): Buffer {
  const name = Buffer.from(fileName + '\0', 'utf16le');
  const b = Buffer.alloc(FILE_IO_HEADER_SIZE + name.length);
  b.writeUInt32LE(FileIoApi.CreateFile, 0);
  b.writeUInt32LE(0, 4);
  b.writeUInt32LE(f.desiredAccess >>> 0, 0x08);
  b.writeUInt32LE(f.fileAttributes >>> 0, 0x0c);
  b.writeUInt32LE(f.shareAccess >>> 0, 0x10);
  b.writeUInt32LE(f.createDisposition >>> 0, 0x14);
  b.writeUInt32LE(f.createOptions >>> 0, 0x18);
  b.writeBigUInt64LE(f.handle, 0x20);
  b.writeBigUInt64LE(f.length, 0x28);
  if (f.reserved) b.set(f.reserved.subarray(0, 16), 0x30);
  b.set(name, FILE_IO_HEADER_SIZE);
  return b;
}

/** Fields of a manipulate-state request as a target reads them (§3.1/§3.3). */
export interface ManipulateRequest {
  api: number;
  processorLevel: number;
  processor: number;
  raw: Buffer;
  data: Buffer;
}

export function decodeManipulate(payload: Buffer): ManipulateRequest | undefined {
  if (payload.length < MANIPULATE_HEADER_SIZE) return undefined;
  return {
    api: payload.readUInt32LE(0),
    processorLevel: payload.readUInt16LE(4),
    processor: payload.readUInt16LE(6),
    raw: payload,
    data: payload.subarray(MANIPULATE_HEADER_SIZE),
  };
}

/**
 * A reply starts as a copy of the request's 56-byte header (real targets echo it, garbage included,
 * as the capture shows), with ReturnStatus set; `patch` updates output fields; `data` is appended.
 */
export function buildManipulateReply(req: ManipulateRequest, status: number, patch?: (h: Buffer) => void, data?: Uint8Array): Buffer {
  const h = Buffer.from(req.raw.subarray(0, MANIPULATE_HEADER_SIZE));
  h.writeUInt32LE(status >>> 0, 8);
  patch?.(h);
  return data && data.length ? Buffer.concat([h, data]) : h;
}

/** Truncates a 64-bit (sign-extended) address to the x86 target's 32 bits. */
export function readAddress32(b: Buffer, off: number): number {
  return Number(b.readBigUInt64LE(off) & 0xffffffffn);
}
