/**
 * The KD link layer (kd-protocol.md §1.4–1.8): acknowledgements, per-direction alternating packet
 * ids with the 0x800 sync bit, duplicate drop, retransmission, RESEND on damaged frames, RESET
 * resynchronisation and the break-in byte. Stop-and-wait: one unacknowledged data packet in flight.
 *
 * Events:
 *   'packet'  {type, id, payload}   a new (non-duplicate) data packet from the target
 *   'reset'                          the target sent RESET: both sides' ids are back at 0x80800000
 *   'sessionRestart'                 the target started a new session (sync-bit id: it rebooted)
 *   'lost'    Error                  a packet was retried out; the target does not answer
 *   'close'   Error | undefined      the transport closed
 */
import { EventEmitter } from 'node:events';
import {
  BREAKIN_BYTE,
  encodeControlPacket,
  encodeDataPacket,
  HEADER_SIZE,
  INITIAL_PACKET_ID,
  KdFrame,
  KdPacketDecoder,
  PacketType,
  SYNC_PACKET_ID,
} from './kdPacket';
import type { KdTransport } from './kdTransport';

export interface KdLinkOptions {
  /** Line speed, used to scale timeouts to the time a packet takes on the wire. 0 = unpaced. */
  baudRate?: number;
  /** Base wait for an ACK before retransmitting, ms (the wire time is added). */
  ackTimeoutMs?: number;
  /** Retransmissions before a packet is declared lost. */
  maxRetries?: number;
  /** Quiet time inside a frame after which it is treated as truncated, ms. */
  frameIdleMs?: number;
  /** Trace sink (packet log). */
  log?: (line: string) => void;
}

export interface LinkStats {
  sent: number;
  retransmits: number;
  received: number;
  duplicates: number;
  damaged: number;
  resendsSent: number;
  resets: number;
}

interface Outgoing {
  type: PacketType;
  payload: Buffer;
  id: number;
  tries: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class LinkLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LinkLostError';
  }
}

export class KdLink extends EventEmitter {
  private readonly decoder = new KdPacketDecoder();
  private nextSendId = INITIAL_PACKET_ID;
  private expectedRecvId = INITIAL_PACKET_ID;
  /** False until we know which id the target expects from us (after a RESET or a sync packet). */
  private hostIdKnown = false;
  /** False until we have seen any target packet id (first packet after attach: accept any id). */
  private recvIdKnown = false;
  private lastRecv: { id: number; payload: Buffer } | undefined;
  private inFlight: Outgoing | undefined;
  private readonly queue: Outgoing[] = [];
  private ackTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;
  readonly stats: LinkStats = { sent: 0, retransmits: 0, received: 0, duplicates: 0, damaged: 0, resendsSent: 0, resets: 0 };
  private readonly bytesPerSecond: number;
  private readonly ackTimeoutMs: number;
  private readonly maxRetries: number;
  private readonly frameIdleMs: number;
  private readonly log: (line: string) => void;

  constructor(
    private readonly transport: KdTransport,
    opts: KdLinkOptions = {},
  ) {
    super();
    this.bytesPerSecond = opts.baudRate ? opts.baudRate / 10 : 0;
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 1000;
    this.maxRetries = opts.maxRetries ?? 20;
    this.frameIdleMs = opts.frameIdleMs ?? 300;
    this.log = opts.log ?? (() => undefined);
    transport.on('data', (chunk) => this.onBytes(chunk));
    transport.on('close', (err) => this.onClose(err));
  }

  /** True once a RESET exchange or a target restart told us which id the target expects next. */
  get synchronized(): boolean {
    return this.hostIdKnown;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Queues a data packet; resolves when the target acknowledged it. */
  send(type: PacketType, payload: Buffer): Promise<void> {
    if (this.closed) return Promise.reject(new LinkLostError('link closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ type, payload, id: 0, tries: 0, resolve, reject });
      this.pump();
    });
  }

  /** Forget what we knew about the target's ids (it stopped answering): RESET before the next request. */
  desync(): void {
    this.hostIdKnown = false;
  }

  /** Sends RESET (id 0). The target answers RESET and retransmits whatever it had pending. */
  sendReset(): void {
    this.log('-> RESET');
    this.write(encodeControlPacket(PacketType.Reset, 0));
  }

  /** The break-in byte: a running target stops with a breakpoint state change. */
  breakIn(): void {
    this.log('-> break-in');
    this.write(Buffer.from([BREAKIN_BYTE]));
  }

  /** Fails everything in flight (used on detach). */
  abort(reason: string): void {
    const err = new LinkLostError(reason);
    const all = [...(this.inFlight ? [this.inFlight] : []), ...this.queue.splice(0)];
    this.inFlight = undefined;
    this.clearAckTimer();
    for (const o of all) o.reject(err);
  }

  async close(): Promise<void> {
    this.abort('link closed');
    await this.transport.close();
  }

  private write(bytes: Buffer): void {
    if (!this.closed) this.transport.write(bytes);
  }

  private wireMs(bytes: number): number {
    return this.bytesPerSecond ? (bytes * 1000) / this.bytesPerSecond : 0;
  }

  private pump(): void {
    if (this.inFlight || this.queue.length === 0 || this.closed) return;
    const o = this.queue.shift()!;
    o.id = this.nextSendId;
    this.inFlight = o;
    this.transmit();
  }

  private transmit(): void {
    const o = this.inFlight;
    if (!o) return;
    o.tries++;
    if (o.tries > 1) this.stats.retransmits++;
    this.stats.sent++;
    this.log(`-> ${PacketType[o.type]} id ${o.id.toString(16)} len ${o.payload.length}${o.tries > 1 ? ` (retry ${o.tries - 1})` : ''}`);
    this.write(encodeDataPacket(o.type, o.id, o.payload));
    this.armAckTimer(HEADER_SIZE + o.payload.length + 1);
  }

  private armAckTimer(packetBytes: number): void {
    this.clearAckTimer();
    // Our packet, the target's ACK, and possibly a target packet already on the wire in front of it.
    const ms = this.ackTimeoutMs + 2 * this.wireMs(packetBytes + 16 + 4017);
    this.ackTimer = setTimeout(() => this.onAckTimeout(), ms);
  }

  private clearAckTimer(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
  }

  private onAckTimeout(): void {
    const o = this.inFlight;
    if (!o) return;
    if (o.tries > this.maxRetries) {
      this.inFlight = undefined;
      const err = new LinkLostError(`no acknowledgement from the target after ${o.tries} tries`);
      o.reject(err);
      this.emit('lost', err);
      this.pump();
      return;
    }
    this.transmit();
  }

  private completeInFlight(how: string): void {
    const o = this.inFlight;
    if (!o) return;
    this.log(`<- ${how} for id ${o.id.toString(16)}`);
    this.clearAckTimer();
    this.inFlight = undefined;
    this.nextSendId = ((o.id & ~SYNC_PACKET_ID) ^ 1) >>> 0;
    o.resolve();
    this.pump();
  }

  private onBytes(chunk: Buffer): void {
    const frames = this.decoder.push(chunk);
    for (const f of frames) this.onFrame(f);
    this.armIdleTimer();
  }

  private armIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.decoder.pending === 0) return;
    const ms = this.frameIdleMs + this.wireMs(64);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      for (const f of this.decoder.abandonPartial()) this.onFrame(f);
    }, ms);
  }

  private onFrame(f: KdFrame): void {
    if (f.kind === 'control') {
      this.onControl(f.type, f.id);
      return;
    }
    if (f.kind === 'damaged') {
      this.stats.damaged++;
      this.stats.resendsSent++;
      this.log(`<- damaged ${PacketType[f.type] ?? f.type} (${f.reason}) -> RESEND`);
      this.write(encodeControlPacket(PacketType.Resend, 0));
      return;
    }
    this.onData(f.type, f.id, f.payload);
  }

  private onControl(type: PacketType, id: number): void {
    switch (type) {
      case PacketType.Acknowledge: {
        const o = this.inFlight;
        if (o && ((id & ~SYNC_PACKET_ID) >>> 0) === ((o.id & ~SYNC_PACKET_ID) >>> 0)) this.completeInFlight('ACK');
        else this.log(`<- stray ACK ${id.toString(16)}`);
        return;
      }
      case PacketType.Resend:
        this.log('<- RESEND');
        if (this.inFlight) this.transmit();
        return;
      case PacketType.Reset: {
        // Never answer a RESET with a RESET: a rebooted target starts with one, and two sides
        // answering each other ping-pong forever (§11).
        this.log('<- RESET');
        this.stats.resets++;
        this.nextSendId = INITIAL_PACKET_ID;
        this.expectedRecvId = INITIAL_PACKET_ID;
        this.recvIdKnown = true;
        this.hostIdKnown = true;
        this.lastRecv = undefined;
        if (this.inFlight) {
          this.inFlight.id = INITIAL_PACKET_ID;
          this.transmit();
        }
        this.emit('reset');
        return;
      }
    }
  }

  private onData(type: PacketType, id: number, payload: Buffer): void {
    // ACK ids carry the sync bit cleared (§1.4 item 4). A new packet is delivered *before* it is
    // acknowledged, so whatever the listeners record synchronously (the transcript) is on disk by
    // the time the target may forget it; a duplicate is only acknowledged.
    const ackId = (id & ~SYNC_PACKET_ID) >>> 0;
    const ack = (): void => this.write(encodeControlPacket(PacketType.Acknowledge, ackId));
    const sync = (id & SYNC_PACKET_ID) !== 0;
    if (sync) {
      const same = this.lastRecv && this.lastRecv.id === id && this.lastRecv.payload.equals(payload);
      if (same) {
        this.stats.duplicates++;
        this.log(`<- duplicate sync packet ${id.toString(16)} dropped`);
        ack();
        return;
      }
      this.log(`<- sync id ${id.toString(16)}: target started a new session`);
      // Whatever we had in flight was meant for the old session.
      if (this.inFlight || this.queue.length) this.abort('the target restarted its debugger session');
      this.expectedRecvId = (ackId ^ 1) >>> 0;
      this.recvIdKnown = true;
      this.nextSendId = INITIAL_PACKET_ID;
      this.hostIdKnown = true;
      this.lastRecv = { id, payload };
      this.emit('sessionRestart');
      this.deliver(type, id, payload);
      ack();
      return;
    }
    if (!this.recvIdKnown) {
      this.recvIdKnown = true;
      this.expectedRecvId = id;
    }
    if (id !== this.expectedRecvId) {
      this.stats.duplicates++;
      this.log(`<- duplicate ${PacketType[type]} id ${id.toString(16)} dropped (expected ${this.expectedRecvId.toString(16)})`);
      ack();
      return;
    }
    this.expectedRecvId = (id ^ 1) >>> 0;
    this.lastRecv = { id, payload };
    this.deliver(type, id, payload);
    ack();
    // A new data packet while we wait for our ACK: the target saw our packet (implicit ACK, §1.6).
    // (A duplicate does not count: the target is still waiting for our ACK of its own packet.)
    if (this.inFlight) this.completeInFlight('implicit ACK (data packet)');
  }

  private deliver(type: PacketType, id: number, payload: Buffer): void {
    this.stats.received++;
    this.log(`<- ${PacketType[type] ?? type} id ${id.toString(16)} len ${payload.length}`);
    this.emit('packet', { type, id, payload });
  }

  private onClose(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.clearAckTimer();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.abort(err ? `connection lost: ${err.message}` : 'connection closed');
    this.emit('close', err);
  }
}
