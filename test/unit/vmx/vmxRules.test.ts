import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DiagnosticSeverity } from 'vscode-languageserver-types';
import { applyFix, diagnose, lines, withCode } from './vmxTestUtil';
import { VMX_CODES } from '../../../language-server/vmx/vmxDiagnostic';

const BASE = lines('.encoding = "UTF-8"', 'config.version = "8"', 'virtualHW.version = "4"', 'guestOS = "winNetStandard"', 'memsize = "512"');
const SCSI = lines('scsi0.present = "TRUE"', 'scsi0.virtualDev = "lsilogic"');
const NIC = lines('ethernet0.present = "TRUE"', 'ethernet0.virtualDev = "vlance"', 'ethernet0.connectionType = "bridged"');

test('every diagnostic has a stable code from the table and source bootdbg', () => {
  const ds = diagnose(BASE + 'memsize 12\nguestOS = "winxp"\nserial0.present = "TRUE"\nserial0.fileType = "pipe"\n' + NIC);
  assert.ok(ds.length >= 4);
  for (const d of ds) {
    assert.equal(d.source, 'bootdbg');
    assert.ok((VMX_CODES as readonly string[]).includes(String(d.code)), String(d.code));
    assert.ok(d.message.length > 30, d.message);
  }
});

test('a clean legacy iSCSI VM has no diagnostics', () => {
  assert.deepEqual(diagnose(BASE + SCSI + NIC), []);
});

test('vmx/syntax: weird lines are errors with a fix; fixed text parses', () => {
  const text = BASE + 'displayName = "XP\n';
  const [d] = withCode(text, 'vmx/syntax');
  assert.equal(d.severity, DiagnosticSeverity.Error);
  assert.match(d.message, /closing quote/);
  assert.deepEqual(withCode(applyFix(text, 'vmx/syntax'), 'vmx/syntax'), []);
  const spaced = BASE + 'scsi0:0.fileName = c:\\my vms\\x.vmdk\n';
  assert.match(withCode(spaced, 'vmx/syntax')[0].message, /contains a space/);
  assert.match(applyFix(spaced, 'vmx/syntax'), /scsi0:0.fileName = "c:\\my vms\\x.vmdk"/);
  assert.deepEqual(withCode(BASE + 'displayName = "a b c" # fine\n', 'vmx/syntax'), []);
  assert.equal(withCode(BASE + 'guestOS2 = \u201Cx\u201D\n', 'vmx/syntax')[0].severity, DiagnosticSeverity.Warning);
});

test('vmx/escape and vmx/bom are warnings', () => {
  assert.equal(withCode(BASE + 'annotation = "a|b"\n', 'vmx/escape')[0].severity, DiagnosticSeverity.Warning);
  assert.deepEqual(withCode(BASE + 'annotation = "a|7Cb|0A"\n', 'vmx/escape'), []);
  assert.equal(withCode('\uFEFF' + BASE, 'vmx/bom').length, 1);
  assert.equal(applyFix('\uFEFF' + BASE, 'vmx/bom'), BASE);
});

test('vmx/duplicate-key: case-insensitive, error on the later line, fixes keep either', () => {
  const text = BASE + 'msg.autoAnswer = "TRUE"\nMSG.AUTOANSWER = "FALSE"\n';
  const [d] = withCode(text, 'vmx/duplicate-key');
  assert.equal(d.severity, DiagnosticSeverity.Error);
  assert.equal(d.range.start.line, 6);
  assert.match(d.message, /line 6/);
  assert.equal(applyFix(text, 'vmx/duplicate-key'), BASE + 'msg.autoAnswer = "TRUE"\n');
  assert.equal(applyFix(text, 'vmx/duplicate-key', 'Keep this value'), BASE + 'MSG.AUTOANSWER = "FALSE"\n');
  assert.deepEqual(withCode(BASE + 'msg.autoAnswer = "TRUE"\n', 'vmx/duplicate-key'), []);
});

test('vmx/unknown-key: information with "did you mean" by edit distance', () => {
  const text = BASE + 'ethernet0.virtualDevv = "e1000"\n';
  const [d] = withCode(text, 'vmx/unknown-key');
  assert.equal(d.severity, DiagnosticSeverity.Information);
  assert.match(d.message, /did you mean "ethernet0.virtualDev"/);
  assert.match(applyFix(text, 'vmx/unknown-key'), /^ethernet0\.virtualDev = "e1000"$/m);
  assert.match(withCode(BASE + 'ethernt1.present = "TRUE"\n', 'vmx/unknown-key')[0].message, /ethernet1\.present/);
  assert.match(withCode(BASE + 'memsise = "4"\n', 'vmx/unknown-key')[0].message, /memsize/);
  assert.match(withCode(BASE + 'frobnicate.all = "1"\n', 'vmx/unknown-key')[0].message, /not a key BootDbg knows/);
  // Known from the table, from real VMware-written files, or in an undocumented namespace: silent.
  assert.deepEqual(withCode(BASE + 'vmotion.checkpointFBSize = "4194304"\nguestinfo.foo.bar = "x"\nSCSI0:0.REDO = ""\n', 'vmx/unknown-key'), []);
});

test('vmx/invalid-value: booleans, enums (closest member as fix), integers, patterns', () => {
  const nic = BASE + SCSI + 'ethernet0.present = "TRUE"\nethernet0.virtualDev = "e1000E "\n';
  const [d] = withCode(nic, 'vmx/invalid-value');
  assert.equal(d.severity, DiagnosticSeverity.Error);
  assert.match(d.message, /surrounding spaces/);
  assert.match(applyFix(nic, 'vmx/invalid-value'), /ethernet0.virtualDev = "e1000e"/);
  const vmxnet2 = withCode(BASE + 'ethernet0.virtualDev = "vmxnet2"\n', 'vmx/invalid-value')[0];
  assert.match(vmxnet2.message, /Valid values: vlance, vmxnet, vmxnet3, e1000, e1000e/);
  assert.match(withCode(BASE + 'scsi0.virtualDev = "lsilogik"\n', 'vmx/invalid-value')[0].message, /Did you mean "lsilogic"/);
  assert.match(applyFix(BASE + 'serial0.fileType = "pipes"\n', 'vmx/invalid-value'), /serial0.fileType = "pipe"/);
  const bool = withCode(BASE + 'scsi0.present = "yes"\n', 'vmx/invalid-value')[0];
  assert.equal(bool.severity, DiagnosticSeverity.Warning);
  assert.match(applyFix(BASE + 'scsi0.present = yes\n', 'vmx/invalid-value'), /scsi0.present = "TRUE"/);
  assert.match(withCode(BASE.replace('"4"', '"2"'), 'vmx/invalid-value')[0].message, /at least 3/);
  assert.match(withCode(BASE + 'bios.bootOrder = "ethernet0,floppy,usb"\n', 'vmx/invalid-value')[0].message, /form/);
  // Case-insensitive values, as libvirt and VMware compare them.
  assert.deepEqual(withCode(BASE + 'SCSI0.VIRTUALDEV = "LSILOGIC"\nscsi0.present = "true"\nbios.bootOrder = "ethernet0,hdd"\nbios.hddOrder = "scsi0:0,ide0:0"\n', 'vmx/invalid-value'), []);
  // A static MAC outside VMware's range is accepted once checkMACAddress is off.
  const mac = BASE + 'ethernet0.addressType = "static"\nethernet0.address = "52:54:00:12:34:56"\n';
  assert.equal(withCode(mac, 'vmx/invalid-value').length, 1);
  assert.deepEqual(withCode(mac + 'ethernet0.checkMACAddress = "FALSE"\n', 'vmx/invalid-value'), []);
});

test('vmx/memsize: multiple of 4, minimum, whole number', () => {
  const text = BASE.replace('"512"', '"255"');
  const [d] = withCode(text, 'vmx/memsize');
  assert.equal(d.severity, DiagnosticSeverity.Error);
  assert.match(d.message, /Memory size 255 not a multiple of 4/);
  assert.match(applyFix(text, 'vmx/memsize'), /memsize = "252"/);
  assert.match(applyFix(text, 'vmx/memsize', '256'), /memsize = "256"/);
  assert.equal(withCode(BASE.replace('"512"', '"2"'), 'vmx/memsize').length, 1);
  assert.equal(withCode(BASE.replace('"512"', '"1GB"'), 'vmx/memsize').length, 1);
  assert.deepEqual(withCode(BASE.replace('memsize = "512"', 'memSize = "4096"'), 'vmx/memsize'), []);
});

test('vmx/unknown-guestos: VMware\'s own table, case-insensitive, aliases accepted', () => {
  const text = BASE.replace('winNetStandard', 'winXPpro64');
  const [d] = withCode(text, 'vmx/unknown-guestos');
  assert.equal(d.severity, DiagnosticSeverity.Error);
  assert.match(d.message, /not supported/);
  assert.match(d.message, /winXPPro-64/);
  assert.match(applyFix(text, 'vmx/unknown-guestos'), /guestOS = "winXPPro-64"/);
  const prefix = withCode(BASE.replace('winNetStandard', 'winxp'), 'vmx/unknown-guestos')[0];
  assert.deepEqual((prefix.data as { fixes: { title: string }[] }).fixes.map((f) => f.title), ['Change to "winXPHome"', 'Change to "winXPPro"', 'Change to "winXPPro-64"']);
  for (const ok of ['winxppro', 'nt4', 'windows9-64', 'RHEL5', 'other26xlinux']) assert.deepEqual(withCode(BASE.replace('winNetStandard', ok), 'vmx/unknown-guestos'), [], ok);
});

test('vmx/iscsi-nic-slot: NIC without SCSI controller explains 00:10.0 vs 00:11.0 and adds scsi0', () => {
  const text = BASE + 'bios.bootOrder = "ethernet0"\n' + NIC;
  const [d] = withCode(text, 'vmx/iscsi-nic-slot');
  assert.equal(d.severity, DiagnosticSeverity.Warning);
  assert.match(d.message, /00:10\.0 instead of 00:11\.0/);
  assert.match(d.message, /0x7B INACCESSIBLE_BOOT_DEVICE/);
  assert.equal(d.range.start.line, 6); // on ethernet0.present
  const fixed = applyFix(text, 'vmx/iscsi-nic-slot');
  assert.match(fixed, /scsi0\.present = "TRUE"\nethernet0\.present/);
  assert.deepEqual(withCode(fixed, 'vmx/iscsi-nic-slot'), []);
  // An explicit scsi0.present = "FALSE" is flipped rather than duplicated.
  const off = BASE + 'scsi0.present = "FALSE"\n' + NIC;
  assert.equal(withCode(off, 'vmx/iscsi-nic-slot').length, 1);
  assert.match(applyFix(off, 'vmx/iscsi-nic-slot'), /scsi0\.present = "TRUE"/);
  assert.deepEqual(withCode(applyFix(off, 'vmx/iscsi-nic-slot'), 'vmx/duplicate-key'), []);
  // Negatives: SCSI present, no NIC, NIC absent, or NIC slot pinned.
  assert.deepEqual(withCode(BASE + SCSI + NIC, 'vmx/iscsi-nic-slot'), []);
  assert.deepEqual(withCode(BASE, 'vmx/iscsi-nic-slot'), []);
  assert.deepEqual(withCode(BASE + 'ethernet0.present = "FALSE"\n', 'vmx/iscsi-nic-slot'), []);
  assert.deepEqual(withCode(BASE + NIC + 'ethernet0.pciSlotNumber = "17"\n', 'vmx/iscsi-nic-slot'), []);
  // A VM that boots from its own IDE disk only gets a note.
  const ideDisk = BASE + NIC + 'ide0:0.present = "TRUE"\nide0:0.fileName = "xp.vmdk"\n';
  assert.equal(withCode(ideDisk, 'vmx/iscsi-nic-slot')[0].severity, DiagnosticSeverity.Information);
  // HW7+: the same shift, one level down behind the bridge.
  assert.match(withCode(BASE.replace('"4"', '"7"') + NIC, 'vmx/iscsi-nic-slot')[0].message, /slot 32 instead of 33/);
});

test('vmx/serial-kd: pipe set up for kernel debugging that cannot work', () => {
  const PIPE = lines('serial0.present = "TRUE"', 'serial0.fileType = "pipe"', 'serial0.fileName = "\\\\.\\pipe\\com_1"');
  const good = BASE + SCSI + PIPE + lines('serial0.pipe.endPoint = "server"', 'serial0.tryNoRxLoss = "TRUE"', 'serial0.yieldOnMsrRead = "TRUE"');
  assert.deepEqual(withCode(good, 'vmx/serial-kd'), []);
  // No endPoint: warning + fix adds "server".
  const noEnd = BASE + PIPE + lines('serial0.tryNoRxLoss = "TRUE"', 'serial0.yieldOnMsrRead = "TRUE"');
  const [d] = withCode(noEnd, 'vmx/serial-kd');
  assert.equal(d.severity, DiagnosticSeverity.Warning);
  assert.match(d.message, /pipe\.endPoint/);
  const fixed = applyFix(noEnd, 'vmx/serial-kd');
  assert.match(fixed, /serial0\.pipe\.endPoint = "server"/);
  assert.deepEqual(withCode(fixed, 'vmx/serial-kd'), []);
  // tryNoRxLoss advice (information) and yieldOnMsrRead (hint).
  const advice = withCode(BASE + PIPE + 'serial0.pipe.endPoint = "server"\n', 'vmx/serial-kd');
  assert.deepEqual(advice.map((x) => x.severity).sort(), [DiagnosticSeverity.Information, DiagnosticSeverity.Hint]);
  assert.ok(advice.some((x) => /other end is an application/.test(x.message)));
  // Doubled backslashes, missing fileName, port not present, disconnected at power-on.
  const doubled = good.replace('\\\\.\\pipe\\com_1', '\\\\\\\\.\\\\pipe\\\\com_1');
  assert.match(withCode(doubled, 'vmx/serial-kd')[0].message, /doubled backslashes/);
  assert.ok(applyFix(doubled, 'vmx/serial-kd').includes('serial0.fileName = "\\\\.\\pipe\\com_1"'));
  assert.match(withCode(good.replace(/serial0.fileName.*\n/, ''), 'vmx/serial-kd')[0].message, /without serial0.fileName/);
  assert.match(withCode(good.replace('serial0.present = "TRUE"', 'serial0.present = "FALSE"'), 'vmx/serial-kd')[0].message, /no COM1/);
  assert.match(withCode(good + 'serial0.startConnected = "FALSE"\n', 'vmx/serial-kd')[0].message, /starts disconnected/);
  // Not a debugging port: a ThinPrint printer or a plain file is left alone.
  assert.deepEqual(withCode(BASE + 'serial0.present = "TRUE"\nserial0.fileType = "thinprint"\n', 'vmx/serial-kd'), []);
});

test('vmx/device-index and vmx/ignored-key', () => {
  assert.match(withCode(BASE + 'serial4.present = "TRUE"\n', 'vmx/device-index')[0].message, /serial0–serial3/);
  assert.match(withCode(BASE + SCSI + 'scsi0:7.present = "TRUE"\n', 'vmx/device-index')[0].message, /controller's own ID/);
  assert.equal(withCode(BASE + SCSI + 'scsi0:20.present = "TRUE"\n', 'vmx/device-index').length, 1);
  assert.deepEqual(withCode(BASE.replace('"4"', '"13"') + SCSI + 'scsi0:20.present = "TRUE"\n', 'vmx/device-index'), []);
  const ignored = withCode(BASE + 'floppy0.present = "FALSE"\nfloppy0.fileName = "a.flp"\n', 'vmx/ignored-key');
  assert.equal(ignored.length, 1);
  assert.equal(ignored[0].severity, DiagnosticSeverity.Hint);
  assert.deepEqual(withCode(BASE + 'floppy0.present = "TRUE"\nfloppy0.fileName = "a.flp"\n', 'vmx/ignored-key'), []);
  assert.equal(withCode(BASE + SCSI + 'scsi0:1.present = "FALSE"\nscsi0:1.fileName = "b.vmdk"\nscsi0:0.fileName = "a.vmdk"\n', 'vmx/ignored-key').length, 1, 'per unit');
});

test('every code in the table is produced by some document (codes are stable and reachable)', () => {
  const docs = [
    BASE + 'memsize 12\n', // syntax
    BASE + 'annotation = "a|b"\n', // escape
    '\uFEFF' + BASE, // bom
    BASE + 'memsize = "512"\n', // duplicate-key
    BASE + 'memsise = "4"\n', // unknown-key
    BASE + 'serial4.present = "TRUE"\n', // device-index
    BASE + 'floppy0.present = "FALSE"\nfloppy0.fileName = "a.flp"\n', // ignored-key
    BASE + 'scsi0.virtualDev = "x"\n', // invalid-value
    BASE.replace('"512"', '"510"'), // memsize
    BASE.replace('winNetStandard', 'winXX'), // unknown-guestos
    BASE + NIC, // iscsi-nic-slot
    BASE + 'serial0.present = "TRUE"\nserial0.fileType = "pipe"\n', // serial-kd
    BASE + 'nvme0.present = "TRUE"\n', // hw-version
    BASE + 'ethernet0.addressType = "static"\n', // requires
    'versioninfo\n{\n}\n', // not-vmware
  ];
  const seen = new Set(docs.flatMap((d) => diagnose(d).map((x) => String(x.code))));
  assert.deepEqual([...VMX_CODES].filter((c) => !seen.has(c)), []);
});

test('vmx/hw-version: devices newer than the virtual hardware', () => {
  const text = BASE + SCSI + 'ethernet0.present = "TRUE"\nethernet0.virtualDev = "vmxnet3"\n';
  const [d] = withCode(text, 'vmx/hw-version');
  assert.equal(d.severity, DiagnosticSeverity.Warning);
  assert.match(d.message, /VMXNET3 NIC needs virtual hardware 7 or later \(ESX\/ESXi 4\.x.*this VM is hardware 4 \(ESX 3\.x/);
  assert.match(applyFix(text, 'vmx/hw-version'), /virtualHW.version = "7"/);
  assert.deepEqual(withCode(applyFix(text, 'vmx/hw-version'), 'vmx/hw-version'), []);
  assert.equal(withCode(BASE + 'nvme0.present = "TRUE"\nsata0.present = "TRUE"\nfirmware = "efi"\n', 'vmx/hw-version').length, 3);
  assert.deepEqual(withCode(BASE + 'nvme0.present = "FALSE"\nethernet0.virtualDev = "vlance"\n', 'vmx/hw-version'), []);
  assert.deepEqual(withCode(BASE.replace('"4"', '"13"') + 'nvme0.present = "TRUE"\n', 'vmx/hw-version'), []);
});

test('vmx/requires: settings that need a companion key', () => {
  assert.match(withCode(BASE + 'ethernet0.connectionType = "custom"\n', 'vmx/requires')[0].message, /ethernet0\.vnet/);
  assert.deepEqual(withCode(BASE + 'ethernet0.connectionType = "custom"\nethernet0.vnet = "VMnet2"\n', 'vmx/requires'), []);
  assert.match(withCode(BASE + 'ethernet0.addressType = "static"\n', 'vmx/requires')[0].message, /ethernet0\.address/);
  assert.match(withCode(BASE + 'bios.bootOrder = "ethernet0,hdd"\n', 'vmx/requires')[0].message, /bios\.hddOrder/);
  assert.deepEqual(withCode(BASE + 'bios.bootOrder = "ethernet0,hdd"\nbios.hddOrder = "scsi0:0"\n', 'vmx/requires'), []);
  const cores = withCode(BASE + 'numvcpus = "6"\ncpuid.coresPerSocket = "4"\n', 'vmx/requires');
  assert.equal(cores[0].severity, DiagnosticSeverity.Error);
  assert.deepEqual(withCode(BASE + 'numvcpus = "8"\ncpuid.coresPerSocket = "4"\n', 'vmx/requires'), []);
});

test('vmx/not-vmware: a Valve Hammer map backup named .vmx is not checked', () => {
  const hammer = ['versioninfo', '{', '\t"editorversion" "400"', '\t"editorbuild" "6440"', '\t"mapversion" "1"', '}', 'world', '{', '\t"id" "1"', '}'].join('\n');
  const ds = diagnose(hammer);
  assert.deepEqual(ds.map((d) => d.code), ['vmx/not-vmware']);
  assert.equal(ds[0].severity, DiagnosticSeverity.Information);
  // A broken but real VMware file is still checked (marker key present).
  assert.ok(diagnose('config.version = "8"\nfoo\nbar\nbaz\n').every((d) => d.code === 'vmx/syntax'));
  assert.deepEqual(diagnose(''), []);
});

test('quick fixes insert lines with the document\'s own line breaks (CRLF, LF, CR)', () => {
  for (const eol of ['\r\n', '\n', '\r']) {
    const text = ['config.version = "8"', 'virtualHW.version = "4"', 'ethernet0.present = "TRUE"', ''].join(eol);
    assert.equal(applyFix(text, 'vmx/iscsi-nic-slot'), ['config.version = "8"', 'virtualHW.version = "4"', 'scsi0.present = "TRUE"', 'ethernet0.present = "TRUE"', ''].join(eol), JSON.stringify(eol));
  }
});
