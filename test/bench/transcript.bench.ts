/**
 * Transcript benchmarks. The live boot report must keep up with DbgPrint arriving over the serial
 * line, and re-analysing a saved transcript on every keystroke must stay cheap next to merely
 * splitting it into lines.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { isolatedContext } from '../../language-server/languageFeatures';
import { BootReportBuilder } from '../../language-server/transcript/iscsiBootReport';
import { transcriptDiagnostics } from '../../language-server/transcript/transcriptDiagnostics';
import { buildReport } from '../../language-server/transcript/iscsiBootReport';
import { splitRawLines } from '../../language-server/transcript/transcriptLines';
import type { Benchmark } from './benchTypes';

const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** A long realistic transcript: the fixtures repeated, as a capture of many boots would be. */
function bigTranscript(): string {
  const dir = path.join(repoRoot, 'test', 'fixtures', 'transcripts');
  const parts = ['sanbootconf-success.kdlog', 'msinitiator-success.kdlog', 'sanbootconf-nic-not-matched-7b.kdlog', 'windbg-serial-2003.log'].map((f) =>
    readFileSync(path.join(dir, f), 'utf8'),
  );
  let text = '';
  while (text.length < 2_000_000) text += parts.join('');
  return text;
}

function timeIt(fn: () => void, minMs = 300): number {
  let runs = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  do {
    fn();
    runs++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  } while (elapsed < minMs);
  return elapsed / runs;
}

/** What 115200 baud carries: an 80-char DbgPrint costs 17+16+80 bytes plus a 16-byte ACK
 *  (../shared/reference/kd/kd-protocol.md), 10 bits per byte on the wire. */
function serialLinesPerSecond(baud = 115200, chars = 80): number {
  return baud / 10 / (17 + 16 + chars + 16);
}

export const benchmarks: Benchmark[] = [
  {
    id: 'transcript.live-report-vs-serial',
    what: 'live boot report (addText) lines/s vs the most DbgPrint lines/s a 115200-baud KD link carries',
    unit: 'lines/s',
    goal: '>= 100',
    async run() {
      const text = bigTranscript();
      const lines = splitRawLines(text).length;
      const ms = timeIt(() => {
        const b = new BootReportBuilder();
        for (let i = 0; i < text.length; i += 512) b.addText(text.slice(i, i + 512));
        b.flush();
      });
      return { value: lines / (ms / 1000), baseline: serialLinesPerSecond(), note: `${lines} lines, 512-char chunks` };
    },
  },
  {
    id: 'transcript.analyse-vs-split',
    what: 'report + diagnostics of a 2 MB transcript vs only splitting it into lines',
    unit: 'ms',
    goal: '<= 40',
    async run() {
      const text = bigTranscript();
      const ctx = isolatedContext();
      const value = timeIt(() => {
        const lines = splitRawLines(text);
        transcriptDiagnostics({ uri: 'file:///bench.kdlog', lines, report: buildReport(text), ctx });
      });
      const baseline = timeIt(() => splitRawLines(text));
      return { value, baseline, note: `${(text.length / 1e6).toFixed(1)} MB` };
    },
  },
];
