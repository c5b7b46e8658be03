import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isolatedContext } from '../../../language-server/languageFeatures';
import { buildReport } from '../../../language-server/transcript/iscsiBootReport';
import { reportToMarkdown } from '../../../language-server/transcript/reportMarkdown';
import { transcriptFeatures } from '../../../language-server/transcript/transcriptFeatures';
import { LineAssembler, splitTranscript } from '../../../language-server/transcript/transcriptLines';
import { fixture, prng } from './fixtures';

/** Inserts bytes a serial line produces at the wrong baud rate or when KD packets leak into a terminal log. */
function withNoise(text: string, seed: number): string {
  const rnd = prng(seed);
  const noise = ['\u0000', '\u0030\u0030\u0030\u0030', '\u00ff', '\uFFFD', '\u0008', '\u001b[0m', '\u0069\u0069\u0069\u0069', '\u0002'];
  const lines = text.split('\n');
  return lines
    .map((l) => (rnd() < 0.3 ? l.slice(0, 0) + noise[Math.floor(rnd() * noise.length)] + l : l))
    .join('\n');
}

describe('garbage in a serial capture', () => {
  const clean = fixture('sanbootconf-success.kdlog');

  it('binary noise at line starts: same NIC/target/disk, noisy lines counted', () => {
    const noisy = withNoise(clean, 7);
    const r = buildReport(noisy);
    const c = buildReport(clean);
    assert.ok(r.noisyLines > 0);
    assert.equal(r.nics[0].mac?.value, c.nics[0].mac?.value);
    assert.equal(r.targets[0].iqn, c.targets[0].iqn);
    assert.ok(r.bootDisk);
    assert.match(reportToMarkdown(r), /binary noise removed/);
  });

  it('CRLF, LF and lone CR mixed give the same report and line numbers as LF', () => {
    const lines = clean.split('\n');
    const eols = ['\r\n', '\n', '\r'];
    const mixed = lines.map((l, i) => l + (i < lines.length - 1 ? eols[i % 3] : '')).join('');
    const a = buildReport(clean);
    const b = buildReport(mixed);
    assert.deepEqual(b.nics, a.nics);
    assert.deepEqual(b.targets, a.targets);
    assert.deepEqual([...b.lineSections], [...a.lineSections]);
  });

  it('a transcript cut in the middle of a line and of a block', () => {
    const cut = clean.slice(0, clean.indexOf('  MAC = 52:54') + 12);
    const r = buildReport(cut);
    assert.equal(r.nics[0].mac, undefined);
    assert.equal(r.nics[0].ip?.value, '10.0.2.15');
    const ds = transcriptFeatures.diagnostics({ uri: 'file:///cut.kdlog', text: cut, ctx: isolatedContext() });
    assert.deepEqual(ds.map((d) => d.code), ['transcript/truncated']);
  });

  it('pure binary, empty text and a huge line do not break anything', () => {
    const rnd = prng(99);
    let bin = '';
    for (let i = 0; i < 20000; i++) bin += String.fromCharCode(Math.floor(rnd() * 256));
    for (const text of [bin, '', '\n\n\r\r\n', 'x'.repeat(300000), '*** Fatal System Error: 0x', '  IP = /99']) {
      const r = buildReport(text);
      assert.ok(r.lineCount >= 0);
      const doc = { uri: 'file:///g.kdlog', text, ctx: isolatedContext() };
      transcriptFeatures.diagnostics(doc);
      transcriptFeatures.documentSymbols?.(doc);
      transcriptFeatures.hover?.(doc, { line: 0, character: 0 });
      reportToMarkdown(r);
    }
  });

  it('line splitting follows the LSP rule and strips timestamps', () => {
    const t = splitTranscript('[01:02:03.456] iScsiBP: x\r\n2026-11-22T01:02:03.456Z Found iBFT at 9e620\rlast');
    assert.deepEqual(
      t.map((l) => l.message),
      ['iScsiBP: x', 'Found iBFT at 9e620', 'last'],
    );
    assert.equal(t[1].line, 1);
  });

  it('LineAssembler reassembles lines split across packets', () => {
    const a = new LineAssembler();
    const got = [...a.push('ab'), ...a.push('c\r'), ...a.push('\nde\nf'), ...a.push('\r')];
    assert.deepEqual(got, ['abc', 'de', 'f']);
    assert.equal(a.flush(), undefined);
    a.push('tail');
    assert.equal(a.flush(), 'tail');
  });
});

describe('DAP output events feeding the live report', () => {
  it('takes stdout output events only', async () => {
    const { dbgPrintText } = await import('../../../language-server/transcript/dapOutput');
    assert.equal(dbgPrintText({ type: 'event', event: 'output', body: { category: 'stdout', output: 'iScsiBP: x\n' } }), 'iScsiBP: x\n');
    assert.equal(dbgPrintText({ type: 'event', event: 'output', body: { category: 'console', output: 'note\n' } }), undefined);
    assert.equal(dbgPrintText({ type: 'event', event: 'stopped', body: {} }), undefined);
    assert.equal(dbgPrintText({ type: 'response', command: 'threads' }), undefined);
    for (const junk of [null, undefined, 42, 'x', { type: 'event', event: 'output', body: null }, { type: 'event', event: 'output', body: { category: 'stdout', output: 7 } }]) {
      assert.equal(dbgPrintText(junk), undefined);
    }
  });
});
