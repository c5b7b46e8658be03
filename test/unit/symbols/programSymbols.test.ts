/**
 * ProgramSymbols, the API the gdb-remote debugger uses: symbols against `nm`, line → address
 * and address → line against `objdump --dwarf=decodedline`, file matching across checkouts, and
 * sections that share link addresses (iPXE's layout).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { FormatError, ProgramSymbols } from '../../../adapter/symbols/programSymbols';
import { fixture, haveGccM32, missingTools, nmSymbols, objdumpDecodedLines, OracleRow, run, tempDir } from './toolchain';

const skip = missingTools('as', 'ld', 'nm', 'objdump');
const bsSource = fixture('bootsector.S');

/** Line numbers of bootsector.S, found by text so the tests follow edits of the fixture. */
function lineOf(text: string): number {
  const i = readFileSync(bsSource, 'utf8').split('\n').findIndex((l) => l.includes(text));
  assert.ok(i >= 0, `fixture line containing ${text}`);
  return i + 1;
}

describe('ProgramSymbols on a real-mode boot sector (as --32 -g, ld -Ttext 0)', { skip }, () => {
  const tmp = tempDir();
  let elfPath = '';
  let objPath = '';
  let nostabPath = '';
  let syms: ProgramSymbols;
  let oracle: OracleRow[];
  before(() => {
    objPath = join(tmp.dir, 'bs.o');
    elfPath = join(tmp.dir, 'bs.elf');
    nostabPath = join(tmp.dir, 'bs-nodwarf.elf');
    run('as', ['--32', '-g', '-o', objPath, bsSource]);
    run('ld', ['-m', 'elf_i386', '-Ttext', '0', '-e', '_start', '-o', elfPath, objPath]);
    run('objcopy', ['--strip-debug', elfPath, nostabPath]);
    syms = ProgramSymbols.load(elfPath);
    oracle = objdumpDecodedLines(elfPath);
  });
  after(() => tmp.dispose());

  test('sections and line info', () => {
    assert.equal(syms.hasLineInfo, true);
    assert.deepEqual(syms.warnings, []);
    const text = syms.sections.find((s) => s.name === '.text');
    assert.ok(text);
    assert.equal(text.address, 0n);
    assert.equal(text.size, 512);
    assert.deepEqual(syms.sectionForAddress(0x1ffn), { name: '.text', address: 0n, size: 512 });
    assert.equal(syms.sectionForAddress(0x200n), undefined);
  });

  test('every nm symbol resolves, and maps back to itself', () => {
    const nm = nmSymbols(elfPath).filter((s) => !/^[Aa]$/.test(s.type));
    assert.ok(nm.length >= 8, `nm listed ${nm.length}`);
    for (const s of nm) {
      assert.equal(syms.lookupSymbol(s.name), s.address, s.name);
      const back = syms.symbolForAddress(s.address);
      if (s.address < 0x200n) {
        assert.ok(back, `symbolForAddress(${s.address})`);
        assert.equal(back.offset, 0);
        assert.ok(nm.some((o) => o.name === back.name && o.address === s.address), `${back.name} is at ${s.address}`);
      }
    }
    assert.equal(syms.lookupSymbol('no_such_symbol'), undefined);
    const listed = new Map(syms.symbols().map((x) => [x.name, x]));
    for (const s of nm) assert.equal(listed.get(s.name)?.address, s.address, `symbols() lists ${s.name}`);
    assert.deepEqual(listed.get('print_string'), { name: 'print_string', address: syms.lookupSymbol('print_string'), section: '.text', isFunction: false, isGlobal: true });
    assert.equal(listed.get('go')?.isGlobal, false);
    assert.equal(syms.sectionOfSymbol('go'), '.text');
    const go = syms.lookupSymbol('go')!;
    assert.deepEqual(syms.symbolForAddress(go + 3n), { name: 'go', offset: 3 });
  });

  test('lineForAddress agrees with the objdump row covering every byte', () => {
    const rows = oracle.filter((r) => r.line !== undefined);
    const end = oracle[oracle.length - 1].address;
    for (let a = 0; a < end; a++) {
      const row = rows.filter((r) => r.address <= a).pop()!;
      const got = syms.lineForAddress(BigInt(a));
      assert.ok(got, `line for 0x${a.toString(16)}`);
      assert.equal(got.path, bsSource);
      assert.equal(got.line, row.line, `0x${a.toString(16)}`);
    }
    assert.equal(syms.lineForAddress(BigInt(end)), undefined, 'past the end of the sequence');
  });

  test('addressesForLine: exact lines, lines without code, and the end of the file', () => {
    const rows = oracle.filter((r) => r.line !== undefined);
    for (const r of rows) {
      assert.deepEqual(syms.addressesForLine(bsSource, r.line!), [{ address: BigInt(r.address), line: r.line, section: '.text' }]);
    }
    // A blank line and a comment-only line move to the next line with code, like gdb.
    const blank = lineOf('\tsti') + 1;
    assert.equal(readFileSync(bsSource, 'utf8').split('\n')[blank - 1].trim(), '');
    const next = syms.addressesForLine(bsSource, blank);
    assert.equal(next.length, 1);
    assert.equal(next[0].line, lineOf('movw\t$banner'));
    assert.equal(next[0].line, blank + 1);
    // Line 1 (comment header) → first instruction.
    assert.deepEqual(syms.addressesForLine(bsSource, 1).map((x) => x.address), [0n]);
    // Past the last line with code: nothing.
    assert.deepEqual(syms.addressesForLine(bsSource, 10000), []);
    // Labels: `halt:	hlt` is on its own line and maps to the symbol's address.
    assert.deepEqual(syms.addressesForLine(bsSource, lineOf('halt:\thlt')).map((x) => x.address), [syms.lookupSymbol('halt')]);
  });

  test('file matching: absolute, other checkout (suffix), basename, Windows separators', () => {
    const line = lineOf('int\t$0x12');
    const want = syms.addressesForLine(bsSource, line);
    assert.equal(want.length, 1);
    assert.deepEqual(syms.addressesForLine('/home/someone/other-checkout/test/fixtures/symbols/bootsector.S', line), want);
    assert.deepEqual(syms.addressesForLine('bootsector.S', line), want);
    assert.deepEqual(syms.addressesForLine('C:\\src\\bootdbg\\test\\fixtures\\symbols\\bootsector.S', line), want);
    assert.deepEqual(syms.addressesForLine('BOOTSECTOR.S', line), want, 'case-insensitive as a last resort');
    assert.deepEqual(syms.addressesForLine('/elsewhere/other.S', line), []);
    assert.deepEqual(syms.sourceFiles(), [bsSource]);
  });

  test('a relocatable object gives the same answers (section-relative)', () => {
    const obj = ProgramSymbols.load(objPath);
    const line = lineOf('call\tprint_string_far_stub');
    assert.deepEqual(obj.addressesForLine(bsSource, line), syms.addressesForLine(bsSource, line));
    assert.equal(obj.lookupSymbol('print_string'), syms.lookupSymbol('print_string'));
    assert.equal(obj.isRelocatable, true);
  });

  test('without DWARF: symbols still work, no line info', () => {
    const bare = ProgramSymbols.load(nostabPath);
    assert.equal(bare.hasLineInfo, false);
    assert.deepEqual(bare.addressesForLine(bsSource, 20), []);
    assert.equal(bare.lineForAddress(0n), undefined);
    assert.equal(bare.lookupSymbol('print_string'), syms.lookupSymbol('print_string'));
  });

  test('fromBuffer equals load', () => {
    const b = ProgramSymbols.fromBuffer(readFileSync(elfPath), elfPath);
    assert.deepEqual(b.lineForAddress(5n), syms.lineForAddress(5n));
    assert.deepEqual(b.sections, syms.sections);
  });
});

describe('sections sharing link address 0 (iPXE layout)', { skip }, () => {
  const tmp = tempDir();
  const src = fixture('twosections.S');
  let obj: ProgramSymbols;
  let elf: ProgramSymbols;
  before(() => {
    run('as', ['--32', '-g', '-o', join(tmp.dir, 'two.o'), src]);
    run('ld', ['-m', 'elf_i386', '-T', fixture('twosections.lds'), '-o', join(tmp.dir, 'two.elf'), join(tmp.dir, 'two.o')]);
    obj = ProgramSymbols.load(join(tmp.dir, 'two.o'));
    elf = ProgramSymbols.load(join(tmp.dir, 'two.elf'));
  });
  after(() => tmp.dispose());

  const lineIn = (text: string): number => readFileSync(src, 'utf8').split('\n').findIndex((l) => l.includes(text)) + 1;

  for (const kind of ['object', 'linked'] as const) {
    test(`${kind}: line ↔ address per section`, () => {
      const p = kind === 'object' ? obj : elf;
      assert.deepEqual(p.sections.map((s) => [s.name, s.address]), [['.prefix', 0n], ['.text16', 0n], ['.data16', 0n]]);
      // Both sections have code at 0x5; the section argument picks one.
      assert.deepEqual(p.lineForAddress(5n, '.prefix'), { path: src, line: lineIn('call\tinstall') });
      assert.deepEqual(p.lineForAddress(5n, '.text16'), { path: src, line: lineIn('call\ttext16_helper') });
      assert.equal(p.symbolForAddress(0xbn, '.text16')?.name, 'text16_helper');
      assert.equal(p.symbolForAddress(0xbn, '.prefix')?.name, 'install');
      assert.equal(p.symbolForAddress(0x1n, '.data16')?.name, 'data16_word');
      assert.equal(p.lookupSymbol('text16_helper'), 0xbn);
      assert.equal(p.sectionOfSymbol('text16_helper'), '.text16');
      const a = p.addressesForLine(src, lineIn('xorl'));
      assert.equal(a.length, 1);
      assert.equal(a[0].address, 0xbn);
      assert.equal(a[0].section, '.text16');
    });
  }

  test('object: the section of each breakpoint address is known from relocations', () => {
    assert.equal(obj.addressesForLine(src, lineIn('call\tinstall'))[0].section, '.prefix');
  });

  test('linked: the section is inferred from the labels on the rows', () => {
    // .prefix's sequence (0..0xc) also fits inside .text16 (0..0xf); `install` at 0x9 decides.
    assert.equal(elf.addressesForLine(src, lineIn('call\tinstall'))[0].section, '.prefix');
    assert.equal(elf.addressesForLine(src, lineIn('pushl')) [0].section, '.text16');
    assert.deepEqual(elf.lineForAddress(0n), { path: src, line: lineIn('movw\t$0x1000') }, 'without a section: the first section in header order wins a tie');
  });
});

describe('an iPXE-like link: .prefix, .text16, .data16 and C .textdata all at VMA 0', { skip: missingTools('as', 'ld', 'gcc', 'objdump') ?? (haveGccM32() ? undefined : 'gcc -m32 cannot build 32-bit objects here') }, () => {
  test('every line with code is attributed to the right section, and lookups by section agree', () => {
    const tmp = tempDir();
    try {
      const d = tmp.dir;
      run('as', ['--32', '-g', '-o', join(d, 'two.o'), fixture('twosections.S')]);
      run('gcc', ['-m32', '-g', '-O1', '-fno-pie', '-c', '-o', join(d, 'cu.o'), fixture('cunit.c')]);
      const elf = join(d, 'ipxe.elf');
      run('ld', ['-m', 'elf_i386', '-T', fixture('ipxelike.lds'), '-o', elf, join(d, 'two.o'), join(d, 'cu.o')]);
      const p = ProgramSymbols.load(elf);
      assert.deepEqual(p.sections.map((s) => [s.name, s.address]), [['.prefix', 0n], ['.text16', 0n], ['.data16', 0n], ['.textdata', 0n]]);
      const prefixEnd = p.sections.find((s) => s.name === '.prefix')!.size;
      let checked = 0;
      for (const r of objdumpDecodedLines(elf)) {
        if (r.line === undefined || !r.isStmt) continue;
        const [hit] = p.addressesForLine(r.file === 'cunit.c' ? fixture('cunit.c') : fixture(r.file), r.line);
        assert.ok(hit, `${r.file}:${r.line}`);
        const want = r.file === 'cunit.c' || r.file === 'inlined.h' ? '.textdata' : r.line < lineOfTwo('.section ".text16"') ? '.prefix' : '.text16';
        assert.equal(hit.section, want, `${r.file}:${r.line}`);
        const back = p.lineForAddress(hit.address, want);
        if (r.file === 'twosections.S') assert.equal(back?.line, hit.line, `${r.file}:${r.line} back through ${want}`);
        // Optimised C: several rows share an address (inlining), so the way back may name another line of the unit.
        else assert.ok(back && ['cunit.c', 'inlined.h'].includes(basename(back.path)), `${r.file}:${r.line} back through ${want}`);
        checked++;
      }
      assert.ok(checked > 15, `checked ${checked}`);
      // One address, three answers depending on the section the CPU is executing.
      assert.equal(basename(p.lineForAddress(5n, '.prefix')!.path), 'twosections.S');
      assert.equal(basename(p.lineForAddress(5n, '.textdata')!.path), 'cunit.c');
      assert.ok(prefixEnd > 5);
      assert.equal(p.symbolForAddress(0n, '.textdata')?.name, 'scale');
    } finally {
      tmp.dispose();
    }
  });
});

function lineOfTwo(text: string): number {
  return readFileSync(fixture('twosections.S'), 'utf8').split('\n').findIndex((l) => l.includes(text)) + 1;
}

describe('64-bit higher-half addresses (kernel-style link)', { skip: missingTools('gcc', 'ld', 'nm') }, () => {
  test('symbols, lines and sections keep every bit of 0xffffffff8xxxxxxx addresses', () => {
    const tmp = tempDir();
    try {
      const obj = join(tmp.dir, 'k.o');
      const elf = join(tmp.dir, 'k.elf');
      run('gcc', ['-g', '-O1', '-mcmodel=kernel', '-fno-pie', '-c', '-o', obj, fixture('cunit.c')]);
      run('ld', ['-Ttext', '0xffffffff81000000', '-e', 'main', '-o', elf, obj]);
      const p = ProgramSymbols.load(elf);
      const nm = nmSymbols(elf).filter((s) => /^[Tt]$/.test(s.type));
      assert.ok(nm.length >= 2);
      for (const s of nm) {
        assert.equal(p.lookupSymbol(s.name), s.address, s.name);
        assert.deepEqual(p.symbolForAddress(s.address + 1n), { name: s.name, offset: 1 });
        assert.equal(p.lineForAddress(s.address)?.path, fixture('cunit.c'));
      }
      const text = p.sectionForAddress(0xffffffff81000000n);
      assert.equal(text?.name, '.text');
      assert.equal(text?.address, 0xffffffff81000000n);
      const bp = p.addressesForLine(fixture('cunit.c'), 1);
      assert.ok(bp.length >= 1 && bp[0].address >= 0xffffffff81000000n && bp[0].address < 0xffffffff81001000n);
      assert.equal(p.lineForAddress(0x81000000n), undefined, 'the low 32 bits alone are another address');
    } finally {
      tmp.dispose();
    }
  });
});

describe('bad input never crashes', () => {
  test('not an ELF, missing file, big-endian, truncated header', () => {
    assert.throws(() => ProgramSymbols.fromBuffer(Buffer.from('hello world, not an elf'), 'x.txt'), (e: Error) => e instanceof FormatError && /not an ELF/.test(e.message));
    assert.throws(() => ProgramSymbols.load('/nonexistent/file.elf'), (e: Error) => e instanceof FormatError && /ENOENT/.test(e.message));
    const be = Buffer.alloc(64);
    be.write('\x7fELF', 0, 'latin1');
    be[4] = 1;
    be[5] = 2;
    assert.throws(() => ProgramSymbols.fromBuffer(be, 'be.elf'), /little-endian/);
    assert.throws(() => ProgramSymbols.fromBuffer(Buffer.from('\x7fELF\x01\x01\x01', 'latin1'), 't.elf'), FormatError);
  });

  test('symbol lookups on a file with no sections at all', () => {
    const h = Buffer.alloc(52);
    h.write('\x7fELF', 0, 'latin1');
    h[4] = 1;
    h[5] = 1;
    const p = ProgramSymbols.fromBuffer(h, 'empty.elf');
    assert.equal(p.hasLineInfo, false);
    assert.deepEqual(p.sections, []);
    assert.equal(p.symbolForAddress(0n), undefined);
    assert.equal(p.lookupSymbol('x'), undefined);
    assert.equal(basename(p.path), 'empty.elf');
  });
});
