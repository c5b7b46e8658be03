/**
 * The `gdb-remote` Target: QEMU (or any GDB stub) debugged over RSP, presented in linear
 * addresses with real-mode-correct PCs, seg:off frame names, 16-bit disassembly and
 * ELF/DWARF symbols mapped onto the stage bases the prefix runs at.
 */
import * as path from 'node:path';
import { TargetEmitter } from '../target/typedEmitter';
import {
  ConfigError,
  type BreakpointResult,
  type DataBreakpointRequest,
  type DisassembledInstruction,
  type EvaluateResult,
  type Frame,
  type MemoryReadResult,
  type Scope,
  type SourceBreakpointRequest,
  type SourceLocation,
  type StepGranularity,
  type StopEvent,
  type Target,
  type TargetCapabilities,
  type TargetFactory,
  type TargetHost,
  type TargetVariable,
} from '../target/target';
import { parseGdbConfig, DEFAULT_SECTION_BASES, type GdbConfig } from './gdbConfig';
import { QemuProcess } from './qemuLauncher';
import { RspClient, describeEndpoint, QEMU_PIPELINE_DEPTH, type RspEndpoint } from './rspClient';
import { X86Machine, type BreakpointKind, type HookContext, type MachineStop } from './x86Execution';
import {
  parseTargetDescription,
  fallbackRegisterDefs,
  CR0_FIELDS,
  EFLAGS_FIELDS,
  GENERAL_REGISTERS,
  SEGMENT_REGISTERS,
  SUBREGISTERS,
  CPU_MODE_LABEL,
  fieldValue,
  withField,
  summarizeFlags,
  formatSegOff,
  segmentBase,
  hex,
  type CpuSnapshot,
  type FlagField,
  type SegmentName,
} from './x86Model';
import { getDisassembler, loadProgramSymbols, type ProgramSymbolsApi, type ProgramSection } from './collaborators';
import { parseExpression, evaluateExpr, ExpressionError, type EvalEnv } from './gdbExpression';
import { asmSectionAt } from './asmSections';

type LogicalKind = 'source' | 'function' | 'instruction' | 'data';

interface LogicalBreakpoint {
  id: number;
  kind: LogicalKind;
  /** Source path for source breakpoints. */
  path?: string;
  /** Link-time address (source/function) to map onto section bases. */
  vma?: bigint;
  section?: ProgramSection;
  line?: number;
  name?: string;
  /** Linear addresses it is inserted at. */
  linear: bigint[];
  breakKind: BreakpointKind;
  length: number;
  result: BreakpointResult;
  /** Expression that must be non-zero to stop (`$ax == 0x9c20`). */
  condition?: string;
  /** `N` / `>= N` / `> N` / `== N` / `< N` / `<= N` / `% N` over the hits whose condition held. */
  hitCondition?: string;
  /** Logpoint: print this (with `{expr}` interpolated) instead of stopping. */
  logMessage?: string;
  hits: number;
}

/** `>= 3`, `%2`, plain `5` (= `>= 5`, like gdb's ignore count): true when `hits` satisfies it. */
export function hitConditionMet(hits: number, text: string): boolean {
  const m = /^\s*(>=|<=|==|>|<|%)?\s*(\d+)\s*$/.exec(text);
  if (!m) return true;
  const n = Number(m[2]);
  const HIT_TESTS: Record<string, (h: number) => boolean> = {
    '>=': (h) => h >= n, '<=': (h) => h <= n, '==': (h) => h === n, '>': (h) => h > n, '<': (h) => h < n, '%': (h) => n > 0 && h % n === 0,
  };
  return HIT_TESTS[m[1] ?? '>='](hits);
}

const STOP_DESCRIPTION: Record<StopEvent['reason'], string> = {
  entry: 'Paused on entry (reset vector)',
  breakpoint: 'Paused on breakpoint',
  'function breakpoint': 'Paused on function breakpoint',
  'instruction breakpoint': 'Paused on instruction breakpoint',
  'data breakpoint': 'Paused on data breakpoint',
  step: 'Paused after step',
  pause: 'Paused',
  exception: 'Paused: the prefix rebooted',
  goto: 'Paused',
};

const LOGICAL_TO_REASON: Record<LogicalKind, StopEvent['reason']> = {
  source: 'breakpoint',
  function: 'function breakpoint',
  instruction: 'instruction breakpoint',
  data: 'data breakpoint',
};

const ACCESS_TO_KIND: Record<DataBreakpointRequest['accessType'], BreakpointKind> = { write: 'write', read: 'read', readWrite: 'access' };

/** Where a prefix reveals the run-time segments of its later stages: iPXE's and gPXE's libprefix.S
 *  enter `install_prealloc` with AX = .text16 segment and BX = .data16 segment (reference §2.3). */
const STAGE_HOOKS: { symbol: string; sections: Record<string, 'eax' | 'ebx'> }[] = [
  { symbol: 'install_prealloc', sections: { '.text16': 'eax', '.text16.early': 'eax', '.text16.late': 'eax', '.data16': 'ebx' } },
];

const NO_DWARF_HINT = 'no DWARF line info for assembly sources: build with `as -g` (iPXE: make EXTRA_ASFLAGS=-g); function breakpoints by label name work without it';

export class GdbTarget extends TargetEmitter implements Target {
  readonly kind = 'gdb-remote' as const;
  readonly capabilities: TargetCapabilities = {
    sourceBreakpoints: true,
    functionBreakpoints: true,
    instructionBreakpoints: true,
    dataBreakpoints: true,
    conditionalBreakpoints: true,
    setVariable: true,
    modules: false,
    stepBack: false,
    restart: true,
    exceptionFilters: [
      { filter: 'reset', label: 'Prefix rebooted (reset vector reached)', description: 'Stop when the CPU reaches F000:FFF0 again', default: false },
    ],
  };

  private qemu: QemuProcess | undefined;
  private client: RspClient | undefined;
  private machine: X86Machine | undefined;
  private symbols: ProgramSymbolsApi | undefined;
  private readonly logicals = new Map<number, LogicalBreakpoint>();
  private nextId = 1;
  private terminatedSent = false;
  private readonly decode = getDisassembler();
  private stopOnReset: boolean;
  /** Section bases learned at run time (stage hooks). */
  private readonly learnedBases = new Map<string, bigint[]>();

  constructor(readonly config: GdbConfig, private readonly host: TargetHost) {
    super();
    this.stopOnReset = config.common.stopOnReset;
  }

  /** The QEMU process (launch only), e.g. for tests that check it dies. */
  get qemuProcess(): QemuProcess | undefined {
    return this.qemu;
  }

  get cpu(): X86Machine {
    if (!this.machine) throw new Error('gdb-remote: not connected');
    return this.machine;
  }

  // ---- lifecycle ----

  async start(): Promise<void> {
    const c = this.config;
    let endpoint: RspEndpoint;
    if (c.common.program) {
      try {
        this.symbols = loadProgramSymbols(c.common.program);
      } catch (err) {
        this.output('important', `cannot read symbols from ${c.common.program}: ${(err as Error).message}\n`);
      }
      if (this.symbols && !this.symbols.hasLineInfo) this.output('console', `${path.basename(c.common.program)}: ${NO_DWARF_HINT}\n`);
    }
    if (c.request === 'launch') {
      this.emit('linkState', { state: 'waiting', detail: `starting ${c.qemu}` });
      try {
        this.qemu = await QemuProcess.launch({
          qemu: c.qemu,
          image: c.image,
          media: c.media,
          qemuArgs: c.qemuArgs,
          console: c.console,
          iscsi: c.iscsi,
          onOutput: (text, stream) => this.output(stream === 'console' ? 'stdout' : 'stderr', text),
          onExit: (why) => this.terminate(why),
        });
      } catch (err) {
        throw new ConfigError(`gdb-remote: ${(err as Error).message}`);
      }
      this.host.log(`qemu pid ${this.qemu.pid}: ${c.qemu} ${this.qemu.args.join(' ')}`);
      endpoint = { host: '127.0.0.1', port: this.qemu.port };
    } else {
      endpoint = c.target;
    }
    try {
      // Pipelined memory reads only where they are known to work (the QEMU we started) unless
      // launch.json says otherwise.
      const pipelineDepth = c.common.memoryReadPipeline ?? (c.request === 'launch' ? QEMU_PIPELINE_DEPTH : 1);
      this.client = await RspClient.connect(endpoint, { timeoutMs: c.common.timeoutMs, pipelineDepth, log: (l) => this.host.log(l) });
    } catch (err) {
      await this.qemu?.dispose();
      throw new ConfigError(`gdb-remote: ${(err as Error).message}`);
    }
    const client = this.client;
    client.on('protocolError', (msg) => this.host.log(`rsp: ${msg}`));
    client.on('console', (text) => this.output('stdout', text));
    const { targetXml } = await client.handshake();
    // Launched or attached, the stub may be QEMU system emulation, which never waits for acks.
    const qemuVersion = await client.qemuSystemVersion();
    if (qemuVersion) {
      client.acksRideOnNextWrite = true;
      this.host.log(`stub: QEMU ${qemuVersion.split(/\s/)[0]} system emulation (acks ride on the next packet)`);
    }
    let defs = parseTargetDescription(targetXml);
    if (defs.length === 0) defs = fallbackRegisterDefs();
    this.machine = new X86Machine(client, defs, { disassemble: this.decode, log: (l) => this.host.log(l) });
    this.machine.on('stopped', this.onMachineStopBound);
    this.machine.on('running', () => {
      this.emit('continued');
      this.emit('linkState', { state: 'running', detail: describeEndpoint(endpoint) });
    });
    this.machine.on('exited', (why) => this.terminate(why));
    await this.machine.refresh(true);
    if (this.stopOnReset) await this.machine.setStopOnReset(true);
    await this.installStageHooks();
    this.emit('linkState', { state: 'connected', detail: describeEndpoint(endpoint) });
  }

  async configurationDone(): Promise<void> {
    const m = this.cpu;
    if (this.config.common.stopOnEntry || this.config.request === 'attach') {
      const snap = m.snapshot ?? (await m.refresh(true));
      const reason: StopEvent['reason'] = this.config.request === 'attach' ? 'pause' : 'entry';
      this.emitStopped({ reason, description: reason === 'entry' ? STOP_DESCRIPTION.entry : 'Attached', text: this.describePc(snap) });
      return;
    }
    await m.continue();
  }

  cancelProgress(_progressId: string): void {
    // Nothing long-running is cancellable: QEMU starts within a second.
  }

  async disconnect(terminate: boolean): Promise<void> {
    const client = this.client;
    try {
      if (client && !client.closed) {
        if (this.config.request === 'attach' && !terminate) {
          if (this.machine?.state === 'running') {
            await this.machine.pause();
            await client.waitForStop(1000).catch(() => undefined);
          }
          for (const bp of this.logicals.values()) await this.machine?.removeBreakpoint(bp.id).catch(() => undefined);
          await this.machine?.setStopOnReset(false).catch(() => undefined);
          await client.detach().catch(() => undefined);
        } else if (this.qemu || terminate) {
          client.kill();
          client.close();
        } else {
          await client.detach().catch(() => undefined);
        }
      }
    } finally {
      client?.close();
      await this.qemu?.dispose();
      this.terminate('disconnected');
    }
  }

  async restart(): Promise<void> {
    const m = this.cpu;
    if (m.state === 'running') {
      await m.pause();
      await this.client!.waitForStop(2000);
    }
    await m.monitor('system_reset');
    m.forgetFrames();
    const snap = await m.refresh(true);
    this.emitStopped({ reason: 'entry', description: STOP_DESCRIPTION.entry, text: this.describePc(snap) });
  }

  private terminate(reason: string): void {
    if (this.terminatedSent) return;
    this.terminatedSent = true;
    this.emit('linkState', { state: 'disconnected', detail: reason });
    this.client?.close();
    void this.qemu?.dispose();
    this.emit('terminated', { reason });
  }

  private output(category: 'console' | 'stdout' | 'stderr' | 'important', text: string): void {
    this.emit('output', { category, text });
  }

  // ---- stops ----

  private onMachineStop(s: MachineStop): void {
    const ids = s.hitIds.filter((id) => this.logicals.has(id));
    const gated = ids.some((id) => {
      const bp = this.logicals.get(id)!;
      return bp.condition !== undefined || bp.hitCondition !== undefined || bp.logMessage !== undefined;
    });
    if (gated) {
      void this.gateStop(s, ids).catch((err) => this.output('stderr', `breakpoint condition: ${(err as Error).message}\n`));
      return;
    }
    this.reportStop(s, ids);
  }

  /** Conditions, hit counts and logpoints decide whether a breakpoint stop reaches the UI. */
  private async gateStop(s: MachineStop, ids: number[]): Promise<void> {
    const stopping: number[] = [];
    for (const id of ids) {
      const bp = this.logicals.get(id)!;
      if (bp.condition !== undefined) {
        try {
          if ((await this.evalValue(bp.condition)).value === 0n) continue;
        } catch (err) {
          this.output('stderr', `breakpoint condition "${bp.condition}": ${(err as Error).message} (stopping)\n`);
        }
      }
      bp.hits++;
      if (bp.hitCondition !== undefined && !hitConditionMet(bp.hits, bp.hitCondition)) continue;
      if (bp.logMessage !== undefined) {
        this.output('console', `${await this.interpolate(bp.logMessage)}\n`);
        continue;
      }
      stopping.push(id);
    }
    if (stopping.length === 0 && s.reason !== 'step') {
      await this.cpu.continue();
      return;
    }
    this.reportStop(s, stopping);
  }

  private async interpolate(message: string): Promise<string> {
    let out = '';
    let last = 0;
    for (const m of message.matchAll(/\{([^{}]+)\}/g)) {
      out += message.slice(last, m.index);
      try {
        out += (await this.evaluate(m[1], 0, 'repl')).result;
      } catch (err) {
        out += `<${(err as Error).message}>`;
      }
      last = m.index! + m[0].length;
    }
    return out + message.slice(last);
  }

  private reportStop(s: MachineStop, ids: number[]): void {
    let reason: StopEvent['reason'];
    const ev: StopEvent = { reason: 'step' };
    switch (s.reason) {
      case 'breakpoint':
        reason = ids.length ? LOGICAL_TO_REASON[this.logicals.get(ids[0])!.kind] : 'breakpoint';
        break;
      case 'data breakpoint':
        reason = 'data breakpoint';
        ev.dataAddress = s.watch?.address;
        break;
      case 'reset':
        reason = 'exception';
        ev.exception = {
          exceptionId: 'reset',
          description: 'The CPU reached the reset vector F000:FFF0 again: the prefix rebooted',
          breakMode: 'always',
          details: { message: 'Usually a triple fault (e.g. a bad GDT/IDT or stack during a mode switch) or an explicit jump to the reset vector.' },
        };
        break;
      default:
        reason = s.reason;
    }
    ev.reason = reason;
    ev.description = STOP_DESCRIPTION[reason];
    if (ids.length) ev.hitBreakpointIds = ids;
    const where = this.describePc(s.snapshot);
    ev.text = s.watch ? `${where}; ${s.watch.kind} access at 0x${hex(s.watch.address, 8)}` : where;
    for (const note of s.notes) this.output('console', `${where}: ${note}\n`);
    this.emitStopped(ev);
  }

  private emitStopped(ev: StopEvent): void {
    this.emit('linkState', { state: 'stopped' });
    this.emit('stopped', ev);
  }

  private describePc(snap: CpuSnapshot): string {
    const sym = this.symbolize(snap.linearPc);
    return `${formatSegOff(snap.cs, snap.eip, snap.bitness)} (linear 0x${hex(snap.linearPc, 8)}, ${CPU_MODE_LABEL[snap.mode]})${sym ? ' ' + sym : ''}`;
  }

  // ---- address mapping between link-time (section, VMA) and linear ----

  /** Linear bases a section runs at: launch.json `sectionBases` first, then the medium's defaults. */
  private basesOf(section: ProgramSection): bigint[] | undefined {
    const explicit = this.config.common.sectionBases.get(section.name);
    if (explicit) return explicit;
    const learned = this.learnedBases.get(section.name);
    if (learned) return learned;
    if (this.config.request === 'launch' && this.config.media) {
      return DEFAULT_SECTION_BASES[this.config.media][section.name];
    }
    return undefined;
  }

  private sectionOf(vma: bigint, name?: string): ProgramSection | undefined {
    const named = name !== undefined ? this.symbols?.sections.find((s) => s.name === name) : undefined;
    if (named) return named;
    const candidates = this.symbols?.sections.filter((s) => s.size > 0 && vma >= s.address && vma < s.address + BigInt(s.size)) ?? [];
    // Prefer a section whose base is known (several sections are linked at 0 in iPXE).
    return candidates.find((s) => this.basesOf(s)) ?? candidates[0];
  }

  /** Link-time (section, VMA) for a linear address, trying each mapped section. */
  private toVma(linear: bigint): { section: ProgramSection; vma: bigint } | undefined {
    for (const s of this.symbols?.sections ?? []) {
      if (s.size === 0) continue;
      for (const base of this.basesOf(s) ?? []) {
        const vma = linear - base;
        if (vma >= s.address && vma < s.address + BigInt(s.size)) return { section: s, vma };
      }
    }
    return undefined;
  }

  private symbolize(linear: bigint): string | undefined {
    const m = this.toVma(linear);
    if (!m || !this.symbols) return undefined;
    const sym = this.symbols.symbolForAddress(m.vma, m.section.name);
    if (!sym) return undefined;
    return sym.offset ? `${sym.name}+0x${sym.offset.toString(16)}` : sym.name;
  }

  private sourceAt(linear: bigint): SourceLocation | undefined {
    const m = this.toVma(linear);
    if (!m || !this.symbols) return undefined;
    const loc = this.symbols.lineForAddress(m.vma, m.section.name);
    if (!loc) return undefined;
    // Sections share VMAs (all linked at 0): reject a row that the source puts in another section.
    const declared = asmSectionAt(loc.path, loc.line);
    if (declared !== undefined && !sameSection(declared, m.section.name)) return undefined;
    return { path: loc.path, line: loc.line };
  }

  /** The program section an assembly line is declared in (`.section` directives), if it exists. */
  private declaredSection(sourcePath: string, line: number, vma: bigint): string | undefined {
    const declared = asmSectionAt(sourcePath, line);
    if (declared === undefined) return undefined;
    const sec = this.symbols?.sections.find((s) => sameSection(declared, s.name) && vma >= s.address && vma < s.address + BigInt(s.size));
    return sec?.name;
  }

  private symbolLinear(name: string): bigint | undefined {
    const vma = this.symbols?.lookupSymbol(name);
    if (vma === undefined) return undefined;
    const sec = this.sectionOf(vma, this.symbols?.sectionOfSymbol(name));
    const bases = sec ? this.basesOf(sec) : undefined;
    return bases?.length ? bases[0] + vma : undefined;
  }

  /** Internal one-shot breakpoints where the prefix tells where its later stages will run. */
  private async installStageHooks(): Promise<void> {
    const syms = this.symbols;
    if (!syms) return;
    for (const hook of STAGE_HOOKS) {
      const targets = Object.keys(hook.sections).filter(
        (name) => syms.sections.some((s) => s.name === name) && !this.config.common.sectionBases.has(name),
      );
      const vma = syms.lookupSymbol(hook.symbol);
      if (!targets.length || vma === undefined) continue;
      const sec = this.sectionOf(vma, syms.sectionOfSymbol(hook.symbol));
      for (const base of (sec && this.basesOf(sec)) ?? []) {
        await this.cpu.addStopHook(base + vma, async (snap, ctx) => {
          const learned: string[] = [];
          for (const name of targets) {
            const seg = snap.regs.u32(hook.sections[name]) & 0xffff;
            this.learnedBases.set(name, [BigInt(seg) * 16n]);
            learned.push(`${name} at ${hex(seg, 4)}:0000 (linear 0x${hex(seg * 16, 8)})`);
          }
          this.output('console', `${hook.symbol}: ${learned.join(', ')}\n`);
          await this.placePending(ctx);
        });
      }
    }
  }

  /** Re-maps breakpoints that were waiting for a section base; reports them with breakpointChanged. */
  private async placePending(ctx: HookContext): Promise<void> {
    for (const bp of this.logicals.values()) {
      if (bp.result.reason !== 'pending' || bp.vma === undefined || !bp.section) continue;
      const bases = this.basesOf(bp.section);
      if (!bases?.length) continue;
      bp.linear = bases.map((b) => b + bp.vma!);
      const results = await Promise.all(bp.linear.map((a) => ctx.addBreakpoint(bp.id, bp.breakKind, a, bp.length)));
      const ok = results.some((r) => r.ok);
      bp.result = { ...bp.result, verified: ok, address: bp.linear[0], reason: ok ? undefined : 'failed', message: ok ? undefined : results[0].error };
      this.emit('breakpointChanged', { ...bp.result });
    }
  }

  // ---- breakpoints ----

  private async place(bp: LogicalBreakpoint): Promise<BreakpointResult> {
    const m = this.cpu;
    const errors: string[] = [];
    for (const a of bp.linear) {
      const r = await m.addBreakpoint(bp.id, bp.breakKind, a, bp.length);
      if (!r.ok) errors.push(r.error ?? 'rejected by the target');
    }
    bp.result.address = bp.linear[0];
    if (errors.length && errors.length === bp.linear.length) {
      bp.result.verified = false;
      bp.result.reason = 'failed';
      bp.result.message = errors[0];
    } else {
      bp.result.verified = true;
      bp.result.reason = undefined;
    }
    return bp.result;
  }

  private async clearKind(kind: LogicalKind, pathFilter?: string): Promise<void> {
    for (const [id, bp] of this.logicals) {
      if (bp.kind !== kind || (pathFilter !== undefined && bp.path !== pathFilter)) continue;
      this.logicals.delete(id);
      await this.machine?.removeBreakpoint(id);
    }
  }

  private newLogical(kind: LogicalKind, breakKind: BreakpointKind = 'sw', length = 1): LogicalBreakpoint {
    const id = this.nextId++;
    const bp: LogicalBreakpoint = { id, kind, linear: [], breakKind, length, result: { id, verified: false }, hits: 0 };
    this.logicals.set(id, bp);
    return bp;
  }

  private withConditions(bp: LogicalBreakpoint, req: { condition?: string; hitCondition?: string; logMessage?: string }): LogicalBreakpoint {
    const clean = (t: string | undefined): string | undefined => (t && t.trim() ? t.trim() : undefined);
    bp.condition = clean(req.condition);
    bp.hitCondition = clean(req.hitCondition);
    bp.logMessage = req.logMessage && req.logMessage.length ? req.logMessage : undefined;
    if (bp.condition) {
      try {
        parseExpression(bp.condition, (n) => this.isRegisterName(n));
      } catch (err) {
        bp.result.message = `condition: ${(err as Error).message}`;
      }
    }
    return bp;
  }

  /** Maps a VMA to linear addresses; unverified 'pending' when the section's base is unknown. */
  private async placeVma(bp: LogicalBreakpoint, vma: bigint, sectionName?: string): Promise<BreakpointResult> {
    bp.vma = vma;
    bp.section = this.sectionOf(vma, sectionName);
    const bases = bp.section ? this.basesOf(bp.section) : undefined;
    if (!bases?.length) {
      bp.result.verified = false;
      bp.result.reason = 'pending';
      const learnable = STAGE_HOOKS.find((h) => bp.section && h.sections[bp.section.name] && this.symbols?.lookupSymbol(h.symbol) !== undefined);
      bp.result.message = bp.section
        ? `${bp.section.name} is not loaded at a known address yet${learnable ? ` (learned when ${learnable.symbol} runs)` : ''}; or set "sectionBases": {"${bp.section.name}": "0x…"} in launch.json`
        : `address 0x${vma.toString(16)} is in no section of the program`;
      return bp.result;
    }
    bp.linear = bases.map((b) => b + vma);
    return this.place(bp);
  }

  async setSourceBreakpoints(sourcePath: string, bps: SourceBreakpointRequest[]): Promise<BreakpointResult[]> {
    await this.clearKind('source', sourcePath);
    const results: BreakpointResult[] = [];
    for (const req of bps) {
      const bp = this.withConditions(this.newLogical('source'), req);
      bp.path = sourcePath;
      bp.line = req.line;
      bp.result.source = { path: sourcePath, line: req.line };
      if (!this.symbols) {
        bp.result.message = 'no "program" (ELF with symbols) in launch.json: source breakpoints need its line table';
        bp.result.reason = 'failed';
      } else if (!this.symbols.hasLineInfo) {
        bp.result.message = NO_DWARF_HINT;
        bp.result.reason = 'failed';
      } else {
        const hits = this.symbols.addressesForLine(sourcePath, req.line);
        if (hits.length === 0) {
          bp.result.message = `no code at ${path.basename(sourcePath)}:${req.line}`;
          bp.result.reason = 'failed';
        } else {
          bp.result.source = { path: sourcePath, line: hits[0].line };
          bp.line = hits[0].line;
          await this.placeVma(bp, hits[0].address, hits[0].section ?? this.declaredSection(sourcePath, hits[0].line, hits[0].address));
        }
      }
      results.push({ ...bp.result });
    }
    return results;
  }

  async setFunctionBreakpoints(bps: { name: string; condition?: string; hitCondition?: string }[]): Promise<BreakpointResult[]> {
    await this.clearKind('function');
    const results: BreakpointResult[] = [];
    for (const req of bps) {
      const bp = this.withConditions(this.newLogical('function'), req);
      bp.name = req.name;
      const vma = this.symbols?.lookupSymbol(req.name);
      if (vma !== undefined) {
        await this.placeVma(bp, vma, this.symbols?.sectionOfSymbol(req.name));
      } else {
        // Not a symbol: accept an address expression (`0x10200`, `1020:0000`).
        try {
          const v = await this.evalValue(req.name);
          bp.linear = [v.value];
          await this.place(bp);
        } catch {
          bp.result.reason = 'failed';
          bp.result.message = this.symbols ? `no symbol "${req.name}" in the program` : `"${req.name}" is not an address and there is no "program" with symbols`;
        }
      }
      results.push({ ...bp.result });
    }
    return results;
  }

  async setInstructionBreakpoints(bps: { address: bigint; condition?: string; hitCondition?: string }[]): Promise<BreakpointResult[]> {
    await this.clearKind('instruction');
    const results: BreakpointResult[] = [];
    for (const req of bps) {
      const bp = this.withConditions(this.newLogical('instruction'), req);
      bp.linear = [req.address];
      results.push({ ...(await this.place(bp)) });
    }
    return results;
  }

  async setDataBreakpoints(bps: DataBreakpointRequest[]): Promise<BreakpointResult[]> {
    await this.clearKind('data');
    const results: BreakpointResult[] = [];
    for (const req of bps) {
      const bp = this.newLogical('data', ACCESS_TO_KIND[req.accessType], Math.max(1, req.length));
      bp.linear = [req.address];
      results.push({ ...(await this.place(bp)) });
    }
    return results;
  }

  async dataBreakpointInfo(expression: string): Promise<{ address: bigint; length: number; description: string } | { error: string }> {
    try {
      const expr = parseExpression(expression, (n) => this.isRegisterName(n));
      if (expr.kind === 'deref') {
        const v = await evaluateExpr(expr.addr, this.evalEnv());
        return { address: v.value, length: expr.size, description: `${expr.size} byte(s) at 0x${hex(v.value, 8)}` };
      }
      const v = await evaluateExpr(expr, this.evalEnv());
      if (!v.isAddress) return { error: `${expression} is not a memory location (use *(u16*)addr, seg:off or a symbol)` };
      return { address: v.value, length: 2, description: `word at 0x${hex(v.value, 8)} (${expression})` };
    } catch (err) {
      return { error: (err as Error).message };
    }
  }

  async setExceptionFilters(filters: string[]): Promise<void> {
    const on = filters.includes('reset') || this.config.common.stopOnReset;
    if (on !== this.stopOnReset) {
      this.stopOnReset = on;
      await this.cpu.setStopOnReset(on);
    }
  }

  // ---- execution ----

  async continue(): Promise<void> {
    await this.cpu.continue();
  }

  async pause(): Promise<void> {
    await this.cpu.pause();
  }

  async stepIn(granularity: StepGranularity): Promise<void> {
    if (granularity === 'line' && this.canStepLines()) return this.stepLine(false);
    await this.cpu.stepInstruction();
  }

  async stepOver(granularity: StepGranularity): Promise<void> {
    if (granularity === 'line' && this.canStepLines()) return this.stepLine(true);
    await this.cpu.stepOver();
  }

  async stepOut(): Promise<void> {
    await this.cpu.stepOut();
  }

  /** Run to an address (run to cursor). */
  async runToAddress(address: bigint): Promise<void> {
    await this.cpu.runTo(address);
  }

  private canStepLines(): boolean {
    const snap = this.machine?.snapshot;
    return !!snap && !!this.symbols?.hasLineInfo && this.sourceAt(snap.linearPc) !== undefined;
  }

  /** Source-line step: instruction steps (over calls when `over`) until the line changes. The
   *  intermediate stops are swallowed; only the final one reaches the UI. */
  private async stepLine(over: boolean): Promise<void> {
    const m = this.cpu;
    const start = this.sourceAt(m.snapshot!.linearPc);
    const swallow: MachineStop[] = [];
    const listener = (s: MachineStop): void => {
      swallow.push(s);
    };
    m.off('stopped', this.onMachineStopBound);
    m.on('stopped', listener);
    let last: MachineStop | undefined;
    try {
      for (let i = 0; i < 2000; i++) {
        swallow.length = 0;
        const stopped = new Promise<MachineStop>((resolve) => m.once('stopped', resolve));
        if (over) await m.stepOver();
        else await m.stepInstruction();
        last = await stopped;
        if (last.reason !== 'step') break;
        const now = this.sourceAt(last.snapshot.linearPc);
        if (!now || !start || now.line !== start.line || now.path !== start.path) break;
      }
    } finally {
      m.off('stopped', listener);
      m.on('stopped', this.onMachineStopBound);
    }
    if (last) this.onMachineStop(last);
  }

  private readonly onMachineStopBound = (s: MachineStop): void => this.onMachineStop(s);

  // ---- state ----

  async stackTrace(startFrame: number, levels: number): Promise<{ frames: Frame[]; totalFrames?: number }> {
    const m = this.cpu;
    const snap = m.snapshot;
    if (!snap) return { frames: [], totalFrames: 0 };
    const frames: Frame[] = [];
    const top = this.symbolize(snap.linearPc);
    frames.push({
      name: `${formatSegOff(snap.cs, snap.eip, snap.bitness)}${top ? ' ' + top : ''}`,
      address: snap.linearPc,
      source: this.sourceAt(snap.linearPc),
    });
    for (const f of m.callStack) {
      const sym = this.symbolize(f.returnLinear);
      frames.push({
        name: `${formatSegOff(f.returnCs, f.returnIp, snap.bitness)}${sym ? ' ' + sym : ''}${f.far ? ' (far call)' : ''}`,
        address: f.returnLinear,
        source: this.sourceAt(f.returnLinear),
      });
    }
    const end = levels > 0 ? startFrame + levels : frames.length;
    return { frames: frames.slice(startFrame, end), totalFrames: frames.length };
  }

  async scopes(_frameIndex: number): Promise<Scope[]> {
    return [{ name: 'Registers', presentationHint: 'registers', variables: () => this.registerVariables() }];
  }

  private isRegisterName(name: string): boolean {
    const snap = this.machine?.snapshot;
    if (name === 'ip' || name === 'pc' || name === 'flags' || name in SUBREGISTERS) return true;
    return !!snap?.regs.def(name);
  }

  private registerValue(name: string): bigint {
    const snap = this.cpu.snapshot;
    if (!snap) throw new ExpressionError('no CPU state');
    if (name === 'pc') return snap.linearPc;
    if (name === 'flags') return BigInt(snap.regs.u32('eflags') & 0xffff);
    const sub = SUBREGISTERS[name];
    if (sub) return (snap.regs.big(sub.reg)! >> BigInt(sub.shift)) & ((1n << BigInt(sub.bits)) - 1n);
    const v = snap.regs.big(name);
    if (v === undefined) throw new ExpressionError(`unknown register $${name}`);
    return v;
  }

  private flagChildren(parent: string, value: number, fields: FlagField[]): TargetVariable[] {
    return fields.map((f) => ({
      name: f.name,
      value: String(fieldValue(value, f)),
      type: f.description,
      editable: true,
      evaluateName: `($${parent} >> ${f.bit}) & ${(1 << f.width) - 1}`,
    }));
  }

  private async registerVariables(): Promise<TargetVariable[]> {
    const m = this.cpu;
    const snap = m.snapshot;
    if (!snap) return [];
    const r = snap.regs;
    const vars: TargetVariable[] = [];
    vars.push({
      name: 'pc',
      value: `${formatSegOff(snap.cs, snap.eip, snap.bitness)} = linear 0x${hex(snap.linearPc, 8)}`,
      type: CPU_MODE_LABEL[snap.mode],
      memoryReference: snap.linearPc,
      evaluateName: '$pc',
    });
    for (const g of GENERAL_REGISTERS) {
      if (!r.has(g.name)) continue;
      const v = r.u32(g.name);
      // Children are built when expanded: the Registers scope is fetched at every step.
      const children = async (): Promise<TargetVariable[]> => {
        const out: TargetVariable[] = [{ name: g.low16, value: `0x${hex(v & 0xffff, 4)}`, editable: true, evaluateName: `$${g.low16}` }];
        if (g.bytes) {
          out.push({ name: g.bytes[0], value: `0x${hex((v >>> 8) & 0xff, 2)}`, editable: true, evaluateName: `$${g.bytes[0]}` });
          out.push({ name: g.bytes[1], value: `0x${hex(v & 0xff, 2)}`, editable: true, evaluateName: `$${g.bytes[1]}` });
        }
        return out;
      };
      vars.push({ name: g.name, value: `0x${hex(v, 8)}`, children, editable: true, evaluateName: `$${g.name}` });
    }
    for (const s of SEGMENT_REGISTERS) {
      if (!r.has(s.name)) continue;
      const sel = r.u32(s.name) & 0xffff;
      const base = this.knownSegmentBase(snap, s.seg);
      vars.push({
        name: s.name,
        value: `0x${hex(sel, 4)}${base !== undefined ? ` (base 0x${hex(base, 8)})` : ''}`,
        editable: true,
        evaluateName: `$${s.name}`,
        memoryReference: base,
        children: async () => {
          const info = await m.segmentInfo();
          const seg = info?.segments[s.seg];
          const exactBase = seg?.base ?? segmentBase(m.snapshot ?? snap, s.seg);
          const out: TargetVariable[] = [
            { name: 'selector', value: `0x${hex(sel, 4)}` },
            { name: 'base', value: `0x${hex(exactBase, 8)}`, type: seg ? 'hidden descriptor base (monitor info registers)' : 'selector×16', memoryReference: exactBase },
          ];
          if (seg) {
            out.push({ name: 'limit', value: `0x${hex(seg.limit, 8)}` });
            out.push({ name: 'flags', value: `0x${hex(seg.flags, 8)}`, type: seg.flags & (1 << 22) ? '32-bit' : '16-bit' });
          }
          return out;
        },
      });
    }
    for (const b of ['fs_base', 'gs_base']) {
      if (r.has(b)) vars.push({ name: b, value: `0x${hex(r.u32(b), 8)}`, editable: true, evaluateName: `$${b}`, memoryReference: r.big(b) });
    }
    const eflags = r.u32('eflags');
    vars.push({ name: 'eflags', value: `0x${hex(eflags, 8)} [ ${summarizeFlags(eflags, EFLAGS_FIELDS)} ]`, editable: true, evaluateName: '$eflags', children: async () => this.flagChildren('eflags', eflags, EFLAGS_FIELDS) });
    if (r.has('cr0')) {
      const cr0 = r.u32('cr0');
      vars.push({ name: 'cr0', value: `0x${hex(cr0, 8)} [ ${summarizeFlags(cr0, CR0_FIELDS)} ]`, editable: true, evaluateName: '$cr0', children: async () => this.flagChildren('cr0', cr0, CR0_FIELDS) });
    }
    for (const n of ['cr2', 'cr3', 'cr4', 'efer']) if (r.has(n)) vars.push({ name: n, value: `0x${hex(r.u32(n), 8)}`, editable: true, evaluateName: `$${n}` });
    return vars;
  }

  /** Base shown inline without a round trip: exact when already known for this stop. */
  private knownSegmentBase(snap: CpuSnapshot, seg: SegmentName): bigint | undefined {
    if (snap.info?.segments[seg]) return snap.info.segments[seg]!.base;
    if (seg === 'CS') return snap.csBase;
    if (seg === 'FS' || seg === 'GS') return segmentBase(snap, seg);
    return snap.mode === 'real' ? segmentBase(snap, seg) : undefined;
  }

  async setVariable(_frameIndex: number, varPath: string[], value: string): Promise<TargetVariable> {
    const m = this.cpu;
    const snap = m.snapshot;
    if (!snap) throw new Error('no CPU state');
    const newValue = (await this.evalValue(value)).value;
    const [top, child] = varPath;
    let reg = top;
    let full: bigint;
    if (child && (top === 'eflags' || top === 'cr0')) {
      const fields = top === 'eflags' ? EFLAGS_FIELDS : CR0_FIELDS;
      const f = fields.find((x) => x.name === child);
      if (!f) throw new Error(`unknown flag ${child}`);
      full = BigInt(withField(snap.regs.u32(top), f, Number(newValue)));
    } else if (child && SUBREGISTERS[child]) {
      const sub = SUBREGISTERS[child];
      reg = sub.reg;
      const mask = ((1n << BigInt(sub.bits)) - 1n) << BigInt(sub.shift);
      full = (snap.regs.big(reg)! & ~mask) | ((newValue << BigInt(sub.shift)) & mask);
    } else if (child) {
      throw new Error(`${varPath.join('.')} cannot be changed (set the register itself)`);
    } else if (SUBREGISTERS[top]) {
      return this.setVariable(_frameIndex, [SUBREGISTERS[top].reg, top], value);
    } else {
      if (!snap.regs.def(top)) throw new Error(`${varPath.join('.')} cannot be changed`);
      full = newValue;
    }
    const after = await m.writeRegister(reg, full);
    const shown = child ?? top;
    const v = shown === reg ? after.regs.big(reg)! : child && (top === 'eflags' || top === 'cr0') ? newValue : this.registerValue(shown);
    return { name: shown, value: shown === reg ? `0x${hex(v, 8)}` : `0x${v.toString(16)}`, editable: true };
  }

  private evalEnv(): EvalEnv {
    const m = this.cpu;
    return {
      register: (n) => this.registerValue(n),
      segmentBase: async (seg) => {
        const snap = m.snapshot;
        if ('register' in seg) {
          const name = seg.register.toUpperCase() as SegmentName;
          if (!snap) throw new ExpressionError('no CPU state');
          const known = snap.info?.segments[name]?.base;
          if (known !== undefined) return known;
          if (snap.mode !== 'real' || name === 'DS' || name === 'ES' || name === 'SS') {
            const info = await m.segmentInfo();
            const b = info?.segments[name]?.base;
            if (b !== undefined) return b;
          }
          return segmentBase(snap, name);
        }
        return (seg.selector & 0xffffn) * 16n;
      },
      symbol: (n) => this.symbolLinear(n),
      readMemory: async (a, size) => (await m.readMemory(a, size)).data,
    };
  }

  private async evalValue(text: string): Promise<{ value: bigint; isAddress: boolean; size?: number }> {
    const expr = parseExpression(text, (n) => this.isRegisterName(n));
    return evaluateExpr(expr, this.evalEnv());
  }

  async evaluate(expression: string, _frameIndex: number | undefined, _context: string | undefined): Promise<EvaluateResult> {
    const v = await this.evalValue(expression);
    const width = v.size ? v.size * 2 : v.isAddress ? 8 : undefined;
    const n = v.value;
    const hexText = n < 0n ? `-0x${(-n).toString(16)}` : `0x${width ? hex(n, width) : n.toString(16)}`;
    let result = `${hexText} (${n.toString(10)})`;
    if (v.isAddress) {
      const sym = this.symbolize(n);
      result = `linear ${hexText}${sym ? ` <${sym}>` : ''}`;
    }
    return { result, type: v.size ? `u${v.size * 8}` : v.isAddress ? 'linear address' : undefined, memoryReference: v.isAddress ? n : undefined };
  }

  async readMemory(address: bigint, count: number): Promise<MemoryReadResult> {
    const { data } = await this.cpu.readMemory(address, count);
    return { data, unreadableBytes: count - data.length };
  }

  async writeMemory(address: bigint, data: Buffer): Promise<number> {
    await this.cpu.writeMemory(address, data);
    return data.length;
  }

  /** Disassembles in the current CPU mode (16-bit in real mode); addresses are linear, the text
   *  uses segment offsets like the source. Negative offsets walk back by re-synchronising. */
  async disassemble(address: bigint, instructionOffset: number, instructionCount: number, resolveSymbols: boolean): Promise<DisassembledInstruction[]> {
    const m = this.cpu;
    const snap = m.snapshot;
    const bitness = snap?.bitness ?? 16;
    const base = snap && address >= snap.csBase && address - snap.csBase < (bitness === 16 ? 0x10000n : 0x100000000n) ? snap.csBase : 0n;
    let start = address;
    let backwards: DisassembledInstruction[] = [];
    if (instructionOffset < 0) {
      backwards = await this.decodeBackwards(address, -instructionOffset, bitness, base, resolveSymbols);
      start = address;
    }
    const forwardCount = Math.max(0, instructionCount + Math.min(0, instructionOffset) + (instructionOffset < 0 ? backwards.length + instructionOffset : 0));
    const skip = Math.max(0, instructionOffset);
    const forward = await this.decodeForward(start, skip + Math.max(forwardCount, instructionCount), bitness, base, resolveSymbols);
    let list = [...backwards, ...forward.slice(skip)];
    if (instructionOffset < 0) {
      const pad = -instructionOffset - backwards.length;
      const padding: DisassembledInstruction[] = Array.from({ length: Math.max(0, pad) }, (_, i) => ({
        address: address - BigInt(pad - i),
        instructionBytes: '',
        instruction: '(unknown)',
        invalid: true,
      }));
      list = [...padding, ...list];
    }
    while (list.length < instructionCount) {
      const last = list[list.length - 1];
      list.push({ address: last ? last.address + 1n : address, instructionBytes: '', instruction: '(unreadable)', invalid: true });
    }
    return list.slice(0, instructionCount);
  }

  private async decodeForward(address: bigint, count: number, bitness: 16 | 32, base: bigint, resolveSymbols: boolean): Promise<DisassembledInstruction[]> {
    const { data } = await this.cpu.readMemory(address, Math.min(0x2000, count * 15 + 15));
    const decoded = this.decode(data, address - base, bitness, count);
    return decoded.map((d) => this.toDap(d.ip + base, d.bytes, d.text, resolveSymbols));
  }

  private async decodeBackwards(address: bigint, count: number, bitness: 16 | 32, base: bigint, resolveSymbols: boolean): Promise<DisassembledInstruction[]> {
    const span = BigInt(Math.min(0x1000, count * 8 + 16));
    const from = address > span ? address - span : 0n;
    const { data } = await this.cpu.readMemory(from, Number(address - from));
    // Try start points until one decodes into an instruction boundary exactly at `address`.
    for (let skip = 0; skip < Math.min(data.length, 16); skip++) {
      const ip = from + BigInt(skip) - base;
      const decoded = this.decode(data.subarray(skip), ip, bitness, count * 8 + 16);
      const endsAt = decoded.findIndex((d) => d.ip + base + BigInt(d.length) === address);
      if (endsAt >= 0) {
        return decoded.slice(0, endsAt + 1).slice(-count).map((d) => this.toDap(d.ip + base, d.bytes, d.text, resolveSymbols));
      }
    }
    return [];
  }

  private toDap(linear: bigint, bytes: string, text: string, resolveSymbols: boolean): DisassembledInstruction {
    const out: DisassembledInstruction = { address: linear, instructionBytes: bytes, instruction: text };
    if (resolveSymbols) {
      const m = this.toVma(linear);
      const sym = m ? this.symbols?.symbolForAddress(m.vma, m.section.name) : undefined;
      if (sym && sym.offset === 0) out.symbol = sym.name;
      const loc = this.sourceAt(linear);
      if (loc) out.location = loc;
    }
    return out;
  }

  // ---- custom requests ----

  async customRequest(command: string, args: unknown): Promise<unknown> {
    const a = (args ?? {}) as Record<string, unknown>;
    switch (command) {
      case 'bootdbg.monitor': {
        const cmd = a.command;
        if (typeof cmd !== 'string' || !cmd.trim()) throw new Error('bootdbg.monitor needs { command: "info registers" }');
        return { output: await this.cpu.monitor(cmd) };
      }
      case 'bootdbg.vgaText': {
        const { data } = await this.cpu.readMemory(0xb8000n, 80 * 25 * 2);
        return { text: vgaToText(data), columns: 80, rows: 25 };
      }
      case 'bootdbg.readPhysical': {
        const address = typeof a.address === 'string' ? BigInt(a.address) : typeof a.address === 'number' ? BigInt(a.address) : undefined;
        const length = a.length;
        if (address === undefined || typeof length !== 'number' || length < 0 || length > 0x100000) {
          throw new Error('bootdbg.readPhysical needs { address: number | "0x…", length: 0…1048576 }');
        }
        const { data } = await this.cpu.readMemory(address, length);
        return { address: `0x${address.toString(16)}`, data: data.toString('base64'), unreadableBytes: length - data.length };
      }
      case 'bootdbg.runToAddress': {
        const v = await this.evalValue(String(a.address ?? ''));
        await this.runToAddress(v.value);
        return {};
      }
    }
    throw new Error(`gdb-remote does not know the request ${command}`);
  }
}

/** `.text16.early` input sections end up in `.text16` output sections and so on. */
function sameSection(declared: string, output: string): boolean {
  return declared === output || declared.startsWith(output + '.') || output.startsWith(declared + '.');
}

/** VGA text memory (char, attribute pairs) → 25 lines of text, trailing blanks trimmed. */
export function vgaToText(data: Buffer, columns = 80): string {
  const lines: string[] = [];
  for (let row = 0; row * columns * 2 < data.length; row++) {
    let line = '';
    for (let col = 0; col < columns; col++) {
      const i = (row * columns + col) * 2;
      if (i >= data.length) break;
      const c = data[i];
      line += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : c === 0 ? ' ' : CP437_HIGH[c] ?? '.';
    }
    lines.push(line.replace(/\s+$/, ''));
  }
  return lines.join('\n');
}

/** The few CP437 box/shade characters BIOS and iPXE screens use. */
const CP437_HIGH: Record<number, string> = { 0xb0: '░', 0xb1: '▒', 0xb2: '▓', 0xb3: '│', 0xc4: '─', 0xda: '┌', 0xbf: '┐', 0xc0: '└', 0xd9: '┘', 0xdb: '█' };

export const createGdbTarget: TargetFactory = (config, host) => new GdbTarget(parseGdbConfig(config, host.cwd), host);
