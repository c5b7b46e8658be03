/**
 * The one interface between the DAP session and a debug target.
 *
 * The DAP session (adapter/session/) only translates requests into calls on a `Target` and
 * target events into DAP events; everything protocol-specific (GDB RSP to QEMU, the Windows KD
 * protocol) lives behind this interface, in adapter/gdb/ and adapter/kd/.
 *
 * Addresses are always *linear* addresses as bigint (for real mode: segment base + offset), so that
 * DAP memory references, instruction references and breakpoints mean the same thing everywhere.
 */

/** Why the target stopped; the DAP `stopped` event reasons. */
export type StopReason =
  | 'entry'
  | 'breakpoint'
  | 'function breakpoint'
  | 'instruction breakpoint'
  | 'data breakpoint'
  | 'step'
  | 'pause'
  | 'exception'
  | 'goto';

export interface ExceptionDetails {
  /** e.g. `0x80000003` or `0x0000007B`. */
  exceptionId: string;
  /** One line, e.g. `Break instruction exception - code 80000003 (first chance)`. */
  description: string;
  breakMode: 'never' | 'always' | 'unhandled' | 'userUnhandled';
  /** Longer text (bugcheck analysis, parameters, advice) shown by the exception widget. */
  details?: {
    message?: string;
    typeName?: string;
    fullTypeName?: string;
    stackTrace?: string;
  };
}

export interface StopEvent {
  reason: StopReason;
  /** Short text shown next to the thread, e.g. "Paused on breakpoint". */
  description?: string;
  /** Text shown in the UI (for exceptions: the exception's one-line description). */
  text?: string;
  /** Target-level breakpoint ids (see BreakpointResult.id) that caused the stop. */
  hitBreakpointIds?: number[];
  /** For reason 'exception'. */
  exception?: ExceptionDetails;
  /** For data breakpoints: the linear address that was accessed. */
  dataAddress?: bigint;
}

export interface SourceLocation {
  /** Absolute file system path. */
  path: string;
  /** 1-based. */
  line: number;
  column?: number;
}

export interface Frame {
  /** Display name, e.g. `1020:0000 install` or `nt!DbgBreakPoint+0x0`. */
  name: string;
  /** Linear address of the frame's instruction pointer. */
  address: bigint;
  source?: SourceLocation;
  moduleName?: string;
  presentationHint?: 'normal' | 'label' | 'subtle';
}

/** A node in the Variables view (registers, decoded flags, iBFT fields, …). */
export interface TargetVariable {
  name: string;
  value: string;
  type?: string;
  /** Children, e.g. EFLAGS bits. Loaded lazily when a function. */
  children?: TargetVariable[] | (() => Promise<TargetVariable[]>);
  /** Linear address this value points at, for "View binary data". */
  memoryReference?: bigint;
  /** Expression that `evaluate` understands and that yields this value (e.g. `$eax`). */
  evaluateName?: string;
  /** True when `setVariable` on this node is supported. */
  editable?: boolean;
}

export interface Scope {
  name: string;
  /** DAP presentation hint: 'registers' shows register scopes specially. */
  presentationHint?: 'arguments' | 'locals' | 'registers' | string;
  variables: TargetVariable[] | (() => Promise<TargetVariable[]>);
  expensive?: boolean;
}

export interface SourceBreakpointRequest {
  line: number;
  column?: number;
  condition?: string;
  hitCondition?: string;
  logMessage?: string;
}

export interface DataBreakpointRequest {
  /** Linear address as produced by dataBreakpointInfo. */
  address: bigint;
  length: number;
  accessType: 'read' | 'write' | 'readWrite';
}

export interface BreakpointResult {
  /** Target-unique id, stable while the breakpoint exists; reported in StopEvent.hitBreakpointIds. */
  id: number;
  verified: boolean;
  /** Why not verified, or a hint (e.g. "no DWARF line info: build with EXTRA_ASFLAGS=-g"). */
  message?: string;
  /** Actual location when known. */
  source?: SourceLocation;
  /** Linear address the breakpoint is inserted at. */
  address?: bigint;
  reason?: 'pending' | 'failed';
}

export interface DisassembledInstruction {
  address: bigint;
  /** Hex bytes, space-separated. */
  instructionBytes: string;
  /** e.g. `jmp 0x0020`. */
  instruction: string;
  /** e.g. `install` or `nt!KeBugCheckEx+0x12`. */
  symbol?: string;
  location?: SourceLocation;
  /** For padding when the range runs off readable memory. */
  invalid?: boolean;
}

export interface MemoryReadResult {
  /** The bytes actually read, starting at the requested address. */
  data: Buffer;
  /** Bytes after `data` that could not be read. */
  unreadableBytes: number;
}

export interface ModuleInfo {
  id: string;
  name: string;
  path?: string;
  /** Linear base address. */
  base: bigint;
  size: number;
  symbolStatus?: string;
  version?: string;
  /** e.g. the PE TimeDateStamp. */
  dateTimeStamp?: string;
}

export interface EvaluateResult {
  result: string;
  type?: string;
  memoryReference?: bigint;
  children?: TargetVariable[];
}

export type StepGranularity = 'instruction' | 'line';

export interface OutputEvent {
  category: 'console' | 'stdout' | 'stderr' | 'important' | 'telemetry';
  text: string;
  source?: SourceLocation;
}

export interface ProgressStart {
  id: string;
  title: string;
  message?: string;
  cancellable: boolean;
}

/** Link state shown in the status bar by the extension (custom DAP event `bootdbg.linkState`). */
export interface LinkState {
  state: 'waiting' | 'connected' | 'running' | 'stopped' | 'disconnected';
  /** e.g. "COM1 115200" or "qemu tcp:127.0.0.1:41234". */
  detail?: string;
}

/** Events a target emits; the DAP session forwards them. */
export interface TargetEvents {
  stopped: StopEvent;
  continued: void;
  output: OutputEvent;
  /** A breakpoint's verification or location changed (e.g. pending → verified once `install` ran). */
  breakpointChanged: BreakpointResult;
  moduleLoaded: ModuleInfo;
  moduleRemoved: ModuleInfo;
  progressStart: ProgressStart;
  progressUpdate: { id: string; message: string };
  progressEnd: { id: string; message?: string };
  linkState: LinkState;
  /** The target went away for good (QEMU exited, connection lost and not retrying). */
  terminated: { reason: string };
  exited: { exitCode: number };
}

export type TargetEventName = keyof TargetEvents;
export type TargetListener<K extends TargetEventName> = (payload: TargetEvents[K]) => void;

export interface TargetCapabilities {
  sourceBreakpoints: boolean;
  functionBreakpoints: boolean;
  instructionBreakpoints: boolean;
  dataBreakpoints: boolean;
  conditionalBreakpoints: boolean;
  /** Hit counts (`> 5`, `% 3`) and logpoints; default: same as conditionalBreakpoints. */
  hitConditionalBreakpoints?: boolean;
  logPoints?: boolean;
  setVariable: boolean;
  modules: boolean;
  stepBack: false;
  /** Target can restart (QEMU system_reset, KD .reboot). */
  restart: boolean;
  /** Exception filters offered in the Breakpoints view. */
  exceptionFilters: { filter: string; label: string; description?: string; default?: boolean }[];
}

export interface Target {
  readonly kind: 'gdb-remote' | 'windows-kd';
  readonly capabilities: TargetCapabilities;

  on<K extends TargetEventName>(event: K, listener: TargetListener<K>): this;
  off<K extends TargetEventName>(event: K, listener: TargetListener<K>): this;

  /** Launch/attach and handshake. Resolves once the target is connected and halted or running. */
  start(): Promise<void>;
  /** Called after the initial breakpoints are set (DAP configurationDone). The target resumes
   *  unless it was asked to stop on entry; in that case it emits `stopped` with reason 'entry'. */
  configurationDone(): Promise<void>;
  /** Cancel a cancellable progress (e.g. "Waiting for target on COM1…"). */
  cancelProgress(progressId: string): void;
  /** Detach (or kill, when `terminate`). Must leave no process behind. */
  disconnect(terminate: boolean): Promise<void>;
  restart?(): Promise<void>;

  // Breakpoints: each call replaces the previous set of that kind (per source path for source bps).
  setSourceBreakpoints(path: string, bps: SourceBreakpointRequest[]): Promise<BreakpointResult[]>;
  setFunctionBreakpoints(bps: { name: string; condition?: string; hitCondition?: string }[]): Promise<BreakpointResult[]>;
  setInstructionBreakpoints(bps: { address: bigint; condition?: string; hitCondition?: string }[]): Promise<BreakpointResult[]>;
  setDataBreakpoints(bps: DataBreakpointRequest[]): Promise<BreakpointResult[]>;
  /** Resolve an expression or variable to something a data breakpoint can watch. */
  dataBreakpointInfo(expression: string): Promise<{ address: bigint; length: number; description: string } | { error: string }>;
  setExceptionFilters?(filters: string[]): Promise<void>;

  // Execution control. Each resolves once the command is sent; the stop comes as an event.
  continue(): Promise<void>;
  pause(): Promise<void>;
  stepIn(granularity: StepGranularity): Promise<void>;
  stepOver(granularity: StepGranularity): Promise<void>;
  stepOut(): Promise<void>;

  // State while stopped.
  stackTrace(startFrame: number, levels: number): Promise<{ frames: Frame[]; totalFrames?: number }>;
  scopes(frameIndex: number): Promise<Scope[]>;
  /** Set a variable shown in a scope; `path` is the names from the scope down to the variable,
   *  path[0] being the scope's name: e.g. ['Registers', 'eax'] or ['Registers', 'eflags', 'ZF']. */
  setVariable(frameIndex: number, path: string[], value: string): Promise<TargetVariable>;
  evaluate(expression: string, frameIndex: number | undefined, context: string | undefined): Promise<EvaluateResult>;
  readMemory(address: bigint, count: number): Promise<MemoryReadResult>;
  /** Returns the number of bytes written. */
  writeMemory(address: bigint, data: Buffer): Promise<number>;
  disassemble(address: bigint, instructionOffset: number, instructionCount: number, resolveSymbols: boolean): Promise<DisassembledInstruction[]>;
  modules?(): Promise<ModuleInfo[]>;
  /** Protocol-specific commands (`bootdbg.*` custom DAP requests): monitor commands, VGA text,
   *  iBFT, `.reboot`, transcript path. Unknown commands reject with a clear message. */
  customRequest?(command: string, args: unknown): Promise<unknown>;
}

/** What the adapter gives a target when creating it. */
export interface TargetHost {
  /** Directory relative paths in the configuration are resolved against (the workspace folder). */
  cwd: string;
  /** Adapter trace log (shown in the BootDbg output channel when tracing is on). */
  log(message: string): void;
}

/** A launch/attach configuration that cannot work; the message is shown to the user as is. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Each debugger module exports a factory of this shape:
 *   adapter/gdb/gdbTarget.ts → `export const createGdbTarget: TargetFactory`
 *   adapter/kd/kdTarget.ts   → `export const createKdTarget: TargetFactory`
 * `config` is the launch.json configuration as sent by the client (incl. `type` and `request`);
 * the factory validates it and throws ConfigError with a clear message when it is wrong.
 */
export type TargetFactory = (config: Record<string, unknown>, host: TargetHost) => Target;
