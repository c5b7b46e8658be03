// The adapter inline, as the extension runs gdb-remote by default (extension/adapterHost.ts):
// dist/adapter.js required into the process, a session from createInlineSession() driven through
// the vscode.DebugAdapter interface (handleMessage / onDidSendMessage / dispose), against real QEMU.
// Requiring the bundle must not turn the host process into a stdio adapter, and disposing the
// session — what VS Code does when a debug session ends, however it ends — must take QEMU with it.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { InlineDapClient, repoRoot, type InlineDebugAdapter } from '../../support/dapHarness';
import { buildBootSector, toolchainMissing, BOOTSECTOR_SOURCE, type BuiltBootSector } from '../gdb/bootsectorFixture';

const bundle = path.join(repoRoot, 'dist', 'adapter.js');
const noBundle = existsSync(bundle) ? undefined : 'dist/adapter.js is not built (npm run build)';
const skip = noBundle ?? (!existsSync('/usr/bin/qemu-system-i386') ? 'qemu-system-i386 is not installed' : toolchainMissing());

function qemuPidsFor(image: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', image], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function gone(image: string, withinMs: number): Promise<boolean> {
  for (let waited = 0; waited < withinMs; waited += 100) {
    if (qemuPidsFor(image).length === 0) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return qemuPidsFor(image).length === 0;
}

function inlineClient(): InlineDapClient {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(bundle) as { createInlineSession(cwd?: string): InlineDebugAdapter };
  // serialize: the messages cross VS Code's RPC as JSON, so nothing in them may depend on identity.
  return new InlineDapClient(mod.createInlineSession(), { serialize: true });
}

test('requiring the bundle only exports createInlineSession: no stdio session, no process-wide handlers', { skip: noBundle ?? false }, () => {
  const probe = `
    const before = { sigint: process.listenerCount('SIGINT'), sigterm: process.listenerCount('SIGTERM'), exc: process.listenerCount('uncaughtException'), data: process.stdin.listenerCount('data') };
    const m = require(process.argv[1]);
    const after = { sigint: process.listenerCount('SIGINT'), sigterm: process.listenerCount('SIGTERM'), exc: process.listenerCount('uncaughtException'), data: process.stdin.listenerCount('data') };
    const s = m.createInlineSession();
    process.stdout.write(JSON.stringify({ before, after, fn: typeof m.createInlineSession, api: [typeof s.handleMessage, typeof s.onDidSendMessage, typeof s.dispose] }));
    s.dispose();
  `;
  const r = spawnSync(process.execPath, ['-e', probe, bundle], { encoding: 'utf8', input: '', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { before: object; after: object; fn: string; api: string[] };
  assert.equal(out.fn, 'function');
  assert.deepEqual(out.api, ['function', 'function', 'function'], 'the session is a vscode.DebugAdapter');
  assert.deepEqual(out.after, out.before, 'no signal/exception handlers and no stdin reader installed by require');
});

describe('gdb-remote through the inline session (vscode.DebugAdapter interface)', { skip: skip ?? false, timeout: 120_000 }, () => {
  let built: BuiltBootSector;

  before(() => {
    built = buildBootSector(true);
  });
  after(() => built?.cleanup());

  test('launch, breakpoint in the .S file, registers, step, disconnect: QEMU gone', async () => {
    const c = inlineClient();
    try {
      await c.request('initialize', { adapterID: 'gdb-remote', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true });
      const initialized = c.waitForEvent('initialized', 30_000);
      await c.request('launch', { type: 'gdb-remote', request: 'launch', image: built.floppy, media: 'floppy', program: built.elf });
      await initialized;
      assert.ok(qemuPidsFor(built.floppy).length > 0, 'QEMU runs');

      const line = built.lineOf('incw\tcounter');
      const bps = await c.request<DebugProtocol.SetBreakpointsResponse>('setBreakpoints', { source: { path: BOOTSECTOR_SOURCE }, breakpoints: [{ line }] });
      assert.equal(bps.body.breakpoints[0].verified, true, bps.body.breakpoints[0].message);
      const stopped = c.waitForEvent('stopped', 60_000);
      await c.request('configurationDone');
      assert.equal(((await stopped) as DebugProtocol.StoppedEvent).body.reason, 'breakpoint');

      const st = await c.request<DebugProtocol.StackTraceResponse>('stackTrace', { threadId: 1 });
      const top = st.body.stackFrames[0];
      assert.equal(BigInt(top.instructionPointerReference!), built.linear('loop1'));
      assert.equal(top.source?.path, BOOTSECTOR_SOURCE);
      assert.equal(top.line, line);
      const scopes = await c.request<DebugProtocol.ScopesResponse>('scopes', { frameId: top.id });
      const regs = await c.request<DebugProtocol.VariablesResponse>('variables', { variablesReference: scopes.body.scopes[0].variablesReference });
      const cs = regs.body.variables.find((v) => v.name === 'cs');
      assert.match(cs?.value ?? '', /^0x07c0 \(base 0x00007c00\)/);
      // Children are built on expansion: eax → ax, ah, al.
      const eax = regs.body.variables.find((v) => v.name === 'eax')!;
      assert.ok(eax.variablesReference > 0);
      const parts = await c.request<DebugProtocol.VariablesResponse>('variables', { variablesReference: eax.variablesReference });
      assert.deepEqual(parts.body.variables.map((v) => v.name), ['ax', 'ah', 'al']);
      assert.equal(parseInt(parts.body.variables[0].value, 16), parseInt(eax.value, 16) & 0xffff);

      const stepped = c.waitForEvent('stopped', 30_000);
      await c.request('stepIn', { threadId: 1, granularity: 'instruction' });
      await stepped;
      const st2 = await c.request<DebugProtocol.StackTraceResponse>('stackTrace', { threadId: 1 });
      assert.ok(BigInt(st2.body.stackFrames[0].instructionPointerReference!) > built.linear('loop1'), 'the step moved forward');

      await c.request('disconnect', { terminateDebuggee: true });
    } finally {
      c.dispose();
    }
    assert.ok(await gone(built.floppy, 3000), 'no QEMU outlives the session');
  });

  test('dispose without disconnect (VS Code ending the session) still stops QEMU', async () => {
    const c = inlineClient();
    await c.request('initialize', { adapterID: 'gdb-remote', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true });
    const initialized = c.waitForEvent('initialized', 30_000);
    await c.request('launch', { type: 'gdb-remote', request: 'launch', image: built.floppy, media: 'floppy', stopOnEntry: true });
    await initialized;
    const stopped = c.waitForEvent('stopped', 30_000);
    await c.request('configurationDone');
    assert.equal(((await stopped) as DebugProtocol.StoppedEvent).body.reason, 'entry');
    assert.ok(qemuPidsFor(built.floppy).length > 0, 'QEMU runs');
    c.dispose();
    assert.ok(await gone(built.floppy, 3000), 'QEMU is gone within 3 s of dispose');
  });
});
