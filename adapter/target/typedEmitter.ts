import { EventEmitter } from 'node:events';
import type { TargetEventName, TargetListener, TargetEvents } from './target';

/** Base class for targets: an EventEmitter typed by `TargetEvents`. */
export class TargetEmitter {
  private readonly emitter = new EventEmitter();

  on<K extends TargetEventName>(event: K, listener: TargetListener<K>): this {
    this.emitter.on(event, listener as (p: unknown) => void);
    return this;
  }

  off<K extends TargetEventName>(event: K, listener: TargetListener<K>): this {
    this.emitter.off(event, listener as (p: unknown) => void);
    return this;
  }

  protected emit<K extends TargetEventName>(event: K, ...payload: TargetEvents[K] extends void ? [] : [TargetEvents[K]]): void {
    this.emitter.emit(event, ...payload);
  }
}
