import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isolatedContext } from '../../../language-server/languageFeatures';
import { BootReportBuilder } from '../../../language-server/transcript/iscsiBootReport';
import { redactTranscript } from '../../../language-server/transcript/redact';
import { reportToMarkdown } from '../../../language-server/transcript/reportMarkdown';
import { transcriptFeatures } from '../../../language-server/transcript/transcriptFeatures';
import { fixture, prng } from './fixtures';

const SEEDS = [
  'sanbootconf-success.kdlog',
  'msinitiator-success.kdlog',
  'sanbootconf-nic-not-matched-7b.kdlog',
  'msinitiator-no-gateway.kdlog',
  'mutual-chap-secrets.kdlog',
  'windbg-serial-2003.log',
  'sanbootconf-v2-success.kdlog',
  'sanbootconf-aoe.kdlog',
  'serial-capture-ipxe-then-kd.log',
  'ipxe-san-error.log',
].map(fixture);

const PIECES = ['\r', '\n', '\r\n', '\u0000', '\uFFFD', ' = ', '0x', '(', ')', ',', '/', ':', '"', '`', '*** Fatal System Error: ', 'Found iBFT NIC 9:', '  IP = ', 'iScsiBP: ', 'CHAP secret = ', '999999999999', '-1', '255.255.255.255'];

function mutate(text: string, rnd: () => number): string {
  let t = text;
  const n = 1 + Math.floor(rnd() * 8);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(rnd() * (t.length + 1));
    const op = Math.floor(rnd() * 5);
    if (op === 0) t = t.slice(0, at) + t.slice(at + 1 + Math.floor(rnd() * 40)); // delete
    else if (op === 1) t = t.slice(0, at) + PIECES[Math.floor(rnd() * PIECES.length)] + t.slice(at); // insert token
    else if (op === 2) t = t.slice(0, at) + String.fromCharCode(Math.floor(rnd() * 0x3000)) + t.slice(at + 1); // replace char
    else if (op === 3) t = t.slice(0, at); // truncate
    else {
      const from = Math.floor(rnd() * t.length);
      t = t.slice(0, at) + t.slice(from, from + Math.floor(rnd() * 200)) + t.slice(at); // duplicate a slice
    }
  }
  return t;
}

describe('fuzz: 5,000 mutated transcripts (seed 0x5eed)', () => {
  it('never throws; diagnostics stay inside the document; redaction keeps line count', () => {
    const rnd = prng(0x5eed);
    const ctx = isolatedContext();
    for (let i = 0; i < 5000; i++) {
      const text = mutate(SEEDS[i % SEEDS.length], rnd);
      const doc = { uri: `file:///fuzz${i}.kdlog`, text, ctx };
      try {
        const lineCount = text.split(/\r\n|\n|\r/).length;
        for (const d of transcriptFeatures.diagnostics(doc)) {
          assert.ok(d.range.start.line >= 0 && d.range.end.line < Math.max(1, lineCount), `range outside document (case ${i})`);
        }
        transcriptFeatures.documentSymbols?.(doc);
        transcriptFeatures.foldingRanges?.(doc);
        transcriptFeatures.hover?.(doc, { line: Math.floor(rnd() * lineCount), character: 0 });
        const b = new BootReportBuilder();
        b.addText(text);
        b.flush();
        reportToMarkdown(b.report);
        const red = redactTranscript(text, { names: rnd() < 0.5 });
        assert.equal(red.text.split(/\r\n|\n|\r/).length, lineCount, `redaction changed the line count (case ${i})`);
      } catch (e) {
        assert.fail(`case ${i} (seed 0x5eed): ${(e as Error).stack}`);
      }
    }
  });
});
