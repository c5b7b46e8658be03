/**
 * The BootDbg debug adapter, two ways:
 * - as a process (`node dist/adapter.js`): DAP on stdin/stdout by default (VS Code's separate
 *   adapter process, nvim-dap "executable"); `--server=PORT` listens on 127.0.0.1:PORT instead, one
 *   session per connection (nvim-dap "server" adapters, or debugging the adapter itself);
 * - inline (`require('dist/adapter.js').createInlineSession()`): the extension host runs the
 *   session and passes DAP messages as objects (vscode.DebugAdapterInlineImplementation), which
 *   saves a process hop on every request; the process-wide handlers below are then not installed.
 */
import * as net from 'node:net';
import { BootDbgSession } from './session/bootDbgSession';
import { createTarget } from './target/createTarget';

/** A session for vscode.DebugAdapterInlineImplementation: handleMessage / onDidSendMessage /
 *  dispose, the target created by the same factory as in the adapter process. */
export function createInlineSession(cwd?: string): BootDbgSession {
  return cwd ? new BootDbgSession(createTarget, cwd) : new BootDbgSession(createTarget);
}

/** Runs the adapter as its own process (the file was started with node, not required). */
function runAdapterProcess(): void {
  const sessions = new Set<BootDbgSession>();

  function newSession(): BootDbgSession {
    const s = new BootDbgSession(createTarget);
    sessions.add(s);
    return s;
  }

  /** No QEMU may outlive the adapter: stop every target before the process goes. */
  async function shutdown(code: number): Promise<never> {
    await Promise.all([...sessions].map((s) => s.shutdownTarget()));
    process.exit(code);
  }

  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => void shutdown(0));
  }
  process.on('uncaughtException', (e) => {
    process.stderr.write(`BootDbg adapter: uncaught exception: ${e.stack ?? e.message}\n`);
    void shutdown(1);
  });

  process.on('unhandledRejection', (e) => {
    // A bug in one request handler must not take the whole session (and the transcript) down.
    process.stderr.write(`BootDbg adapter: unhandled rejection: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  });

  const serverArg = process.argv.find((a) => a.startsWith('--server='));
  if (serverArg) {
    const port = Number(serverArg.slice('--server='.length));
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      process.stderr.write(`--server needs a port number, got "${serverArg}"\n`);
      process.exit(2);
    }
    const server = net.createServer((socket) => {
      socket.setNoDelay(true);
      const s = newSession();
      s.setRunAsServer(true);
      socket.on('close', () => {
        void s.shutdownTarget();
        sessions.delete(s);
      });
      s.start(socket, socket);
    });
    server.listen(port, '127.0.0.1', () => {
      const addr = server.address() as net.AddressInfo;
      process.stderr.write(`BootDbg debug adapter listening on 127.0.0.1:${addr.port}\n`);
    });
  } else {
    const s = newSession();
    process.stdin.on('end', () => void shutdown(0));
    s.start(process.stdin, process.stdout);
  }
}

if (require.main === module) runAdapterProcess();
