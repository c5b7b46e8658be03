/**
 * Runs a BootDbgSession in this process on a loopback port and connects a DebugClient to it, so a
 * test speaks real DAP over a real socket. For the bundled adapter, use `spawnAdapter` instead.
 */
import * as net from 'node:net';
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { BootDbgSession, type TargetFactoryFn } from '../../adapter/session/bootDbgSession';

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
