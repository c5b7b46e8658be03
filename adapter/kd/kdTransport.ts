/**
 * The byte pipe under the KD link: a serial device (through the `serialport` package), a TCP
 * connection (`tcp:HOST:PORT`), a Unix socket path or a Windows named pipe (`\\.\pipe\name`, as
 * VMware exposes a VM's COM port). All look the same to kdLink.ts: write bytes, get 'data', get
 * 'close' once (with the error that closed it, if any).
 */
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import * as fs from 'node:fs';

export type PortSpec =
  | { kind: 'serial'; path: string }
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'unix'; path: string }
  | { kind: 'pipe'; path: string };

export interface KdTransport extends EventEmitter {
  /** e.g. "COM1 115200" or "tcp:127.0.0.1:5555". */
  readonly description: string;
  write(data: Uint8Array): void;
  close(): Promise<void>;
  on(event: 'data', listener: (chunk: Buffer) => void): this;
  on(event: 'close', listener: (err?: Error) => void): this;
}

export class TransportError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
    this.name = 'TransportError';
  }
}

const SERIAL_PATTERNS: RegExp[] = [/^COM\d+$/i, /^\/dev\//];

/** Parses the `port` setting. Throws TransportError with a user-facing message when it cannot mean anything. */
export function parsePortSpec(port: string): PortSpec {
  const p = port.trim();
  if (p === '') throw new TransportError('"port" is empty: use e.g. COM1, /dev/ttyS0, tcp:127.0.0.1:5555, a Unix socket path or \\\\.\\pipe\\name');
  const tcp = /^tcp:(.+):(\d+)$/i.exec(p);
  if (tcp) {
    const portNo = Number(tcp[2]);
    if (!(portNo > 0 && portNo < 65536)) throw new TransportError(`"${p}": TCP port must be 1..65535`);
    const host = tcp[1].replace(/^\[(.*)\]$/, '$1');
    return { kind: 'tcp', host, port: portNo };
  }
  if (/^tcp:/i.test(p)) throw new TransportError(`"${p}": expected tcp:HOST:PORT, e.g. tcp:127.0.0.1:5555`);
  if (/^\\\\[.?]\\pipe\\/i.test(p)) return { kind: 'pipe', path: p };
  if (/^\/dev\/(tty|pts|cu\.|serial)/.test(p) || SERIAL_PATTERNS[0].test(p)) return { kind: 'serial', path: p };
  if (p.startsWith('/dev/')) return { kind: 'serial', path: p };
  return { kind: 'unix', path: p };
}

/** Short display name for messages and the status bar. */
export function describePort(spec: PortSpec, baudRate: number): string {
  switch (spec.kind) {
    case 'serial':
      return `${spec.path} ${baudRate}`;
    case 'tcp':
      return `tcp:${spec.host}:${spec.port}`;
    case 'unix':
      return `unix:${spec.path}`;
    case 'pipe':
      return spec.path;
  }
}

/** Turns a system error into a sentence that says what to check. */
export function explainOpenError(spec: PortSpec, err: NodeJS.ErrnoException): TransportError {
  const where = spec.kind === 'tcp' ? `tcp:${spec.host}:${spec.port}` : spec.path;
  const code = err.code ?? (/Permission denied/i.test(err.message) ? 'EACCES' : /No such file|cannot open|File not found/i.test(err.message) ? 'ENOENT' : undefined);
  const hints: Record<string, string> = {
    ENOENT: spec.kind === 'serial' ? 'no such serial device (is the cable/USB adapter plugged in, is the name right?)' : spec.kind === 'pipe' ? 'no such named pipe (is the VM running with its COM port on this pipe?)' : 'no such socket (is the VM/simulator listening?)',
    EACCES: spec.kind === 'serial' ? 'permission denied (add yourself to the dialout/uucp group)' : 'permission denied',
    EBUSY: 'the port is in use by another program (another debugger or terminal?)',
    ECONNREFUSED: 'connection refused (nothing listening there yet)',
    ETIMEDOUT: 'connection timed out',
    ENOTSOCK: 'not a socket',
    EHOSTUNREACH: 'host unreachable',
  };
  let hint = (code && hints[code]) ?? err.message;
  if (code === 'ENOENT' && spec.kind === 'serial' && /^COM\d+$/i.test(spec.path) && process.platform !== 'win32') {
    hint += ` — on ${process.platform === 'darwin' ? 'macOS use /dev/cu.*' : 'Linux COM1 is /dev/ttyS0, USB adapters are /dev/ttyUSB0'}`;
  }
  return new TransportError(`Cannot open ${where}: ${hint}`, code);
}

class SocketTransport extends EventEmitter implements KdTransport {
  private closed = false;
  constructor(
    readonly description: string,
    private readonly socket: net.Socket,
  ) {
    super();
    socket.setNoDelay?.(true);
    socket.on('data', (d: Buffer) => this.emit('data', d));
    let lastError: Error | undefined;
    socket.on('error', (e) => (lastError = e));
    socket.on('close', () => this.finish(lastError));
    socket.on('end', () => socket.end());
  }
  write(data: Uint8Array): void {
    if (!this.closed && !this.socket.destroyed) this.socket.write(data);
  }
  private finish(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close', err);
  }
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed || this.socket.destroyed) {
        this.finish();
        resolve();
        return;
      }
      this.socket.once('close', () => resolve());
      this.socket.destroy();
    });
  }
}

/** Minimal view of serialport's SerialPort we use (keeps the dependency's types at the edge). */
interface SerialPortLike extends EventEmitter {
  write(data: Uint8Array): boolean;
  close(cb?: (err: Error | null) => void): void;
  readonly isOpen: boolean;
}

class SerialTransport extends EventEmitter implements KdTransport {
  private closed = false;
  constructor(
    readonly description: string,
    private readonly port: SerialPortLike,
  ) {
    super();
    port.on('data', (d: Buffer) => this.emit('data', d));
    let lastError: Error | undefined;
    port.on('error', (e: Error) => (lastError = e));
    port.on('close', (e?: Error) => this.finish(e ?? lastError));
  }
  write(data: Uint8Array): void {
    if (!this.closed && this.port.isOpen) this.port.write(data);
  }
  private finish(err?: Error | null): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close', err ?? undefined);
  }
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed || !this.port.isOpen) {
        this.finish();
        resolve();
        return;
      }
      this.port.close(() => {
        this.finish();
        resolve();
      });
    });
  }
}

export interface OpenOptions {
  baudRate: number;
  /** Connect timeout for sockets, ms. */
  timeoutMs?: number;
}

/** Opens the port. Rejects with a TransportError whose message is fit for the user. */
export async function openKdTransport(spec: PortSpec, opts: OpenOptions): Promise<KdTransport> {
  const description = describePort(spec, opts.baudRate);
  if (spec.kind === 'serial') {
    if (!/^COM\d+$/i.test(spec.path) && !fs.existsSync(spec.path)) {
      throw explainOpenError(spec, Object.assign(new Error('ENOENT'), { code: 'ENOENT' }));
    }
    // Loaded lazily: the native binding is only needed for real serial devices.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { SerialPort } = require('serialport') as { SerialPort: new (o: Record<string, unknown>) => SerialPortLike & { open(cb: (e: Error | null) => void): void; flush(cb: (e: Error | null) => void): void } };
    const port = new SerialPort({ path: spec.path, baudRate: opts.baudRate, dataBits: 8, parity: 'none', stopBits: 1, rtscts: false, autoOpen: false });
    await new Promise<void>((resolve, reject) => {
      port.open((err) => (err ? reject(explainOpenError(spec, err as NodeJS.ErrnoException)) : resolve()));
    });
    // Stale bytes from before we opened the port would only confuse the leader hunt (§1.8 step 1).
    await new Promise<void>((resolve) => port.flush(() => resolve()));
    return new SerialTransport(description, port);
  }
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const s = spec.kind === 'tcp' ? net.connect({ host: spec.host, port: spec.port }) : net.connect({ path: spec.path });
    const timer = setTimeout(() => {
      s.destroy();
      reject(explainOpenError(spec, Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    }, opts.timeoutMs ?? 5000);
    s.once('connect', () => {
      clearTimeout(timer);
      resolve(s);
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(explainOpenError(spec, e));
    });
  });
  return new SocketTransport(description, socket);
}
