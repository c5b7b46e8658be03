/** DAP carries addresses as strings; BootDbg's are linear addresses written `0x…` in hex. */
export function formatAddress(a: bigint): string {
  return '0x' + a.toString(16).padStart(8, '0');
}

/**
 * Parses a memory/instruction reference: `0x…` hex, plain decimal, or `seg:off` in hex (real mode:
 * linear = seg × 16 + off). Throws a readable error otherwise.
 */
export function parseAddress(ref: string): bigint {
  const s = ref.trim();
  const segOff = /^(?:0x)?([0-9a-f]{1,4}):(?:0x)?([0-9a-f]{1,8})$/i.exec(s);
  if (segOff) return BigInt('0x' + segOff[1]) * 16n + BigInt('0x' + segOff[2]);
  if (/^0x[0-9a-f]+$/i.test(s)) return BigInt(s);
  if (/^[0-9]+$/.test(s)) return BigInt(s);
  throw new Error(`"${ref}" is not an address: use 0x… (linear), decimal, or segment:offset in hex.`);
}
