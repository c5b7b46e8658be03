// The other boot media with Debian's real iPXE images (reference §3): PXE over QEMU's user-mode
// network restricted to the guest (TFTP from the image's folder) and an ISOLINUX CD-ROM that
// loads IPXE.KRN to the same bzImage entry as media "kernel".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { qemuMissing, startTarget } from './gdbTestSupport';

const KPXE = '/usr/lib/ipxe/undionly.kpxe';
const ISO = '/usr/lib/ipxe/ipxe.iso';
const missing = (f: string): string | undefined => qemuMissing() ?? (existsSync(f) ? undefined : `${f} is missing (Debian package ipxe)`);

test('media pxe: the NBP is fetched over TFTP and stops at 0000:7C00, then ljmp to 07C0:0005', { skip: missing(KPXE), timeout: 90000 }, async () => {
  const h = await startTarget({ request: 'launch', image: KPXE, media: 'pxe', stopOnEntry: true });
  try {
    await h.target.configurationDone();
    await h.nextStop();
    await h.target.setInstructionBreakpoints([{ address: 0x7c00n }]);
    await h.target.continue();
    assert.equal((await h.nextStop(60000)).reason, 'instruction breakpoint');
    const { frames } = await h.target.stackTrace(0, 1);
    assert.match(frames[0].name, /^0000:7c00/);
    const [insn] = await h.target.disassemble(0x7c00n, 0, 1, false);
    assert.equal(insn.instructionBytes, 'ea 05 00 c0 07');
    await h.target.stepIn('instruction');
    await h.nextStop();
    assert.equal((await h.target.stackTrace(0, 1)).frames[0].address, 0x7c05n);
    assert.match((await h.target.stackTrace(0, 1)).frames[0].name, /^07c0:0005/);
  } finally {
    await h.dispose();
  }
});

test('media cdrom: ISOLINUX boots IPXE.KRN to the bzImage entry 1020:0000', { skip: missing(ISO), timeout: 90000 }, async () => {
  const h = await startTarget({ request: 'launch', image: ISO, stopOnEntry: true });
  try {
    await h.target.configurationDone();
    await h.nextStop();
    await h.target.setInstructionBreakpoints([{ address: 0x10200n }]);
    await h.target.continue();
    assert.equal((await h.nextStop(60000)).reason, 'instruction breakpoint');
    assert.match((await h.target.stackTrace(0, 1)).frames[0].name, /^1020:0000/);
  } finally {
    await h.dispose();
  }
});

const ROM = '/usr/lib/ipxe/qemu/pxe-e1000.rom';
test('media rom: the option ROM init entry CA00:0003 with a correct 16-bit branch target above 64 KiB', { skip: missing(ROM), timeout: 90000 }, async () => {
  const h = await startTarget({ request: 'launch', image: ROM, stopOnEntry: true });
  try {
    await h.target.configurationDone();
    await h.nextStop();
    await h.target.setInstructionBreakpoints([{ address: 0xca003n }]);
    await h.target.continue();
    assert.equal((await h.nextStop(60000)).reason, 'instruction breakpoint');
    assert.match((await h.target.stackTrace(0, 1)).frames[0].name, /^ca00:0003/);
    const [insn] = await h.target.disassemble(0xca003n, 0, 1, false);
    // QEMU's own monitor shows this as `jmp 0xa0a8` (reference §1.5); the target is CA00:00A8.
    assert.match(insn.instruction, /^jmp\s+0xa8$/);
    await h.target.stepIn('instruction');
    await h.nextStop();
    assert.equal((await h.target.stackTrace(0, 1)).frames[0].address, 0xca0a8n);
  } finally {
    await h.dispose();
  }
});
