import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isolatedContext } from '../../../language-server/languageFeatures';
import { BootReportBuilder, buildReport, buildSessionReports } from '../../../language-server/transcript/iscsiBootReport';
import { sessionsToMarkdown } from '../../../language-server/transcript/reportMarkdown';
import { transcriptFeatures } from '../../../language-server/transcript/transcriptFeatures';
import { fixture } from './fixtures';

// BootDbg appends to an existing transcript with a new header per session; WinDbg logs show
// "Connected to Windows …" at every boot. Each boot gets its own report.
const failed = fixture('sanbootconf-nic-not-matched-7b.kdlog');
const fixed = fixture('sanbootconf-success.kdlog');
const twoBoots = failed + '\n' + fixed;

describe('several boots in one transcript', () => {
  it('splits at the header of the next session, keeping global line numbers', () => {
    const reports = buildSessionReports(twoBoots);
    assert.equal(reports.length, 2);
    const second = failed.split('\n').length; // the blank separator line is the last of boot 1
    assert.equal(reports[1].firstLine, second);
    assert.equal(reports[0].bugcheck?.code, 0x7b);
    assert.equal(reports[1].bugcheck, undefined);
    assert.ok(reports[1].bootDisk);
    assert.equal(reports[0].nics[0].mac?.value, '00:0c:29:3a:4b:5c');
    assert.equal(reports[1].nics[0].mac?.value, '52:54:00:12:34:56');
    assert.ok(reports[1].nics[0].line > second);
    assert.deepEqual(buildReport(twoBoots), reports[1]);
  });

  it('diagnoses each boot; outline and hover follow the boot of the line', () => {
    const doc = { uri: 'file:///two.kdlog', text: twoBoots, ctx: isolatedContext() };
    const ds = transcriptFeatures.diagnostics(doc);
    assert.deepEqual(ds.map((d) => d.code).sort(), ['transcript/bugcheck-7b', 'transcript/nic-not-matched']);
    const names = (transcriptFeatures.documentSymbols?.(doc) ?? []).map((s) => s.name);
    assert.ok(names.includes('Boot 1: Bugcheck'));
    assert.ok(names.includes('Boot 2: NIC 0'));
    const lines = twoBoots.split('\n');
    const mac2 = lines.lastIndexOf('  MAC = 52:54:00:12:34:56');
    const h = transcriptFeatures.hover?.(doc, { line: mac2, character: 2 });
    const value = h && typeof h.contents === 'object' && 'kind' in h.contents ? h.contents.value : '';
    assert.match(value, /52:54:00:12:34:56/);
    assert.doesNotMatch(value, /00:0c:29/);
    assert.match(sessionsToMarkdown(buildSessionReports(twoBoots)), /## Boot 1[\s\S]*## Boot 2/);
  });

  it('a WinDbg reconnect after a reboot starts a new boot; the first one is flagged as cut short', () => {
    const cut = fixture('truncated.kdlog').split('\n').slice(0, 18).join('\n');
    const text = cut + '\nShutdown occurred at (Sun Nov 22 01:51:00 2026)...\nConnected to Windows XP 2600 x86 compatible target, ptr64 FALSE\n' + fixture('msinitiator-success.kdlog');
    const reports = buildSessionReports(text);
    assert.equal(reports.length, 2);
    assert.equal(reports[1].path, 'microsoft');
    const ds = transcriptFeatures.diagnostics({ uri: 'file:///r.kdlog', text, ctx: isolatedContext() });
    assert.deepEqual(ds.map((d) => d.code), ['transcript/truncated']);
    const msg = typeof ds[0].message === 'string' ? ds[0].message : ds[0].message.value;
    assert.match(msg, /next boot starts at line 20/);
  });

  it('a live session that reconnects resets the current report', () => {
    const b = new BootReportBuilder();
    b.addText(failed + '\n');
    assert.equal(b.report.bugcheck?.code, 0x7b);
    b.addText('BootDbg transcript: windows-kd on com1, reconnected\n');
    assert.equal(b.report.bugcheck, undefined);
    assert.equal(b.reports.length, 2);
  });
});
