/**
 * A linked program of several compile units (real-mode .S, a preprocessed .S, and C when gcc can
 * build 32-bit code): line units are decoded on demand, so every answer is checked against
 * `objdump --dwarf=decodedline` from fresh instances queried in different orders.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { basename, join } from 'node:path';
import { ProgramSymbols } from '../../../adapter/symbols/programSymbols';
import { fixture, haveGccM32, missingTools, objdumpDecodedLines, OracleRow, run, tempDir } from './toolchain';

interface Seq {
  rows: OracleRow[];
  end: number;
}

function sequences(rows: OracleRow[]): Seq[] {
  const out: Seq[] = [];
  let cur: OracleRow[] = [];
  for (const r of rows) {
    if (r.line === undefined) {
      out.push({ rows: cur, end: r.address });
      cur = [];
    } else {
      cur.push(r);
    }
  }
  return out;
}

/** gdb's row for an address: the last is_stmt row at the greatest address ≤ a in its sequence. */
function expectedLine(seqs: Seq[], a: number): { file: string; line: number } | undefined {
  for (const s of seqs) {
    if (s.rows.length === 0 || a < s.rows[0].address || a >= s.end) continue;
    const at = s.rows.filter((r) => r.address <= a);
    const best = at[at.length - 1].address;
    const same = at.filter((r) => r.address === best);
    const pick = same.filter((r) => r.isStmt).pop() ?? same[same.length - 1];
    return { file: pick.file, line: pick.line! };
  }
  return undefined;
}

describe('several compile units, decoded on demand', { skip: missingTools('as', 'ld', 'objdump') }, () => {
  const tmp = tempDir();
  let elf = '';
  let oracle: OracleRow[] = [];
  before(() => {
    const d = tmp.dir;
    const objs = [join(d, 'bs.o')];
    run('as', ['--32', '-g', '-o', objs[0], fixture('bootsector.S')]);
    if (haveGccM32()) {
      run('gcc', ['-m32', '-g', '-c', '-o', join(d, 'pp.o'), fixture('preprocessed.S')]);
      run('gcc', ['-m32', '-g', '-O1', '-c', '-o', join(d, 'c.o'), fixture('cunit.c')]);
      objs.push(join(d, 'pp.o'), join(d, 'c.o'));
    } else {
      run('as', ['--32', '--gdwarf-5', '-o', join(d, 'code32.o'), fixture('code32.S')]);
      objs.push(join(d, 'code32.o'));
    }
    elf = join(d, 'multi.elf');
    run('ld', ['-m', 'elf_i386', '-Ttext', '0', '-e', '_start', '-o', elf, ...objs]);
    oracle = objdumpDecodedLines(elf);
  });
  after(() => tmp.dispose());

  test('every address, from a fresh instance and after line lookups', () => {
    const seqs = sequences(oracle);
    assert.ok(seqs.length >= 2, `${seqs.length} sequences`);
    const end = Math.max(...seqs.map((s) => s.end));
    const fresh = ProgramSymbols.load(elf);
    const warmed = ProgramSymbols.load(elf);
    for (const f of warmed.sourceFiles()) warmed.addressesForLine(f, 1);
    for (let a = 0; a <= end + 2; a++) {
      const want = expectedLine(seqs, a);
      for (const p of [fresh, warmed]) {
        const got = p.lineForAddress(BigInt(a));
        if (!want) {
          assert.equal(got, undefined, `0x${a.toString(16)}`);
        } else {
          assert.ok(got, `0x${a.toString(16)}`);
          assert.deepEqual({ file: basename(got.path), line: got.line }, { file: basename(want.file), line: want.line }, `0x${a.toString(16)}`);
        }
      }
    }
    assert.deepEqual(fresh.warnings, []);
  });

  test('every (file, line) with code, each from a fresh instance', () => {
    const byKey = new Map<string, Map<Seq, number>>();
    for (const s of sequences(oracle)) {
      for (const r of s.rows) {
        if (!r.isStmt) continue;
        const k = `${basename(r.file)}:${r.line}`;
        let m = byKey.get(k);
        if (!m) byKey.set(k, (m = new Map()));
        m.set(s, Math.min(m.get(s) ?? Infinity, r.address));
      }
    }
    assert.ok(byKey.size > 20);
    const shared = ProgramSymbols.load(elf);
    for (const [k, perSeq] of byKey) {
      const [file, line] = k.split(':');
      const want = [...perSeq.values()].sort((x, y) => x - y).map(BigInt);
      assert.deepEqual(ProgramSymbols.load(elf).addressesForLine(file, Number(line)).map((x) => x.address), want, k);
      assert.deepEqual(shared.addressesForLine(file, Number(line)).map((x) => x.address), want, `${k} (shared instance)`);
    }
  });
});
