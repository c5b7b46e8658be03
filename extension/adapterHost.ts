/**
 * Where each debugger's adapter runs, as data: inline in the extension host (DAP messages passed
 * as objects, vscode.DebugAdapterInlineImplementation) or as its own Node process over stdio.
 * No vscode import: the choice is tested directly.
 */
export const DEBUG_TYPES = ['gdb-remote', 'windows-kd'] as const;
export type DebugType = (typeof DEBUG_TYPES)[number];

export type AdapterHost = 'extensionHost' | 'process';

export const ADAPTER_HOST_BY_TYPE: Record<DebugType, { host: AdapterHost; why: string }> = {
  // Stepping real-mode code is F11 after F11; every step is a step request, a stopped event, a
  // stack trace, scopes and registers. A process hop per message costs more than the RSP traffic.
  'gdb-remote': { host: 'extensionHost', why: 'every step is several DAP round trips; no extra process hop' },
  // The KD link is wire-limited (115200 baud) and drives a native serial-port binding: keep a
  // wedged port driver, or a crash in it, away from the editor.
  'windows-kd': { host: 'process', why: 'native serial-port binding, isolated from the editor' },
};

/** The setting `bootdbg.debugAdapter.host` (auto | extensionHost | process) applied to a debug type;
 *  anything unknown means auto, and an unknown debug type runs as a process. */
export function adapterHostFor(type: string, setting: string | undefined): AdapterHost {
  if (setting === 'extensionHost' || setting === 'process') return setting;
  return (ADAPTER_HOST_BY_TYPE as Record<string, { host: AdapterHost } | undefined>)[type]?.host ?? 'process';
}
