/**
 * The simulator driven over a real TCP loopback socket by the small doc-derived host in kdTestHost:
 * handshake, DbgPrint delivery, the /break initial stop, memory / module list / exports / context /
 * control space reads, continue, break-in, breakpoints with restore-step-reinsert, bugcheck, reboot.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { listenTcp } from '../../kdsim/kdSimTransports';
import { KdSimOptions, KdSimulator } from '../../kdsim/kdSimulator';
import { exceptionOf, hostControl, hostFrame, TestKdHost } from './kdTestHost';

async function connect(opts: KdSimOptions): Promise<{ host: TestKdHost; sim: KdSimulator; done: () => Promise<void> }> {
  const h = await listenTcp({ ackTimeoutMs: 100, ...opts });
  const socket = net.connect(h.port, '127.0.0.1');
  await new Promise<void>((r) => socket.once('connect', () => r()));
  const host = new TestKdHost(socket);
  return {
    host,
    sim: h.sim,
    done: async () => {
      host.dispose();
      socket.destroy();
      await h.close();
    },
  };
}

/** Walks PsLoadedModuleList like a debugger: base names of every LDR_DATA_TABLE_ENTRY. */
async function moduleNames(host: TestKdHost, head: number): Promise<Array<{ name: string; base: number; size: number }>> {
  const out: Array<{ name: string; base: number; size: number }> = [];
  for (let e = await host.u32(head); e !== head && out.length < 50; e = await host.u32(e)) {
    const entry = (await host.readVirtual(e, 0x50)).data;
    const len = entry.readUInt16LE(0x2c);
    const name = (await host.readVirtual(entry.readUInt32LE(0x30), len)).data.toString('utf16le');
    out.push({ name, base: entry.readUInt32LE(0x18), size: entry.readUInt32LE(0x20) });
  }
  return out;
}

/** Resolves a name through the module's in-memory PE export directory. */
async function exportAddress(host: TestKdHost, base: number, name: string): Promise<number | undefined> {
  const lfanew = await host.u32(base + 0x3c);
  const exportRva = await host.u32(base + lfanew + 0x18 + 0x60);
  const dir = (await host.readVirtual(base + exportRva, 40)).data;
  const n = dir.readUInt32LE(24);
  const funcs = (await host.readVirtual(base + dir.readUInt32LE(28), 4 * dir.readUInt32LE(20))).data;
  const names = (await host.readVirtual(base + dir.readUInt32LE(32), 4 * n)).data;
  const ords = (await host.readVirtual(base + dir.readUInt32LE(36), 2 * n)).data;
  for (let i = 0; i < n; i++) {
    const s = (await host.readVirtual(base + names.readUInt32LE(4 * i), 64)).data;
    if (s.subarray(0, s.indexOf(0)).toString('latin1') === name) return base + funcs.readUInt32LE(4 * ords.readUInt16LE(2 * i));
  }
  return undefined;
}

test('initial break over TCP: handshake, stop at nt!DbgBreakPoint, memory, modules, exports, context, continue', async () => {
  const { host, sim, done } = await connect({ scenario: 'initial-break', loadSymbols: false });
  try {
    const simLines: string[] = [];
    sim.on('line', (l: string) => simLines.push(l));
    host.sendReset();
    const stop = await host.nextStateChange(0);
    assert.ok(host.resetsSeen >= 1, 'a booting target announces itself with RESET');
    assert.ok(host.prints.length >= 3, 'boot lines arrive before the stop');
    assert.equal(host.packets[0].id, 0x80800800, 'the first packet after boot carries the sync bit');
    const exc = exceptionOf(stop.payload);
    assert.equal(exc.newState, 0x3030);
    assert.equal(exc.code, 0x80000003);
    assert.equal(exc.firstChance, true);
    assert.equal(exc.pc, sim.machine.image.sym('nt!DbgBreakPoint'));
    assert.equal(stop.payload.length, 0xf0);
    assert.equal(stop.payload[0xcc], 0xcc, 'instruction stream starts with the int3');

    const ver = await host.request(0x3146);
    assert.equal(ver.readUInt16LE(0x18), 0x014c, 'MachineType i386');
    const kernBase = Number(ver.readBigUInt64LE(0x20) & 0xffffffffn);
    assert.equal(ver.readBigUInt64LE(0x20) >> 32n, 0xffffffffn, 'KernBase is sign-extended');
    const psLoaded = Number(ver.readBigUInt64LE(0x28) & 0xffffffffn);
    const ddl = Number(ver.readBigUInt64LE(0x30) & 0xffffffffn);

    // Debugger data list → KDDEBUGGER_DATA64 ('KDBG', KernBase, PsLoadedModuleList, KiBugcheckData).
    const kdbg = await host.u32(ddl);
    const block = (await host.readVirtual(kdbg, 0x290)).data;
    assert.equal(block.readUInt32LE(0x10), 0x4742444b);
    assert.equal(Number(block.readBigUInt64LE(0x18) & 0xffffffffn), kernBase);
    assert.equal(Number(block.readBigUInt64LE(0x48) & 0xffffffffn), psLoaded);
    assert.equal(Number(block.readBigUInt64LE(0x88) & 0xffffffffn), sim.machine.image.sym('nt!KiBugcheckData'));

    const mods = await moduleNames(host, psLoaded);
    assert.deepEqual(mods.map((m) => m.name), ['ntoskrnl.exe', 'hal.dll', 'KDCOM.DLL', 'E1000325.sys', 'msiscsi.sys', 'sanbootconf.sys']);
    assert.equal(mods[0].base, kernBase);
    assert.equal(await exportAddress(host, kernBase, 'DbgBreakPoint'), exc.pc, 'PC resolves to nt!DbgBreakPoint via the export table');
    assert.equal(await exportAddress(host, kernBase, 'KeBugCheckEx'), sim.machine.image.sym('nt!KeBugCheckEx'));

    // Partial read across the end of a mapped region: readable prefix + STATUS_UNSUCCESSFUL.
    const end = mods[1].base + ((mods[1].size + 0xfff) & ~0xfff);
    const partial = await host.readVirtual(end - 0x10, 0x40);
    assert.equal(partial.status, 0xc0000001);
    assert.equal(partial.data.length, 0x10);
    const none = await host.readVirtual(0x00001000, 16);
    assert.equal(none.data.length, 0);

    const ctx = await host.getContext();
    assert.equal(ctx.length, 0x2cc);
    assert.equal(ctx.readUInt32LE(0xb8), exc.pc, 'EIP');
    // EBP chain: [ESP] = return into nt!KdInitSystem, then saved EBPs up to KiSystemStartup.
    const esp = ctx.readUInt32LE(0xc4);
    const retAddr = await host.u32(esp);
    const kdInit = sim.machine.image.sym('nt!KdInitSystem');
    assert.ok(retAddr > kdInit && retAddr < kdInit + 0x40, 'return address inside KdInitSystem');
    const ebp = ctx.readUInt32LE(0xb4);
    const ret2 = await host.u32(ebp + 4);
    const kiInit = sim.machine.image.sym('nt!KiInitializeKernel');
    assert.ok(ret2 > kiInit && ret2 < kiInit + 0x40, 'next frame inside KiInitializeKernel');

    const cs = await host.request(0x3137, (h) => {
      h.writeBigUInt64LE(0x2ccn, 0x10);
      h.writeUInt32LE(0x54, 0x18);
    });
    assert.equal(cs.readUInt32LE(0x1c), 0x54);
    assert.equal(cs.readUInt32LE(56), 0x8001003b, 'CR0 at KSPECIAL_REGISTERS+0');

    // Continuing without stepping over the hard-coded int3 re-executes it (§2.4 pitfall).
    const before = host.packets.length;
    await host.continue2();
    const again = await host.nextStateChange(before);
    assert.equal(exceptionOf(again.payload).pc, exc.pc);

    await host.skipInt3();
    await host.continue2();
    await host.waitFor(() => (host.prints.some((p) => p.includes('ISCSI Boot Status 0')) ? true : undefined), 5000, 'iSCSI lines');
    await host.waitFor(() => (simLines.includes('IscsiBP: ISCSI Boot Status 0') ? true : undefined), 2000, 'sim line event');
    assert.equal(host.duplicates, 0);
    const joined = host.prints.join('');
    assert.ok(joined.includes('Found iBFT at 9e620 OEM ID "FENSYS" OEM table ID "iPXE"\n'));
    assert.ok(joined.includes('  Radius = 0.0.0.0, 0.0.0.0\n'), 'a line split over two DbgPrint calls');
    assert.deepEqual(simLines, joined.split('\n').slice(0, -1), "sim 'line' events equal what the host received");

    // Break-in while idling: stop at RtlpBreakWithStatusInstruction with EAX = 1 (CONTROL_C).
    const mark = host.packets.length;
    await new Promise((r) => setTimeout(r, 50));
    host.breakIn();
    const bi = await host.nextStateChange(mark);
    const biExc = exceptionOf(bi.payload);
    assert.equal(biExc.code, 0x80000003);
    assert.equal(biExc.pc, sim.machine.image.sym('nt!DbgBreakPointWithStatus.RtlpBreakWithStatusInstruction'));
    const biCtx = await host.getContext();
    assert.equal(biCtx.readUInt32LE(0xb0), 1, 'EAX = DBG_STATUS_CONTROL_C');
    await host.skipInt3();
    await host.continue2();
    await host.waitFor(() => (sim.state === 'running' ? true : undefined), 2000, 'running');
  } finally {
    await done();
  }
});

test('iscsi-boot with LoadSymbols stops: every driver load waits for a continue', async () => {
  const { host, sim, done } = await connect({ scenario: 'iscsi-boot' });
  try {
    host.sendReset();
    const loads: string[] = [];
    let from = 0;
    for (let i = 0; i < 3; i++) {
      const sc = await host.nextStateChange(from);
      from = sc.index + 1;
      assert.equal(sc.payload.readUInt32LE(0), 0x3031, 'LoadSymbols');
      const len = sc.payload.readUInt32LE(0x20);
      loads.push(sc.payload.subarray(0xf0, 0xf0 + len - 1).toString('latin1'));
      const base = Number(sc.payload.readBigUInt64LE(0x28) & 0xffffffffn);
      assert.equal(base, sim.machine.image.modules.find((m) => loads[i].endsWith(m.spec.baseName))?.spec.base);
      await host.continue2();
    }
    assert.deepEqual(loads, [
      '\\WINDOWS\\system32\\DRIVERS\\E1000325.sys',
      '\\WINDOWS\\system32\\DRIVERS\\sanbootconf.sys',
      '\\WINDOWS\\system32\\DRIVERS\\msiscsi.sys',
    ]);
    await host.waitFor(() => (host.prints.some((p) => p.startsWith('iSCSI boot complete')) ? true : undefined), 5000, 'last line');
  } finally {
    await done();
  }
});

test('breakpoint on nt!DbgPrint hits; restore, single step, re-insert, continue', async () => {
  const { host, sim, done } = await connect({
    scenario: {
      name: 'bp',
      *steps() {
        yield { kind: 'break' };
        for (let i = 1; i <= 3; i++) yield { kind: 'print', text: `driver line ${i}\n`, from: 'msiscsi' };
        yield { kind: 'idle', ms: Infinity };
      },
    },
  });
  try {
    host.sendReset();
    const first = await host.nextStateChange(0);
    const dbgPrint = sim.machine.image.sym('nt!DbgPrint');
    const wb = await host.request(0x3134, (h) => h.writeBigInt64LE(BigInt(dbgPrint | 0), 0x10));
    assert.equal(wb.readUInt32LE(8), 0);
    const handle = wb.readUInt32LE(0x18);
    assert.ok(handle >= 1 && handle <= 32);
    assert.equal((await host.readVirtual(dbgPrint, 1)).data[0], 0xcc, 'the target planted 0xCC');
    await host.skipInt3();
    await host.continue2();
    const hit = await host.nextStateChange(first.index + 1);
    const e = exceptionOf(hit.payload);
    assert.equal(e.code, 0x80000003);
    assert.equal(e.pc, dbgPrint);
    assert.equal(hit.payload[0xcc], 0x55, 'instruction stream shows the original byte (push ebp)');
    assert.equal(host.prints.filter((p) => p.startsWith('driver line')).length, 0, 'stopped before the first print');
    const ctx = await host.getContext();
    const ret = await host.u32(ctx.readUInt32LE(0xc4));
    const de = sim.machine.image.sym('msiscsi!DriverEntry');
    assert.ok(ret > de && ret < de + 0x40, 'caller frame is msiscsi!DriverEntry');

    // Restore, single step: EIP moves to the next instruction (mov ebp,esp at DbgPrint+1).
    const rb = await host.request(0x3135, (h) => h.writeUInt32LE(handle, 0x10));
    assert.equal(rb.readUInt32LE(8), 0);
    await host.continue2(true);
    const step = await host.nextStateChange(hit.index + 1);
    assert.equal(exceptionOf(step.payload).code, 0x80000004);
    assert.equal(exceptionOf(step.payload).pc, dbgPrint + 1);
    const h2 = (await host.request(0x3134, (h) => h.writeBigInt64LE(BigInt(dbgPrint | 0), 0x10))).readUInt32LE(0x18);
    await host.continue2();
    await host.waitFor(() => (host.prints.includes('driver line 1\n') ? true : undefined), 3000, 'line 1');
    const hit2 = await host.nextStateChange(step.index + 1);
    assert.equal(exceptionOf(hit2.payload).pc, dbgPrint, 'the re-inserted breakpoint hits on the next call');
    assert.equal((await host.request(0x3135, (h) => h.writeUInt32LE(h2, 0x10))).readUInt32LE(8), 0);
    assert.equal((await host.request(0x3135, (h) => h.writeUInt32LE(h2, 0x10))).readUInt32LE(8), 0xc0000001, 'empty slot');
    await host.continue2();
    await host.waitFor(() => (host.prints.includes('driver line 3\n') ? true : undefined), 3000, 'line 3');
  } finally {
    await done();
  }
});

test('bugcheck 0x7B: Fatal System Error print, break with status 3, KiBugcheckData, second break with status 4', async () => {
  const { host, sim, done } = await connect({ scenario: 'bugcheck-7b', loadSymbols: false });
  try {
    host.sendReset();
    const sc = await host.nextStateChange(0);
    const all = host.prints.join('');
    assert.ok(all.includes('\n*** Fatal System Error: 0x0000007b\n                       (0xF78A6A94,0xC0000034,0x00000000,0x00000000)\n\n'));
    assert.ok(all.includes('Timed out waiting for boot disk'));
    const e = exceptionOf(sc.payload);
    assert.equal(e.code, 0x80000003);
    assert.equal(e.pc, sim.machine.image.sym('nt!DbgBreakPointWithStatus.RtlpBreakWithStatusInstruction'));
    assert.equal((await host.getContext()).readUInt32LE(0xb0), 3, 'EAX = DBG_STATUS_BUGCHECK_FIRST');
    const ver = await host.request(0x3146);
    const kdbg = await host.u32(Number(ver.readBigUInt64LE(0x30) & 0xffffffffn));
    const kibc = Number((await host.readVirtual(kdbg + 0x88, 8)).data.readBigUInt64LE(0) & 0xffffffffn);
    const data = (await host.readVirtual(kibc, 20)).data;
    assert.deepEqual([0, 1, 2, 3, 4].map((i) => data.readUInt32LE(4 * i)), [0x7b, 0xf78a6a94, 0xc0000034, 0, 0]);
    const us = (await host.readVirtual(0xf78a6a94, 8)).data;
    const arc = (await host.readVirtual(us.readUInt32LE(4), us.readUInt16LE(0))).data.toString('utf16le');
    assert.equal(arc, '\\ArcName\\multi(0)disk(0)rdisk(0)partition(1)');
    // Stack: KeBugCheckEx's frame holds the code and parameters.
    await host.skipInt3();
    await host.continue2();
    const second = await host.nextStateChange(sc.index + 1);
    assert.equal(exceptionOf(second.payload).code, 0x80000003);
    assert.equal((await host.getContext()).readUInt32LE(0xb0), 4, 'EAX = DBG_STATUS_BUGCHECK_SECOND');
  } finally {
    await done();
  }
});

test('reboot: on its own (RESET + sync id, lines again) and on the Reboot API', async () => {
  const { host, sim, done } = await connect({ scenario: 'reboot', rebootDelayMs: 50 });
  try {
    let reboots = 0;
    sim.on('reboot', () => reboots++);
    host.sendReset();
    await host.waitFor(() => (host.prints.includes('after reboot 5\n') ? true : undefined), 5000, 'lines after reboot');
    assert.equal(reboots, 1);
    assert.ok(host.resetsSeen >= 2, 'each boot starts with a RESET');
    const idx = host.prints.indexOf('Boot 2\n');
    assert.ok(idx > host.prints.indexOf('before reboot 5\n'));
    assert.equal(host.packets.filter((p) => p.id === 0x80800800).length, 2, 'one sync-id packet per boot');

    host.breakIn();
    const sc = await host.nextStateChange(0);
    assert.equal(exceptionOf(sc.payload).code, 0x80000003);
    await host.sendData(2, (() => {
      const h = Buffer.alloc(56);
      h.writeUInt32LE(0x313b, 0);
      return h;
    })());
    await host.waitFor(() => (reboots === 2 ? true : undefined), 3000, 'reboot via API');
    await host.waitFor(() => (host.prints.filter((p) => p === 'after reboot 5\n').length === 2 ? true : undefined), 5000, 'boot 3 lines');
    assert.equal(sim.boot, 3);
  } finally {
    await done();
  }
});

test('.crash (CauseBugCheck) gives 0xE2 without the Fatal System Error print; NOT_HANDLED twice gives 0x8E', async () => {
  const { host, sim, done } = await connect({ scenario: 'initial-break', loadSymbols: false });
  try {
    host.sendReset();
    const first = await host.nextStateChange(0);
    const bugchecks: Array<{ code: number; params: number[] }> = [];
    sim.on('bugcheck', (b: { code: number; params: number[] }) => bugchecks.push(b));
    // Pass the breakpoint on unhandled: second chance, then KERNEL_MODE_EXCEPTION_NOT_HANDLED.
    await host.continue2(false, 0x80010001);
    const second = await host.nextStateChange(first.index + 1);
    assert.equal(exceptionOf(second.payload).firstChance, false);
    const printsBefore = host.prints.length;
    await host.continue2(false, 0x80010001);
    const bc = await host.nextStateChange(second.index + 1);
    assert.equal(exceptionOf(bc.payload).pc, sim.machine.image.sym('nt!DbgBreakPointWithStatus.RtlpBreakWithStatusInstruction'));
    assert.deepEqual(bugchecks[0], { code: 0x8e, params: [0x80000003, sim.machine.image.sym('nt!DbgBreakPoint'), 0, 0] });
    assert.ok(host.prints.slice(printsBefore).join('').includes('*** Fatal System Error: 0x0000008e'));

    const crashReq = Buffer.alloc(56);
    crashReq.writeUInt32LE(0x3149, 0);
    const mark = host.packets.length;
    const printsAtCrash = host.prints.length;
    await host.sendData(2, crashReq);
    const crash = await host.nextStateChange(mark);
    assert.equal(exceptionOf(crash.payload).code, 0x80000003);
    assert.equal(bugchecks[1].code, 0xe2);
    assert.equal(host.prints.length, printsAtCrash, 'MANUALLY_INITIATED_CRASH is not printed');
    const kibc = (await host.readVirtual(sim.machine.image.kiBugcheckData, 4)).data.readUInt32LE(0);
    assert.equal(kibc, 0xe2);
  } finally {
    await done();
  }
});

test('file I/O and DbgPrompt: the target waits for the host answer and uses it', async () => {
  const { host, sim, done } = await connect({
    scenario: {
      name: 'io',
      *steps() {
        yield { kind: 'fileOpen', path: '\\SystemRoot\\system32\\drivers\\msiscsi.sys' };
        yield { kind: 'prompt', text: 'Break, Ignore, Terminate Process or Terminate Thread (bipt)? ', bufferSize: 16 };
        yield { kind: 'print', text: 'after the prompt\n' };
        yield { kind: 'idle', ms: Infinity };
      },
    },
  });
  try {
    const fileIo: Array<{ path: string; status: number }> = [];
    const answers: string[] = [];
    sim.on('fileIo', (f: { path: string; status: number }) => fileIo.push(f));
    sim.on('promptAnswer', (a: string) => answers.push(a));
    host.sendReset();
    const create = await host.waitFor(() => host.packets.find((p) => p.type === 11), 3000, 'FILE_IO');
    assert.equal(create.payload.readUInt32LE(0), 0x3430);
    assert.equal(create.payload.subarray(0x40).toString('utf16le'), '\\SystemRoot\\system32\\drivers\\msiscsi.sys\0');
    // WinDbg's answer without .kdfiles: the header back with STATUS_NO_SUCH_FILE.
    const answer = Buffer.from(create.payload.subarray(0, 0x40));
    answer.writeUInt32LE(0xc000000f, 4);
    await host.sendData(11, answer);
    const prompt = await host.waitFor(() => host.packets.find((p) => p.type === 3 && p.payload.readUInt32LE(0) === 0x3231), 3000, 'GetString');
    assert.equal(prompt.payload.readUInt32LE(0x0c), 16, 'answer buffer size');
    assert.match(prompt.payload.subarray(16).toString('latin1'), /\(bipt\)\? $/);
    const reply = Buffer.alloc(17);
    reply.writeUInt32LE(0x3231, 0);
    reply.writeUInt32LE(1, 0x0c);
    reply.write('i', 16, 'latin1');
    await host.sendData(3, reply);
    await host.waitFor(() => (host.prints.includes('after the prompt\n') ? true : undefined), 3000, 'line after prompt');
    assert.deepEqual(fileIo, [{ path: '\\SystemRoot\\system32\\drivers\\msiscsi.sys', status: 0xc000000f }]);
    assert.deepEqual(answers, ['i']);
  } finally {
    await done();
  }
});

test('hardware execute breakpoint via Dr0 + Dr7: single-step exception with Dr6.B0, no re-trigger on resume', async () => {
  const { host, sim, done } = await connect({
    scenario: {
      name: 'hw',
      *steps() {
        yield { kind: 'break' };
        for (let i = 1; i <= 2; i++) yield { kind: 'print', text: `hw line ${i}\n` };
        yield { kind: 'idle', ms: Infinity };
      },
    },
  });
  try {
    host.sendReset();
    const first = await host.nextStateChange(0);
    const target = sim.machine.image.sym('nt!DbgPrint');
    const ctx = await host.getContext();
    ctx.writeUInt32LE(ctx.readUInt32LE(0xb8) + 1, 0xb8);
    ctx.writeUInt32LE(target, 0x04); // Dr0
    assert.equal(await host.setContext(ctx), 0);
    await host.continue2(false, 0x10002, 0x401);
    const hit = await host.nextStateChange(first.index + 1);
    const e = exceptionOf(hit.payload);
    assert.equal(e.code, 0x80000004);
    assert.equal(e.pc, target);
    assert.equal(hit.payload.readUInt32LE(0xc0) & 0xf, 1, 'Dr6.B0 in the control report');
    assert.equal(host.prints.filter((p) => p.startsWith('hw line')).length, 0);
    await host.continue2(false, 0x10002, 0x401);
    await host.waitFor(() => (host.prints.includes('hw line 1\n') ? true : undefined), 3000, 'line 1 after resume');
    const hit2 = await host.nextStateChange(hit.index + 1);
    assert.equal(exceptionOf(hit2.payload).pc, target, 'hits again on the next call');
    await host.continue2(false, 0x10002, 0x400);
    await host.waitFor(() => (host.prints.includes('hw line 2\n') ? true : undefined), 3000, 'line 2 with Dr7 cleared');
  } finally {
    await done();
  }
});

test('a line assembled from many DbgPrint calls (sanbootconf prints a MAC byte by byte) is one line', async () => {
  const { host, sim, done } = await connect({ scenario: 'iscsi-boot', loadSymbols: false });
  try {
    const lines: string[] = [];
    sim.on('line', (l: string) => lines.push(l));
    host.sendReset();
    await host.waitFor(() => (lines.includes('IscsiBP: ISCSI Boot Status 0') ? true : undefined), 5000, 'boot status');
    const mac = lines.find((l) => l.startsWith('Found NIC with MAC address'));
    assert.equal(mac?.split(' at ')[0], 'Found NIC with MAC address 52:54:00:12:34:56');
    const pieces = host.prints.filter((p) => /^[ :][0-9a-f]{2}$/.test(p));
    assert.equal(pieces.length, 6, 'six DbgPrint packets for the six MAC bytes');
    assert.ok(lines.includes('iBFT NIC 0 is NetCfgInstanceId "{8E3F2A6B-5C1D-4E0F-9A7B-2C4D6E8F0A1B}"'));
  } finally {
    await done();
  }
});

test('the target side of the id rules: an ACK with the sync bit is ignored; a request with the wrong parity is ACKed and dropped', async () => {
  const { host, done } = await connect({ scenario: 'initial-break', loadSymbols: false, ackTimeoutMs: 60 });
  try {
    host.autoAck = false;
    host.sendReset();
    await host.waitFor(() => (host.raw.length >= 1 ? true : undefined), 3000, 'first packet');
    assert.equal(host.raw[0].id, 0x80800800);
    host.write(hostControl(4, 0x80800800)); // wrong: the ACK must clear bit 11
    await host.waitFor(() => (host.raw.length >= 2 ? true : undefined), 3000, 'retransmission');
    assert.equal(host.raw[1].id, 0x80800800, 'not acknowledged, so sent again with the same id');
    assert.deepEqual(host.raw[1].payload, host.raw[0].payload);
    host.write(hostControl(4, 0x80800000));
    await host.waitFor(() => (host.raw.some((p) => p.id === 0x80800001) ? true : undefined), 3000, 'next packet');
    host.autoAck = true;
    host.write(hostControl(4, 0x80800001));
    const stop = await host.waitFor(() => host.raw.find((p) => p.type === 7), 5000, 'the stop');
    assert.equal(stop.payload.readUInt32LE(0x20), 0x80000003);
    // After RESET both sides use 0x80800000; a request with 0x80800001 is a "duplicate": ACKed, dropped.
    const getVersion = Buffer.alloc(56);
    getVersion.writeUInt32LE(0x3146, 0);
    const controlsBefore = host.controls.length;
    host.sendReset();
    await host.waitFor(() => (host.controls.slice(controlsBefore).some((c) => c.type === 6) ? true : undefined), 3000, 'RESET back');
    const rawBefore = host.raw.length;
    host.write(hostFrame(2, 0x80800001, getVersion));
    await host.waitFor(() => (host.controls.some((c, i) => i > controlsBefore && c.type === 4 && c.id === 0x80800001) ? true : undefined), 3000, 'ACK');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(host.raw.slice(rawBefore).filter((p) => p.type === 2).length, 0, 'no reply to the dropped request');
    host.write(hostFrame(2, 0x80800000, getVersion));
    await host.waitFor(() => (host.raw.slice(rawBefore).some((p) => p.type === 2) ? true : undefined), 3000, 'reply with the right parity');
  } finally {
    await done();
  }
});

test('reboot with the going-away notice: LoadSymbols Unload with BaseOfDll -1, continued, then RESET and a new boot', async () => {
  const { host, sim, done } = await connect({
    scenario: {
      name: 'notice',
      *steps(boot) {
        yield { kind: 'print', text: `boot ${boot}\n` };
        if (boot === 1) yield { kind: 'reboot', notice: true };
        yield { kind: 'idle', ms: Infinity };
      },
    },
    rebootDelayMs: 20,
  });
  try {
    host.sendReset();
    const sc = await host.nextStateChange(0);
    assert.equal(sc.payload.readUInt32LE(0), 0x3031);
    assert.equal(sc.payload.readBigUInt64LE(0x28), 0xffffffffffffffffn);
    assert.equal(sc.payload[0x40], 1, 'Unload');
    assert.equal(sc.payload.length, 0xf0, 'no path');
    assert.equal(sim.state, 'stopped');
    const cont = Buffer.alloc(56);
    cont.writeUInt32LE(0x3136, 0);
    cont.writeUInt32LE(0x10002, 0x10);
    await host.sendData(2, cont);
    await host.waitFor(() => (host.prints.includes('boot 2\n') ? true : undefined), 3000, 'boot 2');
    assert.equal(sim.boot, 2);
  } finally {
    await done();
  }
});

test('physical memory: the iBFT at 0x9E620 holds what sanbootconf prints (checksum, NIC, target)', async () => {
  const { host, done } = await connect({ scenario: 'initial-break', loadSymbols: false });
  try {
    host.sendReset();
    await host.nextStateChange(0);
    const readPhys = async (pa: number, n: number): Promise<Buffer> => {
      const r = await host.request(0x313d, (h) => {
        h.writeBigUInt64LE(BigInt(pa), 0x10);
        h.writeUInt32LE(n, 0x18);
      });
      return r.subarray(56, 56 + r.readUInt32LE(0x1c));
    };
    const head = await readPhys(0x9e620, 0x30);
    assert.equal(head.subarray(0, 4).toString('latin1'), 'iBFT');
    const t = await readPhys(0x9e620, head.readUInt32LE(4));
    assert.equal(t.reduce((s, b) => (s + b) & 0xff, 0), 0, 'bytes sum to 0');
    assert.equal(t.subarray(10, 16).toString('latin1'), 'FENSYS');
    const nic = t.readUInt16LE(0x3a);
    assert.equal(t[nic], 3);
    assert.equal([...t.subarray(nic + 0x12, nic + 0x16)].join('.'), '10.0.2.15');
    assert.equal(t[nic + 0x16], 24);
    assert.equal([...t.subarray(nic + 0x5a, nic + 0x60)].map((b) => b.toString(16).padStart(2, '0')).join(':'), '52:54:00:12:34:56');
    const target = t.readUInt16LE(0x3c);
    assert.equal(t.readUInt16LE(target + 0x16), 3260);
    const nameOff = t.readUInt16LE(target + 0x24);
    assert.equal(t.subarray(nameOff, nameOff + t.readUInt16LE(target + 0x22)).toString('latin1'), 'iqn.2010-04.org.example:disk1');
    // Physical addresses beyond the simulated RAM read nothing.
    assert.equal((await readPhys(0x40000000, 16)).length, 0);
  } finally {
    await done();
  }
});
