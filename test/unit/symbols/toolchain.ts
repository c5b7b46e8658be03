/**
 * Test helpers around the real GNU toolchain: build fixtures with `as`/`ld`/`gcc` into a temp
 * dir, and parse the oracles (`objdump --dwarf=decodedline`, `nm`, `objdump -D`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';

export const repoRoot = resolve(__dirname, '..', '..', '..', '..');
export const fixtureDir = join(repoRoot, 'test', 'fixtures', 'symbols');

const toolCache = new Map<string, boolean>();

/** Whether `cmd --version` runs. */
export function haveTool(cmd: string): boolean {
  let ok = toolCache.get(cmd);
  if (ok === undefined) {
    ok = spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
    toolCache.set(cmd, ok);
  }
  return ok;
}

/** Skip reason when any tool is missing, else undefined (for `test(..., { skip })`). */
export function missingTools(...cmds: string[]): string | undefined {
  const missing = cmds.filter((c) => !haveTool(c));
  return missing.length ? `needs ${missing.join(', ')} (binutils/gcc) on PATH` : undefined;
}

/** Whether gcc can build 32-bit objects (gcc-multilib is optional). */
export function haveGccM32(): boolean {
  if (!haveTool('gcc')) return false;
  const dir = mkdtempSync(join(tmpdir(), 'bootdbg-m32-'));
  try {
    return spawnSync('gcc', ['-m32', '-c', '-x', 'c', '-', '-o', join(dir, 'x.o')], { input: 'int x;\n' }).status === 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a command, throwing with its stderr when it fails; returns stdout. */
export function run(cmd: string, args: string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

/** A temp dir removed by `dispose()`. */
export function tempDir(prefix = 'bootdbg-sym-'): { dir: string; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface OracleRow {
  /** File name column (objdump prints the file entry's name without directories). */
  file: string;
  /** undefined for end-of-sequence rows ("-"). */
  line: number | undefined;
  address: number;
  /** The address exactly (64-bit addresses exceed a Number's precision). */
  addressBig: bigint;
  isStmt: boolean;
}

const ROW_RE = /^(\S+)\s+(\d+|-)\s+(0x[0-9a-f]+|0)(?:\s+(\d+))?\s*(x?)\s*$/;

/** Every row of `objdump --dwarf=decodedline -w`, in order. */
export function objdumpDecodedLines(file: string): OracleRow[] {
  const out: OracleRow[] = [];
  for (const l of run('objdump', ['--dwarf=decodedline', '-w', file]).split('\n')) {
    const m = ROW_RE.exec(l);
    if (!m) continue;
    out.push({ file: m[1], line: m[2] === '-' ? undefined : Number(m[2]), address: Number(m[3]), addressBig: BigInt(m[3]), isStmt: m[5] === 'x' });
  }
  return out;
}

export interface NmSymbol {
  name: string;
  address: bigint;
  type: string;
}

/** Defined symbols from `nm` (type letter kept: T/t text, D/d data, A/a absolute, …). */
export function nmSymbols(file: string): NmSymbol[] {
  const out: NmSymbol[] = [];
  for (const l of run('nm', ['--defined-only', file]).split('\n')) {
    const m = /^([0-9a-f]+) (\w) (.+)$/.exec(l);
    if (m) out.push({ address: BigInt('0x' + m[1]), type: m[2], name: m[3] });
  }
  return out;
}

export interface ObjdumpInstruction {
  address: number;
  bytes: string;
  text: string;
}

/** Instructions of `objdump -D -b binary -m <machine>` (continuation lines of long instructions merged). */
export function objdumpBinary(file: string, machine: string): ObjdumpInstruction[] {
  const out: ObjdumpInstruction[] = [];
  for (const l of run('objdump', ['-D', '-b', 'binary', '-m', machine, '-w', file]).split('\n')) {
    const m = /^\s*([0-9a-f]+):\t([0-9a-f ]+?)\s*(?:\t(.*))?$/.exec(l);
    if (!m) continue;
    out.push({ address: parseInt(m[1], 16), bytes: m[2].trim(), text: (m[3] ?? '').trim().replace(/\s+/g, ' ') });
  }
  return out;
}

export function fixture(name: string): string {
  return join(fixtureDir, name);
}

export { basename };

export { prng } from '../../support/prng';
