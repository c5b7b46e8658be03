// gdb-remote benchmarks against real QEMU, each with its baseline measured in the same run:
// - DAP step round trip (stepIn → stopped → stackTrace → scopes → Registers variables, attached to
//   a QEMU we started) vs the raw RSP floor `s` + stop + `g` from our own connection to the same
//   QEMU. The adapter's RSP traffic per step is exactly that `s` + `g` (the stop's register read
//   serves stackTrace/scopes/variables). Measured twice: inline, as the extension runs gdb-remote
//   (the goal), and as a separate process over stdio, whose note gives that transport's floor
//   (an empty request's round trip times the 4 requests);
// - the same round trip at the Target API (what the session calls) vs raw `s`+`g` on the same socket;
// - readMemory of 64 KiB vs raw max-size (0x800) `m` reads on the same socket, one at a time (what
//   gdb does); ours pipelines them on the QEMU it launched (see RspClient pipelineDepth).
// - F5 to stopped-on-entry vs QEMU spawn to gdbstub port open.
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { Benchmark } from './benchTypes';
import { createGdbTarget, type GdbTarget } from '../../adapter/gdb/gdbTarget';
import { QemuProcess } from '../../adapter/gdb/qemuLauncher';
import { buildBootSector, toolchainMissing, type BuiltBootSector } from '../integration/gdb/bootsectorFixture';
import type { StopEvent, TargetVariable } from '../../adapter/target/target';
import { RspClient } from '../../adapter/gdb/rspClient';
import { createTarget } from '../../adapter/target/createTarget';
import { bundledAdapter, inProcessAdapter, InlineDapClient, type InlineDebugAdapter } from '../support/dapHarness';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';

function skipReason(): string | undefined {
  const q = spawnSync('qemu-system-i386', ['--version']);
  if (q.status !== 0) return 'qemu-system-i386 is not installed';
  return toolchainMissing();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

interface Session {
  target: GdbTarget;
  nextStop(): Promise<StopEvent>;
  close(): Promise<void>;
}

async function openSession(bs: BuiltBootSector): Promise<Session> {
  const target = createGdbTarget({ type: 'gdb-remote', request: 'launch', image: bs.floppy, media: 'floppy', stopOnEntry: true, console: 'none' }, { cwd: process.cwd(), log: () => undefined }) as GdbTarget;
  const waiters: ((s: StopEvent) => void)[] = [];
  const queued: StopEvent[] = [];
  target.on('stopped', (s) => {
    const w = waiters.shift();
    if (w) w(s);
    else queued.push(s);
  });
  const nextStop = (): Promise<StopEvent> => (queued.length ? Promise.resolve(queued.shift()!) : new Promise((r) => waiters.push(r)));
  await target.start();
  await target.configurationDone();
  await nextStop();
  return { target, nextStop, close: () => target.disconnect(true) };
}

async function variables(v: TargetVariable[] | (() => Promise<TargetVariable[]>)): Promise<TargetVariable[]> {
  return typeof v === 'function' ? v() : v;
}

async function runToLoop(s: Session, bs: BuiltBootSector): Promise<void> {
  await s.target.setInstructionBreakpoints([{ address: bs.linear('loop1') }]);
  await s.target.continue();
  await s.nextStop();
  await s.target.setInstructionBreakpoints([]);
}

/** Raw floor: `s`, the stop reply, `g`, on our own RSP connection. The first `warm` steps are
 *  not timed (JIT warm-up, as for the DAP side). */
async function rawSteps(port: number, n: number, times: number[], warm = 0): Promise<void> {
  const c = await RspClient.connect({ host: '127.0.0.1', port });
  try {
    await c.handshake();
    for (let i = 0; i < warm + n; i++) {
      const t0 = performance.now();
      await c.resume('s');
      await c.waitForStop(5000);
      await c.readRegisters();
      if (i >= warm) times.push(performance.now() - t0);
    }
    await c.detach();
  } finally {
    c.close();
  }
}

/** What a step round trip needs of a DAP connection, whatever carries the messages. */
interface DapPort {
  send(command: string, args?: unknown): Promise<DebugProtocol.Response>;
  waitForEvent(event: string, timeoutMs?: number): Promise<DebugProtocol.Event>;
}

/** Attaches over `dap` and times `n` step round trips (after `warm` untimed ones) as VS Code
 *  does them on F11: stepIn → stopped → stackTrace → scopes → Registers variables. `ipc` collects
 *  round trips of a request that does no target work (`threads`): the transport's own cost. */
async function dapSteps(dap: DapPort, port: number, n: number, times: number[], ipc: number[], warm = 0): Promise<void> {
  await dap.send('initialize', { adapterID: 'gdb-remote', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true });
  const initialized = dap.waitForEvent('initialized');
  await dap.send('attach', { type: 'gdb-remote', request: 'attach', target: `127.0.0.1:${port}` });
  await initialized;
  const first = dap.waitForEvent('stopped', 20000);
  await dap.send('configurationDone');
  await first;
  for (let i = 0; i < warm + n; i++) {
    const t0 = performance.now();
    const stopped = dap.waitForEvent('stopped', 20000);
    await dap.send('stepIn', { threadId: 1, granularity: 'instruction' });
    await stopped;
    const st = (await dap.send('stackTrace', { threadId: 1, startFrame: 0, levels: 20 })) as DebugProtocol.StackTraceResponse;
    const scopes = (await dap.send('scopes', { frameId: st.body.stackFrames[0].id })) as DebugProtocol.ScopesResponse;
    const regs = scopes.body.scopes.find((s) => s.presentationHint === 'registers') ?? scopes.body.scopes[0];
    await dap.send('variables', { variablesReference: regs.variablesReference });
    const t1 = performance.now();
    await dap.send('threads');
    if (i < warm) continue;
    times.push(t1 - t0);
    ipc.push(performance.now() - t1);
  }
  await dap.send('disconnect', { terminateDebuggee: false });
}

const bundledAdapterPath = path.resolve(__dirname, '..', '..', '..', 'dist', 'adapter.js');

/** The session inline, as the extension runs gdb-remote (extension/debugAdapter.ts): created by the
 *  shipped bundle's createInlineSession, messages passed as (JSON-copied) objects. */
async function inlineDapSteps(port: number, n: number, times: number[], ipc: number[], warm: number, serialize = false): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = (existsSync(bundledAdapterPath) ? require(bundledAdapterPath) : require('../../adapter/main')) as { createInlineSession(): InlineDebugAdapter };
  const client = new InlineDapClient(mod.createInlineSession(), { serialize });
  try {
    await dapSteps({ send: (c, a) => client.request(c, a), waitForEvent: (e, t) => client.waitForEvent(e, t) }, port, n, times, ipc, warm);
  } finally {
    client.dispose();
  }
}

/** The bundled adapter as its own process over stdio (the windows-kd default, and gdb-remote with
 *  `bootdbg.debugAdapter.host: process`). */
async function processDapSteps(port: number, n: number, times: number[], ipc: number[], warm: number): Promise<void> {
  // Over stdio, as VS Code runs an adapter executable (a loopback TCP DAP socket without
  // TCP_NODELAY would add ~40 ms of Nagle delay per request and measure the harness, not us).
  const h = existsSync(bundledAdapterPath) ? await bundledAdapter('gdb-remote') : await inProcessAdapter((config, host) => createTarget(config, host));
  try {
    await dapSteps({ send: (c, a) => h.dc.send(c, a), waitForEvent: (e, t) => h.dc.waitForEvent(e, t) }, port, n, times, ipc, warm);
  } finally {
    await h.close();
  }
}

/** QEMU on the boot sector with the CPU in its loop (real mode, ordinary instructions). */
async function qemuInLoop(bs: BuiltBootSector): Promise<QemuProcess> {
  const qemu = await QemuProcess.launch({ qemu: 'qemu-system-i386', image: bs.floppy, media: 'floppy', qemuArgs: [], console: 'none' });
  const c = await RspClient.connect({ host: '127.0.0.1', port: qemu.port });
  await c.handshake();
  await c.insertBreakpoint(0, bs.linear('loop1'), 1);
  await c.resume('c');
  await c.waitForStop(30000);
  await c.removeBreakpoint(0, bs.linear('loop1'), 1);
  await c.detach();
  return qemu;
}

type DapStepper = (port: number, n: number, times: number[], ipc: number[], warm: number) => Promise<void>;

/** Interleaved rounds of raw steps and DAP steps on the same QEMU; each side warms up per round.
 *  `also` runs a second stepper in the same rounds (its times in `dap2`). */
async function dapAgainstRaw(stepper: DapStepper, also?: DapStepper): Promise<{ dap: number[]; raw: number[]; ipc: number[]; dap2: number[] }> {
  const bs = buildBootSector();
  const qemu = await qemuInLoop(bs);
  try {
    const dap: number[] = [];
    const dap2: number[] = [];
    const raw: number[] = [];
    const ipc: number[] = [];
    for (let round = 0; round < 4; round++) {
      await rawSteps(qemu.port, 50, raw, 50);
      await stepper(qemu.port, 50, dap, ipc, 50);
      if (also) await also(qemu.port, 50, dap2, [], 50);
    }
    return { dap, raw, ipc, dap2 };
  } finally {
    await qemu.dispose();
    bs.cleanup();
  }
}

export const benchmarks: Benchmark[] = [
  {
    id: 'gdb.dap-step-roundtrip',
    what: 'DAP stepIn→stopped→stackTrace→scopes→variables, adapter inline as shipped for gdb-remote, vs raw RSP s+g (same QEMU)',
    unit: 'ms',
    goal: '<= 1.3',
    skip: skipReason,
    async run() {
      const serialized: DapStepper = (port, n, times, ipc, warm) => inlineDapSteps(port, n, times, ipc, warm, true);
      const { dap, raw, ipc, dap2 } = await dapAgainstRaw(inlineDapSteps, serialized);
      return {
        value: median(dap),
        baseline: median(raw),
        note: `median of ${dap.length} steps each after 50 untimed per round, 4 interleaved rounds, attach mode, the bundle's inline session ` +
          `(objects in and out, as the extension host passes them); an empty request (threads) costs ${median(ipc).toFixed(3)} ms; ` +
          `with every message also JSON-copied both ways (the RPC to the workbench VS Code adds for any adapter) ${median(dap2).toFixed(3)} ms, ` +
          `ratio ${(median(dap2) / median(raw)).toFixed(2)}`,
      };
    },
  },
  {
    id: 'gdb.dap-step-roundtrip-process',
    what: 'The same DAP step round trip with the adapter as its own process over stdio (bootdbg.debugAdapter.host: process) vs raw RSP s+g',
    unit: 'ms',
    goal: 'informational',
    skip: skipReason,
    async run() {
      const { dap, raw, ipc } = await dapAgainstRaw(processDapSteps);
      // What no separate adapter process can beat: the RSP floor plus 4 DAP request/response pairs over stdio.
      const floor = median(raw) + 4 * median(ipc);
      return {
        value: median(dap),
        baseline: median(raw),
        note: `median of ${dap.length} steps each after 50 untimed per round, 4 interleaved rounds, bundled adapter over stdio; ` +
          `empty DAP request round trip (threads) ${median(ipc).toFixed(3)} ms, so raw + 4 DAP round trips = ${floor.toFixed(3)} ms ` +
          `(ratio ${(floor / median(raw)).toFixed(2)} before any work); ours vs that floor ${(median(dap) / floor).toFixed(2)}`,
      };
    },
  },
  {
    id: 'gdb.step-roundtrip',
    what: 'Target step→stopped→stackTrace→registers vs raw RSP s+g (same QEMU)',
    unit: 'ms',
    goal: '<= 1.3',
    skip: skipReason,
    async run() {
      const bs = buildBootSector();
      const s = await openSession(bs);
      try {
        await runToLoop(s, bs);
        const client = s.target.cpu.client;
        const apiTimes: number[] = [];
        const rawTimes: number[] = [];
        // Round 0 warms the JIT on both sides and is not timed.
        const rounds = 11;
        const perRound = 20;
        for (let r = 0; r < rounds; r++) {
          for (let i = 0; i < perRound; i++) {
            const t0 = performance.now();
            const stopped = s.nextStop();
            await s.target.stepIn('instruction');
            await stopped;
            await s.target.stackTrace(0, 20);
            const [scope] = await s.target.scopes(0);
            await variables(scope.variables);
            if (r > 0) apiTimes.push(performance.now() - t0);
          }
          // Raw floor on the same socket: the target does not see these steps, so re-sync it after.
          for (let i = 0; i < perRound; i++) {
            const t0 = performance.now();
            await client.resume('s');
            await client.waitForStop(5000);
            await client.readRegisters();
            if (r > 0) rawTimes.push(performance.now() - t0);
          }
          await s.target.cpu.refresh(true);
        }
        return { value: median(apiTimes), baseline: median(rawTimes), note: `median of ${apiTimes.length} steps each, interleaved, after an untimed warm-up round` };
      } finally {
        await s.close();
        bs.cleanup();
      }
    },
  },
  {
    id: 'gdb.read-64k',
    what: 'Target readMemory 64 KiB vs raw 0x800-byte m reads (same QEMU)',
    unit: 'MB/s',
    goal: '>= 0.9',
    skip: skipReason,
    async run() {
      const bs = buildBootSector();
      const s = await openSession(bs);
      try {
        const client = s.target.cpu.client;
        const api: number[] = [];
        const raw: number[] = [];
        const viaApi = async (): Promise<void> => {
          const t0 = performance.now();
          const res = await s.target.readMemory(0x10000n, 0x10000);
          api.push(performance.now() - t0);
          if (res.data.length !== 0x10000) throw new Error(`short read ${res.data.length}`);
        };
        const viaRaw = async (): Promise<void> => {
          const t0 = performance.now();
          for (let off = 0; off < 0x10000; off += 0x800) await client.request(`m${(0x10000 + off).toString(16)},800`);
          raw.push(performance.now() - t0);
        };
        for (let r = 0; r < 31; r++) {
          // Alternate the order so drift under load hits both sides alike.
          if (r % 2) {
            await viaApi();
            await viaRaw();
          } else {
            await viaRaw();
            await viaApi();
          }
        }
        const mbps = (ms: number): number => 0x10000 / 1e6 / (ms / 1000);
        return {
          value: mbps(median(api)),
          baseline: mbps(median(raw)),
          note: `median of ${api.length} reads each; ours keeps ${client.pipelineDepth} m packets on the wire (launch default), the baseline one at a time`,
        };
      } finally {
        await s.close();
        bs.cleanup();
      }
    },
  },
  {
    id: 'gdb.f5-to-stopped',
    what: 'F5 (launch → handshake → stopped on entry) vs QEMU spawn to gdbstub port open',
    unit: 'ms',
    goal: 'informational (<= 2)',
    skip: skipReason,
    async run() {
      const bs = buildBootSector();
      try {
        const f5: number[] = [];
        const spawn: number[] = [];
        for (let r = 0; r < 5; r++) {
          let t0 = performance.now();
          const s = await openSession(bs);
          f5.push(performance.now() - t0);
          await s.close();
          t0 = performance.now();
          const q = await QemuProcess.launch({ qemu: 'qemu-system-i386', image: bs.floppy, media: 'floppy', qemuArgs: [], console: 'none' });
          spawn.push(performance.now() - t0);
          await q.dispose();
        }
        return { value: median(f5), baseline: median(spawn), note: `median of ${f5.length} launches each` };
      } finally {
        bs.cleanup();
      }
    },
  },
];
