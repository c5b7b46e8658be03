/**
 * The `windows-kd` Target: a Windows (XP/2003, x86 first) kernel seen through KD. Composes the
 * layers — transport → link → client — with the target model: stops, breakpoints
 * (restore-step-reinsert), CONTEXT registers, memory, EBP-chain stacks, the module list with PE
 * export names, bugcheck analysis, the transcript, resync after reboot and reconnect after the
 * cable goes away.
 */
import * as path from 'node:path';
import { TargetEmitter } from '../target/typedEmitter';
import {
  BreakpointResult,
  ConfigError,
  DataBreakpointRequest,
  DisassembledInstruction,
  EvaluateResult,
  ExceptionDetails,
  Frame,
  MemoryReadResult,
  ModuleInfo,
  Scope,
  SourceBreakpointRequest,
  StepGranularity,
  StopEvent,
  StopReason,
  Target,
  TargetCapabilities,
  TargetFactory,
  TargetHost,
  TargetVariable,
} from '../target/target';
import { describePort, KdTransport, openKdTransport, parsePortSpec, PortSpec, TransportError } from './kdTransport';
import { KdLink } from './kdLink';
import { hex32, KdClient } from './kdClient';
import { Arch, DBG_CONTINUE, DebugIo, decodeStateChange, describeVersion, fromWirePointer, STATUS_BREAKPOINT, STATUS_SINGLE_STEP, StateChange } from './kdStructs';
import { KdTranscript, defaultTranscriptPath } from './kdTranscript';
import { bugcheckAnalysis, bugcheckHex, bugcheckTitle, lookupBugcheck, parseFatalSystemError } from './bugcheckCodes';
import { KernelModule, SymbolTable, walkModuleList } from './kdSymbols';
import { ARCH_REGS, contextRegisters, EFLAGS_BITS, findRegister, flagValue, formatHex, readRegister, RegisterDef, writeRegister, X86_SPECIAL_REGISTERS, X86_SPECIAL_REGISTERS_OFFSET, X86_SPECIAL_REGISTERS_SIZE } from './kdRegisters';
import { evaluateExpression, ExpressionError } from './kdExpression';
import { disassembleForKd } from './kdDisassembly';

export interface KdConfig {
  port: string;
  spec: PortSpec;
  baudRate: number;
  transcript: string;
  breakOnConnect: boolean;
  /** Link tuning (tests and slow links). */
  ackTimeoutMs?: number;
}

const BAUD_RATES = [110, 300, 600, 1200, 2400, 4800, 9600, 14400, 19200, 38400, 57600, 115200, 230400, 460800, 921600];

/** Validates the launch.json configuration; ConfigError messages are shown as they are. */
export function parseKdConfig(config: Record<string, unknown>, host: TargetHost): KdConfig {
  if (config.request !== undefined && config.request !== 'attach') throw new ConfigError(`windows-kd only supports "request": "attach" (got "${String(config.request)}")`);
  const port = config.port;
  if (typeof port !== 'string' || port.trim() === '') throw new ConfigError('windows-kd: set "port" to the target\'s debug port, e.g. "COM1", "/dev/ttyS0", "tcp:127.0.0.1:5555", a Unix socket path or "\\\\.\\pipe\\com_1"');
  let spec: PortSpec;
  try {
    spec = parsePortSpec(port);
  } catch (e) {
    throw new ConfigError(`windows-kd: ${(e as Error).message}`);
  }
  const baud = config.baudRate ?? 115200;
  if (typeof baud !== 'number' || !Number.isInteger(baud) || !BAUD_RATES.includes(baud)) throw new ConfigError(`windows-kd: "baudRate" must be one of ${BAUD_RATES.join(', ')} (boot.ini /baudrate=); got ${JSON.stringify(baud)}`);
  const t = config.transcript;
  if (t !== undefined && (typeof t !== 'string' || t.trim() === '')) throw new ConfigError('windows-kd: "transcript" must be a file path');
  const transcript = typeof t === 'string' ? path.resolve(host.cwd, t) : defaultTranscriptPath(host.cwd);
  const b = config.breakOnConnect ?? false;
  if (typeof b !== 'boolean') throw new ConfigError('windows-kd: "breakOnConnect" must be true or false');
  const ack = config.ackTimeoutMs;
  return { port, spec, baudRate: baud, transcript, breakOnConnect: b, ackTimeoutMs: typeof ack === 'number' ? ack : undefined };
}

/** Exception codes WinDbg names in its "… - code XXXXXXXX (first chance)" line. */
const EXCEPTION_NAMES: Readonly<Record<number, string>> = {
  0x80000003: 'Break instruction exception',
  0x80000004: 'Single step exception',
  0x80000002: 'Data misaligned',
  0xc0000005: 'Access violation',
  0xc000001d: 'Illegal instruction',
  0xc0000094: 'Integer divide-by-zero',
  0xc0000095: 'Integer overflow',
  0xc0000096: 'Privileged instruction',
  0xc00000fd: 'Stack overflow',
  0xc0000006: 'In-page I/O error',
};

export function exceptionLine(code: number, firstChance: boolean): string {
  const name = EXCEPTION_NAMES[code >>> 0] ?? 'Exception';
  return `${name} - code ${(code >>> 0).toString(16).padStart(8, '0')} (${firstChance ? 'first' : 'second'} chance)`;
}

type RunState = 'waiting' | 'running' | 'stopped' | 'disconnected';

interface KdBreakpoint {
  id: number;
  kind: 'instruction' | 'function';
  /** For function breakpoints: `nt!KeBugCheckEx`. */
  name?: string;
  address?: bigint;
  /** Handle in the target's breakpoint table while planted. */
  handle?: number;
  /** The instruction byte the target replaced with 0xCC. */
  original?: number;
  message?: string;
}

interface StepPlan {
  /** What the user asked for: report a 'step' stop, or keep going. */
  then: 'continue' | 'step';
  /** Breakpoint lifted for the single step; re-planted afterwards. */
  lifted?: KdBreakpoint;
}

const KDBG_TAG = 0x4742444b;
/** KDDEBUGGER_DATA64 fields we use (kd-protocol.md §5.4; every field is a 64-bit pointer). */
const KDBG_FIELDS = {
  kiBugcheckData: 0x88,
  printBuffer: 0x1e0,
  printBufferEnd: 0x1e8,
  printWritePointer: 0x1f0,
  printRolloverCount: 0x1f8,
} as const;

interface DebuggerData {
  address: bigint;
  kiBugcheckData: bigint;
  printBuffer: bigint;
  printBufferEnd: bigint;
  /** Address of KdPrintWritePointer (a pointer into the buffer). */
  printWritePointer: bigint;
  /** Address of KdPrintRolloverCount. */
  printRolloverCount: bigint;
}
/** After `push ebp` the return address is one slot up. */
const ptrSizeAfterPush = 4;

export class KdTarget extends TargetEmitter implements Target {
  readonly kind = 'windows-kd' as const;
  readonly capabilities: TargetCapabilities = {
    sourceBreakpoints: false,
    functionBreakpoints: true,
    instructionBreakpoints: true,
    dataBreakpoints: false,
    conditionalBreakpoints: false,
    setVariable: true,
    modules: true,
    stepBack: false,
    restart: true,
    exceptionFilters: [],
  };

  private transport: KdTransport | undefined;
  private link: KdLink | undefined;
  private client: KdClient | undefined;
  private transcript: KdTranscript | undefined;
  private state: RunState = 'waiting';
  private readonly detail: string;
  private progressId: string | undefined;
  private progressSeq = 0;
  private resetTimer: NodeJS.Timeout | undefined;
  private breakTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private printFlushTimer: NodeJS.Timeout | undefined;
  private lineBuf = '';
  private recentPrint = '';
  private disposed = false;
  private configured = false;
  private deferredStop: StopEvent | undefined;
  private targetSpoke = false;
  private pauseRequested = false;
  private connectRequested: boolean;
  /** Current stop. */
  private stop: StateChange | undefined;
  private context: Buffer | undefined;
  private special: Buffer | undefined;
  private stepPlan: StepPlan | undefined;
  private tempBreakpoint: { address: bigint; handle?: number } | undefined;
  private readonly symbols: SymbolTable;
  private modulesLoaded = false;
  private debuggerData: DebuggerData | undefined;
  private bps: KdBreakpoint[] = [];
  private nextBpId = 1;
  private ops: Promise<unknown> = Promise.resolve();
  /** A stop was reported to the UI and not yet followed by `continued`. */
  private uiStopped = false;
  private sessionStarted = false;

  constructor(
    readonly config: KdConfig,
    private readonly host: TargetHost,
  ) {
    super();
    this.detail = config.spec.kind === 'serial' ? `${config.spec.path} ${config.baudRate}` : describePort(config.spec, config.baudRate);
    this.connectRequested = config.breakOnConnect;
    const archNow = (): Arch => this.client?.arch ?? 'x86';
    this.symbols = new SymbolTable({
      get arch() {
        return archNow();
      },
      readVirtual: (a, n) => this.requireClient().readVirtual(a, n),
    });
  }

  get transcriptPath(): string {
    return this.config.transcript;
  }

  // ------------------------------------------------------------------------------------------
  // Connection

  async start(): Promise<void> {
    this.transcript = KdTranscript.open(this.config.transcript, `windows-kd on ${this.detail}, started ${new Date().toISOString()}`);
    this.beginWaiting(false);
    try {
      await this.connect();
    } catch (e) {
      const code = (e as TransportError).code;
      if (this.config.spec.kind !== 'serial' && (code === 'ECONNREFUSED' || code === 'ENOENT')) {
        // A VM's socket or pipe appears when the VM powers on: keep waiting for it (WinDbg's
        // "reconnect"), the progress notification can be cancelled.
        const msg = `${(e as Error).message}. Waiting for the target's port to appear…`;
        this.note(msg);
        this.console(msg + '\n', 'important');
        this.state = 'disconnected';
        this.scheduleReconnect();
        return;
      }
      this.endProgress('failed');
      this.note(`Cannot open ${this.config.port}: ${(e as Error).message}`);
      this.transcript.close();
      throw e;
    }
  }

  private beginWaiting(reconnecting: boolean): void {
    this.state = 'waiting';
    this.emit('linkState', { state: 'waiting', detail: this.detail });
    this.endProgress();
    this.progressId = `kd-wait-${++this.progressSeq}`;
    const where = this.config.spec.kind === 'serial' ? `${this.config.port} at ${this.config.baudRate}` : this.detail;
    this.emit('progressStart', { id: this.progressId, title: `${reconnecting ? 'Reconnecting: waiting' : 'Waiting'} for target on ${where}…`, cancellable: true });
  }

  private endProgress(message?: string): void {
    if (!this.progressId) return;
    this.emit('progressEnd', { id: this.progressId, message });
    this.progressId = undefined;
  }

  private async connect(): Promise<void> {
    const transport = await openKdTransport(this.config.spec, { baudRate: this.config.baudRate });
    if (this.disposed) {
      await transport.close();
      return;
    }
    this.transport = transport;
    const link = new KdLink(transport, { baudRate: this.config.spec.kind === 'serial' ? this.config.baudRate : 0, ackTimeoutMs: this.config.ackTimeoutMs, log: (l) => this.host.log(`kd: ${l}`) });
    const client = new KdClient(link, { log: (l) => this.host.log(`kd: ${l}`) });
    this.link = link;
    this.client = client;
    this.targetSpoke = false;
    this.note(`Opened ${this.detail}. Waiting to reconnect…`);
    link.on('packet', () => this.onTargetSpoke());
    client.on('reset', () => this.onTargetSpoke());
    client.on('print', (text: string) => this.onPrint(text));
    client.on('stateChange', (sc: StateChange) => this.onStateChange(sc));
    client.on('sessionRestart', () => this.onSessionRestart());
    client.on('lost', (e: Error) => this.onLinkLost(e));
    client.on('close', (e?: Error) => this.onTransportClosed(client, e));
    client.on('unsupported', (m: string) => this.console(m, 'important'));
    client.on('strayReply', () => {
      // The target is stopped and waiting for requests but we do not know where (e.g. the cable
      // came back mid-stop): a RESET makes it report its state change again (§1.8).
      if (this.state !== 'stopped') link.sendReset();
    });
    client.on('prompt', (io: DebugIo) => {
      // DbgPrompt (asserts): answered "i" (ignore) so the target goes on; shown like WinDbg does.
      this.flushPartialLine();
      this.transcript?.appendOutput(io.text);
      this.note('i');
      this.console(`${io.text}i   (answered automatically: ignore)\n`, 'important');
    });
    link.sendReset();
    this.armResetTimer();
    if (this.connectRequested) this.armBreakIn();
  }

  /** Keep poking with RESET until we know the target's ids (a stopped target may be silent). */
  private armResetTimer(): void {
    if (this.resetTimer) clearInterval(this.resetTimer);
    this.resetTimer = setInterval(() => {
      if (!this.link || this.link.isClosed || this.link.synchronized) {
        if (this.resetTimer) clearInterval(this.resetTimer);
        this.resetTimer = undefined;
        return;
      }
      this.link.sendReset();
    }, 1000);
  }

  private armBreakIn(): void {
    if (this.breakTimer) clearInterval(this.breakTimer);
    this.link?.breakIn();
    let tries = 1;
    this.breakTimer = setInterval(() => {
      if (this.state === 'stopped' || !this.link || this.link.isClosed) {
        if (this.breakTimer) clearInterval(this.breakTimer);
        this.breakTimer = undefined;
        return;
      }
      this.link.breakIn();
      if (++tries === 5 && this.targetSpoke) {
        // The kernel only looks for the break-in byte on clock ticks (§9.2).
        this.console('The target has not answered the break-in yet: a kernel hung with interrupts disabled never sees it. Still trying every second…\n', 'important');
      }
    }, 1000);
  }

  private onTargetSpoke(): void {
    if (this.targetSpoke) return;
    this.targetSpoke = true;
    this.endProgress('target connected');
    this.note(`Kernel Debugger connection established on ${this.detail}.`);
    if (this.state === 'waiting') {
      this.state = 'running';
      this.emit('linkState', { state: 'connected', detail: this.detail });
      this.emit('linkState', { state: 'running', detail: this.detail });
    }
  }

  private onSessionRestart(): void {
    // A sync-id packet: the target (re)started its debugger session. The first one after opening
    // the port is just a booting target; after we have talked to it, it means a reboot.
    const known = this.client?.version !== undefined || this.sessionStarted;
    this.sessionStarted = true;
    if (!known) {
      this.note('Target debugger session started (boot).');
      return;
    }
    this.note('The target restarted its debugger session (reboot); resynchronised.');
    this.console('Target rebooted: debugger session resynchronised.\n', 'important');
    this.forgetTarget();
    if (this.uiStopped) this.emit('continued');
    this.uiStopped = false;
    this.state = 'running';
    this.emit('linkState', { state: 'running', detail: this.detail });
  }

  private forgetTarget(): void {
    this.stop = undefined;
    this.context = undefined;
    this.special = undefined;
    this.stepPlan = undefined;
    this.tempBreakpoint = undefined;
    this.modulesLoaded = false;
    this.debuggerData = undefined;
    for (const m of this.symbols.modules) this.emit('moduleRemoved', this.moduleInfo(m));
    this.symbols.setModules([]);
    if (this.client) this.client.version = undefined;
    for (const bp of this.bps) bp.handle = undefined;
  }

  private onLinkLost(e: Error): void {
    this.note(`The target stopped answering (${e.message}); resynchronising.`);
    this.console(`KD link: ${e.message}; sending RESET until the target answers.\n`, 'important');
    this.link?.desync();
    this.link?.sendReset();
    this.armResetTimer();
  }

  private onTransportClosed(client: KdClient, e?: Error): void {
    if (client !== this.client || this.disposed) return;
    this.clearTimers();
    const why = e ? e.message : 'the other end closed the connection';
    const msg = `Connection to the target on ${this.detail} lost (${why}). The transcript is kept at ${this.config.transcript}. Reconnecting…`;
    this.flushPartialLine();
    this.note(msg);
    this.console(msg + '\n', 'important');
    this.transport = undefined;
    this.link = undefined;
    this.client = undefined;
    this.forgetTarget();
    this.state = 'disconnected';
    this.emit('linkState', { state: 'disconnected', detail: this.detail });
    if (this.uiStopped) this.emit('continued');
    this.uiStopped = false;
    this.beginWaiting(true);
    this.state = 'disconnected';
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.disposed) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.disposed) return;
      this.connect().then(
        () => {
          this.state = 'waiting';
        },
        () => this.scheduleReconnect(),
      );
    }, 500);
  }

  cancelProgress(progressId: string): void {
    if (progressId !== this.progressId) return;
    this.endProgress('cancelled');
    this.note('Waiting for the target was cancelled.');
    void this.shutdown().then(() => this.emit('terminated', { reason: 'cancelled while waiting for the target' }));
  }

  private clearTimers(): void {
    for (const t of [this.resetTimer, this.breakTimer]) if (t) clearInterval(t);
    for (const t of [this.reconnectTimer, this.printFlushTimer]) if (t) clearTimeout(t);
    this.resetTimer = this.breakTimer = this.reconnectTimer = this.printFlushTimer = undefined;
  }

  private async shutdown(): Promise<void> {
    this.disposed = true;
    this.clearTimers();
    this.flushPartialLine();
    const link = this.link;
    this.link = undefined;
    this.client = undefined;
    this.transport = undefined;
    if (link) await link.close().catch(() => undefined);
    this.transcript?.close();
  }

  async configurationDone(): Promise<void> {
    this.configured = true;
    if (this.deferredStop) {
      const s = this.deferredStop;
      this.deferredStop = undefined;
      this.emit('stopped', s);
    }
  }

  async disconnect(_terminate: boolean): Promise<void> {
    if (this.disposed) return;
    try {
      if (this.state === 'stopped' && this.client) {
        // Leave the target running without our breakpoints; a target that no longer answers
        // must not hold the detach up.
        const graceful = this.exclusive(async () => {
          await this.liftAllBreakpoints();
          await this.prepareResumeFromHardBreak();
          await this.client!.continue2(false, DBG_CONTINUE);
        });
        graceful.catch(() => undefined);
        await Promise.race([graceful, new Promise((r) => setTimeout(r, 3000).unref())]);
      }
    } catch {
      // detaching anyway
    }
    this.note('Debugger detached.');
    await this.shutdown();
  }

  async restart(): Promise<void> {
    await this.reboot();
  }

  // ------------------------------------------------------------------------------------------
  // Output and transcript

  private note(line: string): void {
    this.transcript?.note(line);
  }

  private console(text: string, category: 'console' | 'important' | 'stdout' = 'console'): void {
    this.emit('output', { category, text });
  }

  private onPrint(text: string): void {
    this.onTargetSpoke();
    this.transcript?.appendOutput(text);
    this.recentPrint = (this.recentPrint + text).slice(-2048);
    this.lineBuf += text;
    let nl: number;
    while ((nl = this.lineBuf.indexOf('\n')) >= 0) {
      this.emit('output', { category: 'stdout', text: this.lineBuf.slice(0, nl + 1) });
      this.lineBuf = this.lineBuf.slice(nl + 1);
    }
    if (this.printFlushTimer) clearTimeout(this.printFlushTimer);
    this.printFlushTimer = this.lineBuf ? setTimeout(() => this.flushPartialLine(), 150) : undefined;
  }

  private flushPartialLine(): void {
    if (this.printFlushTimer) clearTimeout(this.printFlushTimer);
    this.printFlushTimer = undefined;
    if (!this.lineBuf) return;
    this.emit('output', { category: 'stdout', text: this.lineBuf });
    this.lineBuf = '';
  }

  // ------------------------------------------------------------------------------------------
  // Stops

  /** Runs `fn` after every earlier operation on the target (stop handling, UI requests). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.ops.then(fn, fn);
    this.ops = next.catch(() => undefined);
    return next;
  }

  private requireClient(): KdClient {
    if (!this.client) throw new Error('The target is not connected.');
    return this.client;
  }

  private requireStopped(): KdClient {
    const c = this.requireClient();
    if (this.state !== 'stopped') throw new Error('The target is running: pause it first.');
    return c;
  }

  private onStateChange(sc: StateChange): void {
    this.onTargetSpoke();
    if (!this.link?.synchronized) {
      // We do not know which id the target expects from us: RESET first, it re-sends the stop (§1.8).
      this.host.log('kd: stop before resync: sending RESET');
      this.link?.sendReset();
      this.armResetTimer();
      return;
    }
    void this.exclusive(() => this.handleStop(sc)).catch((e: Error) => {
      this.host.log(`kd: stop handling failed: ${e.stack ?? e.message}`);
      this.console(`Error while handling the stop: ${e.message}\n`, 'important');
    });
  }

  private async ensureKernelInfo(): Promise<void> {
    const c = this.requireClient();
    if (!c.version) {
      const v = await c.getVersion();
      const connected = `Connected to ${describeVersion(v)} target, ptr64 ${v.arch === 'x64' ? 'TRUE' : 'FALSE'}`;
      const kb = `Kernel base = 0x${v.kernBase.toString(16).padStart(8, '0')} PsLoadedModuleList = 0x${v.psLoadedModuleList.toString(16).padStart(8, '0')}`;
      this.note(connected);
      this.note(kb);
      this.console(`${connected}\n${kb}\n`);
      this.debuggerData = undefined;
      if (v.debuggerDataList !== 0n) {
        try {
          const block = fromWirePointer(await c.readPointer(v.debuggerDataList), c.arch);
          const hdr = await c.readExact(block, 0x200);
          const field = (off: number): bigint => fromWirePointer(hdr.readBigUInt64LE(off), c.arch);
          if (hdr.readUInt32LE(0x10) === KDBG_TAG) {
            this.debuggerData = {
              address: block,
              kiBugcheckData: field(KDBG_FIELDS.kiBugcheckData),
              printBuffer: field(KDBG_FIELDS.printBuffer),
              printBufferEnd: field(KDBG_FIELDS.printBufferEnd),
              printWritePointer: field(KDBG_FIELDS.printWritePointer),
              printRolloverCount: field(KDBG_FIELDS.printRolloverCount),
            };
          }
        } catch (e) {
          this.host.log(`kd: no debugger data block: ${(e as Error).message}`);
        }
      }
    }
    if (!this.modulesLoaded && c.version) {
      this.modulesLoaded = true;
      try {
        const mods = await walkModules(c);
        this.symbols.setModules(mods);
        for (const m of mods) this.emit('moduleLoaded', this.moduleInfo(m));
      } catch (e) {
        this.host.log(`kd: module list: ${(e as Error).message}`);
      }
    }
  }

  private async handleStop(first: StateChange): Promise<void> {
    const c = this.requireClient();
    let sc = first;
    if (this.state === 'stopped' && this.stop && sc.raw.equals(this.stop.raw)) {
      return; // the same stop re-sent after a RESET/RESEND: nothing new
    }
    this.state = 'stopped';
    this.stop = sc;
    this.context = undefined;
    this.special = undefined;
    if (this.breakTimer) clearInterval(this.breakTimer);
    this.breakTimer = undefined;
    const decodedAs = c.arch;
    await this.ensureKernelInfo();
    if (c.arch !== decodedAs) {
      // The first stop arrives before GetVersion tells us the pointer width: decode it again.
      sc = decodeStateChange(sc.raw, c.arch);
      this.stop = sc;
    }

    if (sc.loadSymbols) {
      await this.handleLoadSymbols(sc);
      return;
    }
    const ex = sc.exception;
    if (!ex) {
      // CommandString or unknown kinds: nothing to show; keep the target going.
      await this.resume(false);
      return;
    }

    // Internal single step of restore-step-reinsert.
    const plan = this.stepPlan;
    if (plan && ex.code === STATUS_SINGLE_STEP) {
      this.stepPlan = undefined;
      if (plan.lifted && plan.lifted.address !== undefined) {
        await this.plant(plan.lifted);
      }
      if (plan.then === 'continue') {
        await this.resumeRaw(false);
        return;
      }
      await this.reportStop(sc, 'step');
      return;
    }
    this.stepPlan = undefined;

    // A temporary breakpoint (step over / step out) reached.
    if (this.tempBreakpoint && sc.programCounter === this.tempBreakpoint.address) {
      const t = this.tempBreakpoint;
      this.tempBreakpoint = undefined;
      if (t.handle !== undefined) await c.restoreBreakpoint(t.handle);
      await this.reportStop(sc, 'step');
      return;
    }
    if (this.tempBreakpoint?.handle !== undefined) {
      await c.restoreBreakpoint(this.tempBreakpoint.handle).catch(() => false);
      this.tempBreakpoint = undefined;
    }
    await this.syncBreakpoints();

    if (ex.code === STATUS_BREAKPOINT) {
      const hit = this.bps.filter((b) => b.address === sc.programCounter && b.handle !== undefined);
      if (hit.length > 0) {
        await this.reportStop(sc, hit[0].kind === 'function' ? 'function breakpoint' : 'instruction breakpoint', hit.map((b) => b.id));
        return;
      }
      const bug = await this.readBugcheck();
      if (bug) {
        await this.reportBugcheck(sc, bug.code, bug.params);
        return;
      }
      if (this.pauseRequested) {
        this.pauseRequested = false;
        await this.reportStop(sc, 'pause');
        return;
      }
    }
    if (ex.code === STATUS_SINGLE_STEP) {
      await this.reportStop(sc, 'step');
      return;
    }
    await this.reportStop(sc, 'exception');
  }


  private async handleLoadSymbols(sc: StateChange): Promise<void> {
    const ls = sc.loadSymbols!;
    const c = this.requireClient();
    if (ls.unload && ls.baseOfDll === -1n) {
      // "Debugger, I am going away": reboot/shutdown notice, answered with plain Continue (§1.8).
      this.note('The target is shutting down or rebooting.');
      this.console('Target is shutting down/rebooting; the debugger will resynchronise when it comes back.\n', 'important');
      this.forgetTarget();
      this.state = 'running';
      this.emit('linkState', { state: 'running', detail: this.detail });
      await c.continue1(DBG_CONTINUE);
      return;
    }
    const fileName = ls.path.split(/[\\/]/).pop() ?? ls.path;
    if (ls.unload) {
      const m = this.symbols.modules.find((x) => x.base === ls.baseOfDll);
      if (m) {
        this.symbols.setModules(this.symbols.modules.filter((x) => x !== m));
        this.emit('moduleRemoved', this.moduleInfo(m));
      }
    } else if (!this.symbols.moduleAt(ls.baseOfDll)) {
      const m: KernelModule = { fileName, name: fileName.toLowerCase().replace(/\.[^.]*$/, ''), path: ls.path, base: ls.baseOfDll, size: ls.sizeOfImage };
      this.symbols.modules.push(m);
      this.emit('moduleLoaded', this.moduleInfo(m));
    }
    this.note(`${ls.unload ? 'Unloaded' : 'Loaded'} ${ls.path} at 0x${ls.baseOfDll.toString(16)}`);
    await this.syncBreakpoints();
    await this.resumeRaw(false);
  }

  private async readBugcheck(): Promise<{ code: number; params: bigint[] } | undefined> {
    const c = this.requireClient();
    if (this.debuggerData && this.debuggerData.kiBugcheckData !== 0n) {
      try {
        const ptr = c.arch === 'x64' ? 8 : 4;
        const b = await c.readExact(this.debuggerData.kiBugcheckData, 5 * ptr);
        const vals = [0, 1, 2, 3, 4].map((i) => (ptr === 8 ? b.readBigUInt64LE(i * 8) : BigInt(b.readUInt32LE(i * 4))));
        if (vals[0] !== 0n) return { code: Number(vals[0] & 0xffffffffn), params: vals.slice(1) };
        return undefined;
      } catch {
        // fall back to the printed text
      }
    }
    const printed = parseFatalSystemError(this.recentPrint);
    return printed;
  }

  private async reportBugcheck(sc: StateChange, code: number, params: bigint[]): Promise<void> {
    const title = bugcheckTitle(code);
    const info = lookupBugcheck(code);
    const analysis = bugcheckAnalysis(code, params);
    const exception: ExceptionDetails = {
      exceptionId: bugcheckHex(code),
      description: title,
      breakMode: 'always',
      details: { message: analysis, typeName: info?.name ?? 'BUGCHECK', fullTypeName: `Bugcheck ${title}` },
    };
    this.flushPartialLine();
    this.note(exceptionLine(STATUS_BREAKPOINT, sc.exception?.firstChance ?? true));
    this.note('A fatal system error has occurred.');
    this.note(analysis);
    this.console(`${analysis}\n`, 'important');
    this.recentPrint = '';
    await this.emitStop({ reason: 'exception', description: `Bugcheck ${title}`, text: title, exception }, sc);
  }

  private async reportStop(sc: StateChange, reason: StopReason, hitBreakpointIds?: number[]): Promise<void> {
    const ex = sc.exception!;
    const line = exceptionLine(ex.code, ex.firstChance);
    this.flushPartialLine();
    let ev: StopEvent;
    if (reason === 'exception') {
      ev = {
        reason,
        description: line,
        text: line,
        exception: { exceptionId: hex32(ex.code), description: line, breakMode: 'always', details: { message: line, typeName: EXCEPTION_NAMES[ex.code >>> 0] ?? 'Exception' } },
      };
    } else {
      const desc: Record<string, string> = { step: 'Paused after step', pause: 'Paused (break-in)', 'function breakpoint': 'Paused on function breakpoint', 'instruction breakpoint': 'Paused on instruction breakpoint', breakpoint: 'Paused on breakpoint' };
      ev = { reason, description: desc[reason] ?? 'Paused', text: line, hitBreakpointIds };
    }
    if (reason !== 'step') this.note(line);
    await this.emitStop(ev, sc);
  }

  private async emitStop(ev: StopEvent, sc: StateChange): Promise<void> {
    const where = await this.symbols.format(sc.programCounter).catch(() => undefined);
    this.note(`${where ?? '0x' + sc.programCounter.toString(16)}:`);
    this.uiStopped = true;
    this.emit('linkState', { state: 'stopped', detail: this.detail });
    if (!this.configured) this.deferredStop = ev;
    else this.emit('stopped', ev);
  }

  // ------------------------------------------------------------------------------------------
  // Execution control

  /** For a stop on a hard-coded int 3 (not ours), the target would re-execute it forever: skip it (§2.4). */
  private async prepareResumeFromHardBreak(): Promise<void> {
    const sc = this.stop;
    if (!sc?.exception || sc.exception.code !== STATUS_BREAKPOINT) return;
    if (this.bps.some((b) => b.handle !== undefined && b.address === sc.programCounter)) return;
    if (sc.control.instructionStream[0] !== 0xcc) return;
    const ctx = await this.getContext();
    const ip = findRegister(this.requireClient().arch, ARCH_REGS[this.requireClient().arch].ip)!;
    if (readRegister(ctx, ip) !== sc.programCounter) return;
    writeRegister(ctx, ip, sc.programCounter + 1n);
    await this.requireClient().setContext(ctx);
  }

  /** Leaves the stop: lifts our breakpoint at PC for one step if needed, then runs or steps. */
  private async resume(trace: boolean): Promise<void> {
    const sc = this.stop;
    const atBp = sc ? this.bps.find((b) => b.handle !== undefined && b.address === sc.programCounter) : undefined;
    if (atBp) {
      await this.requireClient().restoreBreakpoint(atBp.handle!);
      atBp.handle = undefined;
      this.stepPlan = { then: trace ? 'step' : 'continue', lifted: atBp };
      await this.resumeRaw(true);
      return;
    }
    await this.prepareResumeFromHardBreak();
    if (trace) this.stepPlan = { then: 'step' };
    await this.resumeRaw(trace);
  }

  private async resumeRaw(trace: boolean): Promise<void> {
    const c = this.requireClient();
    this.context = undefined;
    this.special = undefined;
    this.state = 'running';
    await c.continue2(trace, DBG_CONTINUE);
    if (this.uiStopped) {
      this.uiStopped = false;
      this.emit('continued');
      this.emit('linkState', { state: 'running', detail: this.detail });
    }
  }

  continue(): Promise<void> {
    return this.exclusive(async () => {
      if (this.state === 'running') return; // already running: nothing to do
      this.requireStopped();
      this.note('g');
      await this.resume(false);
    });
  }

  async pause(): Promise<void> {
    if (this.state === 'stopped') return;
    this.pauseRequested = true;
    if (!this.link || this.link.isClosed) throw new Error('The target is not connected.');
    this.armBreakIn();
  }

  stepIn(_granularity: StepGranularity): Promise<void> {
    return this.exclusive(async () => {
      this.requireStopped();
      await this.resume(true);
    });
  }

  stepOver(granularity: StepGranularity): Promise<void> {
    return this.exclusive(async () => {
      const c = this.requireStopped();
      const ip = this.stop!.programCounter;
      const len = await this.callLength(ip);
      if (len === undefined) {
        await this.resume(true);
        return;
      }
      void granularity;
      await this.runTo(c, ip + BigInt(len));
    });
  }

  stepOut(): Promise<void> {
    return this.exclusive(async () => {
      const c = this.requireStopped();
      const frames = await this.walkStack(2);
      if (frames.length < 2) {
        await this.resume(true);
        return;
      }
      await this.runTo(c, frames[1].address);
    });
  }

  /** Length of a call instruction at `ip`, undefined when it is not a call. */
  private async callLength(ip: bigint): Promise<number | undefined> {
    const code = this.unshadow(ip, (await this.requireClient().readVirtual(ip, 16)).data);
    const insns = disassembleForKd(code, ip, 1, this.requireClient().arch);
    const first = insns[0];
    if (first && first.flow === 'call') return first.length;
    return undefined;
  }

  private async runTo(c: KdClient, address: bigint): Promise<void> {
    const already = this.bps.some((b) => b.handle !== undefined && b.address === address);
    this.tempBreakpoint = { address, handle: already ? undefined : await c.writeBreakpoint(address) };
    await this.resume(false);
  }

  private async reboot(): Promise<void> {
    if (this.state !== 'stopped') {
      // .reboot needs a stopped target: break in first.
      const stopped = new Promise<void>((resolve) => {
        const h = (): void => {
          this.off('stopped', h);
          resolve();
        };
        this.on('stopped', h);
      });
      await this.pause();
      await Promise.race([stopped, new Promise((r) => setTimeout(r, 10000))]);
    }
    await this.exclusive(async () => {
      const c = this.requireStopped();
      this.note('.reboot');
      this.console('Rebooting the target…\n', 'important');
      this.forgetTarget();
      this.state = 'running';
      await c.reboot();
      if (this.uiStopped) this.emit('continued');
      this.uiStopped = false;
      this.emit('linkState', { state: 'running', detail: this.detail });
    });
  }

  // ------------------------------------------------------------------------------------------
  // Breakpoints

  private async plant(bp: KdBreakpoint): Promise<void> {
    if (bp.address === undefined || bp.handle !== undefined) return;
    try {
      // Remember the byte under the 0xCC so memory views and disassembly show the real code.
      const orig = await this.requireClient().readVirtual(bp.address, 1);
      if (orig.data.length === 1 && orig.data[0] !== 0xcc) bp.original = orig.data[0];
      bp.handle = await this.requireClient().writeBreakpoint(bp.address);
      bp.message = undefined;
    } catch (e) {
      bp.message = (e as Error).message;
    }
  }

  /** Resolves pending function breakpoints and plants everything not yet in the target. */
  private async syncBreakpoints(): Promise<void> {
    for (const bp of this.bps) {
      const before = bp.handle !== undefined;
      if (bp.kind === 'function' && bp.address === undefined && bp.name) {
        bp.address = await this.symbols.lookup(bp.name).catch(() => undefined);
        if (bp.address === undefined) bp.message = `${bp.name} is not (yet) known: module not loaded or not exported`;
      }
      await this.plant(bp);
      if (before !== (bp.handle !== undefined)) this.emit('breakpointChanged', this.bpResult(bp));
    }
  }

  private async liftAllBreakpoints(): Promise<void> {
    for (const bp of this.bps) {
      if (bp.handle !== undefined) await this.requireClient().restoreBreakpoint(bp.handle).catch(() => false);
      bp.handle = undefined;
    }
  }

  /** Memory as the program sees it: our planted 0xCC bytes replaced by the original bytes. */
  private unshadow(address: bigint, data: Buffer): Buffer {
    let out = data;
    for (const bp of this.bps) {
      if (bp.handle === undefined || bp.address === undefined || bp.original === undefined) continue;
      const off = bp.address - address;
      if (off >= 0n && off < BigInt(data.length) && data[Number(off)] === 0xcc) {
        if (out === data) out = Buffer.from(data);
        out[Number(off)] = bp.original;
      }
    }
    return out;
  }

  private bpResult(bp: KdBreakpoint): BreakpointResult {
    const verified = bp.handle !== undefined;
    return {
      id: bp.id,
      verified,
      address: bp.address,
      message: verified ? undefined : bp.message ?? (this.state === 'stopped' ? 'could not be set' : 'will be set when the target next stops'),
      reason: verified ? undefined : bp.message && this.state === 'stopped' ? 'failed' : 'pending',
    };
  }

  private replaceBreakpoints(kind: KdBreakpoint['kind'], wanted: KdBreakpoint[]): Promise<BreakpointResult[]> {
    return this.exclusive(async () => {
      const old = this.bps.filter((b) => b.kind === kind);
      const keep: KdBreakpoint[] = [];
      for (const w of wanted) {
        const same = old.find((o) => (kind === 'function' ? o.name === w.name : o.address === w.address) && !keep.includes(o));
        keep.push(same ?? w);
      }
      const removed = old.filter((o) => !keep.includes(o));
      this.bps = this.bps.filter((b) => b.kind !== kind).concat(keep);
      if (this.state === 'stopped' && this.client) {
        for (const r of removed) if (r.handle !== undefined) await this.client.restoreBreakpoint(r.handle).catch(() => false);
        await this.syncBreakpoints();
      }
      return keep.map((b) => this.bpResult(b));
    });
  }

  async setSourceBreakpoints(_path: string, bps: SourceBreakpointRequest[]): Promise<BreakpointResult[]> {
    return bps.map(() => ({ id: this.nextBpId++, verified: false, message: 'windows-kd has no source line information (no PDBs); use function or instruction breakpoints', reason: 'failed' as const }));
  }

  setFunctionBreakpoints(bps: { name: string }[]): Promise<BreakpointResult[]> {
    return this.replaceBreakpoints(
      'function',
      bps.map((b) => {
        const name = b.name.trim();
        const addr = /^(0x)?[0-9a-f`]+$/i.test(name) ? BigInt('0x' + name.replace(/^0x/i, '').replace(/`/g, '')) : undefined;
        return { id: this.nextBpId++, kind: 'function' as const, name: addr === undefined ? name : undefined, address: addr };
      }),
    );
  }

  setInstructionBreakpoints(bps: { address: bigint }[]): Promise<BreakpointResult[]> {
    return this.replaceBreakpoints(
      'instruction',
      bps.map((b) => ({ id: this.nextBpId++, kind: 'instruction' as const, address: b.address })),
    );
  }

  async setDataBreakpoints(bps: DataBreakpointRequest[]): Promise<BreakpointResult[]> {
    return bps.map(() => ({ id: this.nextBpId++, verified: false, message: 'data breakpoints (ba) are not supported over KD yet', reason: 'failed' as const }));
  }

  async dataBreakpointInfo(_expression: string): Promise<{ error: string }> {
    return { error: 'data breakpoints are not supported by windows-kd yet' };
  }

  // ------------------------------------------------------------------------------------------
  // State while stopped

  private async getContext(): Promise<Buffer> {
    const c = this.requireStopped();
    if (!this.context) this.context = await c.getContext();
    return this.context;
  }

  private reg(ctx: Buffer, name: string): bigint {
    const r = findRegister(this.requireClient().arch, name);
    return r ? readRegister(ctx, r) : 0n;
  }

  private async walkStack(max: number): Promise<{ address: bigint; frameBase: bigint }[]> {
    const c = this.requireStopped();
    const ctx = await this.getContext();
    const names = ARCH_REGS[c.arch];
    const ptr = c.arch === 'x64' ? 8 : 4;
    const readPtr = (b: Buffer, off: number): bigint => (ptr === 8 ? b.readBigUInt64LE(off) : BigInt(b.readUInt32LE(off)));
    const ip = this.reg(ctx, names.ip);
    const frames: { address: bigint; frameBase: bigint }[] = [{ address: ip, frameBase: this.reg(ctx, names.bp) }];
    let bp = this.reg(ctx, names.bp);
    // Stopped inside a prologue (typically a breakpoint on a function's entry): EBP still belongs
    // to the caller, so the return address is on the stack, not at [ebp+4].
    if (c.arch === 'x86' && max > 1) {
      const retSlot = await this.prologueReturnSlot(ip);
      if (retSlot !== undefined) {
        const r = await c.readVirtual(this.reg(ctx, names.sp) + BigInt(retSlot), ptr);
        if (!r.partial && readPtr(r.data, 0) !== 0n) frames.push({ address: readPtr(r.data, 0), frameBase: bp });
      }
    }
    while (frames.length < max && bp !== 0n) {
      const r = await c.readVirtual(bp, 2 * ptr);
      if (r.partial) break;
      const next = readPtr(r.data, 0);
      const ret = readPtr(r.data, ptr);
      if (ret === 0n) break;
      frames.push({ address: ret, frameBase: next });
      if (next <= bp) break;
      bp = next;
    }
    return frames;
  }

  /**
   * Where the return address sits relative to ESP when `ip` is inside the standard x86 prologue
   * (`mov edi,edi` / `push ebp` / `mov ebp,esp`) of the export it belongs to; undefined otherwise.
   */
  private async prologueReturnSlot(ip: bigint): Promise<number | undefined> {
    const r = await this.symbols.resolve(ip).catch(() => undefined);
    if (!r?.symbol || r.offset > 3n) return undefined;
    const code = this.unshadow(r.symbol.address, (await this.requireClient().readVirtual(r.symbol.address, 5)).data);
    let at = 0;
    if (code[0] === 0x8b && code[1] === 0xff) at = 2; // mov edi,edi (hot-patch pad)
    const off = Number(r.offset);
    if (off <= at) return 0; // before push ebp
    if (code[at] === 0x55 && off === at + 1) return ptrSizeAfterPush; // after push ebp, before mov ebp,esp
    return undefined;
  }

  stackTrace(startFrame: number, levels: number): Promise<{ frames: Frame[]; totalFrames?: number }> {
    return this.exclusive(async () => {
      const raw = await this.walkStack(Math.min(startFrame + (levels || 64), 256));
      const frames: Frame[] = [];
      for (const f of raw.slice(startFrame)) {
        const name = await this.symbols.format(f.address);
        frames.push({ name: name ?? `0x${f.address.toString(16).padStart(8, '0')}`, address: f.address, moduleName: this.symbols.moduleAt(f.address)?.name });
      }
      return { frames, totalFrames: raw.length };
    });
  }

  scopes(_frameIndex: number): Promise<Scope[]> {
    return this.exclusive(async () => {
      const c = this.requireStopped();
      const ctx = await this.getContext();
      const regs = contextRegisters(c.arch);
      const variable = (r: RegisterDef): TargetVariable => {
        const v = readRegister(ctx, r);
        const node: TargetVariable = { name: r.name, value: formatHex(v, r.group === 'Segments' ? 2 : r.size), type: `${r.size * 8}-bit`, evaluateName: `$${r.name}`, editable: true };
        if (r.name === 'efl') node.children = EFLAGS_BITS.map((f) => ({ name: f.name, value: String(flagValue(Number(v), f)), type: f.description, editable: true }));
        else if (r.group === 'General' && r.name !== 'efl') node.memoryReference = v;
        return node;
      };
      const group = (g: RegisterDef['group']): TargetVariable[] => regs.filter((r) => r.group === g).map(variable);
      const scopes: Scope[] = [
        { name: 'Registers', presentationHint: 'registers', variables: group('General') },
        { name: 'Segment registers', presentationHint: 'registers', variables: group('Segments') },
        { name: 'Debug registers', presentationHint: 'registers', variables: group('Debug') },
      ];
      if (c.arch === 'x86') {
        scopes.push({
          name: 'Control registers',
          presentationHint: 'registers',
          expensive: true,
          variables: () =>
            this.exclusive(async () => {
              const sp = await this.specialRegisters();
              if (!sp) return [{ name: '(unavailable)', value: 'ReadControlSpace failed' }];
              return X86_SPECIAL_REGISTERS.map((r) => ({ name: r.name, value: formatHex(BigInt(r.size === 4 ? sp.readUInt32LE(r.offset) : sp.readUInt16LE(r.offset)), r.size), type: `${r.size * 8}-bit` }));
            }),
        });
      }
      return scopes;
    });
  }

  private async specialRegisters(): Promise<Buffer | undefined> {
    if (this.special) return this.special;
    const r = await this.requireStopped().readControlSpace(BigInt(X86_SPECIAL_REGISTERS_OFFSET), X86_SPECIAL_REGISTERS_SIZE);
    if (r.data.length < X86_SPECIAL_REGISTERS_SIZE) return undefined;
    this.special = r.data;
    return r.data;
  }

  setVariable(_frameIndex: number, pathNames: string[], value: string): Promise<TargetVariable> {
    return this.exclusive(async () => {
      const c = this.requireStopped();
      const ctx = Buffer.from(await this.getContext());
      const names = pathNames.filter((p) => !/registers$/i.test(p));
      const regName = names.length >= 2 ? names[names.length - 2] : names[names.length - 1];
      const leaf = names[names.length - 1];
      const r = findRegister(c.arch, regName);
      if (!r) throw new Error(`${pathNames.join('.')} cannot be changed`);
      const v = await this.evalValue(value);
      let result: TargetVariable;
      if (names.length >= 2 && r.name === 'efl') {
        const f = EFLAGS_BITS.find((x) => x.name === leaf);
        if (!f) throw new Error(`unknown flag ${leaf}`);
        const mask = ((1 << (f.width ?? 1)) - 1) << f.bit;
        const cur = Number(readRegister(ctx, r));
        writeRegister(ctx, r, BigInt(((cur & ~mask) | ((Number(v) << f.bit) & mask)) >>> 0));
        result = { name: f.name, value: String(flagValue(Number(readRegister(ctx, r)), f)), editable: true };
      } else {
        writeRegister(ctx, r, v);
        result = { name: r.name, value: formatHex(readRegister(ctx, r), r.group === 'Segments' ? 2 : r.size), evaluateName: `$${r.name}`, editable: true };
      }
      await c.setContext(ctx);
      this.context = ctx;
      this.note(`r ${r.name}=${readRegister(ctx, r).toString(16)}`);
      return result;
    });
  }

  private async evalValue(expr: string): Promise<bigint> {
    const c = this.requireClient();
    const ctx = this.state === 'stopped' ? await this.getContext() : undefined;
    return evaluateExpression(expr, {
      bits: c.arch === 'x64' ? 64 : 32,
      register: (name) => {
        if (!ctx) return undefined;
        const alias: Record<string, string> = { ip: ARCH_REGS[c.arch].ip, sp: ARCH_REGS[c.arch].sp, bp: ARCH_REGS[c.arch].bp };
        const r = findRegister(c.arch, alias[name] ?? name);
        return r ? readRegister(ctx, r) : undefined;
      },
      readPointer: async (a) => {
        const r = await c.readVirtual(a, c.arch === 'x64' ? 8 : 4);
        if (r.partial) throw new ExpressionError(`memory at 0x${a.toString(16)} is not readable`);
        return c.arch === 'x64' ? r.data.readBigUInt64LE(0) : BigInt(r.data.readUInt32LE(0));
      },
      symbol: (name) => this.symbols.lookup(name),
    });
  }

  async evaluate(expression: string, _frameIndex: number | undefined, _context: string | undefined): Promise<EvaluateResult> {
    if (expression.trim() === '.reboot') {
      await this.reboot();
      return { result: 'Rebooting the target…' };
    }
    return this.exclusive(async () => {
      const c = this.requireStopped();
      const expr = expression.trim();
      const cmd = await this.command(expr);
      if (cmd !== undefined) return { result: cmd };
      try {
        const v = await this.evalValue(expr);
        const width = c.arch === 'x64' ? 16 : 8;
        const sym = await this.symbols.format(v).catch(() => undefined);
        return { result: `0x${v.toString(16).padStart(width, '0')}${sym ? ` (${sym})` : ''}`, type: c.arch === 'x64' ? 'ULONG64' : 'ULONG', memoryReference: v };
      } catch (e) {
        if (e instanceof ExpressionError) throw new Error(e.message);
        throw e;
      }
    });
  }

  /**
   * The kernel's DbgPrint ring buffer (WinDbg `!dbgprint`): text printed while no debugger was
   * listening never reached the wire, but it is still here.
   */
  private async dbgPrintBuffer(): Promise<string> {
    const c = this.requireStopped();
    const d = this.debuggerData;
    if (!d || d.printBuffer === 0n || d.printBufferEnd <= d.printBuffer) throw new Error('The kernel debugger data block has no DbgPrint buffer.');
    const size = Number(d.printBufferEnd - d.printBuffer);
    if (size > 1 << 20) throw new Error(`DbgPrint buffer of ${size} bytes: not believable`);
    const wp = fromWirePointer(await c.readPointer(d.printWritePointer), c.arch);
    const rollovers = d.printRolloverCount !== 0n ? Number(await c.readPointer(d.printRolloverCount)) : 0;
    const buf = (await c.readVirtual(d.printBuffer, size)).data;
    const at = wp >= d.printBuffer && wp < d.printBufferEnd ? Number(wp - d.printBuffer) : 0;
    const ordered = rollovers > 0 ? Buffer.concat([buf.subarray(at), buf.subarray(0, at)]) : buf.subarray(0, at);
    return ordered.toString('latin1').replace(/\0+/g, '');
  }

  /** A few WinDbg commands for the Debug Console. */
  private async command(expr: string): Promise<string | undefined> {
    if (expr === '!dbgprint') return this.dbgPrintBuffer();
    if (expr === 'lm') {
      return this.symbols.modules.map((m) => `${m.base.toString(16).padStart(8, '0')} ${(m.base + BigInt(m.size)).toString(16).padStart(8, '0')}   ${m.name.padEnd(12)} ${m.fileName}`).join('\n');
    }
    if (expr === '!analyze -v' || expr === '!analyze' || expr === '.bugcheck') {
      const b = await this.readBugcheck();
      return b ? bugcheckAnalysis(b.code, b.params) : 'No bugcheck: KiBugcheckData is empty.';
    }
    if (expr === 'k' || expr === 'kb') {
      const frames = await this.walkStack(64);
      const lines: string[] = [];
      for (const f of frames) lines.push(`${f.frameBase.toString(16).padStart(8, '0')} ${f.address.toString(16).padStart(8, '0')} ${(await this.symbols.format(f.address)) ?? ''}`);
      return lines.join('\n');
    }
    return undefined;
  }

  readMemory(address: bigint, count: number): Promise<MemoryReadResult> {
    return this.exclusive(async () => {
      const c = this.requireStopped();
      const r = await c.readVirtual(address, count);
      return { data: this.unshadow(address, r.data), unreadableBytes: count - r.data.length };
    });
  }

  writeMemory(address: bigint, data: Buffer): Promise<number> {
    return this.exclusive(async () => {
      const c = this.requireStopped();
      return c.writeVirtual(address, data);
    });
  }

  disassemble(address: bigint, instructionOffset: number, instructionCount: number, resolveSymbols: boolean): Promise<DisassembledInstruction[]> {
    return this.exclusive(async () => {
      const c = this.requireStopped();
      const before = Math.max(-instructionOffset, 0);
      const fwd = Math.max(instructionOffset, 0) + instructionCount;
      // From the address on: straightforward.
      const postMem = this.unshadow(address, (await c.readVirtual(address, fwd * 15 + 16)).data);
      const post = disassembleForKd(postMem, address, fwd, c.arch);
      // Before it: x86 cannot be decoded backwards, so find a start in the bytes before the
      // address from which the instruction stream lands exactly on it.
      let pre: ReturnType<typeof disassembleForKd> = [];
      if (before > 0) {
        const back = before * 15;
        const preStart = address - BigInt(back);
        const preMem = this.unshadow(preStart, (await c.readVirtual(preStart, back)).data);
        for (let skip = 0; skip < Math.min(15, preMem.length); skip++) {
          const insns = disassembleForKd(preMem.subarray(skip), preStart + BigInt(skip), back, c.arch);
          const landing = insns.findIndex((i) => i.ip + BigInt(i.length) === address);
          if (landing >= 0 && !insns.slice(0, landing + 1).some((i) => i.invalid)) {
            pre = insns.slice(0, landing + 1).slice(-before);
            break;
          }
        }
      }
      const padBefore: DisassembledInstruction[] = [];
      const firstKnown = pre.length ? pre[0].ip : address;
      for (let k = before - pre.length; k > 0; k--) padBefore.push({ address: firstKnown - BigInt(k), instructionBytes: '', instruction: '??', invalid: true });
      const all = [...padBefore, ...(await this.toDap(pre, resolveSymbols)), ...(await this.toDap(post, resolveSymbols))];
      // `address` sits at index `before`; the window starts `instructionOffset` from it.
      const out = all.slice(before + instructionOffset, before + instructionOffset + instructionCount);
      while (out.length < instructionCount) {
        const last = out.length ? out[out.length - 1].address + 1n : address;
        out.push({ address: last, instructionBytes: '', instruction: '??', invalid: true });
      }
      return out;
    });
  }

  private async toDap(insns: ReturnType<typeof disassembleForKd>, resolveSymbols: boolean): Promise<DisassembledInstruction[]> {
    const out: DisassembledInstruction[] = [];
    for (const i of insns) {
      let symbol: string | undefined;
      if (resolveSymbols) {
        const r = await this.symbols.resolve(i.ip).catch(() => undefined);
        if (r?.symbol && r.offset === 0n) symbol = `${r.module.name}!${r.symbol.name}`;
      }
      let text = i.text;
      if (resolveSymbols && i.target !== undefined) {
        const t = await this.symbols.format(i.target).catch(() => undefined);
        if (t) text += ` (${t})`;
      }
      out.push({ address: i.ip, instructionBytes: i.bytes, instruction: text, symbol, invalid: i.invalid });
    }
    return out;
  }

  private moduleInfo(m: KernelModule): ModuleInfo {
    return {
      id: `${m.name}@${m.base.toString(16)}`,
      name: m.name,
      path: m.path ?? m.fileName,
      base: m.base,
      size: m.size,
      symbolStatus: m.exports ? `${m.exports.length} exports` : 'exports not loaded',
      dateTimeStamp: m.timeDateStamp !== undefined ? new Date(m.timeDateStamp * 1000).toISOString() : undefined,
    };
  }

  modules(): Promise<ModuleInfo[]> {
    return Promise.resolve(this.symbols.modules.map((m) => this.moduleInfo(m)));
  }

  async customRequest(command: string, args: unknown): Promise<unknown> {
    const a = (args ?? {}) as Record<string, unknown>;
    switch (command) {
      case 'bootdbg.reboot':
        await this.reboot();
        return { rebooting: true };
      case 'bootdbg.dbgprintBuffer':
        return this.exclusive(async () => ({ text: await this.dbgPrintBuffer() }));
      case 'bootdbg.transcriptPath':
        return { path: this.config.transcript };
      case 'bootdbg.readPhysical': {
        const address = typeof a.address === 'string' ? BigInt(a.address) : typeof a.address === 'number' ? BigInt(a.address) : undefined;
        const length = typeof a.length === 'number' ? a.length : NaN;
        if (address === undefined || !(length > 0 && length <= 1 << 20)) throw new Error('bootdbg.readPhysical needs {address: number|"0x…", length: 1..1048576}');
        return this.exclusive(async () => {
          const r = await this.requireStopped().readPhysical(address, length);
          return { address: '0x' + address.toString(16), data: r.data.toString('base64'), unreadableBytes: length - r.data.length };
        });
      }
      default:
        throw new Error(`windows-kd does not know the command ${command}`);
    }
  }
}

async function walkModules(c: KdClient): Promise<KernelModule[]> {
  const v = c.version!;
  const mods = await walkModuleList({ arch: c.arch, readVirtual: (a, n) => c.readVirtual(a, n) }, v.psLoadedModuleList);
  // Without a module list, the kernel base still names addresses in nt.
  if (mods.length === 0 && v.kernBase !== 0n) mods.push({ fileName: 'ntoskrnl.exe', name: 'nt', base: v.kernBase, size: 0x400000 });
  return mods;
}

export const createKdTarget: TargetFactory = (config, host) => new KdTarget(parseKdConfig(config, host), host);

export { TransportError };
