/**
 * Ways to plug the simulated target into a debugger: a TCP port on 127.0.0.1, a Unix socket, or a
 * real pseudo-terminal pair made by socat (the debugger opens `devicePath` like a COM port).
 * Each helper returns the simulator and a close() that releases everything it started.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import { spawn, ChildProcess } from 'node:child_process';
import { KdSimOptions, KdSimulator } from './kdSimulator';

export interface SimHandle {
  sim: KdSimulator;
  close(): Promise<void>;
}

function serveOn(server: net.Server, sim: KdSimulator): Set<net.Socket> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket) => {
    socket.setNoDelay?.(true);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    // One debugger at a time: a new connection replaces the old one (re-plugging the cable).
    for (const other of sockets) if (other !== socket) other.destroy();
    sim.attach(socket);
  });
  return sockets;
}

async function closeServer(server: net.Server, sockets: Set<net.Socket>, sim: KdSimulator): Promise<void> {
  sim.close();
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Listens on 127.0.0.1:port (0 = any free port). */
export async function listenTcp(opts: KdSimOptions, port = 0): Promise<SimHandle & { port: number }> {
  const sim = new KdSimulator(opts);
  const server = net.createServer();
  const sockets = serveOn(server, sim);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('kdsim: TCP listener has no port');
  return { port: address.port, sim, close: () => closeServer(server, sockets, sim) };
}

/** Listens on a Unix socket path (a stale socket file there is replaced). */
export async function listenUnix(opts: KdSimOptions, path: string): Promise<SimHandle & { path: string }> {
  try {
    if (fs.lstatSync(path).isSocket()) fs.unlinkSync(path);
  } catch {
    // nothing there
  }
  const sim = new KdSimulator(opts);
  const server = net.createServer();
  const sockets = serveOn(server, sim);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return {
    path,
    sim,
    close: async () => {
      await closeServer(server, sockets, sim);
      try {
        fs.unlinkSync(path);
      } catch {
        // already gone
      }
    },
  };
}

/** Starts `socat -d -d pty,raw,echo=0 pty,raw,echo=0` and resolves with the two device paths. */
export async function spawnPtyPair(timeoutMs = 5000): Promise<{ child: ChildProcess; paths: [string, string] }> {
  const child = spawn('socat', ['-d', '-d', 'pty,raw,echo=0', 'pty,raw,echo=0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    const paths: string[] = [];
    let stderr = '';
    const timer = setTimeout(() => fail(new Error(`kdsim: socat did not report two ptys within ${timeoutMs} ms: ${stderr.trim()}`)), timeoutMs);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      if (child.exitCode === null) child.kill('SIGTERM');
      reject(err);
    };
    child.once('error', (err) => fail(new Error(`kdsim: cannot start socat (${err.message}); is it installed?`)));
    child.once('exit', (code) => {
      if (paths.length < 2) fail(new Error(`kdsim: socat exited (${code}) before opening ptys: ${stderr.trim()}`));
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderr += chunk;
      for (const m of chunk.matchAll(/PTY is (\/dev\/\S+)/g)) {
        paths.push(m[1]);
        if (paths.length === 2) {
          clearTimeout(timer);
          resolve({ child, paths: [paths[0], paths[1]] });
        }
      }
    });
  });
}

/**
 * A socat pty pair: the simulator owns one end (opened with serialport, as a real COM port would be),
 * the debugger opens `devicePath`.
 */
export async function openPty(opts: KdSimOptions): Promise<SimHandle & { devicePath: string }> {
  const { child, paths } = await spawnPtyPair();
  const [simPath, devicePath] = paths;
  // Loaded here so TCP / Unix users do not need the native serial binding.
  const { SerialPort } = await import('serialport');
  const port = new SerialPort({ path: simPath, baudRate: opts.baudRate ?? 115200, autoOpen: false });
  try {
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  } catch (err) {
    child.kill('SIGTERM');
    throw err;
  }
  port.on('error', () => undefined);
  const sim = new KdSimulator(opts);
  sim.attach(port);
  let closed = false;
  return {
    devicePath,
    sim,
    close: async () => {
      if (closed) return;
      closed = true;
      sim.close();
      await new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
