/**
 * The one DAP session that serves both debuggers. It only translates: DAP requests become calls
 * on a `Target`, target events become DAP events. Nothing protocol-specific lives here.
 */
import * as path from 'node:path';
import {
  BreakpointEvent,
  ContinuedEvent,
  DebugSession,
  Event,
  ExitedEvent,
  InitializedEvent,
  ModuleEvent,
  OutputEvent,
  ProgressEndEvent,
  ProgressStartEvent,
  ProgressUpdateEvent,
  StoppedEvent,
  TerminatedEvent,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import {
  ConfigError,
  type BreakpointResult,
  type ExceptionDetails,
  type Frame,
  type ModuleInfo,
  type SourceLocation,
  type StopEvent,
  type Target,
  type TargetHost,
  type TargetVariable,
} from '../target/target';
import { VariableStore } from './variableStore';
import { formatAddress, parseAddress } from './addresses';

export const THREAD_ID = 1;

export type TargetFactoryFn = (config: Record<string, unknown>, host: TargetHost) => Target;

/** Exception filters offered before any target exists (the union of both debuggers'). */
const DEFAULT_EXCEPTION_FILTERS: DebugProtocol.ExceptionBreakpointsFilter[] = [];

// DebugSession, not LoggingDebugSession: the logging variant JSON-stringifies every outgoing message
// for a log we never enable, and installs SIGINT/SIGTERM handlers that exit the process, which
// must not happen when the session runs inline in the extension host.
export class BootDbgSession extends DebugSession {
  private target: Target | undefined;
  private readonly variables = new VariableStore();
  private lastException: ExceptionDetails | undefined;
  private stopped = false;
  private terminateOnDisconnect = false;
  private terminatedSent = false;
  private clientSupportsProgress = false;
  private clientLinesStartAt1 = true;

  constructor(private readonly factory: TargetFactoryFn, private readonly cwdFallback = process.cwd()) {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
  }

  // ---------------------------------------------------------------- lifecycle

  /** DAP says pathFormat defaults to 'path', but the base class insists on seeing it. */
  protected override dispatchRequest(request: DebugProtocol.Request): void {
    if (request.command === 'initialize') {
      const args = (request.arguments ?? {}) as DebugProtocol.InitializeRequestArguments;
      args.pathFormat ??= 'path';
      request.arguments = args;
    }
    super.dispatchRequest(request);
  }

  protected override initializeRequest(response: DebugProtocol.InitializeResponse, args: DebugProtocol.InitializeRequestArguments): void {
    this.clientSupportsProgress = args.supportsProgressReporting === true;
    this.clientLinesStartAt1 = args.linesStartAt1 !== false;
    response.body = {
      ...response.body,
      supportsConfigurationDoneRequest: true,
      supportsFunctionBreakpoints: true,
      supportsInstructionBreakpoints: true,
      supportsDataBreakpoints: true,
      // The union of both debuggers' abilities; narrowed by a capabilities event once the target is known.
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsDisassembleRequest: true,
      supportsReadMemoryRequest: true,
      supportsWriteMemoryRequest: true,
      supportsSteppingGranularity: true,
      supportsSetVariable: true,
      supportsModulesRequest: true,
      supportsEvaluateForHovers: true,
      supportsExceptionInfoRequest: true,
      supportsCancelRequest: true,
      supportsTerminateRequest: true,
      supportsRestartRequest: true,
      supportsValueFormattingOptions: false,
      supportsStepBack: false,
      supportsDelayedStackTraceLoading: true,
      exceptionBreakpointFilters: DEFAULT_EXCEPTION_FILTERS,
    };
    this.sendResponse(response);
  }

  protected override launchRequest(response: DebugProtocol.LaunchResponse, args: DebugProtocol.LaunchRequestArguments): void {
    this.terminateOnDisconnect = true;
    void this.startTarget(response, args as Record<string, unknown>);
  }

  protected override attachRequest(response: DebugProtocol.AttachResponse, args: DebugProtocol.AttachRequestArguments): void {
    this.terminateOnDisconnect = false;
    void this.startTarget(response, args as Record<string, unknown>);
  }

  private async startTarget(response: DebugProtocol.Response, config: Record<string, unknown>): Promise<void> {
    const cwd = typeof config.cwd === 'string' ? config.cwd : this.cwdFallback;
    const host: TargetHost = { cwd, log: (m) => this.log(m) };
    let target: Target;
    try {
      target = this.factory(config, host);
    } catch (e) {
      this.sendErrorResponse(response, { id: 1001, format: errorText(e), showUser: true });
      return;
    }
    this.target = target;
    this.wireEvents(target);
    try {
      await target.start();
    } catch (e) {
      this.sendErrorResponse(response, { id: 1002, format: errorText(e), showUser: true });
      await target.disconnect(true).catch(() => undefined);
      return;
    }
    this.sendEvent(new Event('capabilities', { capabilities: this.capabilitiesFor(target) }));
    this.sendResponse(response);
    this.sendEvent(new InitializedEvent());
  }

  private capabilitiesFor(target: Target): DebugProtocol.Capabilities {
    const c = target.capabilities;
    return {
      supportsFunctionBreakpoints: c.functionBreakpoints,
      supportsInstructionBreakpoints: c.instructionBreakpoints,
      supportsDataBreakpoints: c.dataBreakpoints,
      supportsConditionalBreakpoints: c.conditionalBreakpoints,
      supportsHitConditionalBreakpoints: c.hitConditionalBreakpoints ?? c.conditionalBreakpoints,
      supportsLogPoints: c.logPoints ?? c.conditionalBreakpoints,
      supportsSetVariable: c.setVariable,
      supportsModulesRequest: c.modules,
      supportsRestartRequest: c.restart,
      exceptionBreakpointFilters: c.exceptionFilters,
    };
  }

  protected override async configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): Promise<void> {
    await this.run(response, async (t) => {
      await t.configurationDone();
    });
  }

  protected override async disconnectRequest(response: DebugProtocol.DisconnectResponse, args: DebugProtocol.DisconnectArguments): Promise<void> {
    const terminate = args?.terminateDebuggee ?? this.terminateOnDisconnect;
    const t = this.target;
    this.target = undefined;
    if (t) await t.disconnect(terminate).catch((e) => this.log(`disconnect: ${errorText(e)}`));
    this.sendResponse(response);
  }

  protected override async terminateRequest(response: DebugProtocol.TerminateResponse): Promise<void> {
    const t = this.target;
    if (t) await t.disconnect(true).catch((e) => this.log(`terminate: ${errorText(e)}`));
    this.sendResponse(response);
    this.sendTerminated('terminated by the user');
  }

  protected override async restartRequest(response: DebugProtocol.RestartResponse): Promise<void> {
    await this.run(response, async (t) => {
      if (!t.restart) throw new Error('This target cannot restart; stop and start the session instead.');
      this.variables.reset();
      await t.restart();
    });
  }

  protected override cancelRequest(response: DebugProtocol.CancelResponse, args: DebugProtocol.CancelArguments): void {
    if (args.progressId) this.target?.cancelProgress(args.progressId);
    this.sendResponse(response);
  }

  /** Inline in the extension host, VS Code disposes the session when the debug session ends:
   *  nothing the target owns (QEMU, sockets, a serial port) may outlive it. */
  override dispose(): void {
    void this.shutdownTarget();
    super.dispose();
  }

  /** Stops whatever the target owns (QEMU, sockets) when the adapter process is going away. */
  async shutdownTarget(): Promise<void> {
    const t = this.target;
    this.target = undefined;
    if (t) await t.disconnect(this.terminateOnDisconnect).catch(() => undefined);
  }

  // ---------------------------------------------------------------- events from the target

  private wireEvents(t: Target): void {
    t.on('stopped', (e) => this.onStopped(e));
    t.on('continued', () => {
      this.stopped = false;
      this.variables.reset();
      this.sendEvent(new ContinuedEvent(THREAD_ID, true));
    });
    t.on('output', (o) => {
      const ev = new OutputEvent(o.text, o.category) as DebugProtocol.OutputEvent;
      if (o.source) {
        ev.body.source = this.dapSource(o.source);
        ev.body.line = this.convertDebuggerLineToClient(o.source.line);
      }
      this.sendEvent(ev);
    });
    t.on('breakpointChanged', (bp) => this.sendEvent(new BreakpointEvent('changed', this.dapBreakpoint(bp))));
    t.on('moduleLoaded', (m) => this.sendEvent(new ModuleEvent('new', this.dapModule(m))));
    t.on('moduleRemoved', (m) => this.sendEvent(new ModuleEvent('removed', this.dapModule(m))));
    t.on('progressStart', (p) => {
      if (this.clientSupportsProgress) {
        const ev = new ProgressStartEvent(p.id, p.title, p.message) as DebugProtocol.ProgressStartEvent;
        ev.body.cancellable = p.cancellable;
        this.sendEvent(ev);
      } else {
        this.sendEvent(new OutputEvent(`${p.title}${p.message ? ' ' + p.message : ''}\n`, 'console'));
      }
    });
    t.on('progressUpdate', (p) => {
      if (this.clientSupportsProgress) this.sendEvent(new ProgressUpdateEvent(p.id, p.message));
    });
    t.on('progressEnd', (p) => {
      if (this.clientSupportsProgress) this.sendEvent(new ProgressEndEvent(p.id, p.message));
    });
    // Targets report the link state at every stop; the status bar only needs changes (a step
    // is stopped → stopped, and each message costs the stepping round trip).
    let lastLink = '';
    t.on('linkState', (s) => {
      const key = `${s.state}\u0000${s.detail ?? ''}`;
      if (key === lastLink) return;
      lastLink = key;
      this.sendEvent(new Event('bootdbg.linkState', s));
    });
    t.on('exited', (e) => this.sendEvent(new ExitedEvent(e.exitCode)));
    t.on('terminated', (e) => {
      this.sendEvent(new OutputEvent(`${e.reason}\n`, 'console'));
      this.sendTerminated(e.reason);
    });
  }

  private onStopped(e: StopEvent): void {
    this.stopped = true;
    this.variables.reset();
    this.lastException = e.exception;
    const ev = new StoppedEvent(e.reason, THREAD_ID, e.text) as DebugProtocol.StoppedEvent;
    ev.body.allThreadsStopped = true;
    if (e.description) ev.body.description = e.description;
    if (e.hitBreakpointIds?.length) ev.body.hitBreakpointIds = e.hitBreakpointIds;
    if (e.reason === 'data breakpoint' && e.dataAddress !== undefined) {
      const where = `Data breakpoint hit: access at ${formatAddress(e.dataAddress)}`;
      ev.body.description = e.description ?? where;
      ev.body.text = e.text ?? where;
    }
    this.sendEvent(ev);
  }

  private sendTerminated(reason: string): void {
    if (this.terminatedSent) return;
    this.terminatedSent = true;
    this.log(`terminated: ${reason}`);
    this.sendEvent(new TerminatedEvent());
  }

  // ---------------------------------------------------------------- breakpoints

  protected override async setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): Promise<void> {
    await this.run(response, async (t) => {
      const file = args.source.path;
      const requested: DebugProtocol.SourceBreakpoint[] = args.breakpoints ?? (args.lines ?? []).map((line) => ({ line }));
      if (!file) {
        response.body = { breakpoints: requested.map(() => ({ verified: false, message: 'Breakpoints need a file on disk.' })) };
        return;
      }
      const results = await t.setSourceBreakpoints(
        file,
        requested.map((b) => ({
          line: this.convertClientLineToDebugger(b.line),
          column: b.column,
          condition: b.condition,
          hitCondition: b.hitCondition,
          logMessage: b.logMessage,
        })),
      );
      response.body = { breakpoints: results.map((r) => this.dapBreakpoint(r, { path: file })) };
    });
  }

  protected override async setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): Promise<void> {
    await this.run(response, async (t) => {
      const results = await t.setFunctionBreakpoints(args.breakpoints.map((b) => ({ name: b.name, condition: b.condition, hitCondition: b.hitCondition })));
      response.body = { breakpoints: results.map((r) => this.dapBreakpoint(r)) };
    });
  }

  protected override async setInstructionBreakpointsRequest(response: DebugProtocol.SetInstructionBreakpointsResponse, args: DebugProtocol.SetInstructionBreakpointsArguments): Promise<void> {
    await this.run(response, async (t) => {
      const bps = args.breakpoints.map((b) => ({
        address: parseAddress(b.instructionReference) + BigInt(b.offset ?? 0),
        condition: b.condition,
        hitCondition: b.hitCondition,
      }));
      const results = await t.setInstructionBreakpoints(bps);
      response.body = { breakpoints: results.map((r) => this.dapBreakpoint(r)) };
    });
  }

  protected override async dataBreakpointInfoRequest(response: DebugProtocol.DataBreakpointInfoResponse, args: DebugProtocol.DataBreakpointInfoArguments): Promise<void> {
    await this.run(response, async (t) => {
      let expression = args.name;
      if (args.variablesReference !== undefined && args.variablesReference !== 0) {
        const v = this.variables.child(args.variablesReference, args.name);
        if (v?.memoryReference !== undefined) expression = formatAddress(v.memoryReference);
        else if (v?.evaluateName) expression = v.evaluateName;
      }
      const info = await t.dataBreakpointInfo(expression);
      if ('error' in info) {
        response.body = { dataId: null, description: info.error };
        return;
      }
      response.body = {
        dataId: `${formatAddress(info.address)}:${info.length}`,
        description: info.description,
        accessTypes: ['read', 'write', 'readWrite'],
        canPersist: true,
      };
    });
  }

  protected override async setDataBreakpointsRequest(response: DebugProtocol.SetDataBreakpointsResponse, args: DebugProtocol.SetDataBreakpointsArguments): Promise<void> {
    await this.run(response, async (t) => {
      const bps = args.breakpoints.map((b) => {
        const [addr, len] = b.dataId.split(':');
        return { address: parseAddress(addr), length: Number(len ?? '1') || 1, accessType: b.accessType ?? 'write' };
      });
      const results = await t.setDataBreakpoints(bps);
      response.body = { breakpoints: results.map((r) => this.dapBreakpoint(r)) };
    });
  }

  protected override async setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): Promise<void> {
    await this.run(response, async (t) => {
      await t.setExceptionFilters?.(args.filters);
    });
  }

  // ---------------------------------------------------------------- execution

  protected override async continueRequest(response: DebugProtocol.ContinueResponse): Promise<void> {
    await this.run(response, async (t) => {
      await t.continue();
      response.body = { allThreadsContinued: true };
    });
  }

  protected override async nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): Promise<void> {
    await this.run(response, (t) => t.stepOver(args.granularity === 'instruction' ? 'instruction' : 'line'));
  }

  protected override async stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): Promise<void> {
    await this.run(response, (t) => t.stepIn(args.granularity === 'instruction' ? 'instruction' : 'line'));
  }

  protected override async stepOutRequest(response: DebugProtocol.StepOutResponse): Promise<void> {
    await this.run(response, (t) => t.stepOut());
  }

  protected override async pauseRequest(response: DebugProtocol.PauseResponse): Promise<void> {
    await this.run(response, (t) => t.pause());
  }

  // ---------------------------------------------------------------- state

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    const name = this.target?.kind === 'windows-kd' ? 'Processor 0' : 'CPU 0';
    response.body = { threads: [{ id: THREAD_ID, name }] };
    this.sendResponse(response);
  }

  protected override async stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): Promise<void> {
    await this.run(response, async (t) => {
      const start = args.startFrame ?? 0;
      const levels = args.levels && args.levels > 0 ? args.levels : 64;
      const { frames, totalFrames } = await t.stackTrace(start, levels);
      response.body = {
        stackFrames: frames.map((f, i) => this.dapFrame(f, start + i)),
        totalFrames: totalFrames ?? start + frames.length,
      };
    });
  }

  protected override async scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): Promise<void> {
    await this.run(response, async (t) => {
      const frameIndex = frameIndexOf(args.frameId);
      const scopes = await t.scopes(frameIndex);
      response.body = {
        scopes: scopes.map((s) => ({
          name: s.name,
          presentationHint: s.presentationHint,
          variablesReference: this.variables.addContainer(frameIndex, [s.name], s.variables),
          expensive: s.expensive ?? false,
        })),
      };
    });
  }

  protected override async variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): Promise<void> {
    await this.run(response, async () => {
      const container = this.variables.get(args.variablesReference);
      if (!container) {
        response.body = { variables: [] };
        return;
      }
      const children = await this.variables.load(args.variablesReference);
      response.body = { variables: children.map((v) => this.dapVariable(v, container.frameIndex, container.path)) };
    });
  }

  protected override async setVariableRequest(response: DebugProtocol.SetVariableResponse, args: DebugProtocol.SetVariableArguments): Promise<void> {
    await this.run(response, async (t) => {
      const container = this.variables.get(args.variablesReference);
      if (!container) throw new Error('That variable is no longer available; the target has run since.');
      const v = await t.setVariable(container.frameIndex, [...container.path, args.name], args.value);
      const dap = this.dapVariable(v, container.frameIndex, container.path);
      response.body = { value: dap.value, type: dap.type, variablesReference: dap.variablesReference, memoryReference: dap.memoryReference };
      // Registers feed the stack, disassembly and other views: let the client refresh them.
      this.sendEvent(new Event('invalidated', { areas: ['variables', 'stacks'], threadId: THREAD_ID }));
    });
  }

  protected override async evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): Promise<void> {
    await this.run(response, async (t) => {
      const frameIndex = args.frameId !== undefined ? frameIndexOf(args.frameId) : undefined;
      const r = await t.evaluate(args.expression, frameIndex, args.context);
      const ref = r.children?.length ? this.variables.addContainer(frameIndex ?? 0, ['$eval', args.expression], r.children) : 0;
      response.body = {
        result: r.result,
        type: r.type,
        variablesReference: ref,
        memoryReference: r.memoryReference !== undefined ? formatAddress(r.memoryReference) : undefined,
      };
    });
  }

  protected override async readMemoryRequest(response: DebugProtocol.ReadMemoryResponse, args: DebugProtocol.ReadMemoryArguments): Promise<void> {
    await this.run(response, async (t) => {
      const address = parseAddress(args.memoryReference) + BigInt(args.offset ?? 0);
      if (address < 0n) throw new Error(`Address ${args.memoryReference}+${args.offset} is negative.`);
      const r = await t.readMemory(address, args.count);
      response.body = {
        address: formatAddress(address),
        data: r.data.toString('base64'),
        unreadableBytes: r.unreadableBytes,
      };
    });
  }

  protected override async writeMemoryRequest(response: DebugProtocol.WriteMemoryResponse, args: DebugProtocol.WriteMemoryArguments): Promise<void> {
    await this.run(response, async (t) => {
      const address = parseAddress(args.memoryReference) + BigInt(args.offset ?? 0);
      const data = Buffer.from(args.data, 'base64');
      const written = await t.writeMemory(address, data);
      response.body = { bytesWritten: written };
      this.sendEvent(new Event('memory', { memoryReference: args.memoryReference, offset: args.offset ?? 0, count: written }));
    });
  }

  protected override async disassembleRequest(response: DebugProtocol.DisassembleResponse, args: DebugProtocol.DisassembleArguments): Promise<void> {
    await this.run(response, async (t) => {
      const address = parseAddress(args.memoryReference) + BigInt(args.offset ?? 0);
      const list = await t.disassemble(address, args.instructionOffset ?? 0, args.instructionCount, args.resolveSymbols ?? true);
      let lastPath: string | undefined;
      response.body = {
        instructions: list.map((i) => {
          const d: DebugProtocol.DisassembledInstruction = {
            address: formatAddress(i.address),
            instructionBytes: i.instructionBytes,
            instruction: i.instruction,
          };
          if (i.symbol) d.symbol = i.symbol;
          if (i.invalid) d.presentationHint = 'invalid';
          if (i.location) {
            // DAP: the location may be omitted when it is the same as the previous instruction's.
            if (i.location.path !== lastPath) d.location = this.dapSource(i.location);
            lastPath = i.location.path;
            d.line = this.convertDebuggerLineToClient(i.location.line);
          }
          return d;
        }),
      };
    });
  }

  /** The base class has no handler for `modules`: it arrives through customRequest. */
  private async modulesRequest(response: DebugProtocol.ModulesResponse, args: DebugProtocol.ModulesArguments): Promise<void> {
    await this.run(response, async (t) => {
      const all = t.modules ? await t.modules() : [];
      const start = args.startModule ?? 0;
      const count = args.moduleCount && args.moduleCount > 0 ? args.moduleCount : all.length;
      response.body = { modules: all.slice(start, start + count).map((m) => this.dapModule(m)), totalModules: all.length };
    });
  }

  protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse): void {
    const e = this.lastException;
    if (!e) {
      this.sendErrorResponse(response, { id: 1003, format: 'The target is not stopped on an exception.' });
      return;
    }
    response.body = {
      exceptionId: e.exceptionId,
      description: e.description,
      breakMode: e.breakMode,
      details: e.details,
    };
    this.sendResponse(response);
  }

  protected override async customRequest(command: string, response: DebugProtocol.Response, args: unknown): Promise<void> {
    if (command === 'modules') return this.modulesRequest(response as DebugProtocol.ModulesResponse, (args ?? {}) as DebugProtocol.ModulesArguments);
    await this.run(response, async (t) => {
      if (!command.startsWith('bootdbg.') || !t.customRequest) throw new Error(`Unknown request "${command}".`);
      response.body = jsonSafe(await t.customRequest(command, args));
    });
  }

  // ---------------------------------------------------------------- helpers

  /** Runs a request against the target, turning any failure into an error response with its message. */
  private async run(response: DebugProtocol.Response, fn: (t: Target) => Promise<void>): Promise<void> {
    const t = this.target;
    if (!t) {
      this.sendErrorResponse(response, { id: 1004, format: 'No target: the session has not started or has already ended.' });
      return;
    }
    try {
      await fn(t);
      this.sendResponse(response);
    } catch (e) {
      this.sendErrorResponse(response, { id: 1005, format: errorText(e), showUser: e instanceof ConfigError });
    }
  }

  private dapSource(loc: SourceLocation): DebugProtocol.Source {
    return { name: path.basename(loc.path), path: this.convertDebuggerPathToClient(loc.path) };
  }

  private dapFrame(f: Frame, index: number): DebugProtocol.StackFrame {
    const frame: DebugProtocol.StackFrame = {
      id: frameIdOf(index),
      name: f.name,
      line: 0,
      column: 0,
      instructionPointerReference: formatAddress(f.address),
    };
    if (f.source) {
      frame.source = this.dapSource(f.source);
      frame.line = this.convertDebuggerLineToClient(f.source.line);
      frame.column = f.source.column ?? (this.clientLinesStartAt1 ? 1 : 0);
    }
    if (f.moduleName) frame.moduleId = f.moduleName;
    if (f.presentationHint) frame.presentationHint = f.presentationHint;
    return frame;
  }

  private dapVariable(v: TargetVariable, frameIndex: number, parentPath: string[]): DebugProtocol.Variable {
    const ref = v.children ? this.variables.addContainer(frameIndex, [...parentPath, v.name], v.children) : 0;
    const out: DebugProtocol.Variable = { name: v.name, value: v.value, variablesReference: ref };
    if (v.type) out.type = v.type;
    if (v.evaluateName) out.evaluateName = v.evaluateName;
    if (v.memoryReference !== undefined) out.memoryReference = formatAddress(v.memoryReference);
    if (v.editable === false) out.presentationHint = { attributes: ['readOnly'] };
    return out;
  }

  private dapBreakpoint(r: BreakpointResult, fallbackSource?: { path: string }): DebugProtocol.Breakpoint {
    const bp: DebugProtocol.Breakpoint = { id: r.id, verified: r.verified };
    if (r.message) bp.message = r.message;
    if (r.source) {
      bp.source = this.dapSource(r.source);
      bp.line = this.convertDebuggerLineToClient(r.source.line);
    } else if (fallbackSource) {
      bp.source = { name: path.basename(fallbackSource.path), path: fallbackSource.path };
    }
    if (r.address !== undefined) bp.instructionReference = formatAddress(r.address);
    if (r.reason) bp.reason = r.reason;
    return bp;
  }

  private dapModule(m: ModuleInfo): DebugProtocol.Module {
    const mod: DebugProtocol.Module = {
      id: m.id,
      name: m.name,
      addressRange: `${formatAddress(m.base)}-${formatAddress(m.base + BigInt(m.size))}`,
    };
    if (m.path) mod.path = m.path;
    if (m.symbolStatus) mod.symbolStatus = m.symbolStatus;
    if (m.version) mod.version = m.version;
    if (m.dateTimeStamp) mod.dateTimeStamp = m.dateTimeStamp;
    return mod;
  }

  private log(message: string): void {
    this.sendEvent(new Event('bootdbg.log', { message }));
  }

  /** For tests: whether the last event seen from the target left it stopped. */
  get isStopped(): boolean {
    return this.stopped;
  }
}

/** Frame ids are 1-based (0 means "no frame" to some clients); frame index = id - 1. */
function frameIdOf(index: number): number {
  return index + 1;
}

function frameIndexOf(frameId: number): number {
  return Math.max(0, frameId - 1);
}

function errorText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  // DAP's format strings treat {…} as placeholders; keep braces literal.
  return msg.replace(/\{/g, '(').replace(/\}/g, ')');
}

/** bigint is not JSON: custom request results go over the wire with bigints as "0x…" strings. */
function jsonSafe(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value ?? null, (_k, v: unknown) => (typeof v === 'bigint' ? formatAddress(v) : v)));
}
