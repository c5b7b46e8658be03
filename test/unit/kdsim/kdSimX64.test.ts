/**
 * The x64 variant of the simulated kernel (XP x64 / Server 2003 x64 layouts from kd-protocol.md):
 * MachineType 0x8664, canonical 64-bit pointers, AMD64 control report, 0x4D0-byte CONTEXT,
 * control space by index, LDR_DATA_TABLE_ENTRY64, PE32+ export tables, 8-byte KiBugcheckData.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { listenTcp } from '../../kdsim/kdSimTransports';
import { KdSimOptions, KdSimulator } from '../../kdsim/kdSimulator';
import { canonical48 } from '../../kdsim/kdSimMemory';
import { TestKdHost } from './kdTestHost';

async function connect(opts: Omit<KdSimOptions, 'arch'>): Promise<{ host: TestKdHost; sim: KdSimulator; done: () => Promise<void> }> {
  const h = await listenTcp({ ackTimeoutMs: 100, arch: 'x64', ...opts });
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

test('x64 target: version, debugger data, LDR_DATA_TABLE_ENTRY64 list, PE32+ exports, CONTEXT, control space, continue, break-in', async () => {
  const { host, sim, done } = await connect({ scenario: 'initial-break', loadSymbols: false });
  try {
    const sym = (name: string): bigint => canonical48(sim.machine.image.sym(name));
    host.sendReset();
    const sc = (await host.nextStateChange(0)).payload;
    assert.equal(sc.length, 0xf0);
    assert.equal(sc.readUInt32LE(0x20), 0x80000003);
    assert.equal(sc.readBigUInt64LE(0x18), sym('nt!DbgBreakPoint'), 'ProgramCounter, canonical');
    assert.equal(sc.readBigUInt64LE(0x18) >> 44n, 0xfffffn);
    assert.equal(sc.readUInt16LE(0xd4), 16, 'AMD64 report: InstructionCount at 0xD4');
    assert.equal(sc[0xd8], 0xcc, 'InstructionStream at 0xD8');
    assert.equal(sc.readUInt16LE(0xe8), 0x10, 'SegCs at 0xE8');
    assert.equal(sc.readUInt32LE(0xd0), 0x246, 'EFlags at 0xD0');

    const ver = await host.request(0x3146);
    assert.equal(ver.readUInt16LE(0x18), 0x8664);
    assert.equal(ver.readUInt16LE(0x12), 3790);
    assert.equal(ver.readUInt16LE(0x16) & 4, 4, 'PTR64');
    const kernBase = ver.readBigUInt64LE(0x20);
    assert.equal(kernBase, 0xfffff80002a00000n);
    const psLoaded = ver.readBigUInt64LE(0x28);
    const kdbg = await host.u64(ver.readBigUInt64LE(0x30));
    const block = (await host.readVirtual64(kdbg, 0x318)).data;
    assert.equal(block.readUInt32LE(0x10), 0x4742444b);
    assert.equal(block.readUInt32LE(0x14), 0x318);
    assert.equal(block.readBigUInt64LE(0x18), kernBase);
    assert.equal(block.readBigUInt64LE(0x48), psLoaded);

    const names: string[] = [];
    for (let e = await host.u64(psLoaded); e !== psLoaded && names.length < 20; e = await host.u64(e)) {
      const entry = (await host.readVirtual64(e, 0xa0)).data;
      const len = entry.readUInt16LE(0x58);
      names.push((await host.readVirtual64(entry.readBigUInt64LE(0x60), len)).data.toString('utf16le'));
      if (names.length === 1) assert.equal(entry.readBigUInt64LE(0x30), kernBase, 'DllBase at 0x30');
    }
    assert.deepEqual(names, ['ntoskrnl.exe', 'hal.dll', 'KDCOM.DLL', 'E1000325.sys', 'msiscsi.sys', 'sanbootconf.sys']);

    // PE32+: export directory at OptionalHeader + 0x70.
    const lfanew = (await host.readVirtual64(kernBase + 0x3cn, 4)).data.readUInt32LE(0);
    const opt = kernBase + BigInt(lfanew) + 0x18n;
    const optHdr = (await host.readVirtual64(opt, 0x78)).data;
    assert.equal(optHdr.readUInt16LE(0), 0x20b);
    assert.equal(optHdr.readBigUInt64LE(0x18), kernBase, 'ImageBase (u64)');
    const dir = (await host.readVirtual64(kernBase + BigInt(optHdr.readUInt32LE(0x70)), 40)).data;
    const n = dir.readUInt32LE(24);
    const namesRva = (await host.readVirtual64(kernBase + BigInt(dir.readUInt32LE(32)), 4 * n)).data;
    const ords = (await host.readVirtual64(kernBase + BigInt(dir.readUInt32LE(36)), 2 * n)).data;
    const funcs = (await host.readVirtual64(kernBase + BigInt(dir.readUInt32LE(28)), 4 * n)).data;
    let found: bigint | undefined;
    for (let i = 0; i < n; i++) {
      const s = (await host.readVirtual64(kernBase + BigInt(namesRva.readUInt32LE(4 * i)), 32)).data;
      if (s.subarray(0, s.indexOf(0)).toString('latin1') === 'DbgBreakPoint') found = kernBase + BigInt(funcs.readUInt32LE(4 * ords.readUInt16LE(2 * i)));
    }
    assert.equal(found, sym('nt!DbgBreakPoint'));

    const ctx = await host.getContext();
    assert.equal(ctx.length, 0x4d0);
    assert.equal(ctx.readUInt32LE(0x30), 0x10001f, 'ContextFlags');
    assert.equal(ctx.readBigUInt64LE(0xf8), sym('nt!DbgBreakPoint'), 'Rip');
    const ret = await host.u64(ctx.readBigUInt64LE(0x98));
    const kdInit = sym('nt!KdInitSystem');
    assert.ok(ret > kdInit && ret < kdInit + 0x40n, 'return address into KdInitSystem');

    const special = await host.request(0x3137, (h) => {
      h.writeBigUInt64LE(2n, 0x10);
      h.writeUInt32LE(0xe0, 0x18);
    });
    assert.equal(special.readUInt32LE(0x1c), 0xe0);
    assert.equal(special.readBigUInt64LE(56), 0x80050033n, 'Cr0 from KSPECIAL_REGISTERS (index 2)');
    const kpcr = await host.request(0x3137, (h) => h.writeUInt32LE(8, 0x18));
    assert.equal(kpcr.readBigUInt64LE(56), canonical48(sim.machine.image.layout.kpcr), 'index 0: KPCR address');

    ctx.writeBigUInt64LE(ctx.readBigUInt64LE(0xf8) + 1n, 0xf8);
    assert.equal(await host.setContext(ctx), 0);
    await host.continue2();
    await host.waitFor(() => (host.prints.some((p) => p.includes('ISCSI Boot Status 0')) ? true : undefined), 5000, 'iSCSI lines');
    const mark = host.packets.length;
    host.breakIn();
    const bi = (await host.nextStateChange(mark)).payload;
    assert.equal(bi.readBigUInt64LE(0x18), sym('nt!DbgBreakPointWithStatus.RtlpBreakWithStatusInstruction'));
    assert.equal((await host.getContext()).readBigUInt64LE(0x78), 1n, 'Rax = DBG_STATUS_CONTROL_C');
  } finally {
    await done();
  }
});

test('x64 bugcheck 0x7B: 16-digit Fatal System Error line, 8-byte KiBugcheckData, UNICODE_STRING64 ARC name', async () => {
  const { host, sim, done } = await connect({ scenario: 'bugcheck-7b', loadSymbols: false });
  try {
    host.sendReset();
    await host.nextStateChange(0);
    const arc = canonical48(sim.machine.image.layout.arcNameAddress);
    const text = host.prints.join('');
    assert.ok(
      text.includes(`(0x${arc.toString(16).toUpperCase()},0x00000000C0000034,0x0000000000000000,0x0000000000000000)`),
      'parameters printed as 64-bit values',
    );
    const data = (await host.readVirtual64(canonical48(sim.machine.image.kiBugcheckData), 40)).data;
    assert.deepEqual([0, 1, 2, 3, 4].map((i) => data.readBigUInt64LE(8 * i)), [0x7bn, arc, 0xc0000034n, 0n, 0n]);
    const us = (await host.readVirtual64(arc, 16)).data;
    const name = (await host.readVirtual64(us.readBigUInt64LE(8), us.readUInt16LE(0))).data.toString('utf16le');
    assert.equal(name, '\\ArcName\\multi(0)disk(0)rdisk(0)partition(1)');
  } finally {
    await done();
  }
});
