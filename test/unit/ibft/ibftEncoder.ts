// A small iBFT encoder for tests: lays a table out the way iPXE does (initiator at 0x50, NICs at
// 0xA0/0x110, targets at 0x180/0x1C0, strings after 0x200), written from the specification's
// field list independently of the decoder's layout tables, and fixes the checksum.

export interface SynthNic {
  flags?: number;
  ip?: string;
  prefix?: number;
  origin?: number;
  gateway?: string;
  dns?: [string?, string?];
  dhcp?: string;
  vlan?: number;
  mac: string;
  pci: { bus: number; dev: number; fn: number };
  hostname?: string;
}

export interface SynthTarget {
  flags?: number;
  ip?: string;
  port?: number;
  lun?: number[];
  chapType?: number;
  nicIndex?: number;
  name?: string;
  chapName?: string;
  chapSecret?: string;
  reverseChapName?: string;
  reverseChapSecret?: string;
}

export interface SynthTable {
  oemId?: string;
  oemTableId?: string;
  initiator?: { flags?: number; name?: string; isns?: string };
  nics: Array<SynthNic | undefined>;
  targets: Array<SynthTarget | undefined>;
}

export const LAYOUT = { initiator: 0x50, nics: [0xa0, 0x110], targets: [0x180, 0x1c0], strings: 0x200 };

/** "10.0.2.15" → ::ffff:10.0.2.15; "fe80::1" → 16 bytes. */
export function ipBytes(text: string | undefined): Buffer {
  const out = Buffer.alloc(16);
  if (!text) return out;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(text)) {
    out[10] = 0xff;
    out[11] = 0xff;
    text.split('.').forEach((p, i) => (out[12 + i] = Number(p)));
    return out;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

export function encodeIbft(spec: SynthTable): Buffer {
  const buf = Buffer.alloc(0x1000);
  let strAt = LAYOUT.strings;
  const putString = (field: number, value: string | undefined): void => {
    if (value === undefined) return;
    buf.writeUInt16LE(value.length, field);
    buf.writeUInt16LE(strAt, field + 2);
    buf.write(value, strAt, 'latin1');
    strAt += value.length + 1; // NUL
  };
  const header = (at: number, id: number, length: number, index: number, flags: number): void => {
    buf[at] = id;
    buf[at + 1] = 1;
    buf.writeUInt16LE(length, at + 2);
    buf[at + 4] = index;
    buf[at + 5] = flags;
  };
  buf.write('iBFT', 0, 'latin1');
  buf[8] = 1;
  buf.write((spec.oemId ?? 'FENSYS').padEnd(6, '\0'), 10, 'latin1');
  buf.write((spec.oemTableId ?? 'iPXE').padEnd(8, '\0'), 16, 'latin1');
  header(0x30, 1, 18, 0, 0);
  if (spec.initiator) {
    const at = LAYOUT.initiator;
    buf.writeUInt16LE(at, 0x30 + 8);
    header(at, 2, 74, 0, spec.initiator.flags ?? 3);
    ipBytes(spec.initiator.isns).copy(buf, at + 6);
    putString(at + 70, spec.initiator.name);
  }
  spec.nics.forEach((n, i) => {
    if (!n) return;
    const at = LAYOUT.nics[i];
    buf.writeUInt16LE(at, 0x30 + (i === 0 ? 10 : 14));
    header(at, 3, 102, i, n.flags ?? 3);
    ipBytes(n.ip).copy(buf, at + 6);
    buf[at + 22] = n.prefix ?? 24;
    buf[at + 23] = n.origin ?? 3;
    ipBytes(n.gateway).copy(buf, at + 24);
    ipBytes(n.dns?.[0]).copy(buf, at + 40);
    ipBytes(n.dns?.[1]).copy(buf, at + 56);
    ipBytes(n.dhcp).copy(buf, at + 72);
    buf.writeUInt16LE(n.vlan ?? 0, at + 88);
    Buffer.from(n.mac.split(':').map((x) => parseInt(x, 16))).copy(buf, at + 90);
    buf.writeUInt16LE((n.pci.bus << 8) | (n.pci.dev << 3) | n.pci.fn, at + 96);
    putString(at + 98, n.hostname);
  });
  spec.targets.forEach((t, i) => {
    if (!t) return;
    const at = LAYOUT.targets[i];
    buf.writeUInt16LE(at, 0x30 + (i === 0 ? 12 : 16));
    header(at, 4, 54, i, t.flags ?? 3);
    ipBytes(t.ip).copy(buf, at + 6);
    buf.writeUInt16LE(t.port ?? 3260, at + 22);
    Buffer.from(t.lun ?? [0, 1, 0, 0, 0, 0, 0, 0]).copy(buf, at + 24);
    buf[at + 32] = t.chapType ?? 0;
    buf[at + 33] = t.nicIndex ?? 0;
    putString(at + 34, t.name);
    putString(at + 38, t.chapName);
    putString(at + 42, t.chapSecret);
    putString(at + 46, t.reverseChapName);
    putString(at + 50, t.reverseChapSecret);
  });
  const table = buf.subarray(0, strAt);
  table.writeUInt32LE(table.length, 4);
  fixChecksum(table);
  return Buffer.from(table);
}

/** Sets byte 9 so all bytes of the table (per its length field) sum to 0 mod 256. */
export function fixChecksum(table: Buffer): void {
  table[9] = 0;
  let sum = 0;
  const len = Math.min(table.readUInt32LE(4), table.length);
  for (let i = 0; i < len; i++) sum = (sum + table[i]) & 0xff;
  table[9] = (256 - sum) & 0xff;
}

/** The table iPXE wrote in the measured boot (reference iscsi/loopback-iscsi-boot.md). */
export const IPXE_LIKE: SynthTable = {
  initiator: { name: 'iqn.2026-11.test.bootdbg:initiator1' },
  nics: [
    {
      ip: '10.0.2.15',
      prefix: 24,
      origin: 3,
      gateway: '10.0.2.2',
      dns: ['10.0.2.3'],
      dhcp: '10.0.2.2',
      mac: '52:54:00:12:34:56',
      pci: { bus: 0, dev: 3, fn: 0 },
    },
  ],
  targets: [{ ip: '10.0.2.2', port: 3260, lun: [0, 1, 0, 0, 0, 0, 0, 0], chapType: 0, nicIndex: 0, name: 'iqn.2026-11.test.bootdbg:disk1' }],
};
