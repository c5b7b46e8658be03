/**
 * Runs a BootDbgSession in this process on a loopback port and connects a DebugClient to it, so a
 * test speaks real DAP over a real socket. For the bundled adapter, use `spawnAdapter` instead.
 */
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { BootDbgSession, type TargetFactoryFn } from '../../adapter/session/bootDbgSession';
import type { DebugProtocol } from '@vscode/debugprotocol';

export interface DapHarness {
  dc: DebugClient;
  close(): Promise<void>;
}

export async function inProcessAdapter(factory: TargetFactoryFn): Promise<DapHarness> {
  const sessions: BootDbgSession[] = [];
  const server = net.createServer((socket) => {
    const s = new BootDbgSession(factory);
    sessions.push(s);
    s.setRunAsServer(true);
    s.start(socket, socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const dc = new DebugClient('node', 'unused', 'bootdbg');
  await dc.start(port);
  return {
    dc,
    async close() {
      await dc.stop().catch(() => undefined);
      await Promise.all(sessions.map((s) => s.shutdownTarget()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The repository root (tests run from out/test/...). */
export const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** A DebugClient talking to the bundled `dist/adapter.js` over stdio, as VS Code does. */
export async function bundledAdapter(debugType: string): Promise<DapHarness> {
  const dc = new DebugClient(process.execPath, path.join(repoRoot, 'dist', 'adapter.js'), debugType, {}, true);
  dc.defaultTimeout = 20000;
  await dc.start();
  return { dc, close: () => dc.stop().catch(() => undefined) };
}

/** The shape of vscode.DebugAdapter, which BootDbgSession implements for the inline host. */
export interface InlineDebugAdapter {
  handleMessage(message: DebugProtocol.ProtocolMessage): void;
  onDidSendMessage(listener: (message: DebugProtocol.ProtocolMessage) => void): { dispose(): unknown };
  dispose(): void;
}

/**
 * Drives a session the way VS Code's extension host drives a vscode.DebugAdapterInlineImplementation:
 * messages are objects passed by call and event, no stream framing. With `serialize`, each message
 * is also JSON-copied in both directions, as VS Code's workbench ↔ extension-host RPC then
 * serialises it (a cost VS Code adds to every adapter, inline or not).
 */
export class InlineDapClient {
  private seq = 1;
  private readonly pending = new Map<number, (r: DebugProtocol.Response) => void>();
  private readonly eventWaiters: { event: string; resolve(e: DebugProtocol.Event): void; reject(e: Error): void; deadline: number }[] = [];
  private readonly subscription: { dispose(): unknown };

  private readonly copy: <T>(m: T) => T;

  constructor(readonly adapter: InlineDebugAdapter, opts: { serialize?: boolean } = {}) {
    this.copy = opts.serialize ? <T>(m: T): T => JSON.parse(JSON.stringify(m)) as T : <T>(m: T): T => m;
    this.subscription = adapter.onDidSendMessage((m) => this.receive(this.copy(m)));
  }

  private receive(m: DebugProtocol.ProtocolMessage): void {
    if (m.type === 'response') {
      const r = m as DebugProtocol.Response;
      const done = this.pending.get(r.request_seq);
      this.pending.delete(r.request_seq);
      done?.(r);
    } else if (m.type === 'event') {
      const e = m as DebugProtocol.Event;
      const i = this.eventWaiters.findIndex((w) => w.event === e.event);
      if (i >= 0) this.eventWaiters.splice(i, 1)[0].resolve(e);
    }
  }

  /** Sends a request; resolves with a successful response, rejects with the adapter's message. */
  request<R extends DebugProtocol.Response>(command: string, args?: unknown): Promise<R> {
    const seq = this.seq++;
    return new Promise<R>((resolve, reject) => {
      this.pending.set(seq, (r) => (r.success ? resolve(r as R) : reject(new Error(`${command}: ${r.message ?? 'failed'}`))));
      this.adapter.handleMessage(this.copy({ seq, type: 'request', command, arguments: args } as DebugProtocol.Request));
    });
  }

  /** The next event of that name (register before the request that causes it). One sweep timer
   *  for all waiters, not one timer each: the benchmarks wait for an event at every step. */
  waitForEvent(event: string, timeoutMs = 20000): Promise<DebugProtocol.Event> {
    return new Promise((resolve, reject) => {
      this.eventWaiters.push({ event, resolve, reject, deadline: performance.now() + timeoutMs });
      this.sweeper ??= setInterval(() => this.sweep(), 250).unref();
    });
  }

  private sweeper: NodeJS.Timeout | undefined;

  private sweep(): void {
    const now = performance.now();
    for (let i = this.eventWaiters.length - 1; i >= 0; i--) {
      const w = this.eventWaiters[i];
      if (w.deadline > now) continue;
      this.eventWaiters.splice(i, 1);
      w.reject(new Error(`no ${w.event} event in time`));
    }
  }

  dispose(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.subscription.dispose();
    this.adapter.dispose();
  }
}
