/** The cross-file checks through the registered boot.ini language (real boot.ini parser, fake workspace). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS } from '../../../language-server/languageFeatures';
import type { KdLaunchConfig, WorkspaceContext } from '../../../language-server/languageFeatures';
import { featuresFor } from '../../../language-server/languages';
import { bootIniDebugSettings } from '../../../language-server/crossFile/bootIniCrossFile';
import { parseBootIni } from '../../../language-server/bootini/parser';

const XP = 'multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS';
const bootIni = (switches: string): string =>
  ['[boot loader]', 'timeout=30', `default=${XP}`, '[operating systems]', `${XP}="Windows XP" /fastdetect`, `${XP}="Windows XP debug" /fastdetect ${switches}`, ''].join('\r\n');
const THINPRINT_AND_PIPE = ['config.version = "8"', 'serial0.present = "TRUE"', 'serial0.fileType = "thinprint"', 'serial1.present = "TRUE"', 'serial1.fileType = "pipe"', 'serial1.fileName = "\\\\.\\pipe\\com_2"', 'serial1.pipe.endPoint = "server"', ''].join('\r\n');

function ctx(files: Record<string, string>, configs: KdLaunchConfig[] = []): WorkspaceContext {
  return {
    readText: (u) => files[u],
    siblings: (u) => Object.keys(files).filter((f) => f !== u && f.slice(0, f.lastIndexOf('/')) === u.slice(0, u.lastIndexOf('/'))),
    kdLaunchConfigs: () => configs,
    settings: DEFAULT_SETTINGS,
  };
}

test('debug settings read from the boot.ini parser: only debugger-enabled entries, with switch ranges', () => {
  const text = bootIni('/debug /debugport=COM1 /baudrate=115200');
  const [s, ...rest] = bootIniDebugSettings(parseBootIni(text));
  assert.equal(rest.length, 0);
  assert.equal(s.debugPort, 'COM1');
  assert.equal(s.baudRate, 115200);
  assert.equal(s.lineRange.start.line, 5);
  const line = text.split('\r\n')[5];
  assert.equal(line.slice(s.debugPortRange!.start.character, s.debugPortRange!.end.character), '/debugport=COM1');
  assert.equal(line.slice(s.baudRateRange!.start.character, s.baudRateRange!.end.character), '/baudrate=115200');
  assert.deepEqual(bootIniDebugSettings(parseBootIni(bootIni('/debug /nodebug'))), []);
});

test('boot.ini diagnostics include the .vmx check and its fix (ThinPrint on serial0, pipe on serial1)', () => {
  const lang = featuresFor('boot-ini')!;
  const uri = 'file:///lab/xp/boot.ini';
  const text = bootIni('/debug /debugport=com1 /baudrate=115200');
  const input = { uri, text, ctx: ctx({ [uri]: text, 'file:///lab/xp/XP.vmx': THINPRINT_AND_PIPE }) };
  const ds = lang.diagnostics(input);
  const cross = ds.filter((d) => d.code === 'crossfile/vmx-serial');
  assert.equal(cross.length, 1, JSON.stringify(ds.map((d) => d.code)));
  assert.match(String(cross[0].message), /ThinPrint/);
  const actions = lang.codeActions!(input, cross[0].range, cross);
  const fix = actions.find((a) => a.title.startsWith('Use /debugport=com2'));
  assert.ok(fix, actions.map((a) => a.title).join(' | '));
  assert.equal(fix.edit!.changes![uri][0].newText, '/debugport=com2');
  // Fixed: no cross-file diagnostic left.
  const fixed = bootIni('/debug /debugport=com2 /baudrate=115200');
  assert.deepEqual(lang.diagnostics({ ...input, text: fixed }).filter((d) => String(d.code).startsWith('crossfile/')), []);
});

test('boot.ini /baudrate against windows-kd launch configurations; invalid rates are left to the boot.ini rules', () => {
  const lang = featuresFor('boot-ini')!;
  const uri = 'file:///lab/xp/boot.ini';
  const cfg: KdLaunchConfig = { name: 'XP', port: 'COM1', baudRate: 115200, uri: 'file:///lab/.vscode/launch.json' };
  const run = (switches: string): string[] => lang.diagnostics({ uri, text: bootIni(switches), ctx: ctx({}, [cfg]) }).map((d) => String(d.code));
  assert.ok(run('/debug /debugport=com1 /baudrate=57600').includes('crossfile/kd-baudrate'));
  assert.ok(!run('/debug /debugport=com1 /baudrate=115200').includes('crossfile/kd-baudrate'));
  const invalid = run('/debug /debugport=com1 /baudrate=12345');
  assert.ok(!invalid.includes('crossfile/kd-baudrate') && invalid.includes('bootini/invalid-switch-value'));
});

test('the registry serves .vmx', () => {
  assert.equal(featuresFor('vmx')?.languageId, 'vmx');
});
