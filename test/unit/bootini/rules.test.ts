// Rule tests over inline boot.ini documents: every code, positive and negative.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Diagnostic } from 'vscode-languageserver-types';
import { bootIniDiagnostics } from '../../../language-server/bootini';
import { BOOTINI_CODES, fixesOf } from '../../../language-server/bootini/diagnostic';
import { DEFAULT_SETTINGS } from '../../../language-server/languageFeatures';

const ERROR = 1;
const WARNING = 2;
const INFO = 3;

/** Lines joined with CRLF, as NTLDR's files are. */
function ini(...lines: string[]): string {
  return lines.join('\r\n') + '\r\n';
}

function check(text: string): Diagnostic[] {
  return bootIniDiagnostics(text, DEFAULT_SETTINGS);
}

function msg(d: Diagnostic): string {
  return typeof d.message === 'string' ? d.message : d.message.value;
}

function withCode(text: string, code: string): Diagnostic[] {
  return check(text).filter((d) => d.code === code);
}

const XP = 'multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS';

/** A clean XP file with one extra entry line (or none). */
function xp(...entries: string[]): string {
  return ini('[boot loader]', 'timeout=30', `default=${XP}`, '[operating systems]', `${XP}="Microsoft Windows XP Professional" /fastdetect`, ...entries);
}

function applyFix(text: string, d: Diagnostic, index = 0): string {
  const fix = fixesOf(d)[index];
  assert.ok(fix, `diagnostic ${String(d.code)} has a fix #${index}`);
  const lines = text.split(/\r\n|\n/);
  const offset = (l: number, c: number) => lines.slice(0, l).reduce((n, s) => n + s.length + 2, 0) + c;
  const edits = [...fix.edits].sort((a, b) => offset(b.range.start.line, b.range.start.character) - offset(a.range.start.line, a.range.start.character));
  let out = text;
  for (const e of edits) out = out.slice(0, offset(e.range.start.line, e.range.start.character)) + e.newText + out.slice(offset(e.range.end.line, e.range.end.character));
  return out;
}

describe('boot.ini rules', () => {
  it('a well-formed XP file is clean', () => {
    assert.deepEqual(check(xp()), []);
  });

  it('every diagnostic carries source bootdbg, a known code and a message that says what to do', () => {
    const texts = [xp('/basevideo', `${XP}="x" /baudrate=12345 /break /nodebug /channel=3 /userva=5000 /fastdetct`), ini('; note', `${XP}="a`)];
    for (const t of texts) {
      for (const d of check(t)) {
        assert.equal(d.source, 'bootdbg');
        assert.ok((BOOTINI_CODES as readonly string[]).includes(String(d.code)), String(d.code));
        assert.ok(msg(d).length > 40, msg(d));
      }
    }
  });

  describe('bootini/default-not-found', () => {
    it('reports a default that matches no entry, as an error with fixes naming entries', () => {
      const t = ini('[boot loader]', 'timeout=30', 'default=multi(0)disk(0)rdisk(0)partition(2)\\WINDOWS', '[operating systems]', `${XP}="XP" /fastdetect`);
      const [d] = withCode(t, 'bootini/default-not-found');
      assert.equal(d.severity, ERROR);
      assert.match(msg(d), /\(default\)/);
      assert.equal(d.range.start.line, 2);
      const fixed = applyFix(t, d);
      assert.deepEqual(withCode(fixed, 'bootini/default-not-found'), []);
    });
    it('compares case-insensitively (different case is fine)', () => {
      const t = ini('[boot loader]', 'timeout=30', `default=${XP.toLowerCase()}`, '[operating systems]', `${XP}="XP"`);
      assert.deepEqual(withCode(t, 'bootini/default-not-found'), []);
    });
    it('a missing default= line is a warning with an insert fix', () => {
      const t = ini('[boot loader]', 'timeout=30', '[operating systems]', `${XP}="XP"`);
      const [d] = withCode(t, 'bootini/default-not-found');
      assert.equal(d.severity, WARNING);
      assert.deepEqual(check(applyFix(t, d)), []);
    });
  });

  describe('bootini/unknown-switch', () => {
    it('flags a misspelt switch with a did-you-mean fix', () => {
      const [d] = withCode(xp(`${XP}="XP" /fastdetct`), 'bootini/unknown-switch');
      assert.equal(d.severity, WARNING);
      assert.match(msg(d), /fastdetect/);
      assert.equal(fixesOf(d)[0].edits[0].newText, '/fastdetect');
    });
    it('switches are case-insensitive and aliases are known', () => {
      assert.deepEqual(withCode(xp(`${XP}="XP" /FastDetect /NoSerialMice /MININIT /SOS`), 'bootini/unknown-switch'), []);
    });
    it('text after the title that does not start with / is reported', () => {
      assert.equal(withCode(xp(`${XP}="XP" fastdetect`), 'bootini/unknown-switch').length, 1);
    });
  });

  describe('bootini/invalid-switch-value', () => {
    it('rejects /baudrate=12345, /noexecute=sometimes and /userva out of range', () => {
      const ds = withCode(xp(`${XP}="XP" /debugport=com1 /baudrate=12345`, `${XP}="XP2" /noexecute=sometimes`, `${XP}="XP3" /3GB /userva=5000`), 'bootini/invalid-switch-value');
      assert.equal(ds.length, 3);
      assert.ok(ds.every((d) => d.severity === WARNING));
      const userva = ds.find((d) => /userva/i.test(msg(d)))!;
      assert.equal(fixesOf(userva)[0].edits[0].newText, '/userva=3030');
    });
    it('accepts documented values, optional values and lists', () => {
      assert.deepEqual(
        withCode(xp(`${XP}="a" /debug=disable,noumex /debugport=COM1 /baudrate=115200`, `${XP}="b" /noexecute=OptOut /3gb /userva=2900`, `${XP}="c" /safeboot:minimal(alternateshell) /fastdetect=COM1,2 /hal=halacpim.dll`), 'bootini/invalid-switch-value'),
        [],
      );
    });
    it('/safeboot needs a colon', () => {
      const [d] = withCode(xp(`${XP}="Safe" /safeboot=minimal`), 'bootini/invalid-switch-value');
      assert.equal(fixesOf(d)[0].edits[0].newText, '/safeboot:minimal');
    });
    it('/maxmem below what Windows can boot with is an error', () => {
      const [d] = withCode(xp(`${XP}="tiny" /maxmem=4`), 'bootini/invalid-switch-value');
      assert.equal(d.severity, ERROR);
    });
  });

  describe('bootini/switch-requires', () => {
    it('/break without the debugger bug-checks: error', () => {
      const [d] = withCode(xp(`${XP}="XP" /break`), 'bootini/switch-requires');
      assert.equal(d.severity, ERROR);
      assert.match(msg(d), /0x78/);
    });
    it('/break with /debug, /debugport or /baudrate is fine; with /nodebug it is not', () => {
      assert.deepEqual(withCode(xp(`${XP}="a" /debug /break`, `${XP}="b" /debugport=com2 /break`), 'bootini/switch-requires'), []);
      assert.equal(withCode(xp(`${XP}="c" /debug /nodebug /break`), 'bootini/switch-requires').length, 1);
    });
    it('follows NTLDR\'s substring rule: a misspelt /debugger still enables the debugger', () => {
      const t = xp(`${XP}="XP" /debugger /break`);
      assert.deepEqual(withCode(t, 'bootini/switch-requires'), []);
      const [u] = withCode(t, 'bootini/unknown-switch');
      assert.match(msg(u), /by substring/);
      assert.equal(withCode(xp(`${XP}="XP" /crashdebug /break`), 'bootini/switch-requires').length, 1);
    });
    it('/baudrate without /debugport warns about the default port', () => {
      const [d] = withCode(xp(`${XP}="XP" /baudrate=115200`), 'bootini/switch-requires');
      assert.equal(d.severity, WARNING);
      assert.match(msg(d), /COM2/);
    });
    it('/channel needs /debugport=1394, /userva needs /3GB', () => {
      assert.equal(withCode(xp(`${XP}="a" /debug /debugport=com1 /channel=3`, `${XP}="b" /userva=3030`), 'bootini/switch-requires').length, 2);
      assert.deepEqual(withCode(xp(`${XP}="a" /debug /debugport=1394 /channel=3`, `${XP}="b" /3GB /userva=3030`), 'bootini/switch-requires'), []);
    });
    it('/redirect needs redirect= in [boot loader]', () => {
      assert.equal(withCode(xp(`${XP}="EMS" /redirect`), 'bootini/switch-requires').length, 1);
      const t = ini('[boot loader]', 'timeout=30', `default=${XP}`, 'redirect=COM1', '[operating systems]', `${XP}="EMS" /redirect`);
      assert.deepEqual(withCode(t, 'bootini/switch-requires'), []);
    });
  });

  describe('bootini/conflicting-switches', () => {
    it('/debug with /nodebug, /pae with /nopae', () => {
      const ds = withCode(xp(`${XP}="a" /debug /nodebug`, `${XP}="b" /pae /nopae`), 'bootini/conflicting-switches');
      assert.equal(ds.length, 2);
      assert.ok(ds.every((d) => d.severity === WARNING));
    });
    it('EMS and the debugger on the same COM port', () => {
      const t = ini('[boot loader]', 'timeout=30', `default=${XP}`, 'redirect=COM1', '[operating systems]', `${XP}="EMS" /redirect /debug /debugport=com1`);
      assert.equal(withCode(t, 'bootini/conflicting-switches').length, 1);
    });
    it('no conflict for /crashdebug with a port, or /debug alone', () => {
      assert.deepEqual(withCode(xp(`${XP}="a" /crashdebug /debugport=COM1 /baudrate=57600`, `${XP}="b" /debug`), 'bootini/conflicting-switches'), []);
    });
  });

  describe('bootini/invalid-arc-path', () => {
    it('partition(0), disk(1) with multi, elided path, unknown device, no directory, blank in path', () => {
      const cases = [
        'multi(0)disk(0)rdisk(0)partition(0)\\WINDOWS="p0"',
        'multi(0)disk(1)rdisk(0)partition(1)\\WINDOWS="d1"',
        'multi(0)...partition(1)\\NT="elided"',
        'eisa(0)disk(0)rdisk(0)partition(1)\\WINNT="eisa"',
        'multi(0)disk(0)rdisk(0)partition(1)="nodir"',
        'multi(0)disk(0)rdisk(0)partition(x)\\WINDOWS="nan"',
        'signature(xyz)disk(0)rdisk(0)partition(1)\\WINDOWS="sig"',
        'multi(0)disk(0)rdisk(0)partition(1)\\Program Files="blank"',
      ];
      for (const c of cases) {
        const ds = withCode(xp(c), 'bootini/invalid-arc-path');
        assert.ok(ds.length >= 1, c);
        assert.equal(ds[0].severity, ERROR, c);
        assert.equal(ds[0].range.start.line, 5, c);
      }
    });
    it('accepts multi/scsi/signature/ramdisk and C:\\ boot-sector entries', () => {
      const ok = [
        'scsi(0)disk(1)rdisk(0)partition(1)\\WINNT="scsi"',
        'signature(8b5a2c10)disk(0)rdisk(0)partition(1)\\WINDOWS="sig"',
        'ramdisk(0)\\WINDOWS="PE" /mininit /rdpath=net(0)\\x.iso',
        'C:\\="MS-DOS"',
        'C:\\CMDCONS\\BOOTSECT.DAT="Microsoft Windows Recovery Console" /cmdcons',
        'c:\\bootsect.w40="Windows 95/98" /win95',
      ];
      assert.deepEqual(withCode(xp(...ok), 'bootini/invalid-arc-path'), []);
    });
    it('checks default= too', () => {
      const t = ini('[boot loader]', 'timeout=30', 'default=multi(0)disk(0)rdisk(0)partition(0)\\WINDOWS', '[operating systems]', 'multi(0)disk(0)rdisk(0)partition(0)\\WINDOWS="x"');
      assert.ok(withCode(t, 'bootini/invalid-arc-path').some((d) => d.range.start.line === 2));
    });
  });

  describe('bootini/unterminated-quote', () => {
    it('switches swallowed into the title: error, fix closes the quote before the switches', () => {
      const t = xp(`${XP}="Debug /debug /debugport=com1`);
      const [d] = withCode(t, 'bootini/unterminated-quote');
      assert.equal(d.severity, ERROR);
      const fixed = applyFix(t, d);
      assert.match(fixed, /="Debug" \/debug \/debugport=com1/);
      assert.deepEqual(withCode(fixed, 'bootini/unterminated-quote'), []);
    });
    it('an unquoted title followed by switches is reported too', () => {
      const t = xp(`${XP}=Debug build /debug`);
      const [d] = withCode(t, 'bootini/unterminated-quote');
      assert.equal(d.severity, ERROR);
      assert.match(applyFix(t, d), /="Debug build" \/debug/);
    });
    it('a closed quote is fine; C:\\="MS-DOS" is fine', () => {
      assert.deepEqual(withCode(xp('C:\\="MS-DOS"'), 'bootini/unterminated-quote'), []);
    });
  });

  describe('bootini/wrapped-line', () => {
    it('switches on a line of their own, with a join fix', () => {
      const t = xp('/basevideo /sos');
      const [d] = withCode(t, 'bootini/wrapped-line');
      assert.equal(d.severity, ERROR);
      const fixed = applyFix(t, d);
      assert.match(fixed, /\/fastdetect \/basevideo \/sos/);
      assert.deepEqual(check(fixed), []);
    });
    it('a description wrapped onto the next line', () => {
      const t = xp(`${XP}="Windows NT`, 'Server Version 4.00" /3GB');
      const [d] = withCode(t, 'bootini/wrapped-line');
      assert.equal(d.range.start.line, 6);
      const [q] = withCode(t, 'bootini/unterminated-quote');
      assert.deepEqual(check(applyFix(t, q)), []);
    });
    it('header and entry on one line', () => {
      const t = ini('[boot loader]', 'timeout=30', `default=${XP}`, `[operating systems] ${XP}="XP"`);
      const ds = withCode(t, 'bootini/wrapped-line');
      assert.equal(ds.length, 1);
      assert.deepEqual(check(applyFix(t, ds[0])), []);
    });
    it('an ordinary next entry after a missing quote is not a wrapped line', () => {
      const t = xp(`${XP}="No close`, `${XP}="Next" /sos`);
      assert.deepEqual(withCode(t, 'bootini/wrapped-line'), []);
    });
  });

  describe('bootini/timeout-range', () => {
    it('out of range and non-numeric are warnings; 0 with several entries is information', () => {
      const mk = (v: string) => ini('[boot loader]', `timeout=${v}`, `default=${XP}`, '[operating systems]', `${XP}="a"`, `${XP}="b" /sos`);
      assert.equal(withCode(mk('5000'), 'bootini/timeout-range')[0].severity, WARNING);
      assert.equal(withCode(mk('-5'), 'bootini/timeout-range')[0].severity, WARNING);
      assert.equal(withCode(mk('thirty'), 'bootini/timeout-range')[0].severity, WARNING);
      assert.equal(withCode(mk('0'), 'bootini/timeout-range')[0].severity, INFO);
      assert.deepEqual(withCode(mk('-1'), 'bootini/timeout-range'), []);
      assert.deepEqual(withCode(mk('30'), 'bootini/timeout-range'), []);
      assert.deepEqual(withCode(mk(' 999'), 'bootini/timeout-range'), []);
    });
  });

  describe('bootini/duplicate-key', () => {
    it('a repeated [boot loader] key, with a remove fix', () => {
      const t = ini('[boot loader]', 'timeout=30', 'timeout=10', `default=${XP}`, '[operating systems]', `${XP}="a"`);
      const [d] = withCode(t, 'bootini/duplicate-key');
      assert.equal(d.range.start.line, 2);
      assert.deepEqual(check(applyFix(t, d)), []);
    });
    it('identical entry lines are duplicates; same path with other switches is normal', () => {
      assert.equal(withCode(xp(`${XP}="Microsoft Windows XP Professional" /FASTDETECT`), 'bootini/duplicate-key').length, 1);
      assert.deepEqual(withCode(xp(`${XP}="Microsoft Windows XP Professional [VGA mode]" /basevideo /sos`), 'bootini/duplicate-key'), []);
    });
  });

  describe('bootini/missing-section', () => {
    it('no [operating systems]: error; fix inserts the header above the entries', () => {
      const t = ini('[boot loader]', 'timeout=30', `default=${XP}`, `${XP}="a"`);
      const err = withCode(t, 'bootini/missing-section').find((d) => d.severity === ERROR)!;
      // The entry line sits inside [boot loader]; NTLDR sees no OS section.
      assert.equal(err.range.start.line, 3);
      assert.deepEqual(check(applyFix(t, err)), []);
    });
    it('entries with no header at all: error with a fix that makes the file clean', () => {
      const t = ini(`${XP}="a"`);
      const e = withCode(t, 'bootini/missing-section').find((d) => d.severity === ERROR)!;
      const fixed = applyFix(t, e);
      const w = withCode(fixed, 'bootini/missing-section');
      assert.equal(w.length, 1);
      assert.equal(w[0].severity, WARNING);
      assert.deepEqual(check(applyFix(fixed, w[0])), []);
    });
    it('aliases [flexboot] and [multiboot] count as [boot loader], headers are case-insensitive', () => {
      for (const h of ['[flexboot]', '[multiboot]', '[Boot Loader]']) {
        assert.deepEqual(check(ini(h, 'timeout=30', `default=${XP}`, '[Operating Systems]', `${XP}="a"`)), [], h);
      }
    });
  });

  describe('bootini/unknown-section and others', () => {
    it('[boot loaders] is unknown with a rename fix', () => {
      const t = ini('[boot loaders]', 'timeout=30', `default=${XP}`, '[operating systems]', `${XP}="a"`);
      const [d] = withCode(t, 'bootini/unknown-section');
      assert.equal(fixesOf(d)[0].edits[0].newText, 'boot loader');
      assert.deepEqual(check(applyFix(t, d)), []);
    });
    it('a ; line in [operating systems] is a menu item (warning), in [boot loader] harmless (information)', () => {
      const t = ini('[boot loader]', '; comment', 'timeout=30', `default=${XP}`, '[operating systems]', '; not a comment', `${XP}="a"`);
      const ds = withCode(t, 'bootini/comment-syntax');
      assert.deepEqual(ds.map((d) => [d.range.start.line, d.severity]), [[1, INFO], [5, WARNING]]);
    });
    it('more than 10 entries', () => {
      const many = Array.from({ length: 11 }, (_, i) => `${XP}="e${i}" /sos`);
      const ds = withCode(xp(...many), 'bootini/too-many-entries');
      assert.equal(ds.length, 1);
      assert.equal(ds[0].range.start.line, 4 + 10);
    });
    it('long titles: cut after ~70 characters; the [debugger enabled] tag dropped earlier', () => {
      const long = 'L'.repeat(71);
      assert.equal(withCode(xp(`${XP}="${long}" /sos`), 'bootini/title-length')[0].severity, INFO);
      const mid = 'M'.repeat(60);
      assert.equal(withCode(xp(`${XP}="${mid}" /debug /debugport=com1 /baudrate=115200`), 'bootini/title-length').length, 1);
      assert.deepEqual(withCode(xp(`${XP}="${mid}" /sos`), 'bootini/title-length'), []);
    });
    it('a byte-order mark hides the first header', () => {
      assert.equal(withCode('\uFEFF' + xp(), 'bootini/encoding').length, 1);
    });
    it('an entry placed in [boot loader] is reported as never shown', () => {
      const t = ini('[boot loader]', 'timeout=30', `default=${XP}`, `${XP}="lost"`, '[operating systems]', `${XP}="a"`);
      const [d] = withCode(t, 'bootini/unknown-key');
      assert.equal(d.range.start.line, 3);
      assert.match(msg(d), /Move it below \[operating systems\]/);
    });
    it('the undocumented [debug] section is tolerated', () => {
      assert.deepEqual(check(xp('[debug]', '/debug /debugport=com2', 'scsidebug=1')), []);
    });
    it('keys are matched by prefix like NTLDR does: timeoutx= is read as timeout=', () => {
      const t = ini('[boot loader]', 'timeoutx=30', `default=${XP}`, '[operating systems]', `${XP}="a"`);
      const [d] = withCode(t, 'bootini/unknown-key');
      assert.match(msg(d), /reads "timeoutx" as timeout=/);
      assert.equal(fixesOf(d)[0].edits[0].newText, 'timeout');
    });
    it('unknown [boot loader] keys and invalid redirect values', () => {
      const t = ini('[boot loader]', 'timout=30', `default=${XP}`, 'redirect=COM9', 'redirectbaudrate=38400', '[operating systems]', `${XP}="a"`);
      assert.equal(withCode(t, 'bootini/unknown-key').length, 1);
      assert.equal(withCode(t, 'bootini/invalid-key-value').length, 2);
    });
    it('a U-Boot script named boot.ini is left alone', () => {
      const ds = check('ODROIDXU-UBOOT-CONFIG\nsetenv bootargs "console=ttySAC2,115200n8"\nboot\n');
      assert.deepEqual(ds.map((d) => [d.code, d.severity]), [['bootini/not-ntldr', INFO]]);
      assert.deepEqual(check(''), []);
    });
  });
});
