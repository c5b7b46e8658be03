/**
 * Execution control of an x86 CPU behind QEMU's gdbstub, in terms of linear addresses:
 * breakpoint bookkeeping (one Z packet per distinct location, shared by several owners),
 * continue/step off a breakpoint (QEMU re-reports a breakpoint at the PC: remove, step, re-insert),
 * step over `call`/`int` with a temporary breakpoint on the next instruction, step out via a
 * shadow call stack, data breakpoints with the hit address, steps that never finish (`hlt`) and
 * stop notes (`jmp $` self-loop, reset vector reached again).
 */
import { EventEmitter } from 'node:events';
import { RspClient, RspError, type StopReply } from './rspClient';
import {
  RegisterFile,
  buildSnapshot,
  needsSegmentInfo,
  parseInfoRegisters,
  segmentBase,
  RESET_VECTOR_LINEAR,
  RESET_VECTOR_ALIAS,
  type CpuSnapshot,
  type RegisterDef,
  type InfoRegisters,
} from './x86Model';
import type { DecodedInstruction, DisassembleFn } from './collaborators';

export type BreakpointKind = 'sw' | 'write' | 'read' | 'access';
const Z_TYPE: Record<BreakpointKind, 0 | 2 | 3 | 4> = { sw: 0, write: 2, read: 3, access: 4 };
const WATCH_KIND: Record<string, BreakpointKind> = { watch: 'write', rwatch: 'read', awatch: 'access' };

/** Owner ids below zero are internal (temporary step breakpoints, the reset vector watch). */
const RESET_OWNER = -1;
const TEMP_OWNER = -2;

interface Physical {
  kind: BreakpointKind;
  address: bigint;
  length: number;
  owners: Set<number>;
  inserted: boolean;
  error?: string;
}

export type MachineStopReason = 'breakpoint' | 'data breakpoint' | 'step' | 'pause' | 'reset' | 'entry';

export interface MachineStop {
  reason: MachineStopReason;
  snapshot: CpuSnapshot;
  /** Owner ids of the breakpoints at this stop (only ids ≥ 0). */
  hitIds: number[];
  watch?: { kind: BreakpointKind; address: bigint };
  /** Human notes for the Debug Console (self-loop, halted CPU, reset). */
  notes: string[];
}

export interface ShadowFrame {
  /** Linear return address and its seg:off. */
  returnLinear: bigint;
  returnCs: number;
  returnIp: number;
  /** SP right after the call pushed the return address; the frame is live while SP ≤ this. */
  spAtCall: number;
  ssBase: bigint;
  far: boolean;
  /** Linear address of the called code (entry). */
  entryLinear: bigint;
}

interface MachineEvents {
  stopped: [MachineStop];
  running: [];
  exited: [string];
}

export interface MachineOptions {
  disassemble: DisassembleFn;
  log?: (line: string) => void;
  /** How long a single step may take before it is considered stuck (`hlt`). */
  stepTimeoutMs?: number;
}

/** Lets a stop hook insert breakpoints while the machine is busy handling the stop. */
export interface HookContext {
  addBreakpoint(owner: number, kind: BreakpointKind, address: bigint, length?: number): Promise<{ ok: boolean; error?: string }>;
}

/** An internal one-shot breakpoint that runs code and, unless a user breakpoint is there too,
 *  lets a `continue` carry on invisibly (e.g. learning iPXE's .text16/.data16 segments). */
interface StopHook {
  address: bigint;
  run(snap: CpuSnapshot, ctx: HookContext): Promise<void>;
}

type ResumeMode =
  | { kind: 'continue' }
  | { kind: 'temp'; address: bigint; accept: (snap: CpuSnapshot) => boolean };

export class X86Machine extends EventEmitter<MachineEvents> {
  private snap: CpuSnapshot | undefined;
  private readonly bps = new Map<string, Physical>();
  private stateValue: 'stopped' | 'running' | 'exited' = 'stopped';
  private resumeMode: ResumeMode | undefined;
  private pauseRequested = false;
  private internalHalt: ((s: StopReply) => void) | undefined;
  private shadow: ShadowFrame[] = [];
  private infoCache: InfoRegisters | undefined;
  private readonly log: (line: string) => void;
  private readonly stepTimeoutMs: number;
  private busy: Promise<unknown> = Promise.resolve();
  private readonly hooks = new Map<number, StopHook>();
  /** Step-out walk in progress: 'stepping' between single steps, 'continuing' over a call. */
  private loopMode: 'none' | 'stepping' | 'continuing' = 'none';
  private nextHookOwner = -100;

  constructor(readonly client: RspClient, readonly registerDefs: RegisterDef[], private readonly opts: MachineOptions) {
    super();
    this.log = opts.log ?? (() => undefined);
    this.stepTimeoutMs = opts.stepTimeoutMs ?? 1500;
    client.on('close', (reason) => this.markExited(reason));
  }

  get state(): 'stopped' | 'running' | 'exited' {
    return this.stateValue;
  }

  get snapshot(): CpuSnapshot | undefined {
    return this.snap;
  }

  /** Forget remembered callers (after a reset). */
  forgetFrames(): void {
    this.shadow = [];
  }

  /** Live shadow frames, innermost first. */
  get callStack(): ShadowFrame[] {
    const sp = this.snap ? this.spOf(this.snap) : 0;
    return this.shadow.filter((f) => sp <= f.spAtCall).reverse();
  }

  private markExited(reason: string): void {
    if (this.stateValue === 'exited') return;
    this.stateValue = 'exited';
    this.emit('exited', reason);
  }

  /** Serialises operations that talk to the stub. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.busy.then(fn, fn);
    this.busy = run.catch(() => undefined);
    return run;
  }

  // ---- state ----

  /** Reads `g` (and `info registers` when CS.base cannot be derived from the selector). */
  async refresh(forceInfo = false, registers?: Promise<Buffer>): Promise<CpuSnapshot> {
    const regs = new RegisterFile(this.registerDefs, await (registers ?? this.client.readRegisters()));
    let info: InfoRegisters | undefined;
    if (forceInfo || needsSegmentInfo(regs, this.snap)) info = await this.fetchInfo();
    else this.infoCache = undefined;
    this.snap = buildSnapshot(regs, info);
    return this.snap;
  }

  private async fetchInfo(): Promise<InfoRegisters | undefined> {
    try {
      this.infoCache = parseInfoRegisters(await this.client.monitor('info registers'));
    } catch (err) {
      this.log(`info registers failed: ${(err as Error).message}`);
      this.infoCache = undefined;
    }
    return this.infoCache;
  }

  /** `info registers` for the current stop (hidden bases of all segments), fetched once per stop. */
  async segmentInfo(): Promise<InfoRegisters | undefined> {
    if (this.stateValue !== 'stopped') return this.snap?.info;
    if (this.snap?.info) return this.snap.info;
    if (!this.infoCache) await this.exclusive(() => this.fetchInfo());
    if (this.snap && this.infoCache) this.snap = buildSnapshot(this.snap.regs, this.infoCache);
    return this.infoCache;
  }

  private spOf(s: CpuSnapshot): number {
    const esp = s.regs.u32('esp');
    return s.bitness === 32 ? esp : esp & 0xffff;
  }

  private requireStopped(what: string): CpuSnapshot {
    if (this.stateValue === 'exited') throw new RspError(`cannot ${what}: the target has exited`, 'closed');
    if (this.stateValue === 'running') throw new RspError(`cannot ${what} while the target runs`, 'running');
    if (!this.snap) throw new RspError(`cannot ${what}: no CPU state yet`);
    return this.snap;
  }

  // ---- breakpoints ----

  private key(kind: BreakpointKind, address: bigint, length: number): string {
    return `${kind}:${address.toString(16)}:${length}`;
  }

  /** Adds an owner for a location; inserts the Z packet when it is the first. Works while running
   *  (pauses, inserts, resumes: QEMU drops any packet sent while the VM runs). */
  async addBreakpoint(owner: number, kind: BreakpointKind, address: bigint, length = 1): Promise<{ ok: boolean; error?: string }> {
    const p = this.physical(owner, kind, address, length);
    if (!p.inserted) await this.whileHalted(() => this.insert(p));
    return p.inserted ? { ok: true } : { ok: false, error: p.error };
  }

  private physical(owner: number, kind: BreakpointKind, address: bigint, length: number): Physical {
    const k = this.key(kind, address, length);
    let p = this.bps.get(k);
    if (!p) {
      p = { kind, address, length, owners: new Set(), inserted: false };
      this.bps.set(k, p);
    }
    p.owners.add(owner);
    return p;
  }

  /** For hooks: insert while the stop is being handled (the machine is already halted and busy). */
  private readonly hookContext: HookContext = {
    addBreakpoint: async (owner, kind, address, length = 1) => {
      const p = this.physical(owner, kind, address, length);
      if (!p.inserted) await this.insert(p);
      return p.inserted ? { ok: true } : { ok: false, error: p.error };
    },
  };

  /** Registers a one-shot stop hook at a linear address. */
  async addStopHook(address: bigint, run: StopHook['run']): Promise<void> {
    const owner = this.nextHookOwner--;
    this.hooks.set(owner, { address, run });
    await this.addBreakpoint(owner, 'sw', address);
  }

  /** Runs the hooks at the PC (dropping their breakpoints); true when one ran. */
  private async runHooksAt(snap: CpuSnapshot): Promise<boolean> {
    let ran = false;
    for (const [owner, hook] of [...this.hooks]) {
      if (hook.address !== snap.linearPc) continue;
      this.hooks.delete(owner);
      ran = true;
      try {
        await hook.run(snap, this.hookContext);
      } catch (err) {
        this.log(`stop hook at 0x${hook.address.toString(16)} failed: ${(err as Error).message}`);
      }
      for (const [k, p] of this.bps) {
        if (!p.owners.delete(owner) || p.owners.size > 0) continue;
        this.bps.delete(k);
        if (p.inserted) await this.client.removeBreakpoint(0, p.address, 1).catch(() => undefined);
      }
    }
    return ran;
  }

  async removeBreakpoint(owner: number): Promise<void> {
    const victims: Physical[] = [];
    for (const [k, p] of this.bps) {
      if (!p.owners.delete(owner)) continue;
      if (p.owners.size === 0) {
        this.bps.delete(k);
        if (p.inserted) victims.push(p);
      }
    }
    if (victims.length) await this.whileHalted(async () => {
      for (const p of victims) await this.client.removeBreakpoint(Z_TYPE[p.kind], p.address, p.kind === 'sw' ? 1 : p.length).catch(() => undefined);
    });
  }

  private async insert(p: Physical): Promise<void> {
    try {
      await this.client.insertBreakpoint(Z_TYPE[p.kind], p.address, p.kind === 'sw' ? 1 : p.length);
      p.inserted = true;
      p.error = undefined;
    } catch (err) {
      p.error = (err as Error).message;
    }
  }

  /** Enables the internal breakpoint at the reset vector (“the prefix rebooted”). */
  async setStopOnReset(on: boolean): Promise<void> {
    if (on) {
      await this.addBreakpoint(RESET_OWNER, 'sw', RESET_VECTOR_LINEAR);
      await this.addBreakpoint(RESET_OWNER, 'sw', RESET_VECTOR_ALIAS);
    } else {
      await this.removeBreakpoint(RESET_OWNER);
    }
  }

  private ownersAt(kind: BreakpointKind, address: bigint): number[] {
    const ids: number[] = [];
    for (const p of this.bps.values()) if (p.kind === kind && p.address === address) ids.push(...p.owners);
    return ids;
  }

  private watchOwners(address: bigint, kind: BreakpointKind): number[] {
    const ids: number[] = [];
    for (const p of this.bps.values()) {
      if (p.kind === 'sw') continue;
      const inRange = address >= p.address && address < p.address + BigInt(p.length);
      if (inRange && (p.kind === kind || p.kind === 'access')) ids.push(...p.owners);
    }
    if (ids.length === 0) for (const p of this.bps.values()) if (p.kind === kind) ids.push(...p.owners);
    return ids.filter((id) => id >= 0);
  }

  /** Runs fn with the CPU halted; if it was running, pause it quietly and resume afterwards. */
  private async whileHalted(fn: () => Promise<void>): Promise<void> {
    if (this.stateValue === 'exited') return;
    if (this.stateValue === 'stopped') {
      await this.exclusive(fn);
      return;
    }
    await this.exclusive(async () => {
      // The state may have changed while waiting for the lock (e.g. a step-out walk ended).
      if (this.stateValue !== 'running') {
        if (this.stateValue === 'stopped') await fn();
        return;
      }
      const halted = new Promise<StopReply>((resolve) => (this.internalHalt = resolve));
      this.client.interrupt();
      const stop = await Promise.race([halted, delay(3000).then(() => undefined)]);
      this.internalHalt = undefined;
      if (!stop) throw new RspError('the target did not stop to update breakpoints');
      await fn();
      // A stop that was not our interrupt (a breakpoint fired first) is reported normally.
      if (stop.kind !== 'signal' || stop.code !== 2 || stop.watch) {
        await this.handleRunStop(stop);
        return;
      }
      await this.client.resume('c');
      this.awaitRunStop();
    });
  }

  // ---- execution ----

  /** Steps one instruction with any breakpoint at the PC lifted; times out on `hlt`. */
  private async rawStep(): Promise<{ stop: StopReply; stuck: boolean }> {
    const pc = this.snap?.linearPc;
    const lifted = [...this.bps.values()].filter((p) => p.kind === 'sw' && p.inserted && p.address === pc);
    for (const p of lifted) {
      await this.client.removeBreakpoint(0, p.address, 1);
      p.inserted = false;
    }
    try {
      await this.client.resume('s', { readRegisters: true });
      let stop = await this.client.waitForStop(this.stepTimeoutMs);
      let stuck = false;
      if (!stop) {
        stuck = true;
        this.client.interrupt();
        stop = await this.client.waitForStop(3000);
        if (!stop) throw new RspError('the target did not stop after a single step nor after an interrupt');
      }
      return { stop, stuck };
    } finally {
      if (!this.client.closed) for (const p of lifted) await this.insert(p);
    }
  }

  /** Single instruction step. */
  stepInstruction(): Promise<void> {
    return this.exclusive(async () => {
      const before = this.requireStopped('step');
      const { stop, stuck } = await this.rawStep();
      if (this.exitedBy(stop)) return;
      const snap = await this.refresh(false, stop.registers);
      await this.trackCall(before, snap);
      await this.runHooksAt(snap);
      const notes = stuck ? [`the step did not finish within ${this.stepTimeoutMs} ms (the CPU waits in hlt?); interrupted`] : [];
      this.emitStop(this.classify(stop, snap, 'step', notes));
    });
  }

  /** Step over a call/int (temporary breakpoint after it); other instructions are single-stepped. */
  async stepOver(): Promise<void> {
    const insn = await this.exclusive(async () => this.decodeAt(this.requireStopped('step over')));
    // QEMU single-steps a `rep` string instruction one iteration at a time: run over it too.
    const repeated = insn !== undefined && /^rep/.test(insn.text);
    if (!insn || (insn.flow !== 'call' && insn.flow !== 'int' && !repeated)) return this.stepInstruction();
    const snap = this.snap!;
    const next = snap.linearPc + BigInt(insn.length);
    const sp = this.spOf(snap);
    // Recursion: only stop once SP is back at this frame's level.
    await this.runTo(next, (s) => this.spOf(s) >= sp);
  }

  /** Step out of the innermost known frame (shadow stack, or a near/far call detected at function entry). */
  async stepOut(): Promise<void> {
    const snap = this.requireStopped('step out');
    let frame: ShadowFrame | undefined = this.callStack[0];
    if (!frame) frame = await this.exclusive(() => this.frameAtEntry(snap));
    if (!frame) {
      // Caller unknown: step (over calls) until this code returns.
      this.requireStopped('step out');
      this.stateValue = 'running';
      this.emit('running');
      void this.exclusive(() => this.stepUntilReturn()).catch((err) => {
        this.log(`step out failed: ${(err as Error).message}`);
        if (this.stateValue !== 'exited' && this.snap) {
          this.emitStop({ reason: 'step', snapshot: this.snap, hitIds: [], notes: [`step out stopped: ${(err as Error).message}`] });
        }
      });
      return;
    }
    const f = frame;
    await this.runTo(f.returnLinear, (s) => this.spOf(s) > f.spAtCall);
  }

  /** Longest instruction walk of a step out whose caller is unknown (~10-20 s). */
  static readonly STEP_OUT_LIMIT = 20000;

  /** Single-steps, stepping over calls/ints, until a ret/lret/iret at this level has executed. */
  private async stepUntilReturn(): Promise<void> {
    this.pauseRequested = false;
    this.loopMode = 'stepping';
    try {
      for (let i = 0; i < X86Machine.STEP_OUT_LIMIT; i++) {
        const snap = this.snap!;
        if (this.pauseRequested) {
          this.pauseRequested = false;
          this.emitStop({ reason: 'pause', snapshot: snap, hitIds: [], notes: [] });
          return;
        }
        const insn = await this.decodeAt(snap);
        let stop: StopReply;
        if (insn && (insn.flow === 'call' || insn.flow === 'int')) {
          stop = await this.continueOverUnlocked(snap.linearPc + BigInt(insn.length));
        } else {
          stop = (await this.rawStep()).stop;
        }
        if (this.exitedBy(stop)) return;
        const after = await this.refresh(false, stop.registers);
        const userHere = this.ownersAt('sw', after.linearPc).some((id) => id >= 0);
        if (stop.watch || userHere || (stop.kind === 'signal' && stop.code === 2)) {
          this.pauseRequested = false;
          this.emitStop(this.classify(stop, after, stop.code === 2 ? 'pause' : 'breakpoint', []));
          return;
        }
        if (insn && (insn.flow === 'ret' || insn.flow === 'iret')) {
          this.shadow = this.shadow.filter((f) => this.spOf(after) <= f.spAtCall);
          this.emitStop({ reason: 'step', snapshot: after, hitIds: [], notes: [] });
          return;
        }
      }
      this.emitStop({ reason: 'step', snapshot: this.snap!, hitIds: [], notes: [`step out gave up after ${X86Machine.STEP_OUT_LIMIT} instructions without a return`] });
    } finally {
      this.loopMode = 'none';
    }
  }

  /** Inside an exclusive operation: run over a call to `next` (temporary breakpoint), lifting a
   *  breakpoint at the PC first. Returns the stop (the temporary one, or whatever came first). */
  private async continueOverUnlocked(next: bigint): Promise<StopReply> {
    const pc = this.snap?.linearPc;
    const lifted = [...this.bps.values()].filter((p) => p.kind === 'sw' && p.inserted && p.address === pc);
    for (const p of lifted) {
      await this.client.removeBreakpoint(0, p.address, 1);
      p.inserted = false;
    }
    const temp = this.physical(TEMP_OWNER, 'sw', next, 1);
    if (!temp.inserted) await this.insert(temp);
    try {
      this.loopMode = 'continuing';
      await this.client.resume('c');
      const stop = await this.client.waitForStop(2 ** 31 - 1);
      if (!stop) throw new RspError('no stop while running over a call');
      return stop;
    } finally {
      this.loopMode = 'stepping';
      if (!this.client.closed) {
        temp.owners.delete(TEMP_OWNER);
        if (temp.owners.size === 0) {
          this.bps.delete(this.key('sw', next, 1));
          await this.client.removeBreakpoint(0, next, 1).catch(() => undefined);
        }
        for (const p of lifted) await this.insert(p);
      }
    }
  }

  /** Run to an address (temporary breakpoint), e.g. for step over/out and run-to-cursor. */
  async runTo(address: bigint, accept: (s: CpuSnapshot) => boolean = () => true): Promise<void> {
    await this.addBreakpoint(TEMP_OWNER, 'sw', address);
    try {
      await this.resume({ kind: 'temp', address, accept });
    } catch (err) {
      await this.removeBreakpoint(TEMP_OWNER);
      throw err;
    }
  }

  continue(): Promise<void> {
    return this.resume({ kind: 'continue' });
  }

  private resume(mode: ResumeMode): Promise<void> {
    return this.exclusive(async () => {
      const before = this.requireStopped('continue');
      // Step off a breakpoint at the PC first; QEMU would report it again at once.
      const atBreakpoint = [...this.bps.values()].some((p) => p.kind === 'sw' && p.inserted && p.address === before.linearPc);
      if (atBreakpoint) {
        const { stop } = await this.rawStep();
        if (this.exitedBy(stop)) return;
        const snap = await this.refresh(false, stop.registers);
        await this.trackCall(before, snap);
        const userBpHere = this.ownersAt('sw', snap.linearPc).length > 0;
        if (stop.watch || userBpHere) {
          this.resumeMode = mode;
          await this.handleStopUnlocked(stop, snap);
          return;
        }
      }
      this.resumeMode = mode;
      this.pauseRequested = false;
      await this.client.resume('c');
      this.stateValue = 'running';
      this.emit('running');
      this.awaitRunStop();
    });
  }

  private awaitRunStop(): void {
    this.stateValue = 'running';
    this.client.waitForStop(2 ** 31 - 1).then(
      (stop) => {
        if (!stop) return;
        if (this.internalHalt) {
          this.internalHalt(stop);
          return;
        }
        void this.exclusive(() => this.handleRunStop(stop)).catch((err) => this.log(`stop handling failed: ${(err as Error).message}`));
      },
      (err) => this.markExited((err as Error).message),
    );
  }

  private async handleRunStop(stop: StopReply): Promise<void> {
    this.stateValue = 'stopped';
    if (this.exitedBy(stop)) return;
    const snap = await this.refresh();
    await this.handleStopUnlocked(stop, snap);
  }

  private async handleStopUnlocked(stop: StopReply, snap: CpuSnapshot): Promise<void> {
    this.stateValue = 'stopped';
    const mode = this.resumeMode;
    if (!stop.watch && !this.pauseRequested && (await this.runHooksAt(snap))) {
      const stillHere = this.ownersAt('sw', snap.linearPc).length > 0;
      if (!stillHere && mode) {
        // Nothing else wanted this stop: carry on as if it never happened.
        await this.client.resume('c');
        this.awaitRunStop();
        return;
      }
    }
    if (mode?.kind === 'temp' && snap.linearPc === mode.address && !stop.watch && !mode.accept(snap)) {
      // Temporary breakpoint reached in a deeper recursion level: keep going.
      await this.client.resume('c');
      this.awaitRunStop();
      return;
    }
    this.resumeMode = undefined;
    const tempHit = mode?.kind === 'temp' && snap.linearPc === mode.address;
    if (mode?.kind === 'temp') {
      const p = [...this.bps.values()].find((b) => b.owners.has(TEMP_OWNER));
      if (p) {
        p.owners.delete(TEMP_OWNER);
        if (p.owners.size === 0) {
          this.bps.delete(this.key(p.kind, p.address, p.length));
          if (p.inserted) await this.client.removeBreakpoint(0, p.address, 1).catch(() => undefined);
        }
      }
    }
    const notes: string[] = [];
    let fallback: MachineStopReason = 'breakpoint';
    if (this.pauseRequested || (stop.kind === 'signal' && stop.code === 2)) {
      fallback = 'pause';
      this.pauseRequested = false;
      notes.push(...(await this.pauseNotes(snap)));
    }
    if (tempHit) fallback = 'step';
    this.emitStop(this.classify(stop, snap, fallback, notes));
  }

  /** Interrupt (0x03). No-op if already stopped (QEMU would not answer). */
  async pause(): Promise<void> {
    if (this.stateValue !== 'running') return;
    this.pauseRequested = true;
    // A step-out walk checks the flag between steps; 0x03 there could hit a step in flight.
    if (this.loopMode !== 'stepping') this.client.interrupt();
  }

  private exitedBy(stop: StopReply): boolean {
    if (stop.kind === 'signal') return false;
    this.markExited(stop.kind === 'exited' ? `the target exited (code ${stop.code})` : `the target was killed (signal ${stop.code})`);
    return true;
  }

  private classify(stop: StopReply, snap: CpuSnapshot, fallback: MachineStopReason, notes: string[]): MachineStop {
    if (stop.watch) {
      const kind = WATCH_KIND[stop.watch.kind];
      return { reason: 'data breakpoint', snapshot: snap, hitIds: this.watchOwners(stop.watch.address, kind), watch: { kind, address: stop.watch.address }, notes };
    }
    const owners = this.ownersAt('sw', snap.linearPc);
    if (owners.includes(RESET_OWNER) && fallback !== 'step') {
      this.shadow = [];
      return { reason: 'reset', snapshot: snap, hitIds: [], notes: [...notes, 'the CPU reached the reset vector F000:FFF0 again: the prefix rebooted (triple fault or a jump to the reset vector)'] };
    }
    const hitIds = owners.filter((id) => id >= 0);
    if (fallback === 'breakpoint' && hitIds.length === 0 && stop.code === 5) {
      // A trap we did not cause (e.g. int3 in guest code) — still a breakpoint-like stop.
      return { reason: 'breakpoint', snapshot: snap, hitIds, notes };
    }
    return { reason: fallback === 'breakpoint' && hitIds.length ? 'breakpoint' : fallback, snapshot: snap, hitIds: fallback === 'breakpoint' ? hitIds : [], notes };
  }

  private emitStop(stop: MachineStop): void {
    this.stateValue = 'stopped';
    this.emit('stopped', stop);
  }

  /** On pause: say so when the CPU spins on `jmp $` (EB FE) or sits in `hlt`. */
  private async pauseNotes(snap: CpuSnapshot): Promise<string[]> {
    const { data } = await this.client.readMemory(snap.linearPc, 2).catch(() => ({ data: Buffer.alloc(0) }));
    if (data.length === 2 && data[0] === 0xeb && data[1] === 0xfe) {
      return ['the CPU spins on a `jmp $` self-loop here (a classic "stop here" marker or a dead end)'];
    }
    if (data.length >= 1 && data[0] === 0xf4) return ['the CPU waits in `hlt`'];
    return [];
  }

  /** Decodes the instruction at the PC. */
  async decodeAt(snap: CpuSnapshot): Promise<DecodedInstruction | undefined> {
    const { data } = await this.client.readMemory(snap.linearPc, 16);
    if (data.length === 0) return undefined;
    const [insn] = this.opts.disassemble(data, BigInt(snap.eip), snap.bitness, 1);
    return insn;
  }

  /** After a step: if it was a call (SP dropped by the return address, which points just past the
   *  old IP), remember the frame for step out and the call stack. */
  private async trackCall(before: CpuSnapshot, after: CpuSnapshot): Promise<void> {
    const spBefore = this.spOf(before);
    const spAfter = this.spOf(after);
    this.shadow = this.shadow.filter((f) => spAfter <= f.spAtCall);
    const drop = spBefore - spAfter;
    const width = before.bitness === 32 ? 4 : 2;
    if (drop !== width && drop !== 2 * width) return;
    if (after.regs.u32('ss') !== before.regs.u32('ss')) return;
    // A push falls through to the next instruction; a call goes elsewhere. Skip the memory read for pushes.
    const advance = after.eip - before.eip;
    if (after.cs === before.cs && advance >= 1 && advance <= 7) return;
    const ssBase = segmentBase(after, 'SS');
    const { data } = await this.client.readMemory(ssBase + BigInt(spAfter), 2 * width).catch(() => ({ data: Buffer.alloc(0) }));
    if (data.length < 2 * width) return;
    const ip = width === 4 ? data.readUInt32LE(0) : data.readUInt16LE(0);
    const delta = ip - before.eip;
    if (delta < 1 || delta > 8) return;
    const far = drop === 2 * width;
    const retCs = far ? (width === 4 ? data.readUInt32LE(4) & 0xffff : data.readUInt16LE(2)) : before.cs;
    if (far && retCs !== before.cs) return;
    this.shadow.push({
      returnLinear: before.csBase + BigInt(ip),
      returnCs: retCs,
      returnIp: ip,
      spAtCall: spAfter,
      ssBase,
      far,
      entryLinear: after.linearPc,
    });
  }

  /** At a function's first instruction: is [SS:SP] a return address right after a call? */
  private async frameAtEntry(snap: CpuSnapshot): Promise<ShadowFrame | undefined> {
    const width = snap.bitness === 32 ? 4 : 2;
    const sp = this.spOf(snap);
    const ssBase = segmentBase(snap, 'SS');
    const { data } = await this.client.readMemory(ssBase + BigInt(sp), 2 * width).catch(() => ({ data: Buffer.alloc(0) }));
    if (data.length < 2 * width) return undefined;
    const ip = width === 4 ? data.readUInt32LE(0) : data.readUInt16LE(0);
    // near: E8 rel16/rel32 before the return address
    const nearLen = width === 4 ? 5 : 3;
    const nearBytes = await this.client.readMemory(snap.csBase + BigInt(ip - nearLen), nearLen).catch(() => ({ data: Buffer.alloc(0) }));
    if (ip >= nearLen && nearBytes.data[0] === 0xe8) {
      return { returnLinear: snap.csBase + BigInt(ip), returnCs: snap.cs, returnIp: ip, spAtCall: sp, ssBase, far: false, entryLinear: snap.linearPc };
    }
    if (snap.mode === 'real') {
      const cs = data.readUInt16LE(2);
      const base = BigInt(cs) * 16n;
      const farBytes = await this.client.readMemory(base + BigInt(ip - 5), 5).catch(() => ({ data: Buffer.alloc(0) }));
      if (ip >= 5 && farBytes.data[0] === 0x9a) {
        return { returnLinear: base + BigInt(ip), returnCs: cs, returnIp: ip, spAtCall: sp, ssBase, far: true, entryLinear: snap.linearPc };
      }
    }
    return undefined;
  }

  // ---- memory and registers ----

  readMemory(address: bigint, length: number): Promise<{ data: Buffer; error?: string }> {
    return this.exclusive(async () => {
      this.requireStopped('read memory');
      // Linear addresses end at 4 GiB; QEMU would wrap around to 0.
      const room = LINEAR_LIMIT - address;
      if (room <= 0n) return { data: Buffer.alloc(0), error: 'address beyond 4 GiB' };
      return this.client.readMemory(address, Number(room < BigInt(length) ? room : BigInt(length)));
    });
  }

  writeMemory(address: bigint, data: Buffer): Promise<void> {
    return this.exclusive(async () => {
      this.requireStopped('write memory');
      await this.client.writeMemory(address, data);
    });
  }

  /** Writes one register (P when target.xml was read, else G) and refreshes the snapshot. */
  writeRegister(name: string, value: bigint): Promise<CpuSnapshot> {
    return this.exclusive(async () => {
      const snap = this.requireStopped('set a register');
      const def = snap.regs.def(name);
      if (!def) throw new RspError(`unknown register ${name}`);
      if (this.client.targetXmlFetched) await this.client.writeRegister(def.regnum, snap.regs.encode(name, value));
      else await this.client.writeRegisters(snap.regs.withValue(name, value));
      this.snap = undefined; // force a full re-derivation of the CS base
      return this.refresh(true);
    });
  }

  monitor(cmd: string): Promise<string> {
    return this.exclusive(async () => {
      this.requireStopped('run a monitor command');
      const out = await this.client.monitor(cmd);
      this.infoCache = undefined;
      return out;
    });
  }

  /** Status of every breakpoint location (for tests and logs). */
  breakpointLocations(): { kind: BreakpointKind; address: bigint; length: number; inserted: boolean; owners: number[] }[] {
    return [...this.bps.values()].map((p) => ({ kind: p.kind, address: p.address, length: p.length, inserted: p.inserted, owners: [...p.owners] }));
  }
}

const LINEAR_LIMIT = 0x100000000n;

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
