// Builds test/fixtures/gdb/bootsector.S with the real GNU toolchain into an ELF (symbols + DWARF
// lines) and a 1.44 MB floppy image; `nm` is the oracle for label addresses.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
export const BOOTSECTOR_SOURCE = path.join(REPO_ROOT, 'test', 'fixtures', 'gdb', 'bootsector.S');
export const TWOSTAGE_SOURCE = path.join(REPO_ROOT, 'test', 'fixtures', 'gdb', 'twostage.S');
const TWOSTAGE_LDS = path.join(REPO_ROOT, 'test', 'fixtures', 'gdb', 'twostage.lds');

export interface BuiltBootSector {
  dir: string;
  elf: string;
  floppy: string;
  /** Label → link-time address (VMA) from nm. */
  labels: Map<string, number>;
  /** Linear address where the BIOS runs a label (0x7C00 + VMA). */
  linear(label: string): bigint;
  /** 1-based line of the first source line containing `text`. */
  lineOf(text: string): number;
  cleanup(): void;
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

export function toolchainMissing(): string | undefined {
  for (const tool of ['as', 'ld', 'objcopy', 'nm']) {
    const r = spawnSync(tool, ['--version'], { encoding: 'utf8' });
    if (r.status !== 0) return `${tool} (binutils) is not installed`;
  }
  return undefined;
}

/** The two-stage prefix: .prefix and .text16 both linked at 0 (twostage.lds), like iPXE. */
export function buildTwoStage(): BuiltBootSector {
  return buildBootSector(true, TWOSTAGE_SOURCE, TWOSTAGE_LDS);
}

/** Assembles `source` (as --32, ld at 0 or with a linker script) and writes its bytes at the start of a
 *  zeroed image of `imageBytes` (a 1.44 MB floppy by default; the iSCSI tests use it for a LUN). */
export function buildBootSector(withDwarf = true, source = BOOTSECTOR_SOURCE, linkerScript?: string, imageBytes = 1474560): BuiltBootSector {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bootdbg-gdb-'));
  const obj = path.join(dir, 'bootsector.o');
  const elf = path.join(dir, 'bootsector.elf');
  const bin = path.join(dir, 'bootsector.bin');
  const floppy = path.join(dir, 'bootsector.img');
  run('as', ['--32', ...(withDwarf ? ['-g'] : []), '-o', obj, source]);
  run('ld', ['-m', 'elf_i386', ...(linkerScript ? ['-T', linkerScript] : ['-Ttext=0']), '-e', '_start', '-o', elf, obj]);
  run('objcopy', ['-O', 'binary', ...(linkerScript ? [] : ['-j', '.text']), elf, bin]);
  const image = Buffer.alloc(imageBytes);
  readFileSync(bin).copy(image, 0);
  writeFileSync(floppy, image);
  const labels = new Map<string, number>();
  for (const line of run('nm', [elf]).split('\n')) {
    const m = /^([0-9a-f]+)\s+\w\s+(\S+)$/.exec(line.trim());
    if (m) labels.set(m[2], parseInt(m[1], 16));
  }
  const sourceLines = readFileSync(source, 'utf8').split('\n');
  return {
    dir,
    elf,
    floppy,
    labels,
    linear(label) {
      const v = labels.get(label);
      if (v === undefined) throw new Error(`no label ${label} in nm output`);
      return 0x7c00n + BigInt(v);
    },
    lineOf(text) {
      const i = sourceLines.findIndex((l) => l.includes(text));
      if (i < 0) throw new Error(`no line with ${text}`);
      return i + 1;
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
