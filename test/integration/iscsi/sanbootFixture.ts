// Builds demo/iscsi/sanboot.S (the demo's boot sector is the one the tests boot) with the GNU toolchain (as --32 -g, ld -Ttext=0) into an
// ELF with DWARF lines and an 8 MB disk image whose sector 0 is the boot sector: the LUN tgt serves.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildBootSector, type BuiltBootSector } from '../gdb/bootsectorFixture';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
export const SANBOOT_SOURCE = path.join(REPO_ROOT, 'demo', 'iscsi', 'sanboot.S');
export const DISK_BYTES = 8 * 1024 * 1024;

export interface BuiltSanboot extends Omit<BuiltBootSector, 'floppy'> {
  /** The LUN's image: sector 0 is the boot sector (iPXE loads it at 0x7C00). */
  disk: string;
}

export function buildSanboot(): BuiltSanboot {
  const built = buildBootSector(true, SANBOOT_SOURCE, undefined, DISK_BYTES);
  const image = readFileSync(built.floppy);
  if (image.readUInt16LE(510) !== 0xaa55) {
    built.cleanup();
    throw new Error('sanboot.S built without a 0x55AA signature at offset 510');
  }
  return { ...built, disk: built.floppy };
}
