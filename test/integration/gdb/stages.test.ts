// Breakpoints in a stage whose load address is only known at run time (the two-stage prefix's
// .text16, linked at 0 like iPXE's): pending at first, verified via breakpointChanged once
// install_prealloc reveals the segment, then hit at the right seg:off with source lines.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { qemuMissing, startTarget } from './gdbTestSupport';
import { buildTwoStage, toolchainMissing, TWOSTAGE_SOURCE, type BuiltBootSector } from './bootsectorFixture';

const skip = qemuMissing() ?? toolchainMissing();
let ts: BuiltBootSector;
before(() => {
  if (!skip) ts = buildTwoStage();
});
after(() => ts?.cleanup());

test('.text16 breakpoints stay pending until install_prealloc, then verify and hit at T:offset', { skip, timeout: 60000 }, async () => {
  const h = await startTarget({ request: 'launch', image: ts.floppy, media: 'floppy', program: ts.elf, stopOnEntry: true });
  try {
    await h.target.configurationDone();
    await h.nextStop();
    const helperLine = ts.lineOf('incw\t%dx');
    const [src] = await h.target.setSourceBreakpoints(TWOSTAGE_SOURCE, [{ line: helperLine }]);
    assert.equal(src.verified, false);
    assert.equal(src.reason, 'pending');
    assert.match(src.message!, /\.text16/);
    const [fn] = await h.target.setFunctionBreakpoints([{ name: 'text16_entry' }]);
    assert.equal(fn.reason, 'pending');
    await h.target.continue();
    const changed = [await h.next('breakpointChanged'), await h.next('breakpointChanged')];
    const stop = await h.nextStop();
    assert.equal(stop.reason, 'function breakpoint', 'the install_prealloc hook must not show as a stop');
    for (const c of changed) assert.equal(c.verified, true);
    const fnChanged = changed.find((c) => c.id === fn.id)!;
    const srcChanged = changed.find((c) => c.id === src.id)!;
    const t16 = fnChanged.address!;
    assert.equal(t16 % 16n, 0n);
    assert.ok(t16 > 0x80000n && t16 < 0xa0000n, `.text16 below the top of base memory: 0x${t16.toString(16)}`);
    assert.equal(srcChanged.address, t16 + 7n);
    const seg = (t16 / 16n).toString(16).padStart(4, '0');
    let { frames } = await h.target.stackTrace(0, 5);
    assert.equal(frames[0].address, t16);
    assert.equal(frames[0].name, `${seg}:0000 text16_entry`);
    assert.equal(frames[0].source?.line, ts.lineOf('movw\t$0x5678, %dx'));
    assert.ok(h.outputs.some((o) => /install_prealloc: \.text16 at /.test(o)));
    await h.target.continue();
    assert.equal((await h.nextStop()).reason, 'breakpoint');
    ({ frames } = await h.target.stackTrace(0, 5));
    assert.equal(frames[0].name, `${seg}:0007 text16_helper`);
    assert.equal(frames[0].source?.line, helperLine);
    await h.target.stepOut();
    assert.equal((await h.nextStop()).reason, 'step');
    ({ frames } = await h.target.stackTrace(0, 1));
    assert.equal(frames[0].name, `${seg}:0006 text16_entry+0x6`);
    const dis = await h.target.disassemble(t16, 0, 3, true);
    assert.equal(dis[0].symbol, 'text16_entry');
    assert.match(dis[1].instruction, /^call/);
  } finally {
    await h.dispose();
  }
});
