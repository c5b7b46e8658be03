import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  continue2Params,
  decodeContinue2Params,
  decodeDebugIo,
  decodeManipulate,
  decodeMemoryParams,
  decodeStateChange,
  decodeVersion,
  encodeFileIoNotFound,
  encodeManipulate,
  fromWirePointer,
  ManipulateApi,
  memoryParams,
  STATUS,
  StateChangeKind,
  toWirePointer,
} from '../../../adapter/kd/kdStructs';
import { CAPTURE_MISSING, frame, loadCapture, prng } from './kdTestUtil';
import { findRegister, readRegister, writeRegister, X64_CONTEXT_REGISTERS, X86_CONTEXT_SIZE } from '../../../adapter/kd/kdRegisters';

const cap = loadCapture();

test('debug I/O PrintString (capture frame 4)', (t) => {
  if (!cap) return t.skip(CAPTURE_MISSING);
  const io = decodeDebugIo(frame(cap, 4));
  assert.equal(io.api, 0x3230);
  assert.equal(io.text, 'BD: Boot Debugger Initialized\n');
});

test('"Fatal Error" DbgPrint then breakpoint state change (frames 376/378, x64)', (t) => {
  if (!cap) return t.skip(CAPTURE_MISSING);
  assert.match(decodeDebugIo(frame(cap, 376)).text, /\*\*\* Fatal Error 0x00000001/);
  const sc = decodeStateChange(frame(cap, 378), 'x64');
  assert.equal(sc.newState, StateChangeKind.Exception);
  assert.equal(sc.exception?.code, 0x80000003);
  assert.equal(sc.exception?.firstChance, true);
  assert.equal(sc.exception?.address, 0x9cf07dn);
  assert.equal(sc.programCounter, 0x9cf07en, 'x64 boot debugger: PC = ExceptionAddress + 1 (§2.4)');
  assert.equal(sc.control.instructionStream[0], 0xcc);
});

test('LoadSymbols state change with the image path after 0xF0 bytes (frame 8)', (t) => {
  if (!cap) return t.skip(CAPTURE_MISSING);
  const sc = decodeStateChange(frame(cap, 8), 'x64');
  assert.equal(sc.newState, StateChangeKind.LoadSymbols);
  assert.equal(sc.loadSymbols?.path, 'winload.efi');
  assert.equal(sc.loadSymbols?.baseOfDll, 0x96f000n);
  assert.equal(sc.loadSymbols?.unload, false);
});

test('GetVersion reply: MachineType decides the pointer width, not PTR64 (frame 12)', (t) => {
  if (!cap) return t.skip(CAPTURE_MISSING);
  const m = decodeManipulate(frame(cap, 12));
  assert.equal(m.api, ManipulateApi.GetVersion);
  const v = decodeVersion(m.params);
  assert.equal(v.machineType, 0x8664);
  assert.equal(v.arch, 'x64');
  assert.equal(v.minorVersion, 10586);
  assert.equal(v.flags & 4, 0, 'PTR64 not set although x64');
  assert.equal(v.kernBase, 0x96f000n);
});

test('ReadVirtualMemory request and reply (frames 14/16)', (t) => {
  if (!cap) return t.skip(CAPTURE_MISSING);
  const req = decodeManipulate(frame(cap, 14));
  const rp = decodeMemoryParams(req.params, 'x64');
  assert.equal(rp.address, 0xad5e60n);
  assert.equal(rp.count, 16);
  const rep = decodeManipulate(frame(cap, 16));
  assert.equal(rep.returnStatus, 0);
  const rr = decodeMemoryParams(rep.params, 'x64');
  assert.equal(rr.actual, 16);
  assert.equal(rep.data.length, 16);
  // Our encoding of the same request carries the same meaningful fields.
  const ours = decodeManipulate(encodeManipulate(ManipulateApi.ReadVirtualMemory, memoryParams(0xad5e60n, 16, 'x64')));
  assert.deepEqual(decodeMemoryParams(ours.params, 'x64'), { address: 0xad5e60n, count: 16, actual: 0 });
  assert.equal(ours.returnStatus, STATUS.PENDING);
});

test('Continue2 (frame 234): Dr7 0x400, symbol range 1/0; our x64 encoding matches', (t) => {
  if (!cap) return t.skip(CAPTURE_MISSING);
  const m = decodeManipulate(frame(cap, 234));
  assert.equal(m.api, ManipulateApi.Continue2);
  const real = decodeContinue2Params(m.params, 'x64');
  assert.equal(real.dr7, 0x400n);
  assert.equal(real.symbolStart, 1n);
  assert.equal(real.symbolEnd, 0n);
  assert.equal(real.trace, false);
  const ours = decodeContinue2Params(Buffer.concat([continue2Params('x64', real.continueStatus, false), Buffer.alloc(8)]), 'x64');
  assert.deepEqual(ours, real);
});

test('Continue2 x86 layout uses 32-bit control-set fields', () => {
  const p = continue2Params('x86', 0x10002, true);
  assert.equal(p.length, 20);
  assert.deepEqual(decodeContinue2Params(Buffer.concat([p, Buffer.alloc(20)]), 'x86'), { continueStatus: 0x10002, trace: true, dr7: 0x400n, symbolStart: 1n, symbolEnd: 0n });
});

test('RestoreBreakPoint of an empty slot fails with STATUS_UNSUCCESSFUL (frames 58/60)', (t) => {
  if (!cap) return t.skip(CAPTURE_MISSING);
  const req = decodeManipulate(frame(cap, 58));
  assert.equal(req.params.readUInt32LE(0), 1);
  assert.equal(decodeManipulate(frame(cap, 60)).returnStatus, STATUS.UNSUCCESSFUL);
});

test('file I/O CreateFile answered "no such file" exactly as WinDbg did (frames 236/238)', (t) => {
  if (!cap) return t.skip(CAPTURE_MISSING);
  const ours = encodeFileIoNotFound(frame(cap, 236));
  assert.ok(ours.equals(frame(cap, 238)));
});

test('GetContext reply carries a 0x4D0-byte x64 CONTEXT (frame 196)', (t) => {
  if (!cap) return t.skip(CAPTURE_MISSING);
  const m = decodeManipulate(frame(cap, 196));
  assert.equal(m.data.length, 0x4d0);
  assert.equal(m.data.readUInt32LE(0x30), 0x10001b);
});

test('x86 pointers are sign-extended on the wire and truncated back', () => {
  assert.equal(toWirePointer(0x80501234n, 'x86'), 0xffffffff80501234n);
  assert.equal(toWirePointer(0x00401000n, 'x86'), 0x00401000n);
  assert.equal(fromWirePointer(0xffffffff804d7000n, 'x86'), 0x804d7000n);
  assert.equal(fromWirePointer(0xfffff80001234567n, 'x64'), 0xfffff80001234567n);
});

test('malformed payloads throw MalformedPacketError, never crash with RangeError', () => {
  assert.throws(() => decodeStateChange(Buffer.alloc(10), 'x86'), /state change/);
  assert.throws(() => decodeManipulate(Buffer.alloc(3)), /manipulate/);
  assert.throws(() => decodeDebugIo(Buffer.alloc(3)), /debug I\/O/);
  // A length field larger than the data is clamped.
  const io = Buffer.alloc(20);
  io.writeUInt32LE(0x3230, 0);
  io.writeUInt32LE(1000, 8);
  assert.equal(decodeDebugIo(io).text.length, 4);
});

test('x64 CONTEXT decoded through the register table matches the stop (frames 8 and 196)', (t) => {
  if (!cap) return t.skip(CAPTURE_MISSING);
  const sc = decodeStateChange(frame(cap, 8), 'x64');
  const ctx = decodeManipulate(frame(cap, 196)).data;
  const reg = (n: string): bigint => readRegister(ctx, findRegister('x64', n)!);
  assert.equal(reg('rip'), sc.programCounter);
  assert.equal(reg('cs'), BigInt(sc.control.segCs));
  assert.equal(reg('efl'), BigInt(sc.control.eflags));
  assert.equal(reg('rsp'), 0x1a6d98n);
  assert.equal(reg('rsi'), 0xfffff8017bc49e30n);
  assert.equal(X64_CONTEXT_REGISTERS.filter((r) => r.group === 'General').length, 18);
});

test('x86 CONTEXT layout: registers round-trip through the table at their documented offsets', () => {
  const ctx = Buffer.alloc(X86_CONTEXT_SIZE);
  const offsets: Record<string, number> = { eip: 0xb8, esp: 0xc4, efl: 0xc0, eax: 0xb0, ebp: 0xb4, cs: 0xbc, dr7: 0x18 };
  for (const [name, off] of Object.entries(offsets)) {
    const r = findRegister('x86', name)!;
    assert.equal(r.offset, off, name);
    writeRegister(ctx, r, 0x80501234n);
    assert.equal(ctx.readUInt32LE(off), 0x80501234);
    assert.equal(readRegister(ctx, r), 0x80501234n);
  }
  assert.equal(findRegister('x86', 'EFLAGS')?.name, 'efl');
});

test('fuzz (seeded): payload decoders either decode or throw MalformedPacketError, never anything else', () => {
  const rnd = prng(0x7b);
  const decoders: ((b: Buffer) => unknown)[] = [
    (b) => decodeStateChange(b, 'x86'),
    (b) => decodeStateChange(b, 'x64'),
    (b) => decodeManipulate(b),
    (b) => decodeDebugIo(b),
    (b) => decodeVersion(decodeManipulate(Buffer.concat([b, Buffer.alloc(0x38)])).params),
  ];
  for (let i = 0; i < 3000; i++) {
    const len = [0, 3, 15, 16, 0x37, 0x38, 0xef, 0xf0, 0xf4, 300][i % 10] + Math.floor(rnd() * 4);
    const b = Buffer.alloc(len);
    for (let j = 0; j < len; j++) b[j] = rnd() < 0.3 ? 0xff : Math.floor(rnd() * 256);
    if (len >= 4 && rnd() < 0.5) b.writeUInt32LE([0x3030, 0x3031, 0x3230, 0x3231][i % 4], 0);
    for (const d of decoders) {
      try {
        d(b);
      } catch (e) {
        assert.equal((e as Error).name, 'MalformedPacketError', `${(e as Error).stack}`);
      }
    }
  }
});
