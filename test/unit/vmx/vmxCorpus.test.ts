/**
 * The real .vmx corpus (../shared/reference/lang/corpus/vmx, 28 files): every file parses, its
 * profile in SOURCES.md (HW version, guestOS, NIC, SCSI, firmware, encoding) is what the parser
 * reads, and the diagnostics (hints aside) are exactly the ones recorded here. The deliberately
 * broken file is flagged; all others are free of errors and warnings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DiagnosticSeverity } from 'vscode-languageserver-types';
import { parseVmx, valueOf } from '../../../language-server/vmx/vmxParser';
import { input, referencePath } from './vmxTestUtil';
import { vmxFeatures } from '../../../language-server/vmx/vmxFeatures';

const corpusDir = referencePath('lang', 'corpus', 'vmx');
const skip = corpusDir ? false : 'reference corpus ../shared/reference/lang/corpus/vmx not found';

/** Broken on purpose (SOURCES.md: "BROKEN"): must produce errors. */
const BROKEN = new Set(['lanrenlan-config-backup__Windows10x64.vmx']);

/** `code@line` of every error, warning and information per file. */
const EXPECTED: Record<string, string[]> = {
  'afoote-win10vm__Windows10x64.vmx': [],
  'alexuslee-vms11__Windows11x64.vmx': [],
  'illertimes-freebsd__FreeBSD.vmx': [],
  'illertimes-freebsd__FreeBSd2.vmx': [],
  'illertimes-freebsd__Ubuntu64-2.vmx': [],
  'itou-win7-vmware17__Windows7x64.vmx': [],
  'jahyung-ansible__CentOS7.vmx': [],
  // Declares UTF-8 but a truncated multibyte character swallowed the closing quotes.
  'lanrenlan-config-backup__Windows10x64.vmx': ['vmx/syntax@121', 'vmx/syntax@122'],
  'libvirt__case-insensitive-1.vmx': [],
  'libvirt__esx-in-the-wild-12.vmx': [],
  'libvirt__esx-in-the-wild-17.vmx': [],
  'libvirt__esx-in-the-wild-2.vmx': [],
  'libvirt__esx-in-the-wild-6.vmx': [],
  'libvirt__fusion-in-the-wild-1.vmx': [],
  'libvirt__gsx-in-the-wild-1.vmx': [],
  'libvirt__gsx-in-the-wild-4.vmx': [],
  'libvirt__serial-network-server.vmx': [],
  'libvirt__serial-pipe-client-app.vmx': [],
  // Pipe server with the "other end is a VM" setting: only the tryNoRxLoss advice (information).
  'libvirt__serial-pipe-server-vm.vmx': ['vmx/serial-kd@4'],
  'libvirt__ws-in-the-wild-1.vmx': [],
  'metasploitable2__Metasploitable.vmx': [],
  'minsungchu-ubuntu2204__Ubuntu64.vmx': [],
  'phuisagi__WindowsServer2016.vmx': [],
  'ruanmingze-vmware-plus__test.vmx': [],
  'sharpjs-home__WindowsServer2016.vmx': [],
  'skatare100__Ubuntu64.vmx': [],
  'windowsnt-asm__vm.vmx': [],
  'wslaf-hpdepc__Windows7x64.vmx': [],
};

/** SOURCES.md profile column: `HW16, guestOS=windows7-64, nic=e1000, scsi=lsisas1068, enc=Shift_JIS, …`. */
const PROFILE_KEYS: Record<string, string> = {
  HW: 'virtualHW.version',
  guestOS: 'guestOS',
  nic: 'ethernet0.virtualDev',
  scsi: 'scsi0.virtualDev',
  fw: 'firmware',
  enc: '.encoding',
};

function profiles(): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  const sources = readFileSync(path.join(corpusDir!, '..', 'SOURCES.md'), 'utf8');
  for (const row of sources.split('\n')) {
    const cells = row.split('|').map((c) => c.trim());
    if (!cells[1]?.endsWith('.vmx')) continue;
    const profile: Record<string, string> = {};
    for (const item of cells[5].split(',').map((s) => s.trim())) {
      const hw = /^HW(\d+)$/.exec(item);
      if (hw) profile.HW = hw[1];
      const kv = /^(\w+)=(.+)$/.exec(item);
      if (kv && PROFILE_KEYS[kv[1]]) profile[kv[1]] = kv[2];
    }
    out.set(cells[1], profile);
  }
  return out;
}

test('every corpus file parses and yields exactly the recorded diagnostics', { skip }, () => {
  const files = readdirSync(corpusDir!).filter((f) => f.endsWith('.vmx')).sort();
  assert.equal(files.length, 28);
  assert.deepEqual(files, Object.keys(EXPECTED).sort(), 'the table covers the corpus');
  for (const f of files) {
    // VS Code opens the files as UTF-8 by default; that is the text the server gets.
    const text = readFileSync(path.join(corpusDir!, f), 'utf8');
    const doc = parseVmx(text);
    assert.ok(doc.entries.length >= 5, `${f}: parsed ${doc.entries.length} settings`);
    const ds = vmxFeatures.diagnostics(input(text, `file:///corpus/${f}`));
    const got = ds.filter((d) => d.severity !== DiagnosticSeverity.Hint).map((d) => `${d.code}@${d.range.start.line + 1}`);
    assert.deepEqual(got, EXPECTED[f], f);
    const errors = ds.filter((d) => d.severity === DiagnosticSeverity.Error || d.severity === DiagnosticSeverity.Warning);
    if (BROKEN.has(f)) assert.ok(errors.some((d) => d.severity === DiagnosticSeverity.Error), `${f} is broken and must report errors`);
    else assert.deepEqual(errors, [], `${f} must be clean of errors and warnings`);
  }
});

test('what the parser reads matches the profile recorded in SOURCES.md', { skip }, () => {
  const table = profiles();
  assert.equal(table.size, 28);
  let checked = 0;
  for (const [file, profile] of table) {
    const doc = parseVmx(readFileSync(path.join(corpusDir!, file), 'utf8'));
    for (const [short, value] of Object.entries(profile)) {
      assert.equal(valueOf(doc, PROFILE_KEYS[short])?.toLowerCase(), value.toLowerCase(), `${file}: ${PROFILE_KEYS[short]}`);
      checked++;
    }
  }
  assert.ok(checked > 100, `checked ${checked} profile values`);
});

test('outline, folding and completion work on every corpus file', { skip }, () => {
  for (const f of readdirSync(corpusDir!).filter((x) => x.endsWith('.vmx'))) {
    const text = readFileSync(path.join(corpusDir!, f), 'utf8');
    const doc = input(text, `file:///corpus/${f}`);
    const symbols = vmxFeatures.documentSymbols!(doc);
    assert.ok(symbols.length > 0, f);
    for (const s of symbols) {
      assert.ok(s.range.start.line <= s.selectionRange.start.line && s.selectionRange.end.line <= s.range.end.line, `${f}: ${s.name} selection inside range`);
    }
    vmxFeatures.foldingRanges!(doc);
    assert.ok(vmxFeatures.completions!(doc, { line: 0, character: 0 }).length > 100, f);
  }
});
