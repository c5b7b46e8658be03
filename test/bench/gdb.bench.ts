// gdb-remote benchmarks against real QEMU, each with its baseline measured in the same run:
// - DAP step round trip (stepIn → stopped → stackTrace → scopes → Registers variables, over stdio
//   to the bundled adapter, attached to a QEMU we started) vs the raw RSP floor `s` + stop + `g`
//   from our own connection to the same QEMU. The adapter's RSP traffic per step is exactly that
//   `s` + `g` (the stop's register read serves stackTrace/scopes/variables), so the note also
//   gives the DAP transport floor: an empty request's round trip (`threads`) times the 4 requests;
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
import { bundledAdapter, inProcessAdapter } from '../support/dapHarness';
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

/** Raw floor: `s`, the stop reply, `g`, on our own RSP connection. */
async function rawSteps(port: number, n: number, times: number[]): Promise<void> {
  const c = await RspClient.connect({ host: '127.0.0.1', port });
  try {
    await c.handshake();
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await c.resume('s');
      await c.waitForStop(5000);
      await c.readRegisters();
      times.push(performance.now() - t0);
    }
    await c.detach();
  } finally {
    c.close();
  }
}

/** `ipc` collects round trips of a DAP request that does no target work (`threads`): the cost of
 *  one message pair over the stdio pipes, client included — the floor each of the 4 requests
 *  of a step round trip pays on top of the RSP traffic. */
async function dapSteps(port: number, n: number, times: number[], ipc: number[] = []): Promise<void> {
  // The bundled adapter over stdio, as VS Code runs it (a loopback TCP DAP socket without
  // TCP_NODELAY would add ~40 ms of Nagle delay per request and measure the harness, not us).
  const bundled = path.resolve(__dirname, '..', '..', '..', 'dist', 'adapter.js');
  const h = existsSync(bundled) ? await bundledAdapter('gdb-remote') : await inProcessAdapter((config, host) => createTarget(config, host));
  try {
    const dc = h.dc;
    await dc.initializeRequest({ adapterID: 'gdb-remote', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true });
    const initialized = dc.waitForEvent('initialized');
    await dc.attachRequest({ type: 'gdb-remote', request: 'attach', target: `127.0.0.1:${port}` } as DebugProtocol.AttachRequestArguments);
    await initialized;
    const first = dc.waitForEvent('stopped', 20000);
    await dc.configurationDoneRequest();
    await first;
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const stopped = dc.waitForEvent('stopped', 20000);
      await dc.stepInRequest({ threadId: 1, granularity: 'instruction' });
      await stopped;
      const st = await dc.stackTraceRequest({ threadId: 1, startFrame: 0, levels: 20 });
      const scopes = await dc.scopesRequest({ frameId: st.body.stackFrames[0].id });
      const regs = scopes.body.scopes.find((s) => s.presentationHint === 'registers') ?? scopes.body.scopes[0];
      await dc.variablesRequest({ variablesReference: regs.variablesReference });
      times.push(performance.now() - t0);
      const t1 = performance.now();
      await dc.threadsRequest();
      ipc.push(performance.now() - t1);
    }
    await dc.disconnectRequest({ terminateDebuggee: false });
  } finally {
    await h.close();
  }
}

export const benchmarks: Benchmark[] = [
  {
    id: 'gdb.dap-step-roundtrip',
    what: 'DAP stepIn→stopped→stackTrace→scopes→variables vs raw RSP s+g (same QEMU)',
    unit: 'ms',
    goal: '<= 1.3',
    skip: skipReason,
    async run() {
      const bs = buildBootSector();
      const qemu = await QemuProcess.launch({ qemu: 'qemu-system-i386', image: bs.floppy, media: 'floppy', qemuArgs: [], console: 'none' });
      try {
        // Put the CPU into the boot sector's loop first (real mode, ordinary instructions).
        const c = await RspClient.connect({ host: '127.0.0.1', port: qemu.port });
        await c.handshake();
        await c.insertBreakpoint(0, bs.linear('loop1'), 1);
        await c.resume('c');
        await c.waitForStop(30000);
        await c.removeBreakpoint(0, bs.linear('loop1'), 1);
        await c.detach();
        const dap: number[] = [];
        const raw: number[] = [];
        const ipc: number[] = [];
        for (let round = 0; round < 4; round++) {
          await rawSteps(qemu.port, 25, raw);
          await dapSteps(qemu.port, 25, dap, ipc);
        }
        // What no adapter can beat: the RSP floor plus 4 DAP request/response pairs over stdio.
        const floor = median(raw) + 4 * median(ipc);
        return {
          value: median(dap),
          baseline: median(raw),
          note: `median of ${dap.length} steps each, 4 interleaved rounds, attach mode, bundled adapter over stdio; ` +
            `empty DAP request round trip (threads) ${median(ipc).toFixed(3)} ms, so raw + 4 DAP round trips = ${floor.toFixed(3)} ms ` +
            `(ratio ${(floor / median(raw)).toFixed(2)} before any work); ours vs that floor ${(median(dap) / floor).toFixed(2)}`,
        };
      } finally {
        await qemu.dispose();
        bs.cleanup();
      }
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
        const rounds = 10;
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
            apiTimes.push(performance.now() - t0);
          }
          // Raw floor on the same socket: the target does not see these steps, so re-sync it after.
          for (let i = 0; i < perRound; i++) {
            const t0 = performance.now();
            await client.resume('s');
            await client.waitForStop(5000);
            await client.readRegisters();
            rawTimes.push(performance.now() - t0);
          }
          await s.target.cpu.refresh(true);
        }
        return { value: median(apiTimes), baseline: median(rawTimes), note: `median of ${apiTimes.length} steps each, interleaved` };
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
