/**
 * Splitting a KD transcript into lines the way an editor numbers them, and cleaning each line of
 * what a serial capture adds: CR/LF mixes, binary noise (line noise, KD packet bytes that leaked
 * into a terminal log), timestamps and debugger prompts in front of the DbgPrint text.
 *
 * Line numbers are 0-based and follow the LSP rule (`\r\n`, `\n` and a lone `\r` each end a line),
 * so diagnostics land where VS Code shows the text.
 */

export interface TranscriptLine {
  /** 0-based line number in the document. */
  line: number;
  /** The line as written, without its line break. */
  raw: string;
  /** The DbgPrint text: noise removed, timestamp/prompt prefix removed, right-trimmed. */
  message: string;
  /** Column in `raw` where `message` starts (approximate when noise was removed before it). */
  column: number;
  /** True when control or binary characters were removed. */
  noisy: boolean;
}

/** Characters that are never part of DbgPrint text: C0 controls except TAB, DEL, C1 controls,
 *  U+FFFD (what a decoder writes for bytes that were not text). */
// eslint-disable-next-line no-control-regex
const NOISE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFD]/g;

/**
 * Prefixes in front of the DbgPrint text, removed before matching (order matters: first wins).
 * BootDbg writes `[hh:mm:ss.mmm] ` or an ISO time; WinDbg logs may carry `kd> ` prompts.
 */
const PREFIXES: RegExp[] = [
  /^\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?Z?\]?\s?/,
  /^\[\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\]\s?/,
  /^\[\s*\d+(?:\.\d+)?\s*\]\s?/, // [   12.345] relative seconds
];

/**
 * KD packets a terminal logger recorded verbatim when Windows took over the serial port
 * (../shared/reference/kd/kd-protocol.md): control packets are the leader "iiii" plus a 12-byte
 * header; DbgPrint packets are the leader "0000", packet type 3 (bytes 03 00), the rest of the
 * 16-byte header and the 16-byte DEBUG_IO header, then the text and the trailer byte 0xAA.
 * Removing the framing leaves the DbgPrint text at the start of its line.
 */
const KD_FRAMING: readonly RegExp[] = [
  // Packet header (+ DEBUG_IO header); shorter when a header byte was a line break.
  // eslint-disable-next-line no-control-regex
  /0000\u0003\u0000[\s\S]{0,26}/g,
  // A DEBUG_IO header (ApiNumber 0x3230 PrintString) left at the start of a line by such a break.
  // eslint-disable-next-line no-control-regex
  /02\u0000\u0000[\s\S]{0,12}/g,
  /iiii[\s\S]{12}/g,
];

/**
 * What a broken-up header can still leave in front of the text on a noisy line: a few printable
 * bytes (ids, checksums, the 0xAA trailer seen as "ª"). Not "*", "(" or "[", which begin real lines.
 */
const LEADING_JUNK = /^[0-9!"#$%&'+,\-./:;<=>?@\\^_`{|}~\u00a0-\u00ff]{1,24}(?=[\sA-Za-z*([]|$)/;

export function cleanLine(raw: string): { message: string; column: number; noisy: boolean } {
  let text = raw;
  let noisy = false;
  if (text.includes('0000\u0003') || text.includes('02\u0000\u0000') || text.includes('iiii')) {
    for (const re of KD_FRAMING) {
      re.lastIndex = 0;
      const stripped = text.replace(re, '');
      if (stripped !== text) {
        noisy = true;
        text = stripped;
      }
    }
  }
  if (NOISE.test(text)) {
    noisy = true;
    NOISE.lastIndex = 0;
    text = text.replace(NOISE, '');
  }
  NOISE.lastIndex = 0;
  let column = 0;
  for (const prefix of PREFIXES) {
    const m = prefix.exec(text);
    if (m) {
      column = m[0].length;
      text = text.slice(m[0].length);
      break;
    }
  }
  if (noisy) text = text.replace(LEADING_JUNK, '');
  return { message: text.replace(/\s+$/, ''), column, noisy };
}

/** Splits on CRLF, LF or lone CR (the LSP line rule). A trailing line break adds no extra line. */
export function splitRawLines(text: string): string[] {
  const lines = text.split(/\r\n|\n|\r/);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function splitTranscript(text: string): TranscriptLine[] {
  return splitRawLines(text).map((raw, line) => ({ line, raw, ...cleanLine(raw) }));
}

/**
 * Reassembles lines from chunks as they arrive (a live session: DbgPrint packets split lines
 * arbitrarily). Complete lines are passed on; `flush()` returns the unterminated rest.
 */
export class LineAssembler {
  private pending = '';
  private pendingCr = false;

  push(chunk: string): string[] {
    const out: string[] = [];
    let text = chunk;
    // A CR at the end of the previous chunk followed by LF here is one CRLF line end.
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = false;
    const parts = (this.pending + text).split(/\r\n|\n|\r/);
    this.pending = parts.pop() ?? '';
    if (text.endsWith('\r')) this.pendingCr = true;
    out.push(...parts);
    return out;
  }

  flush(): string | undefined {
    const rest = this.pending;
    this.pending = '';
    return rest.length > 0 ? rest : undefined;
  }
}
