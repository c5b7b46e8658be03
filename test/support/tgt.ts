/**
 * A real iSCSI target for tests and the demo: Debian's userspace `tgtd`, its portal on 127.0.0.1
 * only, serving one disk image as LUN 1 (tgt's LUN 0 is its controller). Each instance has its own
 * management channel (`-C <control port>`) and a free loopback portal port, so it never touches a
 * system tgtd or another test's. Shutdown: tgtd ignores SIGTERM while targets exist (reference
 * iscsi/loopback-iscsi-boot.md) and, measured here, lingers after SIGTERM even without targets; so
 * the target is deleted and then `tgtadm --op delete --mode system` stops it at once.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import * as net from 'node:net';

const TGTD = '/usr/sbin/tgtd';
const TGTADM = '/usr/sbin/tgtadm';
const CONTROL_DIR = '/run/tgtd';

export interface TgtChap {
  username: string;
  password: string;
  reverseUsername?: string;
  reversePassword?: string;
}

export interface TgtOptions {
  image: string;
  targetIqn: string;
  /** Portal port on 127.0.0.1 (default: a free one). */
  port?: number;
  chap?: TgtChap;
}

export interface TgtServer {
  readonly pid: number;
  readonly port: number;
  readonly controlPort: number;
  readonly targetIqn: string;
  readonly lun: number;
  /** tgtd's own output so far (login failures, CHAP). */
  log(): string;
  /** `tgtadm --op show --mode target` */
  show(): string;
  /** Deletes the target, stops tgtd (`tgtadm --op delete --mode system`, SIGKILL after 5 s), removes its control socket. */
  stop(): Promise<void>;
}

/** Why tgt-based tests cannot run here, or undefined. */
export function tgtMissing(): string | undefined {
  if (!existsSync(TGTD) || !existsSync(TGTADM)) return `${TGTD} is missing (Debian package tgt; scripts/setup.mjs installs it)`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'tgtd needs root as packaged (lock file under /run/tgtd); run the iSCSI tests as root';
  return undefined;
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function portBusy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(true));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(false)));
  });
}

/** A management channel number nobody uses (tgtd's socket is /run/tgtd/socket.<n>). */
function freeControlPort(): number {
  for (let i = 0; i < 1000; i++) {
    const n = 1000 + Math.floor(Math.random() * 30000); // tgtd accepts at most 32767
    if (!existsSync(`${CONTROL_DIR}/socket.${n}`) && !existsSync(`${CONTROL_DIR}/socket.${n}.lock`)) return n;
  }
  throw new Error(`no free tgtd control port under ${CONTROL_DIR}`);
}

function tgtadm(control: number, args: string[]): string {
  const r = spawnSync(TGTADM, ['-C', String(control), '--lld', 'iscsi', ...args], { encoding: 'utf8', timeout: 10000 });
  if (r.status !== 0) throw new Error(`tgtadm ${args.join(' ')} failed (${r.status}): ${(r.stderr || r.stdout || r.error?.message || '').trim()}`);
  return r.stdout;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Starts tgtd on 127.0.0.1 with target tid 1 = `targetIqn`, LUN 1 = `image`, open to all initiators. */
export async function startTgt(opts: TgtOptions): Promise<TgtServer> {
  const missing = tgtMissing();
  if (missing) throw new Error(missing);
  const port = opts.port ?? (await freeLoopbackPort());
  if (await portBusy(port)) throw new Error(`port 127.0.0.1:${port} is busy: another iSCSI target (a system tgtd?) listens there; stop it or choose another port`);
  const controlPort = freeControlPort();
  let output = '';
  const child = spawn(TGTD, ['-f', '-C', String(controlPort), '--iscsi', `portal=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      try {
        tgtadm(controlPort, ['--op', 'delete', '--mode', 'target', '--tid', '1', '--force']);
      } catch {
        // not created yet
      }
      // tgtd ignores SIGTERM; "delete system" makes it exit at once. SIGKILL if it does not.
      spawnSync(TGTADM, ['-C', String(controlPort), '--op', 'delete', '--mode', 'system'], { timeout: 5000 });
      if (!(await exited(child, 5000))) {
        child.kill('SIGKILL');
        await exited(child, 3000);
      }
    }
    rmSync(`${CONTROL_DIR}/socket.${controlPort}`, { force: true });
    rmSync(`${CONTROL_DIR}/socket.${controlPort}.lock`, { force: true });
  };
  try {
    // Wait for the management socket and the portal.
    const deadline = Date.now() + 10000;
    for (;;) {
      const err = await Promise.race([spawnError, sleep(50).then(() => undefined)]);
      if (err) throw new Error(`cannot start ${TGTD}: ${err.message}`);
      if (child.exitCode !== null) throw new Error(`tgtd exited with code ${child.exitCode}: ${output.trim()}`);
      if (existsSync(`${CONTROL_DIR}/socket.${controlPort}`) && (await portBusy(port))) break;
      if (Date.now() > deadline) throw new Error(`tgtd did not open its portal 127.0.0.1:${port} within 10 s: ${output.trim()}`);
    }
    tgtadm(controlPort, ['--op', 'new', '--mode', 'target', '--tid', '1', '-T', opts.targetIqn]);
    tgtadm(controlPort, ['--op', 'new', '--mode', 'logicalunit', '--tid', '1', '--lun', '1', '-b', opts.image]);
    tgtadm(controlPort, ['--op', 'bind', '--mode', 'target', '--tid', '1', '-I', 'ALL']);
    if (opts.chap) {
      const c = opts.chap;
      tgtadm(controlPort, ['--op', 'new', '--mode', 'account', '--user', c.username, '--password', c.password]);
      tgtadm(controlPort, ['--op', 'bind', '--mode', 'account', '--tid', '1', '--user', c.username]);
      if (c.reverseUsername && c.reversePassword) {
        tgtadm(controlPort, ['--op', 'new', '--mode', 'account', '--user', c.reverseUsername, '--password', c.reversePassword]);
        tgtadm(controlPort, ['--op', 'bind', '--mode', 'account', '--tid', '1', '--user', c.reverseUsername, '--outgoing']);
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    pid: child.pid!,
    port,
    controlPort,
    targetIqn: opts.targetIqn,
    lun: 1,
    log: () => output,
    show: () => tgtadm(controlPort, ['--op', 'show', '--mode', 'target']),
    stop,
  };
}
