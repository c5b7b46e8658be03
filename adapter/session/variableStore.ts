import type { TargetVariable } from '../target/target';

/** A node of the Variables view that has children: a scope, a register with flags, an eval result. */
export interface VariableContainer {
  frameIndex: number;
  /** Names from the scope down to this node; path[0] is the scope name. */
  path: string[];
  source: TargetVariable[] | (() => Promise<TargetVariable[]>);
  loaded?: TargetVariable[];
}

/**
 * DAP variablesReference handles. They are valid only while the target stays stopped, so the whole
 * store is reset on every stop and continue.
 */
export class VariableStore {
  private next = 1;
  private readonly containers = new Map<number, VariableContainer>();

  reset(): void {
    this.containers.clear();
    this.next = 1;
  }

  addContainer(frameIndex: number, path: string[], source: VariableContainer['source']): number {
    const ref = this.next++;
    this.containers.set(ref, { frameIndex, path, source });
    return ref;
  }

  get(ref: number): VariableContainer | undefined {
    return this.containers.get(ref);
  }

  async load(ref: number): Promise<TargetVariable[]> {
    const c = this.containers.get(ref);
    if (!c) return [];
    if (!c.loaded) c.loaded = typeof c.source === 'function' ? await c.source() : c.source;
    return c.loaded;
  }

  /** A child already shown under `ref` (for data breakpoints on a variable). */
  child(ref: number, name: string): TargetVariable | undefined {
    return this.containers.get(ref)?.loaded?.find((v) => v.name === name);
  }
}
