/**
 * Starts QEMU paused with its gdbstub on a free loopback port (never `-s`, which listens on all
 * interfaces), without a shell, and guarantees it dies: `dispose()` kills it, a process `exit`
 * hook kills every QEMU still alive when the adapter exits, and a watchdog process kills it when
 * the adapter dies without running any hook (SIGKILL; see qemuWatchdog.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { startQemuWatchdog } from './qemuWatchdog';
import * as net from 'node:net';
import * as path from 'node:path';
import { iscsiQemuArgs, writeIpxeScript, type IscsiBootConfig } from '../ibft/iscsiBoot';

export type BootMedia = 'floppy' | 'cdrom' | 'kernel' | 'disk' | 'pxe' | 'rom' | 'iscsi';
export const BOOT_MEDIA: readonly BootMedia[] = ['floppy', 'cdrom', 'kernel', 'disk', 'pxe', 'rom', 'iscsi'];

export type ConsoleKind = 'serial' | 'debugcon' | 'none';

export interface QemuLaunchOptions {
  qemu: string;
  image?: string;
  media?: BootMedia;
  qemuArgs: string[];
  console: ConsoleKind;
  /** media "iscsi": the target iPXE sanboots (see adapter/ibft/iscsiBoot.ts). */
  iscsi?: IscsiBootConfig;
  /** Receives guest console bytes (serial/debugcon) and QEMU's own stderr. */
  onOutput?: (text: string, stream: 'console' | 'stderr') => void;
  /** Called once when QEMU exits (code or signal). */
  onExit?: (description: string) => void;
  portTimeoutMs?: number;
}

/** How each boot medium becomes QEMU arguments (snapshot=on: no write lock, no changes to the file). */
const MEDIA_ARGS: Record<BootMedia, (image: string) => string[]> = {
  floppy: (img) => ['-drive', `file=${img},format=raw,if=floppy,snapshot=on`, '-boot', 'a'],
  disk: (img) => ['-drive', `file=${img},format=raw,if=ide,snapshot=on`, '-boot', 'c'],
  cdrom: (img) => ['-drive', `file=${img},media=cdrom,readonly=on`, '-boot', 'd'],
  kernel: (img) => ['-kernel', img],
  // User-mode networking restricted to the guest (no host or outside traffic); TFTP serves the image's folder.
  pxe: (img) => [
    '-netdev', `user,id=n0,restrict=on,tftp=${path.dirname(img)},bootfile=${path.basename(img)}`,
    '-device', 'e1000,netdev=n0', '-boot', 'n',
  ],
  rom: (img) => ['-netdev', 'user,id=n0,restrict=on', '-device', `e1000,netdev=n0,romfile=${img}`, '-boot', 'c'],
  // iPXE as a kernel; its script (initrd) and network come from iscsiQemuArgs.
  iscsi: (img) => ['-kernel', img],
};

const CONSOLE_ARGS: Record<ConsoleKind, string[]> = {
  serial: ['-serial', 'stdio'],
  debugcon: ['-serial', 'none', '-debugcon', 'stdio'],
  none: ['-serial', 'none'],
};

/** Builds the full QEMU command line (exported for tests and for the launch log). */
export function buildQemuArgs(opts: Pick<QemuLaunchOptions, 'image' | 'media' | 'qemuArgs' | 'console' | 'iscsi'>, gdbSpec: string, iscsiScript?: string): string[] {
  const args = ['-S', '-gdb', gdbSpec, '-display', 'none', '-monitor', 'none'];
  if (!opts.qemuArgs.includes('-machine') && !opts.qemuArgs.includes('-M')) args.push('-machine', 'pc,accel=tcg');
  args.push(...CONSOLE_ARGS[opts.console]);
  const userNet = opts.qemuArgs.some((a) => a === '-net' || a === '-netdev' || a === '-nic');
  if (opts.media !== 'pxe' && opts.media !== 'rom' && opts.media !== 'iscsi' && !userNet) args.push('-net', 'none');
  if (opts.image && opts.media) args.push(...MEDIA_ARGS[opts.media](opts.image));
  if (opts.media === 'iscsi' && opts.iscsi && iscsiScript) args.push(...iscsiQemuArgs(opts.iscsi, iscsiScript));
  args.push(...opts.qemuArgs);
  return args;
}

/** A free loopback port (bound then released; QEMU binds it right after). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const alive = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // No QEMU may outlive the adapter, even when it exits abruptly.
  process.on('exit', () => {
    for (const child of alive) child.kill('SIGKILL');
  });
}

export class QemuProcess {
  private exited = false;
  private exitDescription = '';
  private readonly exitWaiters: (() => void)[] = [];

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly args: string[],
  ) {}

  get pid(): number | undefined {
    return this.child.pid;
  }

  get hasExited(): boolean {
    return this.exited;
  }

  get exitReason(): string {
    return this.exitDescription;
  }

  static async launch(opts: QemuLaunchOptions): Promise<QemuProcess> {
    installExitHook();
    const port = await findFreePort();
    const script = opts.media === 'iscsi' && opts.iscsi ? writeIpxeScript(opts.iscsi) : undefined;
    const args = buildQemuArgs(opts, `tcp:127.0.0.1:${port}`, script?.path);
    const child = spawn(opts.qemu, args, { stdio: ['ignore', 'pipe', 'pipe'], shell: false });
    if (script) {
      child.once('close', () => script.dispose());
      child.once('error', () => script.dispose());
    }
    const proc = new QemuProcess(child, port, args);
    alive.add(child);
    // Covers the one case the exit hook cannot: the adapter itself being SIGKILLed.
    const watchdog = child.pid !== undefined ? startQemuWatchdog(child.pid) : undefined;
    child.once('exit', () => watchdog?.kill('SIGKILL'));
    let stderrTail = '';
    child.stdout?.on('data', (d: Buffer) => opts.onOutput?.(d.toString('latin1'), 'console'));
    child.stderr?.on('data', (d: Buffer) => {
      const text = d.toString('utf8');
      stderrTail = (stderrTail + text).slice(-2000);
      opts.onOutput?.(text, 'stderr');
    });
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    child.once('exit', (code, signal) => {
      alive.delete(child);
      proc.exited = true;
      proc.exitDescription = signal ? `QEMU was killed by ${signal}` : `QEMU exited with code ${code}`;
      if (stderrTail.trim()) proc.exitDescription += `: ${stderrTail.trim().split('\n').slice(-3).join(' ')}`;
      for (const w of proc.exitWaiters.splice(0)) w();
      opts.onExit?.(proc.exitDescription);
    });
    const deadline = Date.now() + (opts.portTimeoutMs ?? 15000);
    for (;;) {
      const err = await Promise.race([spawnError, new Promise<undefined>((r) => setTimeout(() => r(undefined), 0))]);
      if (err) {
        alive.delete(child);
        throw new Error(`cannot start ${opts.qemu}: ${err.message}`);
      }
      if (proc.exited) throw new Error(`QEMU exited before its gdbstub was ready (${proc.exitDescription})`);
      if (await canConnect(port)) return proc;
      if (Date.now() > deadline) {
        await proc.dispose();
        throw new Error(`QEMU's gdbstub did not open port ${port} within ${opts.portTimeoutMs ?? 15000} ms`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Resolves when the process has exited (immediately if it has). */
  waitForExit(timeoutMs = 5000): Promise<boolean> {
    if (this.exited) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.exitWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Kills QEMU (SIGKILL: it holds no state worth saving, images are snapshot=on). */
  async dispose(): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGKILL');
    await this.waitForExit(3000);
  }
}

/** Probe whether something listens on the port. The probe connection is closed at once; QEMU then
 *  accepts the next client (ours). */
function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
