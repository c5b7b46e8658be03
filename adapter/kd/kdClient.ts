/**
 * The KD client: manipulate-state APIs as async calls, state changes and DbgPrint text as events,
 * file I/O answered "not found" (kd-protocol.md §2–4). Sits on a KdLink; knows nothing about the UI.
 *
 * Events:
 *   'stateChange'  StateChange     the target stopped (exception, load symbols)
 *   'print'        string          DbgPrint text (may hold partial lines)
 *   'prompt'       DebugIo         DbgPrompt; answered with the `promptAnswer` option
 *   'strayReply'   Manipulate      a manipulate reply nobody waits for (the target is stopped)
 *   'reset' / 'sessionRestart' / 'lost' / 'close'   forwarded from the link
 */
import { EventEmitter } from 'node:events';
import { KdLink, LinkLostError } from './kdLink';
import { PacketType } from './kdPacket';
import {
  Arch,
  continue2Params,
  DBG_CONTINUE,
  decodeDebugIo,
  decodeManipulate,
  decodeMemoryParams,
  decodeStateChange,
  decodeVersion,
  DebugIoApi,
  encodeFileIoNotFound,
  encodeGetStringReply,
  encodeManipulate,
  KdVersion,
  Manipulate,
  ManipulateApi,
  MAX_TRANSFER,
  memoryParams,
  NO_REPLY_APIS,
  STATUS,
} from './kdStructs';

export interface KdClientOptions {
  /** How long to wait for a manipulate reply once the request was acknowledged, ms. */
  replyTimeoutMs?: number;
  /** Answer to DbgPrompt (asserts ask "Break, Ignore, …?"). */
  promptAnswer?: string;
  log?: (line: string) => void;
}

export class KdRequestError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'KdRequestError';
  }
}

export interface MemoryRead {
  data: Buffer;
  /** True when the target could not read the whole range (ActualBytesRead < requested). */
  partial: boolean;
}

interface PendingReply {
  api: number;
  resolve: (m: Manipulate) => void;
  reject: (e: Error) => void;
  timer?: NodeJS.Timeout;
}

export function hex32(n: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(8, '0');
}

export class KdClient extends EventEmitter {
  arch: Arch = 'x86';
  /** The CPU requests are addressed to: the one that reported the current stop. */
  processor = 0;
  version: KdVersion | undefined;
  private pendingReply: PendingReply | undefined;
  /** Serialises requests: the target handles one manipulate request at a time. */
  private chain: Promise<unknown> = Promise.resolve();
  private readonly replyTimeoutMs: number;
  private readonly promptAnswer: string;
  private readonly log: (line: string) => void;

  constructor(
    readonly link: KdLink,
    opts: KdClientOptions = {},
  ) {
    super();
    this.replyTimeoutMs = opts.replyTimeoutMs ?? 10000;
    this.promptAnswer = opts.promptAnswer ?? 'i';
    this.log = opts.log ?? (() => undefined);
    link.on('packet', (p: { type: PacketType; payload: Buffer }) => this.onPacket(p.type, p.payload));
    link.on('reset', () => this.emit('reset'));
    link.on('sessionRestart', () => {
      this.failPending(new LinkLostError('the target restarted its debugger session'));
      this.emit('sessionRestart');
    });
    link.on('lost', (e: Error) => this.emit('lost', e));
    link.on('close', (e?: Error) => {
      this.failPending(new LinkLostError(e ? `connection lost: ${e.message}` : 'connection closed'));
      this.emit('close', e);
    });
  }

  private failPending(e: Error): void {
    const p = this.pendingReply;
    if (!p) return;
    this.pendingReply = undefined;
    if (p.timer) clearTimeout(p.timer);
    p.reject(e);
  }

  private onPacket(type: PacketType, payload: Buffer): void {
    try {
      switch (type) {
        case PacketType.StateChange64: {
          const sc = decodeStateChange(payload, this.arch);
          this.processor = sc.processor;
          this.emit('stateChange', sc);
          return;
        }
        case PacketType.StateManipulate: {
          const m = decodeManipulate(payload);
          const p = this.pendingReply;
          if (p && p.api === m.api) {
            this.pendingReply = undefined;
            if (p.timer) clearTimeout(p.timer);
            p.resolve(m);
          } else {
            // Nobody asked: a reply left over from before a reconnect or a timeout. It still tells
            // us the target is stopped in its request loop.
            this.log(`stray manipulate reply 0x${m.api.toString(16)} dropped`);
            this.emit('strayReply', m);
          }
          return;
        }
        case PacketType.DebugIo: {
          const io = decodeDebugIo(payload);
          if (io.api === DebugIoApi.PrintString) this.emit('print', io.text);
          else if (io.api === DebugIoApi.GetString) {
            this.emit('prompt', io);
            // Sent after the link has acknowledged the prompt packet (handlers run before the ACK).
            queueMicrotask(() => void this.link.send(PacketType.DebugIo, encodeGetStringReply(io.processor, this.promptAnswer, io.lengthOfStringRead)).catch(() => undefined));
          }
          return;
        }
        case PacketType.FileIo:
          queueMicrotask(() => void this.link.send(PacketType.FileIo, encodeFileIoNotFound(payload)).catch(() => undefined));
          return;
        case PacketType.StateChange32:
          this.emit('unsupported', 'the target sends 32-bit (NT4-era) state changes; only the 64-bit protocol (XP and later) is supported');
          return;
        default:
          return; // TRACE_IO and others: acknowledged by the link, nothing to do
      }
    } catch (e) {
      this.log(`malformed ${PacketType[type]} packet: ${(e as Error).message}`);
      this.emit('malformed', e);
    }
  }

  /** Sends one manipulate request and waits for its reply (or only the ACK for no-reply APIs). */
  request(api: ManipulateApi, params?: Buffer, data?: Buffer): Promise<Manipulate | undefined> {
    const run = async (): Promise<Manipulate | undefined> => {
      const payload = encodeManipulate(api, params, data, this.processor);
      if (NO_REPLY_APIS.has(api)) {
        await this.link.send(PacketType.StateManipulate, payload);
        return undefined;
      }
      const reply = new Promise<Manipulate>((resolve, reject) => {
        this.pendingReply = { api, resolve, reject };
      });
      reply.catch(() => undefined); // a failed send rejects it before anyone awaits it
      try {
        await this.link.send(PacketType.StateManipulate, payload);
      } catch (e) {
        this.failPending(e as Error);
        throw e;
      }
      const p = this.pendingReply;
      if (p && p.api === api) {
        p.timer = setTimeout(() => {
          if (this.pendingReply === p) this.failPending(new KdRequestError(`no reply to 0x${api.toString(16)} from the target`));
        }, this.replyTimeoutMs);
      }
      return reply;
    };
    const next = this.chain.then(run, run);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async call(api: ManipulateApi, params?: Buffer, data?: Buffer): Promise<Manipulate> {
    const r = await this.request(api, params, data);
    if (!r) throw new KdRequestError(`0x${api.toString(16)} got no reply`);
    return r;
  }

  async getVersion(): Promise<KdVersion> {
    const r = await this.call(ManipulateApi.GetVersion);
    if (r.returnStatus !== STATUS.SUCCESS) throw new KdRequestError(`GetVersion failed: ${hex32(r.returnStatus)}`, r.returnStatus);
    this.version = decodeVersion(r.params);
    this.arch = this.version.arch;
    return this.version;
  }

  /**
   * Reads memory in the largest chunks a packet carries (3944 bytes). Stops at the first chunk
   * the target could not read completely; `partial` then says the rest is unreadable.
   */
  async readVirtual(address: bigint, length: number, api: ManipulateApi = ManipulateApi.ReadVirtualMemory, chunk = MAX_TRANSFER): Promise<MemoryRead> {
    const parts: Buffer[] = [];
    let done = 0;
    while (done < length) {
      const n = Math.min(chunk, length - done);
      const r = await this.call(api, memoryParams(address + BigInt(done), n, this.arch));
      const { actual } = decodeMemoryParams(r.params, this.arch);
      const got = r.data.subarray(0, Math.min(actual, r.data.length, n));
      parts.push(got);
      done += got.length;
      if (got.length < n) return { data: Buffer.concat(parts), partial: true };
    }
    return { data: Buffer.concat(parts), partial: false };
  }

  readPhysical(address: bigint, length: number): Promise<MemoryRead> {
    return this.readVirtual(address, length, ManipulateApi.ReadPhysicalMemory);
  }

  /** Reads exactly `length` bytes or throws. */
  async readExact(address: bigint, length: number): Promise<Buffer> {
    const r = await this.readVirtual(address, length);
    if (r.partial) throw new KdRequestError(`memory at 0x${address.toString(16)} is not readable (${r.data.length} of ${length} bytes)`);
    return r.data;
  }

  async readPointer(address: bigint): Promise<bigint> {
    const b = await this.readExact(address, this.arch === 'x64' ? 8 : 4);
    return this.arch === 'x64' ? b.readBigUInt64LE(0) : BigInt(b.readUInt32LE(0));
  }

  async writeVirtual(address: bigint, data: Buffer): Promise<number> {
    let done = 0;
    while (done < data.length) {
      const part = data.subarray(done, done + MAX_TRANSFER);
      const r = await this.call(ManipulateApi.WriteVirtualMemory, memoryParams(address + BigInt(done), part.length, this.arch), part);
      const { actual } = decodeMemoryParams(r.params, this.arch);
      const wrote = r.returnStatus === STATUS.SUCCESS ? Math.min(actual || part.length, part.length) : Math.min(actual, part.length);
      done += wrote;
      if (wrote < part.length) break;
    }
    return done;
  }

  async getContext(): Promise<Buffer> {
    const r = await this.call(ManipulateApi.GetContext);
    if (r.returnStatus !== STATUS.SUCCESS) throw new KdRequestError(`GetContext failed: ${hex32(r.returnStatus)}`, r.returnStatus);
    return r.data;
  }

  async setContext(context: Buffer): Promise<void> {
    const p = Buffer.alloc(4);
    p.writeUInt32LE(context.readUInt32LE(this.arch === 'x64' ? 0x30 : 0), 0);
    const r = await this.call(ManipulateApi.SetContext, p, context);
    if (r.returnStatus !== STATUS.SUCCESS) throw new KdRequestError(`SetContext failed: ${hex32(r.returnStatus)}`, r.returnStatus);
  }

  async readControlSpace(offset: bigint, length: number): Promise<MemoryRead> {
    const r = await this.call(ManipulateApi.ReadControlSpace, memoryParams(offset, length, 'x64'));
    const { actual } = decodeMemoryParams(r.params, 'x64');
    const data = r.data.subarray(0, Math.min(actual, r.data.length, length));
    return { data, partial: data.length < length };
  }

  async writeControlSpace(offset: bigint, data: Buffer): Promise<boolean> {
    const r = await this.call(ManipulateApi.WriteControlSpace, memoryParams(offset, data.length, 'x64'), data);
    return r.returnStatus === STATUS.SUCCESS;
  }

  /** Plants a breakpoint; returns the target's handle. */
  async writeBreakpoint(address: bigint): Promise<number> {
    const p = Buffer.alloc(12);
    p.writeBigUInt64LE(BigInt.asUintN(64, this.arch === 'x86' ? BigInt.asIntN(32, address) : address), 0);
    const r = await this.call(ManipulateApi.WriteBreakPoint, p);
    if (r.returnStatus !== STATUS.SUCCESS) throw new KdRequestError(`cannot set a breakpoint at 0x${address.toString(16)}: ${hex32(r.returnStatus)}`, r.returnStatus);
    return r.params.readUInt32LE(8);
  }

  async restoreBreakpoint(handle: number): Promise<boolean> {
    const p = Buffer.alloc(4);
    p.writeUInt32LE(handle, 0);
    const r = await this.call(ManipulateApi.RestoreBreakPoint, p);
    return r.returnStatus === STATUS.SUCCESS;
  }

  /** Resumes the target (trace = single step). Resolves once the target acknowledged. */
  async continue2(trace = false, continueStatus = DBG_CONTINUE, dr7 = 0x400n): Promise<void> {
    await this.request(ManipulateApi.Continue2, continue2Params(this.arch, continueStatus, trace, dr7));
  }

  /** Plain Continue: the answer to the "unload −1" reboot/hand-off notice. */
  async continue1(continueStatus = DBG_CONTINUE): Promise<void> {
    const p = Buffer.alloc(4);
    p.writeUInt32LE(continueStatus >>> 0, 0);
    await this.request(ManipulateApi.Continue, p);
  }

  async reboot(): Promise<void> {
    await this.request(ManipulateApi.Reboot);
  }

  breakIn(): void {
    this.link.breakIn();
  }
}
