/**
 * Builds the bytes of test/fixtures/transcripts/serial-capture-ipxe-then-kd.log: what a terminal
 * logger on COM1 records when iPXE's serial console is followed by Windows' KD traffic — iPXE's
 * text, a RESET control packet, then DbgPrint packets framed as on the wire (leader "0000", type 3,
 * byte count, id, checksum, the 16-byte DEBUG_IO header, the text, trailer 0xAA; see
 * ../shared/reference/kd/kd-protocol.md §1 and §4). Header bytes include 0x0A/0x0D now and then,
 * which break lines inside the framing, as in real captures.
 */
const IPXE_CONSOLE = [
  'iPXE initialising devices...ok',
  '',
  '',
  'iPXE 1.0.0+git-20190125.36a4c85-5.1 -- Open Source Network Boot Firmware -- http://ipxe.org',
  'Features: DNS HTTP iSCSI NFS TFTP AoE ELF MBOOT PXE bzImage Menu PXEXT',
  'net0: 52:54:00:12:34:56 using 82540em on 0000:00:03.0 (open)',
  '  [Link:up, TX:0 TXE:0 RX:0 RXE:0]',
  'Configuring (net0 52:54:00:12:34:56)...... ok',
  'net0: 10.0.2.15/255.255.255.0 gw 10.0.2.2',
  'Registered SAN device 0x80',
  'Booting from SAN device 0x80',
];

export const CAPTURE_PRINTS = [
  'SAN Boot Configuration Driver initialising\n',
  'Found ACPI table "iBFT" at 9e620 OEM ID "FENSYS" OEM table ID "iPXE"\n',
  'Found iBFT NIC 0:\n',
  '  Flags = 0x3, valid, boot selected, global address\n',
  '  IP = 10.0.2.15/24\n',
  '  Gateway = 10.0.2.2\n',
  '  MAC = 52:54:00:12:34:56\n',
  '  PCI = 00:03.0\n',
  'NIC 52:54:00:12:34:56 is NetCfgInstanceId "{4DB30059-46A5-4F69-B52A-C67B3DE4C8A3}"\n',
  'Successfully configured iBFT NIC 0\n',
  'Found iBFT target 0:\n',
  '  Flags = 0x3, valid, boot selected\n',
  '  IP = 10.0.2.2\n',
  '  Port = 3260\n',
  '  Name = iqn.2026-11.test.bootdbg:w2k3\n',
  'Attempting SAN boot; will wait for system disk\n',
  'Found SAN system disk; proceeding with boot\n',
];

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

function dbgPrintPacket(text: string, id: number): Buffer {
  const str = Buffer.from(text, 'latin1');
  const io = Buffer.concat([u32(0x3230), u16(0), u16(0), u32(str.length), u32(0x7ff)]);
  const payload = Buffer.concat([io, str]);
  let sum = 0;
  for (const b of payload) sum = (sum + b) >>> 0;
  const header = Buffer.concat([Buffer.from('0000', 'latin1'), u16(3), u16(payload.length), u32(id), u32(sum)]);
  return Buffer.concat([header, payload, Buffer.from([0xaa])]);
}

export function buildSerialCapture(): Buffer {
  const reset = Buffer.from([0x69, 0x69, 0x69, 0x69, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const parts: Buffer[] = [Buffer.from(IPXE_CONSOLE.join('\r\n') + '\r\n', 'latin1'), reset];
  let id = 0x80800000;
  for (const p of CAPTURE_PRINTS) {
    parts.push(dbgPrintPacket(p, id));
    id ^= 1;
  }
  return Buffer.concat(parts);
}
