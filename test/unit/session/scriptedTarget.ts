/**
 * A Target whose behaviour is scripted by the test: it tests the DAP session's translation layer
 * alone. The real targets (QEMU over RSP, the KD simulator) are exercised in test/integration.
 */
import { TargetEmitter } from '../../../adapter/target/typedEmitter';
import {
  ConfigError,
  type BreakpointResult,
  type DisassembledInstruction,
  type EvaluateResult,
  type Frame,
  type MemoryReadResult,
  type Scope,
  type Target,
  type TargetCapabilities,
  type TargetVariable,
} from '../../../adapter/target/target';

export class ScriptedTarget extends TargetEmitter implements Target {
  readonly kind = 'gdb-remote' as const;
  readonly capabilities: TargetCapabilities = {
    sourceBreakpoints: true,
    functionBreakpoints: true,
    instructionBreakpoints: true,
    dataBreakpoints: true,
    conditionalBreakpoints: false,
    setVariable: true,
    modules: false,
    stepBack: false,
    restart: false,
    exceptionFilters: [],
  };
  readonly calls: string[] = [];
  memory = Buffer.alloc(0x100, 0);
  memoryBase = 0x7c00n;
  eax = 0x1234n;
  stopOnEntry = true;
  disconnected: boolean | undefined;
  private nextBp = 1;

  constructor(readonly config: Record<string, unknown>) {
    super();
    if (config.image === 'bad') throw new ConfigError('image "bad" does not exist');
  }

  async start(): Promise<void> {
    this.calls.push('start');
    if (this.config.failStart) throw new Error('QEMU exited: could not open disk image');
  }
  async configurationDone(): Promise<void> {
    this.calls.push('configurationDone');
    if (this.stopOnEntry) setImmediate(() => this.emit('stopped', { reason: 'entry', description: 'Stopped at the reset vector' }));
  }
  cancelProgress(id: string): void {
    this.calls.push(`cancel ${id}`);
  }
  async disconnect(terminate: boolean): Promise<void> {
    this.disconnected = terminate;
  }
  async setSourceBreakpoints(path: string, bps: { line: number }[]): Promise<BreakpointResult[]> {
    this.calls.push(`bps ${path} ${bps.map((b) => b.line).join(',')}`);
    return bps.map((b) =>
      b.line === 99
        ? { id: this.nextBp++, verified: false, reason: 'pending' as const, message: 'address not known yet' }
        : { id: this.nextBp++, verified: true, source: { path, line: b.line + 1 }, address: 0x7c00n + BigInt(b.line) },
    );
  }
  async setFunctionBreakpoints(bps: { name: string }[]): Promise<BreakpointResult[]> {
    return bps.map((b) => ({ id: this.nextBp++, verified: b.name === 'install', message: b.name === 'install' ? undefined : `no symbol ${b.name}` }));
  }
  async setInstructionBreakpoints(bps: { address: bigint }[]): Promise<BreakpointResult[]> {
    this.calls.push(`ibps ${bps.map((b) => b.address.toString(16)).join(',')}`);
    return bps.map((b) => ({ id: this.nextBp++, verified: true, address: b.address }));
  }
  async setDataBreakpoints(bps: { address: bigint; length: number; accessType: string }[]): Promise<BreakpointResult[]> {
    this.calls.push(`dbps ${bps.map((b) => `${b.address.toString(16)}/${b.length}/${b.accessType}`).join(',')}`);
    return bps.map((b) => ({ id: this.nextBp++, verified: true, address: b.address }));
  }
  async dataBreakpointInfo(expression: string) {
    if (expression === 'nothing') return { error: 'not an lvalue' };
    return { address: 0x7c10n, length: 2, description: `word at ${expression}` };
  }
  async continue(): Promise<void> {
    this.calls.push('continue');
    setImmediate(() => this.emit('continued'));
  }
  async pause(): Promise<void> {
    setImmediate(() => this.emit('stopped', { reason: 'pause' }));
  }
  async stepIn(g: string): Promise<void> {
    this.calls.push(`stepIn ${g}`);
    setImmediate(() => this.emit('stopped', { reason: 'step' }));
  }
  async stepOver(g: string): Promise<void> {
    this.calls.push(`stepOver ${g}`);
    setImmediate(() => this.emit('stopped', { reason: 'step' }));
  }
  async stepOut(): Promise<void> {
    setImmediate(() => this.emit('stopped', { reason: 'step' }));
  }
  async stackTrace(start: number, levels: number): Promise<{ frames: Frame[]; totalFrames: number }> {
    const all: Frame[] = [
      { name: 'F000:FFF0', address: 0xfffffff0n },
      { name: '07C0:0005 go', address: 0x7c05n, source: { path: '/src/prefix.S', line: 12 } },
    ];
    return { frames: all.slice(start, start + levels), totalFrames: all.length };
  }
  async scopes(): Promise<Scope[]> {
    const flags: TargetVariable[] = [
      { name: 'CF', value: '0', editable: true },
      { name: 'ZF', value: '1', editable: true },
    ];
    return [
      {
        name: 'Registers',
        presentationHint: 'registers',
        variables: async () => [
          { name: 'eax', value: '0x' + this.eax.toString(16).padStart(8, '0'), editable: true, evaluateName: '$eax' },
          { name: 'eflags', value: '0x00000046', children: flags },
          { name: 'ds:si', value: '0000:7c10', memoryReference: 0x7c10n },
        ],
      },
    ];
  }
  async setVariable(_frame: number, path: string[], value: string): Promise<TargetVariable> {
    this.calls.push(`set ${path.join('/')}=${value}`);
    if (path.join('/') !== 'Registers/eax') throw new Error(`${path.join('/')} is read-only`);
    this.eax = BigInt(value);
    return { name: 'eax', value: '0x' + this.eax.toString(16).padStart(8, '0'), editable: true };
  }
  async evaluate(expression: string): Promise<EvaluateResult> {
    if (expression === '$eax') return { result: '0x' + this.eax.toString(16), type: 'u32' };
    throw new Error(`cannot evaluate "${expression}"`);
  }
  async readMemory(address: bigint, count: number): Promise<MemoryReadResult> {
    const off = Number(address - this.memoryBase);
    if (off < 0 || off >= this.memory.length) return { data: Buffer.alloc(0), unreadableBytes: count };
    const data = this.memory.subarray(off, Math.min(off + count, this.memory.length));
    return { data: Buffer.from(data), unreadableBytes: count - data.length };
  }
  async writeMemory(address: bigint, data: Buffer): Promise<number> {
    data.copy(this.memory, Number(address - this.memoryBase));
    return data.length;
  }
  async disassemble(address: bigint, _off: number, count: number): Promise<DisassembledInstruction[]> {
    return Array.from({ length: count }, (_, i) => ({
      address: address + BigInt(i),
      instructionBytes: '90',
      instruction: 'nop',
      location: { path: '/src/prefix.S', line: 10 + i },
    }));
  }
  async customRequest(command: string): Promise<unknown> {
    if (command === 'bootdbg.where') return { linear: 0x7c00n };
    throw new Error(`unknown ${command}`);
  }
  fireTerminated(): void {
    this.emit('terminated', { reason: 'QEMU exited (signal SIGKILL)' });
  }
  fireException(): void {
    this.emit('stopped', {
      reason: 'exception',
      text: 'Break instruction exception - code 80000003 (first chance)',
      exception: { exceptionId: '0x80000003', description: 'Break instruction exception - code 80000003 (first chance)', breakMode: 'always' },
    });
  }
}
