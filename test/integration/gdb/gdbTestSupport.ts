// Shared helpers for the gdb-remote integration tests: a real QEMU under a GdbTarget, waiting for
// events, and checking that no QEMU outlives a test.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createGdbTarget, type GdbTarget } from '../../../adapter/gdb/gdbTarget';
import type { StopEvent, TargetEvents, TargetEventName } from '../../../adapter/target/target';

export const IPXE_LKRN = '/usr/lib/ipxe/ipxe.lkrn';

export function qemuMissing(): string | undefined {
  const r = spawnSync('qemu-system-i386', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : 'qemu-system-i386 is not installed';
}

export function lkrnMissing(): string | undefined {
  return qemuMissing() ?? (existsSync(IPXE_LKRN) ? undefined : `${IPXE_LKRN} is missing (Debian package ipxe)`);
}

export interface Harness {
  target: GdbTarget;
  logs: string[];
  outputs: string[];
  next<K extends TargetEventName>(event: K, timeoutMs?: number): Promise<TargetEvents[K]>;
  nextStop(timeoutMs?: number): Promise<StopEvent>;
  dispose(): Promise<void>;
}

export async function startTarget(config: Record<string, unknown>, cwd = process.cwd()): Promise<Harness> {
  const logs: string[] = [];
  const outputs: string[] = [];
  const target = createGdbTarget({ type: 'gdb-remote', ...config }, { cwd, log: (m) => logs.push(m) }) as GdbTarget;
  const queues = new Map<string, unknown[]>();
  const waiters = new Map<string, ((v: unknown) => void)[]>();
  const events: TargetEventName[] = ['stopped', 'terminated', 'continued', 'breakpointChanged', 'exited'];
  for (const ev of events) {
    target.on(ev, ((payload: unknown) => {
      const w = waiters.get(ev)?.shift();
      if (w) w(payload);
      else (queues.get(ev) ?? queues.set(ev, []).get(ev)!).push(payload);
    }) as never);
  }
  target.on('output', (o) => outputs.push(o.text));
  const next = <K extends TargetEventName>(event: K, timeoutMs = 20000): Promise<TargetEvents[K]> => {
    const q = queues.get(event);
    if (q?.length) return Promise.resolve(q.shift() as TargetEvents[K]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${event} event within ${timeoutMs} ms; log: ${logs.slice(-5).join(' | ')}`)), timeoutMs);
      (waiters.get(event) ?? waiters.set(event, []).get(event)!).push((v) => {
        clearTimeout(timer);
        resolve(v as TargetEvents[K]);
      });
    });
  };
  await target.start();
  return {
    target,
    logs,
    outputs,
    next,
    nextStop: (t) => next('stopped', t),
    async dispose() {
      const pid = target.qemuProcess?.pid;
      await target.disconnect(true);
      if (pid !== undefined) await assertProcessGone(pid);
    },
  };
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function assertProcessGone(pid: number, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (processAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`QEMU pid ${pid} is still alive`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
