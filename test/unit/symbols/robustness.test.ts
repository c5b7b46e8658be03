/**
 * Corrupt and truncated ELF/DWARF input (seeded fuzz, so failures reproduce): loading either
 * succeeds or throws a FormatError with a message, and every query on a loaded file answers
 * without throwing. Real files built here are the seeds.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError, ProgramSymbols } from '../../../adapter/symbols/programSymbols';
import { ElfFile } from '../../../adapter/symbols/elfFile';
import { fixture, haveGccM32, haveTool, missingTools, prng, run, tempDir } from './toolchain';

/** Rounds per seed; raise with BOOTDBG_FUZZ_ROUNDS for a longer local run. */
const ROUNDS = Number(process.env.BOOTDBG_FUZZ_ROUNDS) || 150;
const SEED = Number(process.env.BOOTDBG_FUZZ_SEED) || 20261122;

/** Loads and queries; returns 'ok', 'format-error' or throws for anything else. */
function exercise(buf: Buffer, label: string): 'ok' | 'format-error' {
  let p: ProgramSymbols;
  try {
    p = ProgramSymbols.fromBuffer(buf, label);
  } catch (e) {
    if (e instanceof FormatError) {
      assert.ok(e.message.length > 10, `${label}: message "${e.message}"`);
      return 'format-error';
    }
    throw new Error(`${label}: ${(e as Error).stack}`);
  }
  try {
    for (const f of p.sourceFiles().slice(0, 3)) {
      for (const line of [1, 10, 30]) p.addressesForLine(f, line);
    }
    p.addressesForLine('bootsector.S', 12);
    for (const a of [0n, 5n, 0x20n, 0x1000n, 0xffffffffn]) {
      p.lineForAddress(a);
      p.lineForAddress(a, '.text');
      p.symbolForAddress(a);
      p.sectionForAddress(a);
    }
    p.lookupSymbol('go');
    p.symbols();
    p.compileUnits();
  } catch (e) {
    throw new Error(`${label}: query threw ${(e as Error).stack}`);
  }
  return 'ok';
}

describe('corrupt ELF/DWARF never crashes', { skip: missingTools('as', 'ld') }, () => {
  const tmp = tempDir();
  const seeds: { name: string; buf: Buffer }[] = [];
  before(() => {
    const d = tmp.dir;
    run('as', ['--32', '-g', '-o', join(d, 'bs.o'), fixture('bootsector.S')]);
    run('ld', ['-m', 'elf_i386', '-Ttext', '0', '-e', '_start', '-o', join(d, 'bs.elf'), join(d, 'bs.o')]);
    run('as', ['--32', '--gdwarf-5', '--compress-debug-sections=zlib-gabi', '-o', join(d, 'bsz5.o'), fixture('bootsector.S')]);
    seeds.push({ name: 'bs.o', buf: readFileSync(join(d, 'bs.o')) });
    seeds.push({ name: 'bs.elf', buf: readFileSync(join(d, 'bs.elf')) });
    seeds.push({ name: 'bsz5.o', buf: readFileSync(join(d, 'bsz5.o')) });
    if (haveTool('gcc')) {
      run('gcc', ['-g', '-O1', '-c', '-o', join(d, 'c64.o'), fixture('cunit.c')]);
      seeds.push({ name: 'c64.o', buf: readFileSync(join(d, 'c64.o')) });
      if (haveGccM32()) {
        run('gcc', ['-m32', '-g', '-O1', '-c', '-o', join(d, 'c5.o'), fixture('cunit.c')]);
        seeds.push({ name: 'c5.o', buf: readFileSync(join(d, 'c5.o')) });
      }
    }
  });
  after(() => tmp.dispose());

  test('every seed loads cleanly', () => {
    for (const s of seeds) {
      assert.equal(exercise(s.buf, s.name), 'ok');
      assert.deepEqual(ProgramSymbols.fromBuffer(s.buf, s.name).warnings, [], s.name);
    }
  });

  test('truncated at every 7th byte', () => {
    for (const s of seeds) {
      let errors = 0;
      for (let n = 0; n < s.buf.length; n += 7) if (exercise(s.buf.subarray(0, n), `${s.name}[0:${n}]`) === 'format-error') errors++;
      assert.ok(errors > 0, `${s.name}: truncation is reported`);
    }
  });

  test('random byte flips anywhere, and concentrated in the debug sections (seeded)', () => {
    const rnd = prng(SEED);
    const outcomes = { ok: 0, 'format-error': 0 };
    for (const s of seeds) {
      const elf = new ElfFile(s.buf, s.name);
      const debug = elf.sections.filter((x) => x.name.startsWith('.debug_') || x.name.startsWith('.rel') || x.name === '.symtab' || x.name === '.strtab');
      for (let round = 0; round < ROUNDS; round++) {
        const b = Buffer.from(s.buf);
        const flips = 1 + Math.floor(rnd() * 8);
        for (let k = 0; k < flips; k++) {
          let at: number;
          if (round % 3 !== 0 && debug.length) {
            const sec = debug[Math.floor(rnd() * debug.length)];
            at = sec.offset + Math.floor(rnd() * Math.max(1, sec.size));
          } else {
            at = Math.floor(rnd() * b.length);
          }
          if (at < b.length) b[at] = rnd() < 0.3 ? 0xff : Math.floor(rnd() * 256);
        }
        outcomes[exercise(b, `${s.name} round ${round}`)]++;
      }
    }
    assert.ok(outcomes.ok > 0 && outcomes.ok + outcomes['format-error'] === seeds.length * ROUNDS);
  });

  test('a corrupt line-table unit is reported as a warning and the rest still loads', () => {
    const s = seeds.find((x) => x.name === 'bs.elf')!;
    const b = Buffer.from(s.buf);
    const sec = new ElfFile(b, 'bs.elf').section('.debug_line')!;
    b.writeUInt16LE(99, sec.offset + 4); // unsupported version
    const p = ProgramSymbols.fromBuffer(b, 'bs.elf');
    assert.equal(p.hasLineInfo, false);
    assert.match(p.warnings.join('\n'), /unsupported line table version 99/);
    assert.equal(p.lookupSymbol('go'), 5n, 'symbols are unaffected');
  });
});
