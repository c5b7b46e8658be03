/**
 * DbgPrint text in the DAP stream: the KD adapter sends target output as `output` events with
 * category `stdout` (its own notes go to `console`). The live boot report reads only those.
 */
export function dbgPrintText(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const m = message as { type?: unknown; event?: unknown; body?: { category?: unknown; output?: unknown } };
  if (m.type !== 'event' || m.event !== 'output' || typeof m.body !== 'object' || m.body === null) return undefined;
  if (m.body.category !== 'stdout' || typeof m.body.output !== 'string') return undefined;
  return m.body.output;
}
