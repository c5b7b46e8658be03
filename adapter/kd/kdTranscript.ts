/**
 * The session transcript: every DbgPrint text and the debugger's own notes, written with a
 * synchronous write on an open file descriptor as soon as they arrive. The data is in the kernel's
 * page cache when the call returns, so `kill -9` of the adapter loses nothing that was acknowledged.
 * The first line starts with "BootDbg transcript" (the kd-transcript language recognises it).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** kd-YYYYMMDD-HHMMSS.kdlog (local time, like a file a user would name). */
export function defaultTranscriptName(now = new Date()): string {
  return `kd-${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}.kdlog`;
}

export function defaultTranscriptPath(workspace: string, now = new Date()): string {
  return path.join(workspace, '.bootdbg', 'transcripts', defaultTranscriptName(now));
}

export class KdTranscript {
  private fd: number | undefined;
  /** True while the last text written did not end with a newline. */
  private midLine = false;

  private constructor(
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  /** Opens (appending) and writes the header line. Throws with a clear message if it cannot. */
  static open(file: string, header: string): KdTranscript {
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const fd = fs.openSync(file, 'a');
      const t = new KdTranscript(file, fd);
      const existing = fs.fstatSync(fd).size;
      t.write(`${existing > 0 ? '\n' : ''}BootDbg transcript: ${header}\n`);
      return t;
    } catch (e) {
      throw new Error(`Cannot write the transcript ${file}: ${(e as Error).message}`);
    }
  }

  get isOpen(): boolean {
    return this.fd !== undefined;
  }

  private write(text: string): void {
    if (this.fd === undefined || text.length === 0) return;
    const buf = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < buf.length) off += fs.writeSync(this.fd, buf, off, buf.length - off);
    this.midLine = !text.endsWith('\n');
  }

  /** Target output exactly as received (DbgPrint text may split lines across packets). */
  appendOutput(text: string): void {
    this.write(text);
  }

  /** A debugger note on a line of its own (e.g. "Break instruction exception - code 80000003 (first chance)"). */
  note(line: string): void {
    this.write(`${this.midLine ? '\n' : ''}${line.endsWith('\n') ? line : line + '\n'}`);
  }

  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    try {
      fs.closeSync(fd);
    } catch {
      // already gone
    }
  }
}
