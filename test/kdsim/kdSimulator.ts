/**
 * A Windows XP/2003-like x86 KD target, for testing the `windows-kd` debugger without Windows.
 *
 * Target-side behaviour follows ../shared/reference/kd/kd-protocol.md: per-direction alternating
 * packet ids with the 0x800 sync bit at boot, ACK with the sync bit cleared, RESEND/RESET handling,
 * retransmission on timeout (DbgPrint gives up after its retry budget, exception stops never do),
 * break-in byte, state changes (exception / load symbols), the manipulate-state APIs, debug I/O and
 * file I/O. The machine behind it is kdSimMachine + kdSimImage; what it does comes from a scenario.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import {
  encodeControlPacket, encodeDataPacket, INITIAL_PACKET_ID, LinkEvent, PacketType, PACKET_MAX_SIZE, SYNC_PACKET_ID,
  TargetFrameReader,
} from './kdSimWire';
import {
  Api, buildManipulateReply, DBG_EXCEPTION_NOT_HANDLED, decodeManipulate, DebugIoApi, encodeCreateFile,
  encodeExceptionStateChange, encodeGetString, encodeLoadSymbolsStateChange, encodePrintString, ExceptionFields,
  FileIoApi, MANIPULATE_HEADER_SIZE, ManipulateRequest, StateChangeCommon, Status,
} from './kdSimStructs';
import { Action, PathAction, PathItem, SimMachine } from './kdSimMachine';
import { Arch, LAYOUTS, versionBlockBytes } from './kdSimImage';
import { resolveScenario, Scenario, ScenarioName, ScenarioStep } from './kdSimScenarios';
import { FaultCounts, FaultInjector, FaultRates, LineClock, PacedPipe } from './kdSimLine';

export type { Scenario, ScenarioStep, ScenarioName } from './kdSimScenarios';

export interface KdSimOptions {
  scenario: ScenarioName | Scenario;
  /** The simulated kernel's architecture: 'x86' (XP 2600, default) or 'x64' (XP x64 / 2003 x64, 3790). */
  arch?: Arch;
  /** Lines printed by 'dbgprint-flood' (default 1000). */
  floodLines?: number;
  /** Seed for the fault PRNG (default 1). */
  seed?: number;
  /** Per-byte fault probabilities applied to what the simulator sends. */
  faults?: FaultRates & {
    /** Also apply them (with an independent stream of the same seed) to what it receives. */
    receive?: boolean;
  };
  /** Pace output (and input processing) at baudRate/10 bytes per second, 8N1. */
  baudRate?: number;
  /** How long the target waits for an ACK before retransmitting (default 500 ms). */
  ackTimeoutMs?: number;
  /** Retransmissions of a DbgPrint before the target gives up on it (default 20, as after boot). */
  printRetries?: number;
  /** Start booting only once the host has sent something (default true); false = power on at attach. */
  startOnHostConnect?: boolean;
  /** Driver loads report LoadSymbols state changes the host must continue (default true). */
  loadSymbols?: boolean;
  /** Time the machine stays silent while rebooting (default 300 ms). */
  rebootDelayMs?: number;
}

export type SimState = 'off' | 'running' | 'stopped' | 'rebooting' | 'closed';

export interface SimStateChange {
  state: SimState;
  /** For stops: 'breakpoint' | 'single-step' | 'break-in' | 'bugcheck' | 'load-symbols' | 'initial-break' … */
  reason?: string;
  code?: number;
  pc?: number;
  firstChance?: boolean;
  module?: string;
}

export interface KdSimStats {
  bytesSent: number;
  bytesReceived: number;
  packetsSent: number;
  retransmissions: number;
  acksReceived: number;
  resendsReceived: number;
  resendsSent: number;
  resetsReceived: number;
  resetsSent: number;
  damagedReceived: number;
  duplicatesDropped: number;
  linesAcked: number;
  printsGivenUp: number;
  manipulateRequests: number;
  stateChanges: number;
  breakIns: number;
  reboots: number;
  txFaults: FaultCounts;
  rxFaults: FaultCounts;
}

type Decision =
  | { kind: 'continue'; trace: boolean; status: number }
  | { kind: 'reboot' }
  | { kind: 'bugcheck'; code: number; params: [number, number, number, number] }
  | { kind: 'closed' };

interface HandlerResult {
  reply?: Buffer;
  decision?: Decision;
  resendStateChange?: boolean;
}

const NO_EVENT = { kind: 'timeout' } as const;
type Waited = LinkEvent | typeof NO_EVENT | { kind: 'closed' };

const FATAL_FORMAT = (code: number, p: string[]): string =>
  `\n*** Fatal System Error: 0x${hex8(code).toLowerCase()}\n` +
  `                       (${p.map((x) => '0x' + x).join(',')})\n\n`;

function hex8(v: number): string {
  return (v >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

export class KdSimulator extends EventEmitter {
  readonly machine: SimMachine;
  readonly stats: KdSimStats;
  private readonly scenario: Scenario;
  private readonly ackTimeoutMs: number;
  private readonly printRetries: number;
  private readonly rebootDelayMs: number;
  private readonly txFaults: FaultInjector;
  private readonly rxFaults: FaultInjector | undefined;
  private readonly outPipe: PacedPipe;
  private readonly inPipe: PacedPipe;
  private readonly reader: TargetFrameReader;

  private stream: Duplex | undefined;
  private streamListeners: Array<[string, (...args: unknown[]) => void]> = [];
  private stateValue: SimState = 'off';
  private closed = false;
  private hostSeen = false;
  private hostSeenWaiters: Array<() => void> = [];

  // link state (§1.4)
  private sendId = (INITIAL_PACKET_ID | SYNC_PACKET_ID) >>> 0;
  private expectId = INITIAL_PACKET_ID;
  private listening = false;
  private inbox: LinkEvent[] = [];
  private inboxWaiter: (() => void) | undefined;
  private debuggerNotPresent = false;

  // machine execution
  private bootCount = 0;
  private actions: Action[] = [];
  private stepIter: Iterator<ScenarioStep> | undefined;
  private breakInPending = false;
  private traceArmed = false;
  private stepPending = false;
  private contextSent = false;
  private idleWake: (() => void) | undefined;
  private printLineBuffer = '';
  private readonly pathCache = new Map<string, PathItem[]>();
  private runPromise: Promise<void> | undefined;

  constructor(readonly opts: KdSimOptions) {
    super();
    const positive = (name: string, v: number | undefined, allowZero = false): void => {
      // NaN fails both comparisons; Infinity is allowed (e.g. printRetries: Infinity).
      if (v !== undefined && !(allowZero ? v >= 0 : v > 0)) {
        throw new Error(`kdsim: ${name} must be a ${allowZero ? 'non-negative' : 'positive'} number (got ${v})`);
      }
    };
    positive('ackTimeoutMs', opts.ackTimeoutMs);
    positive('printRetries', opts.printRetries, true);
    positive('floodLines', opts.floodLines, true);
    positive('rebootDelayMs', opts.rebootDelayMs, true);
    if (opts.arch !== undefined && !(opts.arch in LAYOUTS)) throw new Error(`kdsim: arch must be 'x86' or 'x64' (got ${String(opts.arch)})`);
    this.machine = new SimMachine(undefined, opts.arch ?? 'x86');
    this.scenario = resolveScenario(opts.scenario, {
      floodLines: opts.floodLines ?? 1000,
      loadSymbols: opts.loadSymbols ?? true,
      arcNameAddress: this.machine.image.layout.arcNameAddress,
    });
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 500;
    this.printRetries = opts.printRetries ?? 20;
    this.rebootDelayMs = opts.rebootDelayMs ?? 300;
    const rates = opts.faults ?? { drop: 0, corrupt: 0, duplicate: 0 };
    const seed = opts.seed ?? 1;
    this.txFaults = new FaultInjector(rates, seed);
    this.rxFaults = opts.faults?.receive ? new FaultInjector(rates, (seed ^ 0x5eed) >>> 0) : undefined;
    if (opts.baudRate !== undefined && !(opts.baudRate > 0)) throw new Error(`kdsim: baudRate must be positive (got ${opts.baudRate})`);
    const bytesPerSecond = opts.baudRate ? opts.baudRate / 10 : undefined;
    const line = new LineClock();
    this.outPipe = new PacedPipe((chunk) => this.stream?.write(chunk), bytesPerSecond, line);
    this.inPipe = new PacedPipe((chunk) => this.reader.feed(chunk), bytesPerSecond, line);
    this.reader = new TargetFrameReader((ev) => this.onLinkEvent(ev), Math.max(50, this.ackTimeoutMs));
    this.stats = {
      bytesSent: 0, bytesReceived: 0, packetsSent: 0, retransmissions: 0, acksReceived: 0, resendsReceived: 0,
      resendsSent: 0, resetsReceived: 0, resetsSent: 0, damagedReceived: 0, duplicatesDropped: 0, linesAcked: 0,
      printsGivenUp: 0, manipulateRequests: 0, stateChanges: 0, breakIns: 0, reboots: 0,
      txFaults: this.txFaults.counts, rxFaults: this.rxFaults?.counts ?? { dropped: 0, corrupted: 0, duplicated: 0 },
    };
  }

  get state(): SimState {
    return this.stateValue;
  }

  /** Number of the current boot (1 after power-on, +1 per reboot). */
  get boot(): number {
    return this.bootCount;
  }

  /** Connects the simulated serial line to a stream (replacing any previous one). Starts the machine. */
  attach(stream: Duplex): void {
    if (this.closed) throw new Error('kdsim: simulator is closed');
    this.detach();
    this.stream = stream;
    this.hostSeen = false;
    const onData = (chunk: unknown): void => {
      const buf = chunk as Buffer;
      this.stats.bytesReceived += buf.length;
      const input = this.rxFaults ? this.rxFaults.apply(buf) : buf;
      void this.inPipe.write(Buffer.from(input));
    };
    const onGone = (): void => {
      if (this.stream === stream) this.detach();
    };
    const onError = (): void => onGone();
    this.streamListeners = [['data', onData], ['end', onGone], ['close', onGone], ['error', onError]];
    for (const [ev, fn] of this.streamListeners) stream.on(ev, fn);
    if (!this.runPromise) {
      this.runPromise = this.runMachine().catch((err: unknown) => {
        if (this.listenerCount('error') > 0) this.emit('error', err);
        else console.error('kdsim: machine stopped:', err);
      });
    }
  }

  /** Disconnects the line (the machine keeps running and retrying, like an unplugged cable). */
  detach(): void {
    if (!this.stream) return;
    for (const [ev, fn] of this.streamListeners) this.stream.off(ev, fn);
    this.streamListeners = [];
    this.stream = undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.detach();
    this.setState('closed');
    this.outPipe.close();
    this.inPipe.close();
    this.reader.dispose();
    this.inboxWaiter?.();
    this.idleWake?.();
    for (const w of this.hostSeenWaiters.splice(0)) w();
  }

  // ---------------------------------------------------------------- wire

  private async writeWire(bytes: Buffer): Promise<void> {
    if (this.closed) return;
    this.stats.bytesSent += bytes.length;
    await this.outPipe.write(this.txFaults.apply(bytes));
  }

  private async sendControl(type: number, id = 0): Promise<void> {
    this.trace('tx', type, id, 0);
    if (type === PacketType.Resend) this.stats.resendsSent++;
    if (type === PacketType.Reset) this.stats.resetsSent++;
    await this.writeWire(encodeControlPacket(type, id));
  }

  /** 'packet' events: a packet trace like WinDbg's Ctrl+Alt+D, for the CLI's --trace and for tests. */
  private trace(dir: 'tx' | 'rx', type: number, id: number, length: number, api?: number): void {
    if (this.listenerCount('packet') > 0) this.emit('packet', { dir, type, id: id >>> 0, length, api });
  }

  private onLinkEvent(ev: LinkEvent): void {
    if (this.closed) return;
    if (ev.kind === 'control') this.trace('rx', ev.type, ev.id, 0);
    if (ev.kind === 'data') this.trace('rx', ev.type, ev.id, ev.payload.length, ev.payload.length >= 4 ? ev.payload.readUInt32LE(0) : undefined);
    if (ev.kind !== 'damaged') this.noteHost();
    if (ev.kind === 'breakin') {
      if (this.stateValue === 'running') {
        this.breakInPending = true;
        if (this.debuggerNotPresent) this.setDebuggerNotPresent(false);
        this.idleWake?.();
      }
      return;
    }
    if (ev.kind === 'data' && this.debuggerNotPresent) this.setDebuggerNotPresent(false);
    if (!this.listening) return; // a running kernel only polls for 'b'
    this.inbox.push(ev);
    this.inboxWaiter?.();
  }

  private noteHost(): void {
    if (this.hostSeen) return;
    this.hostSeen = true;
    this.emit('hostConnected');
    for (const w of this.hostSeenWaiters.splice(0)) w();
  }

  private async nextEvent(timeoutMs: number): Promise<Waited> {
    for (;;) {
      if (this.closed) return { kind: 'closed' };
      const ev = this.inbox.shift();
      if (ev) return ev;
      if (timeoutMs <= 0) return NO_EVENT;
      const started = Date.now();
      const woke = await new Promise<boolean>((resolve) => {
        const t = Number.isFinite(timeoutMs) ? setTimeout(() => resolve(false), timeoutMs) : undefined;
        this.inboxWaiter = () => {
          if (t) clearTimeout(t);
          resolve(true);
        };
      });
      this.inboxWaiter = undefined;
      if (!woke && this.inbox.length === 0) return NO_EVENT;
      timeoutMs -= Date.now() - started;
    }
  }

  private acked(id: number): void {
    this.sendId = ((id & ~SYNC_PACKET_ID) ^ 1) >>> 0;
  }

  private resetIds(): void {
    this.sendId = INITIAL_PACKET_ID;
    this.expectId = INITIAL_PACKET_ID;
  }

  /**
   * Sends one data packet and waits for its ACK (stop-and-wait). `budget` is the number of
   * timeouts tolerated before giving up (Infinity for exception stops).
   */
  private async sendPacket(type: number, payload: Buffer, budget: number): Promise<boolean> {
    let timeouts = 0;
    const wasListening = this.listening;
    this.listening = true;
    try {
      for (let first = true; ; first = false) {
        const id = this.sendId;
        if (!first) this.stats.retransmissions++;
        this.stats.packetsSent++;
        this.trace('tx', type, id, payload.length, payload.length >= 4 ? payload.readUInt32LE(0) : undefined);
        await this.writeWire(encodeDataPacket(type, id, payload));
        const deadline = Date.now() + this.ackTimeoutMs;
        let again = false;
        while (!again) {
          const ev = await this.nextEvent(deadline - Date.now());
          switch (ev.kind) {
            case 'closed':
              return false;
            case 'timeout':
              again = true;
              timeouts++;
              break;
            case 'control':
              if (ev.type === PacketType.Acknowledge) {
                this.stats.acksReceived++;
                if (ev.id === ((id & ~SYNC_PACKET_ID) >>> 0)) {
                  this.acked(id);
                  return true;
                }
              } else if (ev.type === PacketType.Resend) {
                this.stats.resendsReceived++;
                again = true;
              } else if (ev.type === PacketType.Reset) {
                this.stats.resetsReceived++;
                await this.sendControl(PacketType.Reset, 0);
                this.resetIds();
                again = true;
              }
              break;
            case 'data':
              // A host data packet while we wait: implicit ACK of ours; ask for it again (§1.6).
              this.acked(id);
              await this.sendControl(PacketType.Resend, 0);
              return true;
            case 'damaged':
              this.stats.damagedReceived++;
              await this.sendControl(PacketType.Resend, 0);
              break;
            default:
              break;
          }
        }
        if (timeouts > budget) return false;
      }
    } finally {
      this.listening = wasListening;
      if (!wasListening) this.inbox = [];
    }
  }

  // ---------------------------------------------------------------- machine

  private setState(state: SimState, extra: Omit<SimStateChange, 'state'> = {}): void {
    this.stateValue = state;
    this.emit('stateChange', { state, ...extra } satisfies SimStateChange);
  }

  private async runMachine(): Promise<void> {
    if (this.opts.startOnHostConnect ?? true) {
      if (!this.hostSeen) await new Promise<void>((r) => this.hostSeenWaiters.push(r));
    }
    while (!this.closed) {
      this.bootCount++;
      this.actions = [];
      this.stepIter = this.scenario.steps(this.bootCount)[Symbol.iterator]();
      this.breakInPending = false;
      this.traceArmed = false;
      this.stepPending = false;
      this.printLineBuffer = '';
      this.debuggerNotPresent = false;
      this.inbox = [];
      this.reader.reset();
      // A (re)booted target announces itself with a RESET and then uses the sync id (§11).
      this.sendId = (INITIAL_PACKET_ID | SYNC_PACKET_ID) >>> 0;
      this.expectId = INITIAL_PACKET_ID;
      this.setState('running', { reason: this.bootCount === 1 ? 'power-on' : 'reboot' });
      await this.sendControl(PacketType.Reset, 0);
      const outcome = await this.execute();
      if (outcome === 'closed' || this.closed) return;
      this.stats.reboots++;
      this.setState('rebooting');
      this.emit('reboot', this.bootCount + 1);
      await this.sleep(this.rebootDelayMs);
      this.machine.reset();
      this.pathCache.clear();
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => {
      const t = setTimeout(r, ms);
      t.unref?.();
    });
  }

  private cachedPath(key: string, make: () => PathItem[]): PathItem[] {
    let p = this.pathCache.get(key);
    if (!p) {
      p = make();
      this.pathCache.set(key, p);
    }
    return p;
  }

  private path(func: string, base: string[], extra: Partial<PathAction> = {}, opts: { from?: string; to?: string } = {}): PathAction {
    const items = this.cachedPath(`${func}|${opts.from ?? ''}|${opts.to ?? ''}`, () => this.machine.tracePath(func, opts));
    return { kind: 'path', items, idx: 0, base, ...extra };
  }

  private nextStepActions(): Action[] | undefined {
    const r = this.stepIter?.next();
    if (!r || r.done) return undefined;
    return this.expand(r.value);
  }

  private static readonly BOOT_CHAIN = ['nt!KiSystemStartup', 'nt!Phase1Initialization'];

  private driverChain(module: string): string[] {
    return [...KdSimulator.BOOT_CHAIN, 'nt!IoInitSystem', 'nt!IopLoadDriver', `${module}!DriverEntry`];
  }

  private expand(step: ScenarioStep): Action[] {
    switch (step.kind) {
      case 'print': {
        const from = step.from ?? 'nt';
        const base = from === 'nt' || !this.machine.image.functions.has(`${from}!DriverEntry`) ? KdSimulator.BOOT_CHAIN : this.driverChain(from);
        return [this.path('nt!DbgPrint', base), { kind: 'effect', run: () => this.print(step.text) }];
      }
      case 'break':
        return [this.path('nt!DbgBreakPoint', ['nt!KiSystemStartup', 'nt!KiInitializeKernel', 'nt!KdInitSystem'])];
      case 'call':
        return [this.path(step.symbol, KdSimulator.BOOT_CHAIN)];
      case 'idle':
        return [{ kind: 'idle', until: Date.now() + step.ms }];
      case 'reboot':
        return [
          {
            kind: 'effect',
            run: async () => {
              if (step.notice && !this.debuggerNotPresent) await this.goingAwayNotice();
              this.rebootRequested = true;
            },
          },
        ];
      case 'loadSymbols':
        return [{ kind: 'effect', run: () => this.loadSymbols(step.module) }];
      case 'bugcheck':
        return this.bugcheckActions(step.code, step.params, true);
      case 'prompt':
        return [{ kind: 'effect', run: async () => void (await this.prompt(step.text, step.bufferSize ?? 512)) }];
      case 'fileOpen':
        return [{ kind: 'effect', run: async () => void (await this.fileOpen(step.path)) }];
      default:
        return [];
    }
  }

  private rebootRequested = false;

  private bugcheckActions(code: number, params: [number, number, number, number], announce: boolean): Action[] {
    const img = this.machine.image;
    const base = [...KdSimulator.BOOT_CHAIN, 'nt!IoInitSystem', 'nt!IopMarkBootPartition'];
    const args = { 'nt!KeBugCheckEx': [code, ...params], 'nt!KeBugCheck2': [code, ...params] };
    // KeBugCheckEx up to its call, then KeBugCheck2's prologue.
    const exList = img.functions.get('nt!KeBugCheckEx') ?? [];
    const callIdx = exList.findIndex((i) => i.callTarget === 'nt!KeBugCheck2');
    const entry: PathItem[] = [
      ...exList.slice(0, callIdx + 1).map((insn) => ({ insn, stack: ['nt!KeBugCheckEx'] })),
      ...this.machine.tracePath('nt!KeBugCheck2', { to: 'firstBreak', stack: ['nt!KeBugCheckEx'] }),
    ];
    const inner = [...base, 'nt!KeBugCheckEx'];
    const record: Action = {
      kind: 'effect',
      run: async () => {
        const m = img.memory;
        [code, ...params].forEach((v, i) => m.pokePtr(img.kiBugcheckData + m.ptrSize * i, v));
        if (code === 0x7b) this.writeArcName(params[0]);
        this.emit('bugcheck', { code, params });
        // %p: 8 hex digits on x86, 16 on x64 (pointers canonical, values zero-extended).
        const shown = params.map((v) =>
          m.ptrSize === 4 ? hex8(v) : (v > 0xffffffff ? m.toWire(v) : BigInt(v >>> 0)).toString(16).toUpperCase().padStart(16, '0'),
        );
        if (announce) await this.print(FATAL_FORMAT(code, shown));
      },
    };
    const secondChance = (): Action[] => [
      this.path('nt!KeBugCheck2', inner, { status: 4, args: { ...args, 'nt!DbgBreakPointWithStatus': [4] } }, { from: 'secondBreak' }),
      { kind: 'effect', run: async () => void this.actions.unshift(...secondChance()) },
    ];
    return [
      { kind: 'path', items: entry, idx: 0, base, args },
      record,
      this.path('nt!KeBugCheck2', inner, { status: 3, args: { ...args, 'nt!DbgBreakPointWithStatus': [3] } }, { from: 'firstBreak', to: 'secondBreak' }),
      ...secondChance(),
    ];
  }

  /** 0x7B's first parameter: a UNICODE_STRING with the ARC name of the boot device. */
  private writeArcName(addr: number): void {
    const m = this.machine.image.memory;
    const text = Buffer.from('\\ArcName\\multi(0)disk(0)rdisk(0)partition(1)', 'utf16le');
    const header = 2 * m.ptrSize; // Length, MaximumLength, (padding on x64), Buffer
    m.map(addr, header);
    const buf = addr + header;
    m.poke(buf, Buffer.concat([text, Buffer.alloc(2)]));
    m.pokeU16(addr, text.length);
    m.pokeU16(addr + 2, text.length + 2);
    m.pokePtr(addr + m.ptrSize, buf);
  }

  /** The machine's main loop: walks actions, hits breakpoints, honours single steps and break-ins. */
  private async execute(): Promise<'reboot' | 'closed'> {
    let sinceYield = 0;
    for (;;) {
      if (this.closed) return 'closed';
      if (this.rebootRequested) {
        this.rebootRequested = false;
        return 'reboot';
      }
      if (this.breakInPending) {
        this.breakInPending = false;
        this.stats.breakIns++;
        this.actions.unshift(this.breakInAction());
      }
      const a = this.actions[0];
      if (!a) {
        const next = this.nextStepActions();
        if (next) this.actions.push(...next);
        else this.actions.push({ kind: 'idle', until: Infinity });
        continue;
      }
      if (++sinceYield >= 64) {
        sinceYield = 0;
        await new Promise((r) => setImmediate(r));
      }
      let decision: Decision | undefined;
      if (a.kind === 'effect') {
        this.actions.shift();
        await a.run();
        continue;
      }
      if (a.kind === 'idle') {
        const idleAddr = this.machine.image.sym('nt!KiIdleLoop');
        this.machine.setReg('Eip', idleAddr);
        if (this.stepPending) {
          this.stepPending = false;
          decision = await this.stopException(this.idleAction(), { code: Status.SingleStep, reason: 'single-step' });
        } else {
          const remaining = a.until - Date.now();
          if (remaining <= 0) {
            this.actions.shift();
            continue;
          }
          await new Promise<void>((resolve) => {
            const t = Number.isFinite(remaining) ? setTimeout(resolve, Math.min(remaining, 2 ** 31 - 1)) : undefined;
            this.idleWake = () => {
              if (t) clearTimeout(t);
              resolve();
            };
            if (this.breakInPending || this.closed) this.idleWake();
          });
          this.idleWake = undefined;
          continue;
        }
      } else {
        if (a.idx >= a.items.length) {
          this.actions.shift();
          continue;
        }
        const item = a.items[a.idx];
        const addr = item.insn.addr;
        this.machine.setReg('Eip', addr);
        if (this.stepPending) {
          this.stepPending = false;
          decision = await this.stopException(a, { code: Status.SingleStep, reason: 'single-step' });
        } else if (this.hardwareBreakpointAt(addr)) {
          decision = await this.stopException(a, { code: Status.SingleStep, reason: 'hardware-breakpoint' });
        } else if (this.machine.image.memory.u8(addr) === 0xcc) {
          decision = await this.stopException(a, { code: Status.Breakpoint, reason: this.breakReason(a, addr) });
        } else {
          if (item.insn.eaxFromArg && a.status !== undefined) this.machine.setReg('Eax', a.status);
          a.idx++;
          this.resumeFlagAt = undefined;
          if (this.traceArmed) {
            this.traceArmed = false;
            this.stepPending = true;
          }
          continue;
        }
      }
      if (!decision) continue;
      const outcome = this.applyDecision(decision, a);
      if (outcome) return outcome;
    }
  }

  private breakReason(a: PathAction, addr: number): string {
    if (this.machine.breakpoints.some((b) => b?.addr === addr)) return 'breakpoint';
    if (a.status === 1) return 'break-in';
    if (a.status === 3 || a.status === 4) return 'bugcheck';
    return 'initial-break';
  }

  private idleAction(): PathAction {
    return this.path('nt!KiIdleLoop', ['nt!KiSystemStartup']);
  }

  private breakInAction(): PathAction {
    const cur = this.actions.find((x): x is PathAction => x.kind === 'path' && x.idx < x.items.length);
    const chain = cur ? [...cur.base, ...cur.items[cur.idx].stack] : ['nt!KiSystemStartup', 'nt!KiIdleLoop'];
    return this.path('nt!DbgBreakPointWithStatus', [...chain, 'nt!KeUpdateSystemTime'], { status: 1, args: { 'nt!DbgBreakPointWithStatus': [1] } });
  }

  /** After a stop: where the host left EIP decides where the scripted path continues. */
  private applyDecision(decision: Decision, a: Action): 'reboot' | 'closed' | undefined {
    if (decision.kind === 'closed') return 'closed';
    if (decision.kind === 'reboot') return 'reboot';
    if (decision.kind === 'bugcheck') {
      this.actions.unshift(...this.bugcheckActions(decision.code, decision.params, decision.code !== 0xe2));
      return undefined;
    }
    if (a.kind === 'path') {
      const eip = this.machine.reg('Eip');
      let j = a.items.findIndex((it, k) => k >= a.idx && it.insn.addr === eip);
      if (j < 0) j = a.items.findIndex((it) => it.insn.addr === eip);
      a.idx = j >= 0 ? j : a.items.length;
    }
    this.traceArmed = decision.trace;
    // EFLAGS.RF: the instruction we resume at does not re-trigger its hardware breakpoint.
    this.resumeFlagAt = this.machine.reg('Eip');
    return undefined;
  }

  private resumeFlagAt: number | undefined;

  /** An enabled execute breakpoint in Dr0–Dr3 (Dr7 L/G bits, R/W = 00) at `addr`; sets Dr6.Bn. */
  private hardwareBreakpointAt(addr: number): boolean {
    if (addr === this.resumeFlagAt) return false;
    const m = this.machine;
    const dr7 = m.reg('Dr7');
    const regs = ['Dr0', 'Dr1', 'Dr2', 'Dr3'] as const;
    for (let i = 0; i < 4; i++) {
      const enabled = (dr7 >>> (2 * i)) & 3;
      const rw = (dr7 >>> (16 + 4 * i)) & 3;
      if (enabled && rw === 0 && m.reg(regs[i]) === addr) {
        m.setReg('Dr6', (0xffff0ff0 | (1 << i)) >>> 0);
        return true;
      }
    }
    return false;
  }

  private common(pc: number): StateChangeCommon {
    const m = this.machine;
    return {
      processorLevel: 6,
      processor: 0,
      numberProcessors: 1,
      arch: this.machine.arch,
      toWire: (a) => this.machine.image.memory.toWire(a),
      thread: this.machine.image.layout.initialThread,
      programCounter: pc,
      report: {
        dr6: m.reg('Dr6'),
        dr7: m.reg('Dr7'),
        instructionStream: m.readWithoutBreakpoints(pc, 16),
        reportFlags: 3,
        segCs: m.reg('SegCs'),
        segDs: m.reg('SegDs'),
        segEs: m.reg('SegEs'),
        segFs: m.reg('SegFs'),
        eflags: m.reg('EFlags'),
      },
    };
  }

  private async stopException(a: PathAction, info: { code: number; reason: string }): Promise<Decision> {
    const item = a.items[Math.min(a.idx, a.items.length - 1)];
    this.machine.buildStack(a, item);
    const pc = this.machine.reg('Eip');
    this.traceArmed = false;
    this.stepPending = false;
    let firstChance = true;
    for (;;) {
      const exc: ExceptionFields = {
        code: info.code, flags: 0, record: 0, address: pc,
        parameters: info.code === Status.Breakpoint ? [0] : [], firstChance,
      };
      const payload = encodeExceptionStateChange(this.common(pc), exc);
      const d = await this.enterDebugger(payload, { reason: info.reason, code: info.code, pc, firstChance });
      if (d.kind === 'gaveUp') return { kind: 'closed' }; // not reachable: exception stops retry forever
      if (d.kind !== 'continue' || d.status !== DBG_EXCEPTION_NOT_HANDLED) return d;
      if (!firstChance) {
        // Nobody handled it: KERNEL_MODE_EXCEPTION_NOT_HANDLED.
        return { kind: 'bugcheck', code: 0x8e, params: [info.code, pc, 0, 0] };
      }
      firstChance = false;
    }
  }

  private async loadSymbols(baseName: string): Promise<void> {
    const mod = this.machine.image.modules.find((m) => m.spec.baseName.toLowerCase() === baseName.toLowerCase());
    if (!mod) throw new Error(`kdsim: no module ${baseName} in the image`);
    // Like DbgPrint, a load notification nobody acknowledges is given up (then KdDebuggerNotPresent).
    if (this.debuggerNotPresent) return;
    const pc = this.machine.image.sym('nt!IopLoadDriver');
    this.machine.setReg('Eip', pc);
    const payload = encodeLoadSymbolsStateChange(this.common(pc), {
      pathName: mod.spec.fullName, baseOfDll: mod.spec.base, processId: 0, checksum: mod.spec.checksum,
      sizeOfImage: mod.spec.size, unload: false,
    });
    const d = await this.enterDebugger(payload, { reason: 'load-symbols', pc, module: mod.spec.baseName }, this.printRetries);
    if (d.kind === 'gaveUp') {
      this.setDebuggerNotPresent(true);
      return;
    }
    if (d.kind === 'reboot') this.rebootRequested = true;
    if (d.kind === 'bugcheck') this.actions.unshift(...this.bugcheckActions(d.code, d.params, d.code !== 0xe2));
    if (d.kind === 'continue') this.traceArmed = d.trace;
  }

  /** The shutdown notice: LoadSymbols with Unload set, BaseOfDll −1, no path (kd-protocol.md §1.8). */
  private async goingAwayNotice(): Promise<void> {
    const pc = this.machine.reg('Eip');
    const payload = encodeLoadSymbolsStateChange(this.common(pc), {
      pathName: '', baseOfDll: -1, processId: 0, checksum: 0, sizeOfImage: 0, unload: true,
    });
    await this.enterDebugger(payload, { reason: 'shutdown-notice', pc }, this.printRetries);
  }

  /** Reports a stop and serves manipulate requests until Continue (KdpSendWaitContinue). */
  private async enterDebugger(stateChange: Buffer, info: Omit<SimStateChange, 'state'>, budget = Infinity): Promise<Decision | { kind: 'gaveUp' }> {
    this.stats.stateChanges++;
    this.contextSent = false;
    this.setState('stopped', info);
    this.listening = true;
    this.inbox = [];
    try {
      if (!(await this.sendPacket(PacketType.StateChange64, stateChange, budget))) return this.closed ? { kind: 'closed' } : { kind: 'gaveUp' };
      for (;;) {
        const ev = await this.nextEvent(Infinity);
        if (ev.kind === 'closed') return { kind: 'closed' };
        if (ev.kind === 'damaged') {
          this.stats.damagedReceived++;
          await this.sendControl(PacketType.Resend, 0);
          continue;
        }
        if (ev.kind === 'control') {
          if (ev.type === PacketType.Reset) {
            this.stats.resetsReceived++;
            await this.sendControl(PacketType.Reset, 0);
            this.resetIds();
          } else if (ev.type === PacketType.Resend) {
            this.stats.resendsReceived++;
          } else {
            this.stats.acksReceived++;
            continue;
          }
          // RESET or RESEND while waiting for a request: report the stop again.
          if (!(await this.sendPacket(PacketType.StateChange64, stateChange, Infinity))) return { kind: 'closed' };
          continue;
        }
        if (ev.kind !== 'data') continue;
        const base = (ev.id & ~SYNC_PACKET_ID) >>> 0;
        await this.sendControl(PacketType.Acknowledge, base);
        if (base !== this.expectId) {
          this.stats.duplicatesDropped++;
          continue;
        }
        this.expectId = (this.expectId ^ 1) >>> 0;
        if (ev.type !== PacketType.StateManipulate) continue;
        const req = decodeManipulate(ev.payload);
        if (!req) continue;
        this.stats.manipulateRequests++;
        const result = this.handleManipulate(req);
        if (result.reply) {
          if (!(await this.sendPacket(PacketType.StateManipulate, result.reply, Infinity))) return { kind: 'closed' };
        }
        if (result.resendStateChange) {
          if (!(await this.sendPacket(PacketType.StateChange64, stateChange, Infinity))) return { kind: 'closed' };
        }
        if (result.decision) return result.decision;
      }
    } finally {
      this.listening = false;
      if (!this.closed) this.setState('running', { reason: 'continue' });
    }
  }

  // ---------------------------------------------------------------- debug I/O

  private appendToPrintBuffer(text: Buffer): void {
    const img = this.machine.image;
    const start = img.sym('nt!KdPrintCircularBuffer');
    const ptrAt = img.sym('nt!KdPrintWritePointer');
    let p = img.memory.ptr(ptrAt) ?? start;
    for (const b of text) {
      img.memory.write(p, Buffer.from([b]));
      p++;
      if (p >= start + 0x1000) {
        p = start;
        const rollAt = img.sym('nt!KdPrintRolloverCount');
        img.memory.pokeU32(rollAt, (img.memory.u32(rollAt) ?? 0) + 1);
      }
    }
    img.memory.pokePtr(ptrAt, p);
  }

  /** DbgPrint: one DEBUG_IO packet per 3984 bytes; lines are reported once acknowledged. */
  private async print(text: string): Promise<void> {
    const all = Buffer.from(text, 'latin1');
    this.appendToPrintBuffer(all);
    if (this.debuggerNotPresent) {
      this.stats.printsGivenUp++;
      return;
    }
    const max = PACKET_MAX_SIZE - 16;
    for (let off = 0; off < all.length || off === 0; off += max) {
      const chunk = all.subarray(off, off + max);
      // For latency measurements: the moment this text starts to go out on the line.
      this.emit('printStart', chunk.toString('latin1'));
      const ok = await this.sendPacket(PacketType.DebugIo, encodePrintString(chunk), this.printRetries);
      if (!ok) {
        if (this.closed) return;
        this.stats.printsGivenUp++;
        this.setDebuggerNotPresent(true);
        return;
      }
      this.emitPrinted(chunk.toString('latin1'));
      if (all.length === 0) break;
    }
  }

  /** KdDebuggerNotPresent: after a DbgPrint gives up, prints stay off the wire until the host shows up. */
  private setDebuggerNotPresent(value: boolean): void {
    this.debuggerNotPresent = value;
    const img = this.machine.image;
    img.memory.write(img.sym('nt!KdDebuggerNotPresent'), Buffer.from([value ? 1 : 0]));
  }

  private emitPrinted(text: string): void {
    this.emit('print', text);
    this.printLineBuffer += text;
    let nl: number;
    while ((nl = this.printLineBuffer.indexOf('\n')) >= 0) {
      const line = this.printLineBuffer.slice(0, nl).replace(/\r$/, '');
      this.printLineBuffer = this.printLineBuffer.slice(nl + 1);
      this.stats.linesAcked++;
      this.emit('line', line);
    }
  }

  /** DbgPrompt: send the prompt, wait for the host's GetString answer. */
  private async prompt(text: string, bufferSize: number): Promise<string | undefined> {
    this.listening = true;
    try {
      const payload = encodeGetString(text, bufferSize);
      for (let attempt = 0; attempt < 5; attempt++) {
        if (!(await this.sendPacket(PacketType.DebugIo, payload, this.printRetries))) return undefined;
        const answer = await this.awaitReply(PacketType.DebugIo, (p) => p.readUInt32LE(0) === DebugIoApi.GetString);
        if (answer) {
          const n = Math.min(answer.readUInt32LE(0x0c), answer.length - 16, bufferSize);
          const s = answer.subarray(16, 16 + Math.max(0, n)).toString('latin1');
          this.emit('promptAnswer', s);
          return s;
        }
      }
      return undefined;
    } finally {
      this.listening = false;
    }
  }

  /** FILE_IO CreateFile: the host must answer; anything but success means "use the local file". */
  private async fileOpen(path: string): Promise<number | undefined> {
    this.listening = true;
    try {
      const payload = encodeCreateFile(path, {
        desiredAccess: 0x00120089, fileAttributes: 0x80, shareAccess: 1, createDisposition: 1, createOptions: 0,
        handle: 0n, length: 0n,
      });
      for (let attempt = 0; attempt < 5; attempt++) {
        if (!(await this.sendPacket(PacketType.FileIo, payload, this.printRetries))) return undefined;
        const answer = await this.awaitReply(PacketType.FileIo, (p) => p.length >= 8 && p.readUInt32LE(0) === FileIoApi.CreateFile);
        if (answer) {
          const status = answer.readUInt32LE(4);
          this.emit('fileIo', { path, status });
          return status;
        }
      }
      return undefined;
    } finally {
      this.listening = false;
    }
  }

  private async awaitReply(type: number, match: (p: Buffer) => boolean): Promise<Buffer | undefined> {
    const deadline = Date.now() + this.ackTimeoutMs * 10;
    for (;;) {
      const ev = await this.nextEvent(deadline - Date.now());
      if (ev.kind === 'closed' || ev.kind === 'timeout') return undefined;
      if (ev.kind === 'damaged') {
        await this.sendControl(PacketType.Resend, 0);
        continue;
      }
      if (ev.kind !== 'data') continue;
      const base = (ev.id & ~SYNC_PACKET_ID) >>> 0;
      await this.sendControl(PacketType.Acknowledge, base);
      if (base !== this.expectId) {
        this.stats.duplicatesDropped++;
        continue;
      }
      this.expectId = (this.expectId ^ 1) >>> 0;
      if (ev.type === type && match(ev.payload)) return ev.payload;
    }
  }

  // ---------------------------------------------------------------- manipulate state (§3)

  /**
   * Serves one manipulate-state request payload as the stopped target would and returns the reply
   * payload (undefined for APIs without a reply, e.g. Continue). For payload-level tests.
   */
  handleManipulateRequest(payload: Buffer): Buffer | undefined {
    const req = decodeManipulate(payload);
    if (!req) return undefined;
    const r = this.handleManipulate(req);
    if (r.decision?.kind === 'continue') this.traceArmed = false;
    return r.reply;
  }

  private handleManipulate(req: ManipulateRequest): HandlerResult {
    const handler = this.handlers[req.api];
    if (handler) return handler(req);
    return { reply: buildManipulateReply(req, Status.Unsuccessful) };
  }

  private readonly maxTransfer = PACKET_MAX_SIZE - MANIPULATE_HEADER_SIZE;

  private readMemoryReply(req: ManipulateRequest, read: (addr: number, count: number) => Buffer, addr: number): HandlerResult {
    const count = Math.min(req.raw.readUInt32LE(0x18), this.maxTransfer);
    const data = read(addr, count);
    const status = data.length === count ? Status.Success : Status.Unsuccessful;
    return { reply: buildManipulateReply(req, status, (h) => h.writeUInt32LE(data.length, 0x1c), data) };
  }

  private writeMemoryReply(req: ManipulateRequest, write: (addr: number, data: Buffer) => number, addr: number): HandlerResult {
    const count = Math.min(req.raw.readUInt32LE(0x18), req.data.length);
    const written = write(addr, req.data.subarray(0, count));
    const status = written === count ? Status.Success : Status.Unsuccessful;
    return { reply: buildManipulateReply(req, status, (h) => h.writeUInt32LE(written, 0x1c)) };
  }

  private physicalToVirtual(raw: Buffer, off: number): number | undefined {
    const pa = raw.readBigUInt64LE(off);
    const L = this.machine.image.layout;
    return pa < BigInt(L.physSize) ? L.physBase + Number(pa) : undefined;
  }

  private readonly handlers: Record<number, (req: ManipulateRequest) => HandlerResult> = {
    [Api.ReadVirtualMemory]: (req) => this.readMemoryReply(req, (a, n) => this.machine.image.memory.read(a, n), this.addressAt(req.raw, 0x10)),
    [Api.WriteVirtualMemory]: (req) => this.writeMemoryReply(req, (a, d) => this.machine.image.memory.write(a, d), this.addressAt(req.raw, 0x10)),
    [Api.ReadPhysicalMemory]: (req) => {
      const va = this.physicalToVirtual(req.raw, 0x10);
      return this.readMemoryReply(req, (a, n) => (va === undefined ? Buffer.alloc(0) : this.machine.image.memory.read(a, n)), va ?? 0);
    },
    [Api.WritePhysicalMemory]: (req) => {
      const va = this.physicalToVirtual(req.raw, 0x10);
      return this.writeMemoryReply(req, (a, d) => (va === undefined ? 0 : this.machine.image.memory.write(a, d)), va ?? 0);
    },
    [Api.GetContext]: (req) => {
      if (req.processor !== 0) return { reply: buildManipulateReply(req, Status.Unsuccessful) };
      this.contextSent = true;
      return { reply: buildManipulateReply(req, Status.Success, undefined, Buffer.from(this.machine.context)) };
    },
    [Api.SetContext]: (req) => {
      const size = this.machine.context.length;
      if (!this.contextSent || req.data.length < size || req.processor !== 0) {
        return { reply: buildManipulateReply(req, Status.Unsuccessful) };
      }
      req.data.copy(this.machine.context, 0, 0, size);
      return { reply: buildManipulateReply(req, Status.Success) };
    },
    [Api.ReadControlSpace]: (req) => {
      if (req.processor !== 0) return { reply: buildManipulateReply(req, Status.Unsuccessful) };
      const state = this.controlSpaceView(req.raw.readBigUInt64LE(0x10));
      const off = this.machine.arch === 'x64' ? 0 : this.addressAt(req.raw, 0x10);
      return this.readMemoryReply(req, (a, n) => (a < state.length ? state.subarray(a, a + n) : Buffer.alloc(0)), off);
    },
    [Api.WriteControlSpace]: (req) =>
      this.writeMemoryReply(req, (a, d) => (req.processor !== 0 ? 0 : this.writeControlSpace(req.raw.readBigUInt64LE(0x10), d)), this.addressAt(req.raw, 0x10)),
    [Api.WriteBreakPoint]: (req) => {
      const handle = this.machine.addBreakpoint(this.addressAt(req.raw, 0x10));
      return { reply: buildManipulateReply(req, handle ? Status.Success : Status.Unsuccessful, (h) => h.writeUInt32LE(handle ?? 0, 0x18)) };
    },
    [Api.RestoreBreakPoint]: (req) => ({
      reply: buildManipulateReply(req, this.machine.removeBreakpoint(req.raw.readUInt32LE(0x10)) ? Status.Success : Status.Unsuccessful),
    }),
    [Api.Continue]: (req) => {
      const status = req.raw.readUInt32LE(0x10);
      return { decision: { kind: 'continue', trace: false, status } };
    },
    [Api.Continue2]: (req) => {
      const status = req.raw.readUInt32LE(0x10);
      const trace = req.raw.readUInt32LE(0x14) !== 0;
      this.machine.setReg('Dr7', req.raw.readUInt32LE(0x18));
      const eflags = this.machine.reg('EFlags');
      this.machine.setReg('EFlags', trace ? eflags | 0x100 : eflags & ~0x100);
      return { decision: { kind: 'continue', trace, status } };
    },
    [Api.ReadIoSpace]: (req) => {
      const size = req.raw.readUInt32LE(0x18);
      const port = this.addressAt(req.raw, 0x10);
      if (![1, 2, 4].includes(size) || port % size !== 0) return { reply: buildManipulateReply(req, Status.DatatypeMisalignment) };
      const value = size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
      return { reply: buildManipulateReply(req, Status.Success, (h) => h.writeUInt32LE(value >>> 0, 0x1c)) };
    },
    [Api.WriteIoSpace]: (req) => {
      const size = req.raw.readUInt32LE(0x18);
      const port = this.addressAt(req.raw, 0x10);
      const ok = [1, 2, 4].includes(size) && port % size === 0;
      return { reply: buildManipulateReply(req, ok ? Status.Success : Status.DatatypeMisalignment) };
    },
    [Api.Reboot]: () => ({ decision: { kind: 'reboot' } }),
    [Api.CauseBugCheck]: () => ({ decision: { kind: 'bugcheck', code: 0xe2, params: [0, 0, 0, 0] } }),
    [Api.ClearAllInternalBreakpoints]: () => ({}),
    [Api.SwitchProcessor]: (req) => (req.processor === 0 ? { resendStateChange: true } : {}),
    [Api.GetVersion]: (req) => ({
      reply: buildManipulateReply(req, Status.Success, (h) => versionBlockBytes(this.machine.image, this.machine.buildNumber).copy(h, 0x10)),
    }),
    [Api.ReadMachineSpecificRegister]: (req) => {
      const value = this.msrValue(req.raw.readUInt32LE(0x10));
      if (value === undefined) return { reply: buildManipulateReply(req, Status.NoSuchDevice) };
      return {
        reply: buildManipulateReply(req, Status.Success, (h) => {
          h.writeUInt32LE(Number(value & 0xffffffffn), 0x14);
          h.writeUInt32LE(Number(value >> 32n), 0x18);
        }),
      };
    },
    [Api.WriteMachineSpecificRegister]: (req) => {
      const known = this.msrValue(req.raw.readUInt32LE(0x10)) !== undefined;
      return { reply: buildManipulateReply(req, known ? Status.Success : Status.NoSuchDevice) };
    },
    [Api.QueryMemory]: (req) => {
      const addr = this.addressAt(req.raw, 0x10);
      const kernel = this.machine.arch === 'x64' ? addr >= 0x800000000000 : addr >= 0x80000000;
      const mapped = this.machine.image.memory.isMapped(addr);
      return {
        reply: buildManipulateReply(req, Status.Success, (h) => {
          h.writeUInt32LE(kernel ? 2 : 0, 0x20);
          h.writeUInt32LE(mapped ? 7 : 0, 0x24);
        }),
      };
    },
    [Api.SearchMemory]: (req) => {
      const start = this.addressAt(req.raw, 0x10);
      const length = Math.min(Number(req.raw.readBigUInt64LE(0x18) & 0xffffffffn), 0x100000);
      const plen = req.raw.readUInt32LE(0x20);
      const pattern = req.data.subarray(0, plen);
      const hay = this.machine.image.memory.read(start, length + plen);
      const at = plen ? hay.indexOf(pattern) : -1;
      if (at < 0 || at > length) return { reply: buildManipulateReply(req, Status.Unsuccessful) };
      return { reply: buildManipulateReply(req, Status.Success, (h) => h.writeBigUInt64LE(this.machine.image.memory.toWire(start + at), 0x10)) };
    },
    [Api.FillMemory]: (req) => {
      const physical = (req.raw.readUInt16LE(0x1c) & 2) !== 0;
      const addr = physical ? Number(req.raw.readBigUInt64LE(0x10) & 0xffffffffn) : this.addressAt(req.raw, 0x10);
      const length = req.raw.readUInt32LE(0x18);
      const plen = req.raw.readUInt16LE(0x1e);
      const pattern = req.data.subarray(0, plen);
      if (!plen || length > 0x100000) return { reply: buildManipulateReply(req, Status.InvalidParameter) };
      const fill = Buffer.alloc(length);
      for (let i = 0; i < length; i++) fill[i] = pattern[i % plen];
      const L = this.machine.image.layout;
      const va = physical ? (addr < L.physSize ? L.physBase + addr : undefined) : addr;
      const done = va === undefined ? 0 : this.machine.image.memory.write(va, fill);
      return { reply: buildManipulateReply(req, done === length ? Status.Success : Status.Unsuccessful, (h) => h.writeUInt32LE(done, 0x18)) };
    },
  };

  /** A 64-bit address field of a request, as this machine's address (x86: low 32 bits). */
  private addressAt(raw: Buffer, off: number): number {
    return this.machine.image.memory.fromWire(raw.readBigUInt64LE(off));
  }

  /**
   * Control space: x86 = KPROCESSOR_STATE (CONTEXT + KSPECIAL_REGISTERS) addressed by byte offset;
   * x64 = an index: 0 KPCR address, 1 KPRCB address, 2 KSPECIAL_REGISTERS, 3 current KTHREAD (§3.3).
   */
  private controlSpaceView(address: bigint): Buffer {
    const m = this.machine;
    if (m.arch === 'x86') return m.processorState();
    const L = m.image.layout;
    const ptr = (v: number): Buffer => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(m.image.memory.toWire(v), 0);
      return b;
    };
    switch (address) {
      case 0n: return ptr(L.kpcr);
      case 1n: return ptr(L.kprcb);
      case 2n: return Buffer.from(m.special);
      case 3n: return ptr(L.initialThread);
      default: return Buffer.alloc(0);
    }
  }

  private writeControlSpace(address: bigint, data: Buffer): number {
    const m = this.machine;
    if (m.arch === 'x86') return m.writeProcessorState(Number(address & 0xffffffffn), data);
    if (address !== 2n) return 0;
    const n = Math.min(data.length, m.special.length);
    data.copy(m.special, 0, 0, n);
    return n;
  }

  private msrValue(msr: number): bigint | undefined {
    const table: Record<number, bigint> = {
      0x10: BigInt(Math.floor(performance.now() * 1e6)), // TSC
      0x1b: 0xfee00900n, // APIC base, BSP, enabled
      0x174: 0x08n, // SYSENTER_CS
      0x175: 0xf8a4e000n, // SYSENTER_ESP
      0x176: this.machine.image.memory.toWire(this.machine.image.sym('nt!KiSystemStartup')), // SYSENTER_EIP (stand-in)
    };
    return table[msr];
  }
}
