import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DiagnosticSeverity } from 'vscode-languageserver-types';
import type { Diagnostic, Range } from 'vscode-languageserver-types';
import { DEFAULT_SETTINGS } from '../../../language-server/languageFeatures';
import type { KdLaunchConfig, WorkspaceContext } from '../../../language-server/languageFeatures';
import { bootIniCrossFileDiagnostics, crossFileCodeActions } from '../../../language-server/crossFile/bootIniVmxCheck';
import type { BootIniDebugSetting } from '../../../language-server/crossFile/bootIniVmxCheck';

/** An in-memory workspace: files by URI; siblings = same folder. */
function workspace(files: Record<string, string>, configs: KdLaunchConfig[] = []): WorkspaceContext & { reads: string[] } {
  const reads: string[] = [];
  const folder = (uri: string): string => uri.slice(0, uri.lastIndexOf('/'));
  return {
    reads,
    readText: (uri) => {
      reads.push(uri);
      return files[uri];
    },
    siblings: (uri) => Object.keys(files).filter((u) => u !== uri && folder(u) === folder(uri)),
    kdLaunchConfigs: () => configs,
    settings: DEFAULT_SETTINGS,
  };
}

const BOOT = 'file:///lab/xp/boot.ini';
const VMX = 'file:///lab/xp/xp.vmx';
const r = (line: number, s: number, e: number): Range => ({ start: { line, character: s }, end: { line, character: e } });

/** `multi(0)disk(0)rdisk(0)partition(1)\WINDOWS="XP debug" /fastdetect /debug /debugport=com1 /baudrate=115200` on line 5. */
function entry(port: string | undefined, baud?: number): BootIniDebugSetting {
  return {
    lineRange: r(5, 0, 110),
    debugPort: port,
    debugPortRange: port === undefined ? undefined : r(5, 70, 70 + `/debugport=${port}`.length),
    baudRate: baud,
    baudRateRange: baud === undefined ? undefined : r(5, 90, 90 + `/baudrate=${baud}`.length),
  };
}

const PIPE0 = ['serial0.present = "TRUE"', 'serial0.fileType = "pipe"', 'serial0.fileName = "\\\\.\\pipe\\com_1"', 'serial0.pipe.endPoint = "server"'];
const THINPRINT0 = ['serial0.present = "TRUE"', 'serial0.fileType = "thinprint"'];
const PIPE1 = PIPE0.map((l) => l.replace('serial0', 'serial1').replace('com_1', 'com_2'));
const vmx = (...l: string[]): string => ['config.version = "8"', 'virtualHW.version = "4"', ...l].join('\r\n') + '\r\n';

function run(files: Record<string, string>, settings: BootIniDebugSetting[], configs: KdLaunchConfig[] = []): (Diagnostic & { message: string })[] {
  return bootIniCrossFileDiagnostics({ uri: BOOT, text: '', ctx: workspace({ [BOOT]: '', ...files }, configs) }, settings) as (Diagnostic & { message: string })[];
}

test('COM1 on a VM whose serial0 is a pipe: fine', () => {
  assert.deepEqual(run({ [VMX]: vmx(...PIPE0) }, [entry('com1', 115200)]), []);
  assert.deepEqual(run({ [VMX]: vmx(...PIPE0) }, [entry('COM1')]), [], 'port names are case-insensitive');
});

test('COM1 but serial0 is missing: warning on /debugport, suggests the pipe that exists (serial1 → COM2) with a fix', () => {
  const ds = run({ [VMX]: vmx(...PIPE1) }, [entry('com1', 115200)]);
  assert.equal(ds.length, 1);
  assert.equal(ds[0].code, 'crossfile/vmx-serial');
  assert.equal(ds[0].severity, DiagnosticSeverity.Warning);
  assert.equal(ds[0].source, 'bootdbg');
  assert.deepEqual(ds[0].range, r(5, 70, 85));
  assert.match(ds[0].message, /xp\.vmx serial0 \(the guest's COM1\) is not configured/);
  assert.match(ds[0].message, /use \/debugport=com2/);
  const [fix] = crossFileCodeActions(BOOT, ds);
  assert.equal(fix.title, 'Use /debugport=com2 (serial1 of xp.vmx)');
  assert.deepEqual(fix.edit!.changes![BOOT], [{ range: r(5, 70, 85), newText: '/debugport=com2' }]);
});

test('ThinPrint on serial0 (VMware Workstation default): COM1 is the printer, the pipe is COM2', () => {
  const ds = run({ [VMX]: vmx(...THINPRINT0, ...PIPE1) }, [entry('com1')]);
  assert.equal(ds.length, 1);
  assert.match(ds[0].message, /ThinPrint/);
  assert.match(ds[0].message, /com2/);
  assert.deepEqual(run({ [VMX]: vmx(...THINPRINT0, ...PIPE1) }, [entry('com2')]), []);
});

test('serial port present = FALSE, disconnected at power-on, or writing to a file', () => {
  const off = run({ [VMX]: vmx(...PIPE0.map((l) => l.replace('present = "TRUE"', 'present = "FALSE"'))) }, [entry('com1')]);
  assert.match(off[0].message, /not present/);
  const disconnected = run({ [VMX]: vmx(...PIPE0, 'serial0.startConnected = "FALSE"') }, [entry('com1')]);
  assert.equal(disconnected.length, 1);
  assert.match(disconnected[0].message, /starts disconnected/);
  const file = run({ [VMX]: vmx('serial0.present = "TRUE"', 'serial0.fileType = "file"', 'serial0.fileName = "kd.log"') }, [entry('com1')]);
  assert.equal(file[0].severity, DiagnosticSeverity.Information);
  assert.match(file[0].message, /no debugger can answer/);
});

test('no /debugport: NTLDR uses COM2 when it exists, else COM1', () => {
  assert.deepEqual(run({ [VMX]: vmx(...PIPE0) }, [entry(undefined)]), []);
  assert.deepEqual(run({ [VMX]: vmx(...PIPE0, ...PIPE1) }, [entry(undefined)]), []);
  const ds = run({ [VMX]: vmx(...THINPRINT0, 'serial1.present = "TRUE"', 'serial1.fileType = "thinprint"') }, [entry(undefined)]);
  assert.match(ds[0].message, /COM2 \(NTLDR's default without \/debugport\)/);
  assert.deepEqual(ds[0].range, r(5, 0, 110), 'reported on the entry line when there is no switch');
});

test('1394 / USB debugging on a VMware VM', () => {
  const ds = run({ [VMX]: vmx(...PIPE0) }, [entry('1394')]);
  assert.match(ds[0].message, /no IEEE 1394 controller/);
});

test('only .vmx siblings in the same folder are read; no .vmx → no VM check', () => {
  const ctx = workspace({ [BOOT]: '', 'file:///lab/other/x.vmx': vmx(), 'file:///lab/xp/notes.txt': 'serial0' });
  assert.deepEqual(bootIniCrossFileDiagnostics({ uri: BOOT, text: '', ctx }, [entry('com3')]), []);
  assert.deepEqual(ctx.reads, []);
  assert.deepEqual(run({}, [entry('com1')]), []);
  assert.deepEqual(run({ [VMX]: vmx() }, []), [], 'no debug entries, nothing to check');
});

test('launch configuration baud rate must match /baudrate (warning); missing /baudrate vs NTLDR default (information)', () => {
  const cfg: KdLaunchConfig = { name: 'XP over pipe', port: '\\\\.\\pipe\\com_1', baudRate: 115200, uri: 'file:///lab/.vscode/launch.json' };
  assert.deepEqual(run({ [VMX]: vmx(...PIPE0) }, [entry('com1', 115200)], [cfg]), []);
  const ds = run({ [VMX]: vmx(...PIPE0) }, [entry('com1', 57600)], [cfg]);
  assert.equal(ds.length, 1);
  assert.equal(ds[0].code, 'crossfile/kd-baudrate');
  assert.equal(ds[0].severity, DiagnosticSeverity.Warning);
  assert.deepEqual(ds[0].range, r(5, 90, 105));
  assert.match(ds[0].message, /\/baudrate=57600 does not match .*"XP over pipe" \(baudRate 115200\)/);
  assert.deepEqual(crossFileCodeActions(BOOT, ds)[0].edit!.changes![BOOT][0].newText, '/baudrate=115200');
  const missing = run({ [VMX]: vmx(...PIPE0) }, [entry('com1')], [cfg]);
  assert.equal(missing[0].severity, DiagnosticSeverity.Information);
  assert.match(missing[0].message, /NTLDR uses 19200/);
  // One of several configurations matching is enough.
  assert.deepEqual(run({}, [entry('com1', 57600)], [cfg, { ...cfg, name: 'other', baudRate: 57600 }]), []);
});

test('launch configuration port must be the VM\'s pipe (Windows names case-insensitive, relative VMware paths)', () => {
  const cfg: KdLaunchConfig = { name: 'XP', port: '\\\\.\\pipe\\COM_1', baudRate: 115200, uri: 'file:///lab/.vscode/launch.json' };
  assert.deepEqual(run({ [VMX]: vmx(...PIPE0) }, [entry('com1', 115200)], [cfg]), []);
  const ds = run({ [VMX]: vmx(...PIPE0) }, [entry('com1', 115200)], [{ ...cfg, port: '\\\\.\\pipe\\kd' }]);
  assert.equal(ds.length, 1);
  assert.equal(ds[0].code, 'crossfile/kd-port');
  assert.match(ds[0].message, /connects to "\\\\\.\\pipe\\kd", but xp\.vmx puts this COM port on "\\\\\.\\pipe\\com_1"/);
  const unix = vmx('serial0.present = "TRUE"', 'serial0.fileType = "pipe"', 'serial0.fileName = "com1.sock"', 'serial0.pipe.endPoint = "server"');
  assert.deepEqual(run({ [VMX]: unix }, [entry('com1', 115200)], [{ ...cfg, port: '/lab/xp/com1.sock' }]), []);
  assert.equal(run({ [VMX]: unix }, [entry('com1', 115200)], [{ ...cfg, port: '/tmp/com1.sock' }]).length, 1);
  // A host COM port or TCP in the launch config cannot be compared with the VM's pipe.
  assert.deepEqual(run({ [VMX]: vmx(...PIPE0) }, [entry('com1', 115200)], [{ ...cfg, port: 'COM3' }]), []);
});
