/**
 * The iBFT decoder on synthetic tables (encoded by the test's own encoder): every field of the
 * initiator, both NICs and both targets, IPv4 and IPv6, CHAP redaction; corrupted variants (bad
 * checksum, truncated, offsets out of range, wrong structure ids, strings past the end) rejected
 * with clear messages; the scanner over a 1 MiB memory image; seeded fuzz (never throws).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeIbft, findIbft, formatIbftIp, formatPci, lunNumberOf, redactedSecret, type PhysicalReader } from '../../../adapter/ibft/ibftDecoder';
import { encodeIbft, fixChecksum, IPXE_LIKE, LAYOUT, ipBytes, type SynthTable } from './ibftEncoder';
import { prng } from '../gdb/prng';

const FULL: SynthTable = {
  oemId: 'FENSYS',
  oemTableId: 'gPXE',
  initiator: { name: 'iqn.2010-04.org.ipxe:initiator1', isns: '192.168.1.5' },
  nics: [
    { ip: '192.168.10.20', prefix: 16, origin: 1, gateway: '192.168.0.1', dns: ['192.168.0.53', '8.8.8.8'], dhcp: '192.168.0.2', vlan: 42, mac: '00:0c:29:ab:cd:ef', pci: { bus: 2, dev: 1, fn: 0 }, hostname: 'client7' },
    { flags: 0x05, ip: '2001:db8::15', prefix: 64, origin: 4, gateway: 'fe80::1', mac: '00:50:56:00:00:02', pci: { bus: 0x0b, dev: 0x1f, fn: 7 } },
  ],
  targets: [
    { ip: '192.168.0.10', port: 3261, lun: [0x40, 0x05, 0, 0, 0, 0, 0, 0], chapType: 1, nicIndex: 0, name: 'iqn.2003-01.org.example:boot', chapName: 'alice', chapSecret: 'onewaysecret12' },
    { flags: 0x01, ip: '2001:db8::10', port: 860, lun: [0, 0, 0, 0, 0, 0, 0, 0], chapType: 2, nicIndex: 1, name: 'iqn.2003-01.org.example:data', chapName: 'bob', chapSecret: 'bobsecret1234', reverseChapName: 'target', reverseChapSecret: 'mutualsecret99' },
  ],
};

describe('iBFT decoder: valid tables', () => {
  it('decodes the iPXE-like table field by field', () => {
    const r = decodeIbft(encodeIbft(IPXE_LIKE));
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.warnings, []);
    const t = r.table!;
    assert.equal(t.header.signature, 'iBFT');
    assert.equal(t.header.revision, 1);
    assert.equal(t.header.checksumValid, true);
    assert.equal(t.header.oemId, 'FENSYS');
    assert.equal(t.header.oemTableId, 'iPXE');
    assert.deepEqual(t.control?.offsets, { initiator: 0x50, nics: [0xa0, 0], targets: [0x180, 0] });
    assert.equal(t.initiator?.name, 'iqn.2026-11.test.bootdbg:initiator1');
    assert.equal(t.initiator?.valid, true);
    assert.equal(t.initiator?.bootSelected, true);
    assert.equal(t.nics.length, 1);
    const n = t.nics[0];
    assert.equal(n.ip, '10.0.2.15');
    assert.equal(n.prefix, 24);
    assert.equal(n.origin, 3);
    assert.equal(n.originName, 'DHCP');
    assert.equal(n.gateway, '10.0.2.2');
    assert.equal(n.primaryDns, '10.0.2.3');
    assert.equal(n.secondaryDns, undefined);
    assert.equal(n.dhcp, '10.0.2.2');
    assert.equal(n.vlan, 0);
    assert.equal(n.mac, '52:54:00:12:34:56');
    assert.equal(n.pci, '00:03.0');
    assert.equal(n.pciBdf, 0x18);
    assert.equal(n.hostname, undefined);
    assert.deepEqual(n.flagNames, ['valid', 'boot selected']);
    assert.equal(t.targets.length, 1);
    const g = t.targets[0];
    assert.equal(g.ip, '10.0.2.2');
    assert.equal(g.port, 3260);
    assert.equal(g.lun, '0001-0000-0000-0000');
    assert.equal(g.lunHex, '0001000000000000');
    assert.equal(g.lunNumber, 1);
    assert.equal(g.chapType, 0);
    assert.equal(g.chapKind, 'none');
    assert.equal(g.nicIndex, 0);
    assert.equal(g.name, 'iqn.2026-11.test.bootdbg:disk1');
    assert.equal(g.chapName, undefined);
    assert.equal(g.chapSecret, undefined);
  });

  it('decodes both NICs and both targets, IPv4 and IPv6, VLAN, hostname, PCI bus:dev.fn', () => {
    const r = decodeIbft(encodeIbft(FULL));
    assert.deepEqual(r.errors, []);
    const t = r.table!;
    assert.equal(t.header.oemTableId, 'gPXE');
    assert.equal(t.initiator?.isnsServer, '192.168.1.5');
    assert.equal(t.initiator?.slpServer, undefined);
    const [a, b] = t.nics;
    assert.deepEqual([a.slot, a.ip, a.prefix, a.originName, a.gateway], [0, '192.168.10.20', 16, 'manual', '192.168.0.1']);
    assert.deepEqual([a.primaryDns, a.secondaryDns, a.dhcp, a.vlan, a.mac, a.pci, a.hostname], ['192.168.0.53', '8.8.8.8', '192.168.0.2', 42, '00:0c:29:ab:cd:ef', '02:01.0', 'client7']);
    assert.deepEqual([b.slot, b.ip, b.prefix, b.originName, b.gateway, b.pci], [1, '2001:db8::15', 64, 'router advertisement', 'fe80::1', '0b:1f.7']);
    assert.deepEqual([b.valid, b.bootSelected, b.global], [true, false, true]);
    const [x, y] = t.targets;
    assert.deepEqual([x.ip, x.port, x.lun, x.lunNumber, x.chapKind, x.chapName], ['192.168.0.10', 3261, '4005-0000-0000-0000', 5, 'one-way', 'alice']);
    assert.deepEqual([y.ip, y.port, y.lunNumber, y.chapKind, y.nicIndex, y.name], ['2001:db8::10', 860, 0, 'mutual', 1, 'iqn.2003-01.org.example:data']);
    assert.deepEqual([y.valid, y.bootSelected], [true, false]);
  });

  it('redacts CHAP and reverse CHAP secrets by default, reveals them when asked', () => {
    const buf = encodeIbft(FULL);
    const hidden = decodeIbft(buf).table!.targets[1];
    assert.equal(hidden.chapName, 'bob');
    assert.equal(hidden.reverseChapName, 'target');
    assert.equal(hidden.chapSecret, redactedSecret(13));
    assert.equal(hidden.reverseChapSecret, redactedSecret(14));
    assert.equal(hidden.secretsRedacted, true);
    assert.doesNotMatch(JSON.stringify(decodeIbft(buf)), /bobsecret1234|mutualsecret99|onewaysecret12/);
    const shown = decodeIbft(buf, { revealSecrets: true }).table!.targets[1];
    assert.equal(shown.chapSecret, 'bobsecret1234');
    assert.equal(shown.reverseChapSecret, 'mutualsecret99');
    assert.equal(shown.secretsRedacted, false);
  });

  it('formats addresses, PCI locations and LUNs', () => {
    assert.equal(formatIbftIp(ipBytes('0.0.0.0')), '0.0.0.0');
    assert.equal(formatIbftIp(Buffer.alloc(16)), undefined);
    assert.equal(formatIbftIp(ipBytes('fe80::')), 'fe80::');
    assert.equal(formatIbftIp(ipBytes('::1')), '::1');
    assert.equal(formatIbftIp(ipBytes('2001:db8:0:1:0:0:0:5')), '2001:db8:0:1::5');
    assert.equal(formatIbftIp(ipBytes('1:2:3:4:5:6:7:8')), '1:2:3:4:5:6:7:8');
    assert.equal(formatIbftIp(Buffer.alloc(4)), undefined);
    assert.equal(formatPci(0xffff), 'ff:1f.7');
    assert.equal(lunNumberOf(Buffer.from([0x40, 0x00, 0, 0, 0, 0, 0, 0])), 0);
    assert.equal(lunNumberOf(Buffer.from([0x7f, 0xff, 0, 0, 0, 0, 0, 0])), 0x3fff);
    assert.equal(lunNumberOf(Buffer.from([0x00, 0x01, 0x00, 0x02, 0, 0, 0, 0])), undefined, 'two-level LUN');
    assert.equal(lunNumberOf(Buffer.from([0x80, 0x01, 0, 0, 0, 0, 0, 0])), undefined, 'logical unit addressing');
  });
});

describe('iBFT decoder: corrupted tables give clear errors', () => {
  it('bad checksum: named with the sum, fields still decoded', () => {
    const buf = encodeIbft(IPXE_LIKE);
    buf[0x60] ^= 0x01;
    const r = decodeIbft(buf);
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0], /^bad checksum: the \d+ bytes sum to 0x01 mod 256, not 0$/);
    assert.equal(r.table?.header.checksumValid, false);
    assert.equal(r.table?.nics[0].mac, '52:54:00:12:34:56');
  });

  it('truncated: shorter than the header says; shorter than the header', () => {
    const buf = encodeIbft(IPXE_LIKE);
    const r = decodeIbft(buf.subarray(0, 0x1a0));
    assert.ok(r.errors.some((e) => e === `truncated: the header says ${buf.length} bytes, only ${0x1a0} are present`), r.errors.join('\n'));
    assert.ok(r.errors.some((e) => /^target 0: structure at 0x180 \(54 bytes\) runs past the end of the table \(416 bytes\)$/.test(e)), r.errors.join('\n'));
    assert.equal(r.table?.nics.length, 1, 'what is present still decodes');
    assert.deepEqual(decodeIbft(buf.subarray(0, 20)).errors, ['truncated: 20 bytes, but the iBFT header alone has 48']);
    assert.deepEqual(decodeIbft(Buffer.alloc(0)).errors, ['truncated: 0 bytes, but the iBFT header alone has 48']);
  });

  it('header length too small or too large', () => {
    const buf = encodeIbft(IPXE_LIKE);
    buf.writeUInt32LE(40, 4);
    fixChecksum(buf);
    assert.ok(decodeIbft(buf).errors.some((e) => /header length 40 is shorter than header \+ control structure \(66 bytes\)/.test(e)));
    buf.writeUInt32LE(0x20000, 4);
    assert.ok(decodeIbft(buf).errors.some((e) => /larger than any iBFT can be/.test(e)));
  });

  it('offsets out of range, into the header, or at the wrong structure', () => {
    const buf = encodeIbft(IPXE_LIKE);
    buf.writeUInt16LE(0xfff0, 0x30 + 10); // NIC 0
    buf.writeUInt16LE(0x10, 0x30 + 12); // target 0 into the header
    buf.writeUInt16LE(LAYOUT.nics[0], 0x30 + 8); // initiator → a NIC structure
    fixChecksum(buf);
    const r = decodeIbft(buf);
    assert.ok(r.errors.includes(`NIC 0: offset 0xfff0 is out of range (the table has ${buf.length} bytes)`), r.errors.join('\n'));
    assert.ok(r.errors.includes('target 0: offset 0x10 points into the table header/control structure'), r.errors.join('\n'));
    assert.ok(r.errors.includes('initiator: at offset 0xa0 expected a initiator structure (id 2) but found id 3 (NIC)'), r.errors.join('\n'));
    assert.deepEqual([r.table?.nics.length, r.table?.targets.length, r.table?.initiator], [0, 0, undefined]);
  });

  it('structure lengths too short, strings past the end, wrong control structure', () => {
    const buf = encodeIbft(IPXE_LIKE);
    buf.writeUInt16LE(60, LAYOUT.nics[0] + 2);
    buf.writeUInt16LE(0x7ff0, LAYOUT.targets[0] + 34 + 2); // target name offset
    fixChecksum(buf);
    const r = decodeIbft(buf);
    assert.ok(r.errors.includes('NIC 0: structure length 60 is shorter than the 102 bytes a NIC structure has'), r.errors.join('\n'));
    assert.ok(r.errors.some((e) => /^target 0 name: string at offset 0x7ff0 with length 30 runs past the end of the table/.test(e)), r.errors.join('\n'));
    assert.equal(r.table?.targets[0].name, undefined);
    assert.equal(r.table?.targets[0].port, 3260);
    const noCtl = encodeIbft(IPXE_LIKE);
    noCtl[0x30] = 9;
    fixChecksum(noCtl);
    assert.deepEqual(decodeIbft(noCtl).errors, ['control structure: at offset 0x30 expected a control structure (id 1) but found id 9']);
  });

  it('no signature', () => {
    const buf = encodeIbft(IPXE_LIKE);
    buf.write('aBFT', 0, 'latin1');
    assert.deepEqual(decodeIbft(buf).errors, ['no iBFT signature: the table starts with "aBFT"']);
  });

  it('seeded fuzz: mutated and random tables never throw and always explain themselves', () => {
    const rand = prng(0x1bf7);
    const base = encodeIbft(FULL);
    for (let i = 0; i < 3000; i++) {
      const buf = Buffer.from(base.subarray(0, Math.floor(rand() * (base.length + 16))));
      const flips = 1 + Math.floor(rand() * 8);
      for (let f = 0; f < flips && buf.length > 0; f++) buf[Math.floor(rand() * buf.length)] = Math.floor(rand() * 256);
      if (rand() < 0.5 && buf.length >= 48) {
        buf.write('iBFT', 0, 'latin1');
        if (rand() < 0.5) fixChecksum(buf);
      }
      const r = decodeIbft(buf, { revealSecrets: rand() < 0.5 });
      assert.ok(Array.isArray(r.errors) && Array.isArray(r.warnings), `iteration ${i}`);
      assert.ok(!r.errors.some((e) => e.startsWith('iBFT decoder failed')), `iteration ${i}: ${r.errors.join('; ')}`);
      if (r.errors.length === 0) assert.ok(r.table?.header.checksumValid, `iteration ${i}: accepted without a valid checksum`);
    }
  });
});

/** A 1 MiB physical memory image with tables placed in it. */
function memoryWith(tables: Array<[number, Buffer]>): Buffer {
  const mem = Buffer.alloc(0x100000);
  for (const [at, t] of tables) t.copy(mem, at);
  return mem;
}

function reader(mem: Buffer, calls: Array<[number, number]> = [], failAt?: (a: number) => boolean): PhysicalReader {
  return async (address, length) => {
    calls.push([address, length]);
    if (failAt?.(address)) throw new Error('E01 unreadable');
    return mem.subarray(address, Math.min(address + length, mem.length));
  };
}

describe('iBFT scanner', () => {
  it('finds the table at 0x9E620 and rejects a bare signature before it', async () => {
    const decoy = Buffer.from('iBFT\x30\x00\x00\x00garbage', 'latin1');
    const mem = memoryWith([[0x80010, decoy], [0x9e620, encodeIbft(IPXE_LIKE)]]);
    const calls: Array<[number, number]> = [];
    const r = await findIbft(reader(mem, calls));
    assert.equal(r.address, 0x9e620);
    assert.equal(r.result?.table?.nics[0].ip, '10.0.2.15');
    assert.equal(r.rejected.length, 1);
    assert.equal(r.rejected[0].address, 0x80010);
    assert.match(r.rejected[0].errors.join(' '), /bad checksum|shorter than header/);
    assert.match(r.summary, /^iBFT found at 0x9e620 \(\d+ bytes, checksum valid\); 1 other signature rejected$/);
    assert.ok(calls.every(([a, n]) => a >= 0x80000 && a + n <= 0x100000 && !(a < 0xc0000 && a + n > 0xa0000)), 'reads stay in the spec ranges and skip VGA memory');
  });

  it('finds a table in the BIOS area, unaligned signatures ignored', async () => {
    const mem = memoryWith([[0x9e628, encodeIbft(IPXE_LIKE)], [0xe1230, encodeIbft(FULL)]]);
    const r = await findIbft(reader(mem));
    assert.equal(r.address, 0xe1230);
    assert.equal(r.result?.table?.header.oemTableId, 'gPXE');
  });

  it('a table across a chunk boundary is read whole; the hint is tried first', async () => {
    const mem = memoryWith([[0x87ff0, encodeIbft(IPXE_LIKE)]]);
    const r = await findIbft(reader(mem));
    assert.equal(r.address, 0x87ff0);
    assert.deepEqual(r.result?.errors, []);
    const calls: Array<[number, number]> = [];
    const hinted = await findIbft(reader(mem, calls), { hint: 0x87ff0 });
    assert.equal(hinted.address, 0x87ff0);
    assert.ok(calls.length <= 2, `hint needs at most header + table reads (${calls.length})`);
  });

  it('nothing there, read errors and short reads: a summary, no throw', async () => {
    const r = await findIbft(reader(Buffer.alloc(0x100000)));
    assert.equal(r.address, undefined);
    assert.equal(r.summary, 'no iBFT signature in 0x80000–0x9ffff and 0xc0000–0xfffff');
    const mem = memoryWith([[0x9e620, encodeIbft(IPXE_LIKE)]]);
    const failing = await findIbft(reader(mem, [], (a) => a >= 0x98000 && a < 0xa0000));
    assert.equal(failing.address, undefined);
    assert.ok(failing.errors.length > 0 && failing.errors[0].startsWith('cannot read 32768 bytes at 0x98000: E01 unreadable'));
    assert.match(failing.summary, /read error/);
    const short: PhysicalReader = async (a, n) => mem.subarray(a, a + Math.min(n, 0x40));
    const s = await findIbft(short);
    assert.equal(s.address, 0x9e620, 'a table is re-read in full when the chunk was short');
  });

  it('a corrupt table is reported, not accepted', async () => {
    const bad = encodeIbft(IPXE_LIKE);
    bad[0x100] ^= 0xff;
    const r = await findIbft(reader(memoryWith([[0x9e620, bad]])));
    assert.equal(r.address, undefined);
    assert.match(r.summary, /^no valid iBFT: 0x9e620: bad checksum/);
    assert.equal(r.result?.table?.nics[0].mac, '52:54:00:12:34:56', 'the corrupt table is still shown');
  });

  it('seeded fuzz: random memory with signatures never throws', async () => {
    const rand = prng(7);
    for (let i = 0; i < 30; i++) {
      const mem = Buffer.alloc(0x100000);
      for (let k = 0; k < 40; k++) {
        const at = 0x80000 + Math.floor(rand() * 0x7ff00);
        const aligned = at & ~15;
        mem.write('iBFT', aligned, 'latin1');
        mem.writeUInt32LE(Math.floor(rand() * 0x20000), aligned + 4);
        for (let j = 8; j < 64; j++) mem[aligned + j] = Math.floor(rand() * 256);
      }
      const r = await findIbft(reader(mem, [], () => rand() < 0.05));
      assert.equal(typeof r.summary, 'string');
    }
  });
});
