/**
 * GDB RSP client over a TCP or Unix socket, tuned to QEMU's gdbstub (see
 * ../shared/reference/gdb/qemu-gdbstub-and-ipxe.md):
 * - TCP_NODELAY, else every request costs ~44 ms (Nagle + delayed ACK);
 * - one outstanding request, except that `m` reads may be pipelined (see `pipelineDepth`);
 *   replies are matched in order; `-` retransmits;
 * - stop replies (`T`/`S`/`W`/`X`) that arrive while no request expects one (e.g. the unsolicited
 *   `T02` QEMU sends when we connect to a running VM) go to the `stop` event, never to a request;
 * - while the target runs nothing but 0x03 may be sent (QEMU stops and drops any other packet),
 *   so requests are refused while running;
 * - `?` clears QEMU's breakpoints: the handshake sends it once;
 * - p/P need target.xml first; `m` is capped at 0x800 bytes; `D;1` with multiprocess;
 *   never `bc`/`bs` (QEMU 7.2 aborts).
 */
import * as net from 'node:net';
import { EventEmitter } from 'node:events';
import { RspDecoder, encodePacket, hexToBuffer, textToHex, INTERRUPT, type RspEvent } from './rspPacket';

export type RspEndpoint = { host: string; port: number } | { path: string };

/** Parses `host:port`, `:port`, a bare port number or a Unix socket path. */
export function parseEndpoint(text: string): RspEndpoint | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  const m = /^(?:([A-Za-z0-9.\-_]+|\[[0-9a-fA-F:]+\])?:)?(\d{1,5})$/.exec(t);
  if (m) {
    const port = Number(m[2]);
    if (port < 1 || port > 65535) return undefined;
    return { host: (m[1] ?? '127.0.0.1').replace(/^\[|\]$/g, ''), port };
  }
  if (t.startsWith('/') || t.startsWith('.')) return { path: t };
  return undefined;
}

export function describeEndpoint(e: RspEndpoint): string {
  return 'path' in e ? `unix:${e.path}` : `tcp:${e.host}:${e.port}`;
}

/** A decoded stop reply (`T05thread:p01.01;watch:00007c73;`, `S05`, `W00`, `X09`). */
export interface StopReply {
  kind: 'signal' | 'exited' | 'killed';
  /** Signal number (T/S/X) or exit code (W). */
  code: number;
  /** Keyword pairs of a T reply (lower-case keys), e.g. thread, watch, rwatch, awatch. */
  info: Record<string, string>;
  /** For watchpoint stops: the kind and the linear address accessed. */
  watch?: { kind: 'watch' | 'rwatch' | 'awatch'; address: bigint };
  raw: string;
  /** The `g` reply, when the resume asked for it (`resume(…, { readRegisters: true })`): sent the
   *  moment the stop arrived, in the same turn, so the stub answers while we handle the stop. */
  registers?: Promise<Buffer>;
}

const STOP_KIND_BY_LETTER: Readonly<Record<string, StopReply['kind']>> = { T: 'signal', S: 'signal', W: 'exited', X: 'killed' };

export function parseStopReply(payload: string): StopReply | undefined {
  const kind = STOP_KIND_BY_LETTER[payload[0]];
  if (!kind || !/^[0-9a-fA-F]{2}/.test(payload.slice(1, 3))) return undefined;
  const reply: StopReply = { kind, code: parseInt(payload.slice(1, 3), 16), info: {}, raw: payload };
  if (payload[0] === 'T') {
    for (const pair of payload.slice(3).split(';')) {
      const colon = pair.indexOf(':');
      if (colon <= 0) continue;
      const key = pair.slice(0, colon).toLowerCase();
      const value = pair.slice(colon + 1);
      reply.info[key] = value;
      if ((key === 'watch' || key === 'rwatch' || key === 'awatch') && /^[0-9a-fA-F]+$/.test(value)) {
        reply.watch = { kind: key, address: BigInt('0x' + value) };
      }
    }
  }
  return reply;
}

/** The stop reply in a payload, if it is one. Cheap first-letter test first: this runs on every
 *  reply (memory reads are hex digits). */
function stopReplyIn(p: string): StopReply | undefined {
  const c = p.charCodeAt(0);
  if (c !== 0x54 && c !== 0x53 && c !== 0x57 && c !== 0x58) return undefined; // T S W X
  return parseStopReply(p);
}

function removeFrom<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}

export class RspError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
    this.name = 'RspError';
  }
}

interface PendingRequest {
  packet: string;
  frame: Buffer;
  expectsStop: boolean;
  /** qRcmd: collect `O` packets until OK/E. */
  collectOutput: boolean;
  output: string[];
  resolve(reply: string): void;
  reject(err: Error): void;
  timeoutMs: number;
  timer?: NodeJS.Timeout;
  retransmits: number;
  started: boolean;
  /** An idempotent read that may share the wire with other pipelined requests. */
  pipelined: boolean;
  /** The stub acked (`+`) our latest transmission of it: the next reply is its own. */
  accepted: boolean;
  /** Already failed because the reply stream lost step; its late reply is dropped. */
  abandoned: boolean;
}

export interface RspClientEvents {
  stop: [StopReply];
  /** Console output (`O` packets outside qRcmd). */
  console: [string];
  /** Protocol problems worth a log line (garbage, bad checksums, retransmits). */
  protocolError: [string];
  close: [string];
}

export interface RspClientOptions {
  /** Default request timeout. */
  timeoutMs?: number;
  /**
   * How many `m` packets one readMemory keeps on the wire (1 = strictly one request at a time,
   * what every stub accepts). Deeper only for stubs known to read packets back to back and to
   * ack every one of them (QEMU's gdbstub, measured): replies are then matched to requests by
   * the stub's `+`/`-` sequence. Other requests never share the wire.
   */
  pipelineDepth?: number;
  log?: (line: string) => void;
}

const MAX_RETRANSMITS = 3;
const ACK_BYTE = Buffer.from('+');
/** QEMU answers at most 0x800 bytes per `m`; keep writes to the same size. */
export const MAX_MEMORY_CHUNK = 0x800;
/** The depth used for the QEMU we launched ourselves (measured: 64 KiB reads gain little past 4). */
export const QEMU_PIPELINE_DEPTH = 4;
/** Upper bound for `pipelineDepth` (QEMU's socket buffer easily holds this many small requests). */
export const MAX_PIPELINE_DEPTH = 16;

const ERROR_REPLY = /^E[0-9a-fA-F]{2}$/;
/** readMemory's first buffer; larger reads grow it as the data arrives. */
const INITIAL_READ_BUFFER = 1 << 20;

export class RspClient extends EventEmitter<RspClientEvents> {
  private readonly decoder = new RspDecoder();
  private readonly queue: PendingRequest[] = [];
  /** Sent and not yet answered, in order of first transmission. */
  private readonly inFlight: PendingRequest[] = [];
  /** Transmissions the stub has not acked yet, in wire order (a retransmission goes last). */
  private readonly unacked: PendingRequest[] = [];
  readonly pipelineDepth: number;
  private closedReason: string | undefined;
  private runningFlag = false;
  private features = new Map<string, string>();
  private xmlFetched = false;
  readonly timeoutMs: number;
  private readonly log: (line: string) => void;

  private constructor(private readonly socket: net.Socket, options: RspClientOptions) {
    super();
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.pipelineDepth = Math.max(1, Math.min(MAX_PIPELINE_DEPTH, Math.floor(options.pipelineDepth ?? 1)));
    this.log = options.log ?? (() => undefined);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.onClose(`connection error: ${err.message}`));
    socket.on('close', () => this.onClose('connection closed by the target'));
  }

  /** Opens the socket (TCP with TCP_NODELAY, or a Unix socket). */
  static connect(endpoint: RspEndpoint, options: RspClientOptions = {}, connectTimeoutMs = 5000): Promise<RspClient> {
    return new Promise((resolve, reject) => {
      const socket = 'path' in endpoint ? net.connect({ path: endpoint.path }) : net.connect({ host: endpoint.host, port: endpoint.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new RspError(`timed out connecting to ${describeEndpoint(endpoint)}`));
      }, connectTimeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new RspError(`cannot connect to ${describeEndpoint(endpoint)}: ${err.message}`));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        if (!('path' in endpoint)) socket.setNoDelay(true);
        resolve(new RspClient(socket, options));
      });
    });
  }

  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  /** True between a resume (`c`, `s`, vCont) and the stop reply. */
  get running(): boolean {
    return this.runningFlag;
  }

  feature(name: string): string | undefined {
    return this.features.get(name);
  }

  // ---- wire ----

  private onData(chunk: Buffer): void {
    for (const ev of this.decoder.feed(chunk)) this.onEvent(ev);
  }

  private onEvent(ev: RspEvent): void {
    switch (ev.type) {
      case 'ack': {
        const r = this.unacked.shift();
        if (!r) return;
        // The stub replies to a packet before it acks the next one: an earlier acked request
        // still waiting here means its reply went missing, and the next reply is not its own.
        if (this.inFlight.length > 1 && this.inFlight.some((x) => x.accepted && !x.abandoned)) {
          this.abandonInFlight(`the reply to an earlier packet went missing (the stub acked ${r.packet.slice(0, 40)})`);
        }
        r.accepted = true;
        return;
      }
      case 'nack': {
        // The stub rejects packets in the order we sent them and goes on with the next one, so
        // the nack is for the oldest unacked transmission; it is resent behind the others.
        const r = this.unacked.shift() ?? (this.inFlight.length === 1 ? this.inFlight[0] : undefined);
        if (r && !r.abandoned && r.retransmits < MAX_RETRANSMITS) {
          r.retransmits++;
          this.emit('protocolError', `target asked for a retransmit of ${r.packet.slice(0, 40)}`);
          this.transmit(r);
        }
        return;
      }
      case 'interrupt':
        this.emit('protocolError', 'unexpected 0x03 from the target');
        return;
      case 'error':
        this.emit('protocolError', ev.error);
        if (ev.lost && this.inFlight.length > 1) this.abandonInFlight(`reply stream lost step (${ev.error})`);
        return;
      case 'badPacket':
        if (this.inFlight.length > 1 || this.inFlight[0]?.pipelined) {
          this.resendForBadReply(ev.error);
          return;
        }
        this.emit('protocolError', `bad packet (${ev.error}); asked for a retransmit`);
        this.write(Buffer.from('-'));
        return;
      case 'packet':
        this.ackPending = true;
        if (!this.ackFlushScheduled && !this.acksRideOnNextWrite) {
          this.ackFlushScheduled = true;
          setImmediate(() => this.flushAck());
        }
        this.onPacket(ev.payload.toString('latin1'));
        return;
    }
  }

  /**
   * A corrupt reply to a pipelined read: `-` would make QEMU resend its *latest* reply, not this
   * one (measured), or nothing at all once our late `+` for an earlier reply has cleared it; so
   * the read it answers (the acked one) is asked again instead: pipelined requests are reads.
   */
  private resendForBadReply(error: string): void {
    if (this.inFlight.some((x) => x.abandoned)) return; // their timers clean up
    const r = this.inFlight.length === 1 ? this.inFlight[0] : this.inFlight.find((x) => x.accepted);
    if (!r || r.retransmits >= MAX_RETRANSMITS) {
      this.abandonInFlight(`bad reply with several reads outstanding (${error})`);
      return;
    }
    r.retransmits++;
    this.emit('protocolError', `bad packet (${error}); asked again for ${r.packet.slice(0, 40)}`);
    this.transmit(r);
  }

  /** The stream lost step: fail every request on the wire now; their late replies are dropped
   *  and nothing new is sent until each one is answered or timed out. */
  private abandonInFlight(reason: string): void {
    for (const r of this.inFlight) {
      if (r.abandoned) continue;
      r.abandoned = true;
      r.reject(new RspError(`${r.packet.split(/[,:;]/)[0].slice(0, 40)} failed: ${reason}`, 'desync'));
    }
  }

  /** The request the next reply answers: the one the stub acked last, else the oldest. */
  private replyTarget(): PendingRequest | undefined {
    if (this.inFlight.length <= 1) return this.inFlight[0];
    return this.inFlight.find((r) => r.accepted) ?? this.inFlight[0];
  }

  private onPacket(payload: string): void {
    const cur = this.replyTarget();
    if (cur?.collectOutput && payload.startsWith('O') && payload !== 'OK') {
      try {
        cur.output.push(hexToBuffer(payload.slice(1)).toString('latin1'));
      } catch {
        this.emit('protocolError', `undecodable monitor output ${payload.slice(0, 40)}`);
      }
      this.restartTimer(cur);
      return;
    }
    const stop = cur?.expectsStop ? undefined : stopReplyIn(payload);
    if (stop) {
      this.runningFlag = false;
      if (this.readRegistersAtStop && stop.kind === 'signal' && !cur) {
        stop.registers = this.readRegisters();
        stop.registers.catch(() => undefined); // whoever awaits it sees the error
      }
      this.readRegistersAtStop = false;
      this.emit('stop', stop);
      return;
    }
    if (!cur) {
      if (payload.startsWith('O') && payload.length > 1 && payload !== 'OK') {
        try {
          this.emit('console', hexToBuffer(payload.slice(1)).toString('latin1'));
          return;
        } catch {
          // fall through to the protocol error below
        }
      }
      this.emit('protocolError', `unexpected packet with no request outstanding: ${payload.slice(0, 60)}`);
      return;
    }
    this.finish(cur, undefined, payload);
  }

  /**
   * Acks are sent with the next thing we write when that happens in the same turn of the event
   * loop (a stop reply is usually followed at once by `g`): one write and one wake-up of the stub
   * instead of two. Otherwise they go out on their own right after (setImmediate), so stubs that
   * wait for the ack (gdbserver) are never kept waiting.
   */
  private ackPending = false;
  private ackFlushScheduled = false;

  /**
   * For stubs known never to wait for our `+` (QEMU's system-emulation gdbstub sends a packet and
   * moves on; only its user-mode build waits): the ack always rides on our next write. After a
   * stop reply and the register read that follows, the next write may be seconds away, and an
   * ack on its own costs a write and a wake-up of the stub for nothing. Set by whoever identified
   * the stub (GdbTarget, from `monitor info version`).
   */
  acksRideOnNextWrite = false;

  private flushAck(): void {
    this.ackFlushScheduled = false;
    if (this.ackPending) this.write(Buffer.alloc(0));
  }

  private write(buf: Buffer): void {
    if (this.closed) return;
    if (this.ackPending) {
      this.ackPending = false;
      buf = Buffer.concat([ACK_BYTE, buf]);
    }
    if (buf.length) this.socket.write(buf);
  }

  private onClose(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    this.runningFlag = false;
    const err = new RspError(reason, 'closed');
    const all = [...this.inFlight.splice(0), ...this.queue.splice(0)];
    this.unacked.length = 0;
    for (const r of all) {
      if (r.timer) clearTimeout(r.timer);
      if (!r.abandoned) r.reject(err);
    }
    this.socket.destroy();
    this.emit('close', reason);
  }

  private restartTimer(r: PendingRequest): void {
    if (r.timer) clearTimeout(r.timer);
    r.timer = setTimeout(() => {
      for (const ev of this.decoder.reset()) this.onEvent(ev);
      const what = r.packet.split(/[:;]/)[0].slice(0, 40);
      // A reply went missing: with others on the wire, which reply is whose is unknown now.
      if (this.inFlight.length > 1) this.abandonInFlight(`no reply to ${what} within ${r.timeoutMs} ms`);
      this.finish(r, new RspError(`no reply to ${what} within ${r.timeoutMs} ms`, 'timeout'));
    }, r.timeoutMs);
  }

  private finish(r: PendingRequest, err: Error | undefined, reply?: string): void {
    if (r.timer) clearTimeout(r.timer);
    removeFrom(this.inFlight, r);
    removeFrom(this.unacked, r);
    if (r.abandoned) {
      // already rejected
    } else if (err) r.reject(err);
    else if (r.collectOutput) r.resolve(reply === 'OK' ? r.output.join('') : reply!);
    else r.resolve(reply!);
    this.pump();
  }

  private transmit(r: PendingRequest): void {
    r.accepted = false;
    this.unacked.push(r);
    this.write(r.frame);
  }

  /** Sends the next queued request; pipelined reads join other pipelined reads up to the depth. */
  private pump(): void {
    while (!this.closed && this.queue.length > 0) {
      const next = this.queue[0];
      const head = this.inFlight[0];
      if (head) {
        // Only reads join reads, up to the depth, and nothing joins a stream that lost step.
        if (!head.pipelined || !next.pipelined || this.inFlight.length >= this.pipelineDepth) return;
        if (this.inFlight.some((r) => r.abandoned)) return;
      }
      this.queue.shift();
      this.inFlight.push(next);
      next.started = true;
      this.transmit(next);
      this.restartTimer(next);
    }
  }

  // ---- requests ----

  /** Sends one packet and resolves with the reply payload (text, RLE/escapes undone). */
  request(packet: string | Buffer, opts: { timeoutMs?: number; expectsStop?: boolean; collectOutput?: boolean; pipelined?: boolean } = {}): Promise<string> {
    if (this.closed) return Promise.reject(new RspError(this.closedReason!, 'closed'));
    const text = typeof packet === 'string' ? packet : packet.toString('latin1');
    if (this.runningFlag) {
      return Promise.reject(new RspError(`cannot send ${text.slice(0, 20)} while the target runs (QEMU would drop it)`, 'running'));
    }
    if (/^b[cs]/.test(text) && !this.features.has('ReverseContinue') && !this.features.has('ReverseStep')) {
      return Promise.reject(new RspError('reverse execution is not supported by this target (and QEMU 7.2 aborts on bc/bs)'));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({
        packet: text,
        frame: encodePacket(packet),
        expectsStop: opts.expectsStop ?? false,
        collectOutput: opts.collectOutput ?? false,
        output: [],
        resolve,
        reject,
        timeoutMs: opts.timeoutMs ?? this.timeoutMs,
        retransmits: 0,
        started: false,
        pipelined: (opts.pipelined ?? false) && !opts.expectsStop && !opts.collectOutput,
        accepted: false,
        abandoned: false,
      });
      this.pump();
    });
  }

  /** Like `request` but rejects on `E NN` and on an empty (unsupported) reply. */
  async command(packet: string, opts: { timeoutMs?: number } = {}): Promise<string> {
    const reply = await this.request(packet, opts);
    if (ERROR_REPLY.test(reply)) throw new RspError(`${packet.split(/[,:]/)[0]} failed: error ${reply}`, reply);
    if (reply === '' ) throw new RspError(`${packet.split(/[,:;]/)[0]} is not supported by the target`, 'unsupported');
    return reply;
  }

  /** Sends a resume packet (`c`, `s`, `vCont;…`); the stop comes as a `stop` event. With
   *  `readRegisters`, a `g` goes out the moment the stop arrives (StopReply.registers). */
  async resume(packet: string, opts: { readRegisters?: boolean } = {}): Promise<void> {
    if (this.closed) throw new RspError(this.closedReason!, 'closed');
    if (this.runningFlag) throw new RspError('the target is already running', 'running');
    // Wait for earlier requests so their replies are not mistaken for the stop.
    await this.idle();
    this.runningFlag = true;
    this.readRegistersAtStop = opts.readRegisters === true;
    this.write(encodePacket(packet));
  }

  private readRegistersAtStop = false;

  /** Sends 0x03. QEMU answers with `T02` only if the VM was running. */
  interrupt(): void {
    this.write(Buffer.from([INTERRUPT]));
  }

  /** Resolves once no request is outstanding. */
  private idle(): Promise<void> {
    if (this.inFlight.length === 0 && this.queue.length === 0) return Promise.resolve();
    return this.request('qC', { timeoutMs: this.timeoutMs }).then(
      () => undefined,
      () => undefined,
    );
  }

  /** Waits for the next stop event (or close). */
  waitForStop(timeoutMs: number): Promise<StopReply | undefined> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new RspError(this.closedReason!, 'closed'));
        return;
      }
      const onStop = (s: StopReply): void => {
        cleanup();
        resolve(s);
      };
      const onClose = (reason: string): void => {
        cleanup();
        reject(new RspError(reason, 'closed'));
      };
      const timer = setTimeout(() => {
        cleanup();
        resolve(undefined);
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.off('stop', onStop);
        this.off('close', onClose);
      };
      this.on('stop', onStop);
      this.on('close', onClose);
    });
  }

  /** qSupported + `?` (once: it clears QEMU's breakpoints) + target.xml. Returns the `?` stop. */
  async handshake(): Promise<{ stop: StopReply | undefined; targetXml: Map<string, string> }> {
    const sup = await this.request('qSupported:multiprocess+;swbreak+;hwbreak+;vContSupported+;xmlRegisters=i386');
    for (const item of sup.split(';')) {
      const eq = item.indexOf('=');
      if (eq > 0) this.features.set(item.slice(0, eq), item.slice(eq + 1));
      else if (item.endsWith('+')) this.features.set(item.slice(0, -1), '+');
    }
    const q = await this.request('?', { expectsStop: true });
    const stop = parseStopReply(q);
    const targetXml = new Map<string, string>();
    if (this.features.get('qXfer:features:read') === '+') {
      const main = await this.readXferFeature('target.xml');
      targetXml.set('target.xml', main);
      for (const m of main.matchAll(/<xi:include\s+href="([^"]+)"/g)) {
        targetXml.set(m[1], await this.readXferFeature(m[1]));
      }
      this.xmlFetched = true;
    }
    return { stop, targetXml };
  }

  get targetXmlFetched(): boolean {
    return this.xmlFetched;
  }

  /** qXfer:features:read in chunks; replies start with `m` (more) or `l` (last). */
  async readXferFeature(annex: string): Promise<string> {
    let text = '';
    for (let guard = 0; guard < 1000; guard++) {
      const reply = await this.command(`qXfer:features:read:${annex}:${text.length.toString(16)},ffb`);
      const mark = reply[0];
      if (mark !== 'm' && mark !== 'l') throw new RspError(`bad qXfer reply for ${annex}: ${reply.slice(0, 20)}`);
      text += reply.slice(1);
      if (mark === 'l' || reply.length === 1) return text;
    }
    throw new RspError(`qXfer of ${annex} did not end`);
  }

  /** `monitor <cmd>` via qRcmd: returns the collected `O` output text. */
  async monitor(cmd: string, timeoutMs?: number): Promise<string> {
    const reply = await this.request(`qRcmd,${textToHex(cmd)}`, { collectOutput: true, timeoutMs });
    if (/^E[0-9a-fA-F]{2}$/.test(reply)) throw new RspError(`monitor ${cmd} failed: ${reply}`, reply);
    return reply;
  }

  /** QEMU's version when the stub is QEMU system emulation (its monitor answers `info version`
   *  with e.g. "7.2.22Debian …"); undefined for any other stub (no qRcmd, or other output). */
  async qemuSystemVersion(): Promise<string | undefined> {
    try {
      const text = (await this.monitor('info version', 2000)).trim();
      return /^\d+\.\d+\.\d+/.test(text) ? text : undefined;
    } catch {
      return undefined;
    }
  }

  async readRegisters(): Promise<Buffer> {
    return hexToBuffer(await this.command('g'));
  }

  async writeRegisters(data: Buffer): Promise<void> {
    await this.command(`G${data.toString('hex')}`);
  }

  async writeRegister(regnum: number, value: Buffer): Promise<void> {
    if (!this.xmlFetched) throw new RspError('P needs target.xml first (QEMU ignores it before)');
    await this.command(`P${regnum.toString(16)}=${value.toString('hex')}`);
  }

  /**
   * Reads memory in ≤ 0x800-byte `m` packets, up to `pipelineDepth` of them on the wire, hex
   * decoded straight into one buffer. An error reply (E14: unmapped) ends the pipelining: the
   * chunk is halved until the readable prefix is found, one request at a time, so the result is
   * the readable prefix plus an error. Timeouts and a closed connection reject.
   */
  async readMemory(address: bigint, length: number): Promise<{ data: Buffer; error?: string }> {
    length = Math.floor(length);
    if (!(length > 0)) return { data: Buffer.alloc(0) }; // 0, negative, NaN: nothing to read
    // Grown as replies arrive, so an absurd count (a DAP client may ask for 4 GiB) costs memory
    // only for what the target really returns.
    let out = Buffer.allocUnsafe(Math.min(length, INITIAL_READ_BUFFER));
    const room = (end: number): void => {
      if (end <= out.length) return;
      const bigger = Buffer.allocUnsafe(Math.min(length, Math.max(end, out.length * 2)));
      out.copy(bigger);
      out = bigger;
    };
    const window: { offset: number; size: number; reply: Promise<string> }[] = [];
    let issued = 0;
    let chunk = MAX_MEMORY_CHUNK;
    let depth = this.pipelineDepth;
    const issue = (): void => {
      while (window.length < depth && issued < length) {
        const size = Math.min(chunk, length - issued);
        const reply = this.request(`m${(address + BigInt(issued)).toString(16)},${size.toString(16)}`, { pipelined: depth > 1 });
        reply.catch(() => undefined); // awaited below unless the window is dropped
        window.push({ offset: issued, size, reply });
        issued += size;
      }
    };
    issue();
    while (window.length > 0) {
      const { offset, size, reply: pending } = window.shift()!;
      const reply = await pending;
      if (reply.length === 2 * size) {
        issue(); // keep the stub busy while this one is decoded
        room(offset + size);
        if (out.write(reply, offset, size, 'hex') !== size) throw new RspError(`bad reply to m: not hex: ${reply.slice(0, 40)}`);
        continue;
      }
      const at = address + BigInt(offset);
      if (ERROR_REPLY.test(reply) && size > 1) {
        // Find the readable prefix of a chunk that crosses into unreadable memory; the replies
        // still on the wire are for addresses past it and are ignored.
        window.length = 0;
        issued = offset;
        chunk = Math.ceil(size / 2);
        depth = 1;
        issue();
        continue;
      }
      if (ERROR_REPLY.test(reply) || reply === '') {
        return { data: out.subarray(0, offset), error: `cannot read memory at 0x${at.toString(16)}: ${reply || 'unsupported'}` };
      }
      room(offset + size);
      const got = reply.length % 2 === 0 && reply.length < 2 * size ? out.write(reply, offset, 'hex') : -1;
      if (got * 2 !== reply.length) throw new RspError(`bad reply to m${at.toString(16)},${size.toString(16)}: ${reply.slice(0, 40)}`);
      return { data: out.subarray(0, offset + got), error: `short read at 0x${(at + BigInt(got)).toString(16)}` };
    }
    return { data: out.subarray(0, length) };
  }

  /** Writes memory in ≤ 0x800-byte `M` packets. */
  async writeMemory(address: bigint, data: Buffer): Promise<void> {
    for (let off = 0; off < data.length; off += MAX_MEMORY_CHUNK) {
      const part = data.subarray(off, off + MAX_MEMORY_CHUNK);
      await this.command(`M${(address + BigInt(off)).toString(16)},${part.length.toString(16)}:${part.toString('hex')}`);
    }
  }

  /** Z0 software, Z1 hardware, Z2 write, Z3 read, Z4 access watchpoints. */
  async insertBreakpoint(type: 0 | 1 | 2 | 3 | 4, address: bigint, kind: number): Promise<void> {
    await this.command(`Z${type},${address.toString(16)},${kind.toString(16)}`);
  }

  async removeBreakpoint(type: 0 | 1 | 2 | 3 | 4, address: bigint, kind: number): Promise<void> {
    await this.command(`z${type},${address.toString(16)},${kind.toString(16)}`);
  }

  /** Detach, leaving the target running: `D;1` when multiprocess was negotiated (plain D → E22). */
  async detach(): Promise<void> {
    const packet = this.features.get('multiprocess') === '+' ? 'D;1' : 'D';
    try {
      await this.request(packet, { timeoutMs: 1000 });
    } finally {
      this.close();
    }
  }

  /** `k`: QEMU exits; there is no reply. */
  kill(): void {
    this.write(encodePacket('k'));
  }

  close(): void {
    this.onClose('closed by the debugger');
  }
}
