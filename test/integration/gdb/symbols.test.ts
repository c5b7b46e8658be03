// Source and function breakpoints on the test prefix built with `as --32 -g` (DWARF lines for the
// .S), mapped from link-time addresses (linked at 0) to where the BIOS runs it (0x7C00);
// line stepping; and the hint when the ELF has no DWARF (function breakpoints still work).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { qemuMissing, startTarget, type Harness } from './gdbTestSupport';
import { buildBootSector, toolchainMissing, BOOTSECTOR_SOURCE, type BuiltBootSector } from './bootsectorFixture';

const skip = qemuMissing() ?? toolchainMissing();
let bs: BuiltBootSector;
let plain: BuiltBootSector;

before(() => {
  if (skip) return;
  bs = buildBootSector(true);
  plain = buildBootSector(false);
});
after(() => {
  bs?.cleanup();
  plain?.cleanup();
});

async function launch(b: BuiltBootSector): Promise<Harness> {
  const h = await startTarget({ request: 'launch', image: b.floppy, media: 'floppy', program: b.elf, stopOnEntry: true });
  await h.target.configurationDone();
  assert.equal((await h.nextStop()).reason, 'entry');
  return h;
}

test('source breakpoint on a .S line stops there with source, seg:off and symbol in the frame', { skip, timeout: 60000 }, async () => {
  const h = await launch(bs);
  try {
    const line = bs.lineOf('incw\tcounter');
    const [bp] = await h.target.setSourceBreakpoints(BOOTSECTOR_SOURCE, [{ line }]);
    assert.equal(bp.verified, true, bp.message);
    assert.equal(bp.address, bs.linear('loop1'));
    assert.equal(bp.source?.line, line);
    await h.target.continue();
    const s = await h.nextStop();
    assert.equal(s.reason, 'breakpoint');
    assert.deepEqual(s.hitBreakpointIds, [bp.id]);
    const { frames } = await h.target.stackTrace(0, 1);
    assert.equal(frames[0].address, bs.linear('loop1'));
    assert.match(frames[0].name, /^07c0:0014 loop1$/);
    assert.equal(path.basename(frames[0].source!.path), 'bootsector.S');
    assert.equal(frames[0].source!.line, line);
    // Line step over the `call putc` line: ends on the cmpw line.
    await h.target.stepOver('line');
    await h.nextStop();
    await h.target.stepOver('line');
    assert.equal((await h.nextStop()).reason, 'step');
    const after1 = await h.target.stackTrace(0, 1);
    assert.equal(after1.frames[0].source!.line, bs.lineOf('cmpw\t$3, counter'));
    const dis = await h.target.disassemble(bs.linear('putc'), 0, 2, true);
    assert.equal(dis[0].symbol, 'putc');
    assert.equal(dis[0].location?.line, bs.lineOf('pushw\t%ax'));
    const sym = await h.target.evaluate('putc', 0, 'watch');
    assert.match(sym.result, /linear 0x00007c2e <putc>/);
  } finally {
    await h.dispose();
  }
});

test('function breakpoint by label; unknown names and lines fail with a clear message', { skip, timeout: 60000 }, async () => {
  const h = await launch(bs);
  try {
    const [bp, bad] = await h.target.setFunctionBreakpoints([{ name: 'putc' }, { name: 'no_such_label' }]);
    assert.equal(bp.verified, true);
    assert.equal(bp.address, bs.linear('putc'));
    assert.equal(bad.verified, false);
    assert.match(bad.message!, /no symbol "no_such_label"/);
    const [none] = await h.target.setSourceBreakpoints(BOOTSECTOR_SOURCE, [{ line: 100000 }]);
    assert.equal(none.verified, false);
    await h.target.continue();
    const s = await h.nextStop();
    assert.equal(s.reason, 'function breakpoint');
    const { frames } = await h.target.stackTrace(0, 5);
    assert.match(frames[0].name, /^07c0:002e putc$/);
    assert.equal(frames.length, 1, 'entered by continuing: the caller is not in the shadow stack');
    await h.target.stepOut();
    assert.equal((await h.nextStop()).reason, 'step');
    assert.match((await h.target.stackTrace(0, 1)).frames[0].name, /^07c0:001b loop1\+0x7$/);
  } finally {
    await h.dispose();
  }
});

test('without DWARF: source breakpoints explain EXTRA_ASFLAGS=-g, function breakpoints by label work', { skip, timeout: 60000 }, async () => {
  const h = await launch(plain);
  try {
    assert.ok(h.outputs.some((o) => /EXTRA_ASFLAGS=-g/.test(o)), 'a hint in the Debug Console');
    const [src] = await h.target.setSourceBreakpoints(BOOTSECTOR_SOURCE, [{ line: plain.lineOf('incw\tcounter') }]);
    assert.equal(src.verified, false);
    assert.match(src.message!, /EXTRA_ASFLAGS=-g/);
    const [fn] = await h.target.setFunctionBreakpoints([{ name: 'farfunc' }]);
    assert.equal(fn.verified, true);
    await h.target.continue();
    assert.equal((await h.nextStop()).reason, 'function breakpoint');
    assert.equal((await h.target.stackTrace(0, 1)).frames[0].address, plain.linear('farfunc'));
  } finally {
    await h.dispose();
  }
});

test('logpoints print with {expressions} and do not stop', { skip, timeout: 60000 }, async () => {
  const h = await launch(bs);
  try {
    const [lp] = await h.target.setSourceBreakpoints(BOOTSECTOR_SOURCE, [{ line: bs.lineOf("movb\t$'A', %al"), logMessage: 'putc: counter={*(u16*)counter} ip={$ip}' }]);
    assert.equal(lp.verified, true, lp.message);
    await h.target.setFunctionBreakpoints([{ name: 'spin' }]);
    await h.target.continue();
    const s = await h.nextStop();
    assert.equal(s.reason, 'function breakpoint');
    const logs = h.outputs.filter((o) => o.startsWith('putc: '));
    assert.deepEqual(logs.map((l) => /counter=(0x[0-9a-f]+)/.exec(l)![1]), ['0x0001', '0x0002', '0x0003']);
    assert.match(logs[0], /ip=0x30 /);
  } finally {
    await h.dispose();
  }
});
