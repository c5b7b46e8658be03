// The real boot.ini corpus (../shared/reference/lang/corpus/bootini, sources in SOURCES.md) parses
// with the results recorded here: the deliberately broken KB snippets are flagged with their codes,
// complete files are clean, and fragments (entries only, no headers) report just the missing sections.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bootIniDiagnostics } from '../../../language-server/bootini';
import { parseBootIni } from '../../../language-server/bootini/parser';
import { DEFAULT_SETTINGS } from '../../../language-server/languageFeatures';

const repoRoot = resolve(__dirname, '..', '..', '..', '..');
/** ../shared/reference next to the repo (a git worktree may sit one level deeper). */
function referenceDir(): string {
  let dir = resolve(repoRoot, '..');
  for (let i = 0; i < 3; i++) {
    const candidate = join(dir, 'shared', 'reference');
    if (existsSync(candidate)) return candidate;
    dir = resolve(dir, '..');
  }
  return resolve(repoRoot, '..', 'shared', 'reference');
}
const corpusDir = join(referenceDir(), 'lang', 'corpus', 'bootini');

type Kind = 'clean' | 'fragment' | 'broken';

interface Expected {
  kind: Kind;
  /** Every error-level code reported (sorted, unique). */
  errors: string[];
  /** Every warning-level code reported (sorted, unique). */
  warnings: string[];
  /** Menu entries NTLDR would show (lines in [operating systems] incl. wrapped halves) and parsed switches. */
  entries: number;
  why: string;
}

const MISSING = 'bootini/missing-section';

const EXPECTED: Record<string, Expected> = {
  'grub4dos-readme-grldr-fragment.boot.ini': { kind: 'fragment', errors: [MISSING], warnings: [MISSING], entries: 1, why: 'C:\\GRLDR entry alone' },
  'kb-Q121543-debugport-modem.boot.ini': { kind: 'broken', errors: ['bootini/invalid-arc-path', 'bootini/wrapped-line'], warnings: [MISSING], entries: 2, why: 'ARC path elided with "...", /BAUDRATE wrapped onto its own line' },
  'kb-Q131603-timeout-minus1.boot.ini': { kind: 'fragment', errors: [MISSING], warnings: [], entries: 0, why: '[boot loader] only; timeout=-1 is valid' },
  'kb-Q131976-noserialmice-nt351.boot.ini': { kind: 'broken', errors: ['bootini/wrapped-line'], warnings: ['bootini/unterminated-quote'], entries: 4, why: 'descriptions wrapped across lines' },
  'kb-Q151180-nt351-multiboot-msdos.boot.ini': { kind: 'broken', errors: ['bootini/wrapped-line'], warnings: [], entries: 4, why: '/basevideo /sos on a line of their own' },
  'kb-Q154129-winnt_temp-annotated.boot.ini': { kind: 'broken', errors: ['bootini/wrapped-line'], warnings: ['bootini/unknown-key', 'bootini/unterminated-quote'], entries: 8, why: 'KB annotation inside [boot loader], wrapped descriptions' },
  'kb-Q157992-triple-boot-win95dos.boot.ini': { kind: 'fragment', errors: [], warnings: [MISSING], entries: 2, why: '[Operating Systems] only (case-insensitive header), boot-sector entries' },
  'kb-Q171793-3gb-nt4ee.boot.ini': { kind: 'broken', errors: [MISSING, 'bootini/wrapped-line'], warnings: ['bootini/unterminated-quote'], entries: 4, why: 'header and first entry on one line, wrapped descriptions' },
  'kb-Q189293-3gb-nt4ee.boot.ini': { kind: 'broken', errors: ['bootini/wrapped-line'], warnings: ['bootini/unterminated-quote'], entries: 4, why: '/3GB wrapped; a wrapped "[VGA mode]" line even ends the section' },
  'kb-Q244378-winnt_ts-parallel.boot.ini': { kind: 'broken', errors: [MISSING, 'bootini/wrapped-line'], warnings: [MISSING, 'bootini/unterminated-quote'], entries: 4, why: 'fragment with wrapped descriptions' },
  'msdocs-kb833721-1394-channel3.boot.ini': { kind: 'clean', errors: [], warnings: [], entries: 1, why: '1394 debugging, channel 3' },
  'msdocs-kb833721-ems-redirect-com1.boot.ini': { kind: 'clean', errors: [], warnings: [], entries: 2, why: 'EMS on COM1 at 19200' },
  'nmap-http-passwd-lfi-xp.boot.ini': { kind: 'clean', errors: [], warnings: [], entries: 1, why: 'real XP SP2 file' },
  'oscourse-wrk-srv2003-kernel-hal-fragment.boot.ini': { kind: 'fragment', errors: [MISSING], warnings: [MISSING], entries: 1, why: '/kernel= /hal= /debug /debugport=COM1' },
  'wdd-3gb-userva-fragment.boot.ini': { kind: 'fragment', errors: [MISSING], warnings: [MISSING], entries: 2, why: '/3GB and /3GB /userva=3030' },
  'wdd-crashdebug-fragment.boot.ini': { kind: 'fragment', errors: [MISSING], warnings: [MISSING], entries: 2, why: '/crashdebug with and without a port' },
  'wdd-debug-variants-fragment.boot.ini': { kind: 'fragment', errors: [MISSING], warnings: [MISSING], entries: 5, why: '/debug variants incl. 2003 sub-options and 1394' },
  'wdd-nodebug-fragment.boot.ini': { kind: 'fragment', errors: [MISSING], warnings: ['bootini/conflicting-switches', MISSING], entries: 2, why: '/nodebug overriding /debug (the documented example)' },
  'wdd-overview-xp-recovery-console.boot.ini': { kind: 'clean', errors: [], warnings: [], entries: 2, why: 'XP + Recovery Console' },
  'wdd-redirect-ems-com1.boot.ini': { kind: 'clean', errors: [], warnings: [], entries: 1, why: 'EMS on COM1 at 115200' },
  'wdd-redirect-ems-spcr.boot.ini': { kind: 'clean', errors: [], warnings: [], entries: 1, why: 'EMS with USEBIOSSETTINGS' },
};

function codes(list: Array<{ code?: string | number; severity?: number }>, severity: number): string[] {
  return [...new Set(list.filter((d) => d.severity === severity).map((d) => String(d.code)))].sort();
}

const present = existsSync(corpusDir);

describe('boot.ini corpus', { skip: present ? false : `corpus not found at ../shared/reference/lang/corpus/bootini` }, () => {
  it('the table covers every corpus file', () => {
    const files = readdirSync(corpusDir).filter((f) => f.endsWith('.boot.ini')).sort();
    assert.deepEqual(files, Object.keys(EXPECTED).sort());
  });

  for (const [file, want] of Object.entries(EXPECTED)) {
    it(`${file} (${want.kind}: ${want.why})`, () => {
      const text = readFileSync(join(corpusDir, file), 'latin1');
      const diags = bootIniDiagnostics(text, DEFAULT_SETTINGS);
      assert.deepEqual(codes(diags, 1), want.errors, 'errors');
      assert.deepEqual(codes(diags, 2), want.warnings, 'warnings');
      if (want.kind === 'clean') assert.deepEqual(diags.filter((d) => d.severity === 1 || d.severity === 2), []);
      if (want.kind === 'fragment') assert.ok(diags.filter((d) => d.severity === 1).every((d) => d.code === MISSING));
      const doc = parseBootIni(text);
      assert.equal(doc.entries.length, want.entries, 'entry lines');
    });
  }

  it('reads the switches of the clean files exactly', () => {
    const doc = parseBootIni(readFileSync(join(corpusDir, 'msdocs-kb833721-1394-channel3.boot.ini'), 'latin1'));
    const e = doc.entries[0];
    assert.equal(e.path, 'multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS');
    assert.equal(e.description, 'Windows Server 2003, Enterprise');
    assert.deepEqual(
      e.switches.map((s) => [s.upper, s.value ?? null]),
      [
        ['FASTDETECT', null],
        ['DEBUG', null],
        ['DEBUGPORT', '1394'],
        ['CHANNEL', '3'],
      ],
    );
  });
});
