// The expression language: registers, seg:off (hex halves), memory derefs, symbols, arithmetic,
// and clear errors for bad input (seeded fuzz: never an unexpected exception type).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseExpression, evaluateExpr, ExpressionError, type EvalEnv } from '../../../adapter/gdb/gdbExpression';
import { prng } from './prng';

const regs: Record<string, bigint> = { eax: 0x12349c20n, ax: 0x9c20n, al: 0x20n, cs: 0x7c0n, ds: 0x9cb0n, ip: 5n, si: 0x10n };
const memory = Buffer.alloc(0x10000);
memory.writeUInt16LE(0xbeef, 0x7c3d);
memory.writeUInt32LE(0xdeadbeef, 0x100);

const env: EvalEnv = {
  register: (n) => {
    if (!(n in regs)) throw new ExpressionError(`unknown register ${n}`);
    return regs[n];
  },
  segmentBase: async (s) => ('register' in s ? regs[s.register] * 16n : s.selector * 16n),
  symbol: (n) => (n === 'counter' ? 0x7c3dn : undefined),
  readMemory: async (a, n) => memory.subarray(Number(a), Number(a) + n),
};
const isReg = (n: string): boolean => n in regs;
const ev = async (t: string): Promise<bigint> => (await evaluateExpr(parseExpression(t, isReg), env)).value;

test('registers with and without $', async () => {
  assert.equal(await ev('$eax'), 0x12349c20n);
  assert.equal(await ev('ax'), 0x9c20n);
  assert.equal(await ev('$al + 1'), 0x21n);
});

test('seg:off is linear, halves are hex; register segments use their base', async () => {
  assert.equal(await ev('07c0:0005'), 0x7c05n);
  assert.equal(await ev('1020:0000'), 0x10200n);
  assert.equal(await ev('cs:ip'), 0x7c05n);
  assert.equal(await ev('$ds:$si'), 0x9cb10n);
  assert.equal(await ev('0x07c0:0x10+2'), 0x7c12n);
});

test('memory derefs *(u8*), *(u16*), *(u32*), symbols and arithmetic', async () => {
  assert.equal(await ev('*(u16*)0x7c3d'), 0xbeefn);
  assert.equal(await ev('*(u8*)0x7c3d'), 0xefn);
  assert.equal(await ev('*(u32*)0x100'), 0xdeadbeefn);
  assert.equal(await ev('*(u16*)counter'), 0xbeefn);
  assert.equal(await ev('*(u16*)07c0:003d'.replace('07c0:003d', '(0x7c3d)')), 0xbeefn);
  assert.equal(await ev('(1 + 2) * 3 - 0x10 / 4'), 5n);
  assert.equal(await ev('1 << 4 | 1'), 17n);
  assert.equal(await ev('10h + 10'), 26n);
  assert.equal((await evaluateExpr(parseExpression('counter + 2', isReg), env)).isAddress, true);
});

test('conditions: comparisons and logic give 1 or 0', async () => {
  assert.equal(await ev('$ax == 0x9c20'), 1n);
  assert.equal(await ev('$ax != 0x9c20 || $al == 0x20'), 1n);
  assert.equal(await ev('*(u16*)counter >= 3 && !0'), 1n);
  assert.equal(await ev('1 < 2 == 1'), 1n);
  assert.equal(await ev('!($cs == 0x7c0)'), 0n);
});

test('bad input gives ExpressionError with a clear message', async () => {
  await assert.rejects(ev('$nosuch'), /unknown register \$nosuch/);
  await assert.rejects(ev('nosuch'), /unknown symbol or register "nosuch"/);
  await assert.rejects(ev('1 / 0'), /division by zero/);
  assert.throws(() => parseExpression('', isReg), /empty expression/);
  assert.throws(() => parseExpression('1 +', isReg), /ends too early/);
  assert.throws(() => parseExpression('(1', isReg), /expected "\)"/);
  assert.throws(() => parseExpression('1 2', isReg), /unexpected/);
  assert.throws(() => parseExpression('#', isReg), /unexpected/);
});

test('fuzz: random expressions only ever fail with ExpressionError', async () => {
  const rnd = prng(42);
  const atoms = ['$eax', 'ax', '07c0', ':', '*(u16*)', '(', ')', '+', '-', '*', '/', '<<', '0x10', 'counter', 'zz', '#', '~', '%', '$'];
  for (let i = 0; i < 500; i++) {
    const text = Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => atoms[Math.floor(rnd() * atoms.length)]).join(' ');
    try {
      await evaluateExpr(parseExpression(text, isReg), env);
    } catch (err) {
      assert.ok(err instanceof ExpressionError, `${text}: ${(err as Error).stack}`);
    }
  }
});

test('hit conditions: plain N means from the Nth hit on; ==, >, <, <=, % work; junk never blocks', async () => {
  const { hitConditionMet } = await import('../../../adapter/gdb/gdbTarget');
  assert.deepEqual([1, 2, 3, 4].map((h) => hitConditionMet(h, '3')), [false, false, true, true]);
  assert.deepEqual([1, 2, 3].map((h) => hitConditionMet(h, '== 2')), [false, true, false]);
  assert.deepEqual([1, 2, 3, 4].map((h) => hitConditionMet(h, '%2')), [false, true, false, true]);
  assert.deepEqual([1, 2, 3].map((h) => hitConditionMet(h, '<2')), [true, false, false]);
  assert.equal(hitConditionMet(5, '> 4'), true);
  assert.equal(hitConditionMet(1, 'often'), true);
});
