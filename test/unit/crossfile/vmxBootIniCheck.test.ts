/** The .vmx side of the boot.ini check, through the registered vmx language with a fake workspace. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DiagnosticSeverity } from 'vscode-languageserver-types';
import { DEFAULT_SETTINGS } from '../../../language-server/languageFeatures';
import type { WorkspaceContext } from '../../../language-server/languageFeatures';
import { featuresFor } from '../../../language-server/languages';
import { applyEdits } from '../vmx/vmxTestUtil';

const XP = 'multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS';
const bootIni = (switches: string): string => ['[boot loader]', 'timeout=30', `default=${XP}`, '[operating systems]', `${XP}="Windows XP debug" /fastdetect ${switches}`, ''].join('\r\n');
const VMX_URI = 'file:///lab/xp/xp.vmx';
const BOOT_URI = 'file:///lab/xp/boot.ini';
const vmx = (...l: string[]): string => ['config.version = "8"', 'virtualHW.version = "4"', 'guestOS = "winXPPro"', ...l, ''].join('\r\n');

function ctx(files: Record<string, string>): WorkspaceContext {
  return {
    readText: (u) => files[u],
    siblings: (u) => Object.keys(files).filter((f) => f !== u && f.slice(0, f.lastIndexOf('/')) === u.slice(0, u.lastIndexOf('/'))),
    kdLaunchConfigs: () => [],
    settings: DEFAULT_SETTINGS,
  };
}

function run(vmxText: string, boot?: string) {
  const files: Record<string, string> = { [VMX_URI]: vmxText };
  if (boot !== undefined) files[BOOT_URI] = boot;
  const input = { uri: VMX_URI, text: vmxText, ctx: ctx(files) };
  const lang = featuresFor('vmx')!;
  const ds = lang.diagnostics(input).filter((d) => d.code === 'vmx/serial-kd' && /boot\.ini/.test(String(d.message)));
  return { ds, input, lang };
}

test('boot.ini debugs over COM1 and the VM has no serial0: warning with a fix that adds a kernel-debug pipe', () => {
  const { ds, input, lang } = run(vmx(), bootIni('/debug /debugport=com1 /baudrate=115200'));
  assert.equal(ds.length, 1);
  assert.equal(ds[0].severity, DiagnosticSeverity.Warning);
  assert.match(String(ds[0].message), /COM1, which is serial0 here, but the VM has no such port/);
  const [fix] = lang.codeActions!(input, ds[0].range, ds);
  assert.equal(fix.title, 'Add serial0 as a named pipe for the kernel debugger');
  const fixed = applyEdits(input.text, fix.edit!.changes![VMX_URI]);
  assert.match(fixed, /serial0\.fileName = "\\\\\.\\pipe\\com_1"\r\nserial0\.pipe\.endPoint = "server"\r\n/);
  // The fixed VM is clean: no cross-file warning, no serial advice left.
  const after = featuresFor('vmx')!.diagnostics({ ...input, text: fixed, ctx: ctx({ [VMX_URI]: fixed, [BOOT_URI]: bootIni('/debug /debugport=com1') }) });
  assert.deepEqual(after.filter((d) => d.code === 'vmx/serial-kd'), []);
});

test('ThinPrint on serial0 with /debugport=com1: reported on serial0.fileType; a pipe on COM1 or no debug entry: nothing', () => {
  const thin = run(vmx('serial0.present = "TRUE"', 'serial0.fileType = "thinprint"'), bootIni('/debug /debugport=com1'));
  assert.equal(thin.ds.length, 1);
  assert.match(String(thin.ds[0].message), /ThinPrint printer port/);
  assert.equal(thin.ds[0].range.start.line, 4);
  const pipe = vmx('serial0.present = "TRUE"', 'serial0.fileType = "pipe"', 'serial0.fileName = "\\\\.\\pipe\\com_1"', 'serial0.pipe.endPoint = "server"');
  assert.deepEqual(run(pipe, bootIni('/debug /debugport=com1')).ds, []);
  const other = run(pipe, bootIni('/debug /debugport=com2')).ds;
  assert.match(String(other[0].message), /serial0 is a pipe, the guest's COM1: either use \/debugport=com1 in boot\.ini or give serial1 a named pipe/);
  assert.deepEqual(run(vmx(), bootIni('/fastdetect')).ds, []);
  assert.deepEqual(run(vmx()).ds, [], 'no boot.ini next to the VM');
});

test('a pipe that is switched off is left to the .vmx rule (one warning, with its fix)', () => {
  const text = vmx('serial1.present = "FALSE"', 'serial1.fileType = "pipe"', 'serial1.fileName = "\\\\.\\pipe\\com_2"', 'serial1.pipe.endPoint = "server"');
  const { ds, input, lang } = run(text, bootIni('/debug /debugport=com2'));
  assert.deepEqual(ds, []);
  const own = lang.diagnostics(input).filter((d) => d.code === 'vmx/serial-kd');
  assert.equal(own.length, 1);
  assert.ok(lang.codeActions!(input, own[0].range, own).some((a) => a.title === 'Set serial1.present = "TRUE"'));
  // A file-backed serial1 is not a debug connection: the boot.ini check speaks.
  const file = vmx('serial1.present = "TRUE"', 'serial1.fileType = "file"', 'serial1.fileName = "kd.log"');
  assert.match(String(run(file, bootIni('/debug /debugport=com2')).ds[0].message), /serial1 is a file/);
});
