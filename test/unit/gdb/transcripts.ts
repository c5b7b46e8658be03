// Reads the raw RSP transcripts recorded against QEMU 7.2 (../shared/reference/gdb/rsp-transcripts)
// as test vectors: the bytes QEMU sent, and request → reply pairs to replay from a loopback stub.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
// ../shared/reference next to the repository (a git worktree one level deeper looks one more up).
export const TRANSCRIPT_DIR =
  [path.resolve(REPO_ROOT, '..', 'shared'), path.resolve(REPO_ROOT, '..', '..', 'shared')]
    .map((d) => path.join(d, 'reference', 'gdb', 'rsp-transcripts'))
    .find((d) => existsSync(d)) ?? path.resolve(REPO_ROOT, '..', 'shared', 'reference', 'gdb', 'rsp-transcripts');

export function transcriptsMissing(): string | undefined {
  return existsSync(TRANSCRIPT_DIR) ? undefined : `reference transcripts not found at ../shared/reference/gdb/rsp-transcripts`;
}

function unescapeLine(text: string): Buffer {
  return Buffer.from(text.replace(/\\x([0-9a-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
}

export interface TranscriptLine {
  dir: '->' | '<-';
  bytes: Buffer;
}

export function readTranscript(name: string): TranscriptLine[] {
  const out: TranscriptLine[] = [];
  for (const line of readFileSync(path.join(TRANSCRIPT_DIR, name), 'latin1').split('\n')) {
    const m = /^(->|<-) \[\s*[\d.]+\] (.*)$/.exec(line);
    if (m) out.push({ dir: m[1] as '->' | '<-', bytes: unescapeLine(m[2]) });
  }
  return out;
}

export function transcriptNames(): string[] {
  return readdirSync(TRANSCRIPT_DIR).filter((f) => /^\d.*\.txt$/.test(f) && !f.includes('gdb13') && !f.includes('gdb-commands'));
}

/** Everything QEMU sent in a transcript, as one byte stream. */
export function receivedStream(name: string): Buffer {
  return Buffer.concat(readTranscript(name).filter((l) => l.dir === '<-').map((l) => l.bytes));
}

/** Request payload → the list of raw reply frames QEMU sent for it (first occurrence wins). */
export function replyTable(name: string): Map<string, Buffer[]> {
  const table = new Map<string, Buffer[]>();
  let current: string | undefined;
  for (const l of readTranscript(name)) {
    const text = l.bytes.toString('latin1');
    if (l.dir === '->') {
      const m = /^\$(.*)#[0-9a-f]{2}$/s.exec(text);
      if (m) {
        current = table.has(m[1]) ? undefined : m[1];
        if (current !== undefined) table.set(current, []);
      }
    } else if (current !== undefined && text.startsWith('$')) {
      table.get(current)!.push(l.bytes);
    }
  }
  return table;
}
