/** Attaches a real windows-kd Target to the KD target simulator and records what it emits. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createKdTarget } from '../../../adapter/kd/kdTarget';
import type { Target, TargetEventName, TargetEvents } from '../../../adapter/target/target';

export interface Recorded {
  event: TargetEventName;
  payload: unknown;
}

export class Harness {
  readonly events: Recorded[] = [];
  readonly dir: string;
  readonly transcript: string;
  readonly target: Target;
  readonly log: string[] = [];
  private waiters: (() => void)[] = [];

  constructor(port: string, extra: Record<string, unknown> = {}) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kdint-'));
    this.transcript = path.join(this.dir, 'session.kdlog');
    this.target = createKdTarget({ type: 'windows-kd', request: 'attach', port, transcript: this.transcript, ...extra }, { cwd: this.dir, log: (m) => this.log.push(m) });
    const names: TargetEventName[] = ['stopped', 'continued', 'output', 'breakpointChanged', 'moduleLoaded', 'moduleRemoved', 'progressStart', 'progressUpdate', 'progressEnd', 'linkState', 'terminated', 'exited'];
    for (const n of names) {
      this.target.on(n, ((p: unknown) => {
        this.events.push({ event: n, payload: p });
        for (const w of this.waiters.splice(0)) w();
      }) as never);
    }
  }

  /** Waits for the next event `name` (after index `from`) matching `pred`. */
  async waitFor<K extends TargetEventName>(name: K, pred: (p: TargetEvents[K]) => boolean = () => true, timeoutMs = 15000, from = 0): Promise<TargetEvents[K]> {
    const deadline = Date.now() + timeoutMs;
    let checked = from;
    for (;;) {
      // Only look at events not seen yet: floods of output events must not make this quadratic.
      while (checked < this.events.length) {
        const e = this.events[checked++];
        if (e.event === name && pred(e.payload as TargetEvents[K])) return e.payload as TargetEvents[K];
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${name}; last events: ${this.events.slice(-8).map((e) => e.event + ' ' + JSON.stringify(e.payload, big)).join('\n')}\nlog tail:\n${this.log.slice(-15).join('\n')}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, Math.min(left, 200));
      });
    }
  }

  /** Waits for the next stop after the current point. */
  nextStop(timeoutMs = 15000): Promise<TargetEvents['stopped']> {
    return this.waitFor('stopped', () => true, timeoutMs, this.events.length);
  }

  outputText(category = 'stdout'): string {
    return this.events
      .filter((e) => e.event === 'output' && (e.payload as TargetEvents['output']).category === category)
      .map((e) => (e.payload as TargetEvents['output']).text)
      .join('');
  }

  async waitForOutput(re: RegExp, timeoutMs = 15000): Promise<void> {
    await this.waitFor('output', () => re.test(this.outputText()) || re.test(this.outputText('important')), timeoutMs);
  }

  transcriptText(): string {
    return fs.existsSync(this.transcript) ? fs.readFileSync(this.transcript, 'utf8') : '';
  }

  async dispose(): Promise<void> {
    await this.target.disconnect(false).catch(() => undefined);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export function big(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? '0x' + v.toString(16) : v;
}
