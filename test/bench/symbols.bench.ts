/**
 * DWARF line-table load of a large ELF vs `objdump --dwarf=decodedline` on the same file, same run.
 *
 * The ELF is generated here: many compile units of generated GNU as (`as --32 -g`, the line tables
 * of .S prefixes) plus, when gcc can build 32-bit code, a generated C unit at -O2 (DWARF 5 with
 * inlining, views and is_stmt changes), linked into one executable — over a million rows.
 *
 * Value: what the debugger pays at F5 in a fresh process (cold JIT): ProgramSymbols.load() plus
 * the first address → line lookup and the first line → address lookup (which build the indexes).
 * Baseline: objdump decoding and printing every row (output discarded). Both are the median of
 * several alternating runs; each of our runs is a new node process so the JIT is always cold.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Benchmark } from './benchTypes';

const UNITS = 12;
const FUNCS_PER_UNIT = 9000;
const RUNS = 5;

function have(cmd: string, args: string[] = ['--version']): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

/** Deterministic pseudo-random generator so the generated program is the same every run. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

const AS_OPS = ['movl $0x%x, %eax', 'addw %bx, %cx', 'incl counter%u', 'pushl %eax', 'popl %edx', 'xorw %si, %di',
  'movb $0x%x, %ah', 'testb %al, %al', 'shlw $1, %dx', 'leal 4(%esi,%ebx,2), %edi', 'jz 1f', 'call f%u_0'];

function generateAsUnit(u: number): string {
  const rnd = lcg(u + 1);
  const out = [`/* generated unit ${u} */`, '\t.text'];
  for (let f = 0; f < FUNCS_PER_UNIT; f++) {
    out.push(`f${u}_${f}:`);
    const n = 4 + Math.floor(rnd() * 12);
    for (let i = 0; i < n; i++) {
      const op = AS_OPS[Math.floor(rnd() * AS_OPS.length)];
      out.push('\t' + op.replace('%x', Math.floor(rnd() * 256).toString(16)).replace('%u', String(u)));
      if (rnd() < 0.1) out.push(''); // blank lines: line advances > 1
    }
    out.push('1:\tret', '');
  }
  out.push('\t.data', `counter${u}: .long 0`);
  return out.join('\n') + '\n';
}

function generateCUnit(): string {
  const out = ['static inline int mix(int a, int b) { return (a * 31) ^ (b >> 3); }'];
  for (let f = 0; f < 600; f++) {
    out.push(`int c${f}(int *p, int n) {`, '  int s = 0;', '  for (int i = 0; i < n; i++) {',
      `    s += mix(p[i], ${f});`, '    if (s & 1) s ^= p[i / 2];', '  }', `  return s + ${f};`, '}');
  }
  return out.join('\n') + '\n';
}

/** Node script run in a fresh process: prints the milliseconds of a cold load + first lookups. */
const COLD_LOAD = `
const { ProgramSymbols } = require(process.argv[1]);
const t0 = process.hrtime.bigint();
const p = ProgramSymbols.load(process.argv[2]);
const a = p.lineForAddress(BigInt(process.argv[3]));
const b = p.addressesForLine(process.argv[4], 100);
const t1 = process.hrtime.bigint();
if (!a || b.length === 0) throw new Error('lookups failed');
process.stdout.write(JSON.stringify({ ms: Number(t1 - t0) / 1e6 }));
`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export const benchmarks: Benchmark[] = [
  {
    id: 'symbols.dwarf-line-load',
    what: 'DWARF line-table load (cold process: load + first lookups) vs objdump --dwarf=decodedline',
    unit: 'ms',
    goal: '<= 0.2 (>= 5x faster)',
    skip: () => (have('as') && have('ld') && have('objdump') ? undefined : 'needs binutils (as, ld, objdump)'),
    async run() {
      const dir = mkdtempSync(join(tmpdir(), 'bootdbg-bench-sym-'));
      let devNullFd: number | undefined;
      try {
        const objs: string[] = [];
        for (let u = 0; u < UNITS; u++) {
          writeFileSync(join(dir, `unit${u}.S`), generateAsUnit(u));
          run('as', ['--32', '-g', '-o', `unit${u}.o`, `unit${u}.S`], dir);
          objs.push(`unit${u}.o`);
        }
        const withC = have('gcc', ['-m32', '-c', '-x', 'c', '/dev/null', '-o', '/dev/null']);
        if (withC) {
          writeFileSync(join(dir, 'cunit.c'), generateCUnit());
          run('gcc', ['-m32', '-O2', '-g', '-c', '-o', 'cunit.o', 'cunit.c'], dir);
          objs.push('cunit.o');
        }
        run('ld', ['-m', 'elf_i386', '-e', 'f0_0', '-o', 'big.elf', ...objs], dir);
        const elf = join(dir, 'big.elf');
        const lib = join(__dirname, '..', '..', 'adapter', 'symbols', 'programSymbols.js');
        const ours: number[] = [];
        const theirs: number[] = [];
        let rowCount = 0;
        const devNull = openSync('/dev/null', 'w');
        devNullFd = devNull;
        for (let i = 0; i < RUNS; i++) {
          if (i === 0) {
            const od = spawnSync('objdump', ['--dwarf=decodedline', elf], { encoding: 'latin1', maxBuffer: 1 << 30 });
            rowCount = od.stdout.split('\n').length;
          }
          const t0 = process.hrtime.bigint();
          const od = spawnSync('objdump', ['--dwarf=decodedline', elf], { stdio: ['ignore', devNull, 'ignore'] });
          theirs.push(Number(process.hrtime.bigint() - t0) / 1e6);
          if (od.status !== 0) throw new Error('objdump failed');
          const r = spawnSync(process.execPath, ['-e', COLD_LOAD, lib, elf, '0x1000', `unit${UNITS - 1}.S`], { encoding: 'utf8' });
          if (r.status !== 0) throw new Error(`cold load failed: ${r.stderr}`);
          ours.push((JSON.parse(r.stdout) as { ms: number }).ms);
        }
        return {
          value: median(ours),
          baseline: median(theirs),
          note: `${UNITS} as units${withC ? ' + 1 gcc -O2 unit' : ''}, ~${Math.round(rowCount / 1000)}k rows; median of ${RUNS}; ours ${ours.map((x) => x.toFixed(0)).join('/')} ms`,
        };
      } finally {
        if (devNullFd !== undefined) closeSync(devNullFd);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  },
];
