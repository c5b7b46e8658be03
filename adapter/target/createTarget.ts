import { ConfigError, type Target, type TargetFactory, type TargetHost } from './target';
import { createGdbTarget } from '../gdb/gdbTarget';
import { createKdTarget } from '../kd/kdTarget';


/** Debug type → factory. The one place that knows which debuggers exist. */
const FACTORIES: Record<string, TargetFactory> = {
  'gdb-remote': createGdbTarget,
  'windows-kd': createKdTarget,

};

export const DEBUG_TYPES = Object.keys(FACTORIES);

/**
 * Picks the target for a launch/attach configuration. VS Code sends `type`; other DAP clients
 * (nvim-dap, …) may not, so a configuration without one is recognised by its fields.
 */
export function createTarget(config: Record<string, unknown>, host: TargetHost): Target {
  const given = typeof config.type === 'string' ? config.type : undefined;
  const type = given ?? ('port' in config || 'baudRate' in config ? 'windows-kd' : 'gdb-remote');
  const factory = FACTORIES[type];
  if (!factory) {
    throw new ConfigError(`Unknown debug type "${type}": BootDbg debugs "gdb-remote" (QEMU, Bochs, VMware gdbstubs) and "windows-kd" (Windows kernel debugger) targets.`);
  }
  return factory(config, host);
}
