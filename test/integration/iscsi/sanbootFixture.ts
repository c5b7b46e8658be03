// Builds demo/iscsi/sanboot.S (the demo's boot sector is the one the tests boot) with the GNU toolchain (as --32 -g, ld -Ttext=0) into an
// ELF with DWARF lines and an 8 MB disk image whose sector 0 is the boot sector: the LUN tgt serves.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
export const SANBOOT_SOURCE = path.join(REPO_ROOT, 'demo', 'iscsi', 'sanboot.S');
export const DISK_BYTES = 8 * 1024 * 1024;

export interface BuiltSanboot {
  dir: string;
  elf: string;
  disk: string;
  labels: Map<string, number>;
  /** Linear address where a label runs (iPXE loads sector 0 at 0x7C00). */
  linear(label: string): bigint;
  lineOf(text: string): number;
  cleanup(): void;
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

export function buildSanboot(): BuiltSanboot {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bootdbg-iscsi-'));
  const obj = path.join(dir, 'sanboot.o');
  const elf = path.join(dir, 'sanboot.elf');
  const bin = path.join(dir, 'sanboot.bin');
  const disk = path.join(dir, 'disk.img');
  run('as', ['--32', '-g', '-o', obj, SANBOOT_SOURCE]);
  run('ld', ['-m', 'elf_i386', '-Ttext=0', '-e', '_start', '-o', elf, obj]);
  run('objcopy', ['-O', 'binary', '-j', '.text', elf, bin]);
  const sector = readFileSync(bin);
  if (sector.length !== 512 || sector.readUInt16LE(510) !== 0xaa55) throw new Error(`sanboot.S built to ${sector.length} bytes without a 0x55AA signature`);
  const image = Buffer.alloc(DISK_BYTES);
  sector.copy(image, 0);
  writeFileSync(disk, image);
  const labels = new Map<string, number>();
  for (const line of run('nm', [elf]).split('\n')) {
    const m = /^([0-9a-f]+)\s+\w\s+(\S+)$/.exec(line.trim());
    if (m) labels.set(m[2], parseInt(m[1], 16));
  }
  const sourceLines = readFileSync(SANBOOT_SOURCE, 'utf8').split('\n');
  return {
    dir,
    elf,
    disk,
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
