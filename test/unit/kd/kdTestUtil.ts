/** Shared helpers for the KD unit tests: the reference capture and a seeded PRNG. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');
const CAPTURE = ['shared', 'reference', 'kd', 'captures', 'windbg-uncut.kd.jsonl'];
/** ../shared/reference next to the repository (one more level up from a git worktree). */
export const captureFile = [path.resolve(repoRoot, '..', ...CAPTURE), path.resolve(repoRoot, '..', '..', ...CAPTURE)].find((f) => fs.existsSync(f)) ?? path.resolve(repoRoot, '..', ...CAPTURE);

export interface CapturedPacket {
  frame: number;
  dir: 'target->host' | 'host->target';
  type: number;
  byte_count: number;
  packet_id: string;
  checksum: string;
  data_hex: string;
}

/** The real WinDbg capture, or undefined (tests skip with a message) when the reference is absent. */
export function loadCapture(): CapturedPacket[] | undefined {
  if (!fs.existsSync(captureFile)) return undefined;
  return fs
    .readFileSync(captureFile, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as CapturedPacket);
}

export const CAPTURE_MISSING = 'reference capture ../shared/reference/kd/captures/windbg-uncut.kd.jsonl not found';

export function frame(cap: CapturedPacket[], n: number): Buffer {
  const p = cap.find((c) => c.frame === n);
  if (!p) throw new Error(`frame ${n} not in capture`);
  return Buffer.from(p.data_hex, 'hex');
}

/** mulberry32: small, seeded, reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
