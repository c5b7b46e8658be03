import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompletionItemKind, InsertTextFormat, SymbolKind } from 'vscode-languageserver-types';
import type { CompletionItem, MarkupContent, TextEdit } from 'vscode-languageserver-types';
import { vmxFeatures } from '../../../language-server/vmx/vmxFeatures';
import { describePciSlot } from '../../../language-server/vmx/vmxHover';
import { applyEdits, input, lines } from './vmxTestUtil';

const DOC = lines(
  'config.version = "8"', //            0
  'virtualHW.version = "4"', //         1
  'ethernet0.present = "TRUE"', //      2
  'ethernet0.virtualDev = "e1000"', //  3
  'scsi0.present = "TRUE"', //          4
  'scsi0:0.present = "TRUE"', //        5
  'scsi0:0.fileName = "xp.vmdk"', //    6
  'guestOS = "winXPPro"', //            7
  'ethe', //                            8
  'serial1.fileType = pipe', //         9
  'ethernet0.pciSlotNumber = "33"', // 10
  '# a', //                            11
  '# b', //                            12
);

function complete(text: string, line: number, character: number): CompletionItem[] {
  return vmxFeatures.completions!(input(text), { line, character });
}

function labels(items: CompletionItem[]): string[] {
  return items.map((i) => i.label);
}

function hoverText(line: number, character: number): string {
  const h = vmxFeatures.hover!(input(DOC), { line, character });
  return h ? (h.contents as MarkupContent).value : '';
}

test('key completion: device families with the used index and the next free one, as snippets', () => {
  const items = complete(DOC, 8, 4);
  const l = labels(items);
  assert.ok(l.includes('ethernet1.present'));
  assert.ok(l.includes('ethernet0.connectionType'));
  assert.ok(!l.includes('ethernet0.present'), 'keys already set are not offered again');
  assert.ok(!l.includes('ethernet2.present'), 'only the next free index');
  assert.ok(l.includes('serial0.pipe.endPoint') && l.includes('serial1.pipe.endPoint'));
  assert.ok(l.includes('scsi0:1.fileName') && l.includes('scsi0:0.deviceType'));
  assert.ok(!l.includes('serial4.present') && !l.includes('scsi0:7.present'), 'index limits and the reserved SCSI unit 7 are respected');
  assert.ok(l.includes('ethernet1.') && l.includes('scsi0:1.'), 'device prefixes');
  const dev = items.find((i) => i.label === 'ethernet1.virtualDev')!;
  assert.equal(dev.insertTextFormat, InsertTextFormat.Snippet);
  assert.equal((dev.textEdit as TextEdit).newText, 'ethernet1.virtualDev = "${1|vlance,vmxnet,vmxnet3,e1000,e1000e|}"');
  assert.deepEqual((dev.textEdit as TextEdit).range, { start: { line: 8, character: 0 }, end: { line: 8, character: 4 } });
  assert.match(String((dev.documentation as MarkupContent).value), /NIC model/);
  const prefix = items.find((i) => i.label === 'ethernet1.')!;
  assert.equal(prefix.kind, CompletionItemKind.Module);
  assert.equal(prefix.command?.command, 'editor.action.triggerSuggest');
});

test('key completion on a line that already has "=" only replaces the key', () => {
  const items = complete(DOC, 9, 3);
  const item = items.find((i) => i.label === 'serial1.fileName')!;
  assert.deepEqual(item.textEdit, { range: { start: { line: 9, character: 0 }, end: { line: 9, character: 16 } }, newText: 'serial1.fileName' });
});

test('value completion: enums, guestOS (canonical first), booleans, unquoted values get quotes', () => {
  assert.deepEqual(labels(complete(DOC, 3, 25)), ['vlance', 'vmxnet', 'vmxnet3', 'e1000', 'e1000e']);
  assert.deepEqual((complete(DOC, 3, 25)[0].textEdit as TextEdit).range, { start: { line: 3, character: 24 }, end: { line: 3, character: 29 } });
  const guests = complete(DOC, 7, 12);
  assert.ok(guests.length > 250);
  const xp = guests.find((g) => g.label === 'winXPPro')!;
  const alias = guests.find((g) => g.label === 'whistler')!;
  assert.ok(xp.sortText! < alias.sortText!);
  assert.match(String(alias.detail), /alias/);
  assert.deepEqual(labels(complete(DOC, 2, 22)), ['TRUE', 'FALSE']);
  const pipe = complete(DOC, 9, 20);
  assert.ok(labels(pipe).includes('pipe'));
  assert.equal((pipe.find((i) => i.label === 'pipe')!.textEdit as TextEdit).newText, '"pipe"');
  assert.ok(labels(complete(DOC, 1, 21)).includes('4'));
  assert.deepEqual(complete(DOC, 11, 2), [], 'nothing inside comments');
});

test('hover: key documentation, guestOS, HW version, PCI slot decoding, COM port', () => {
  assert.match(hoverText(3, 12), /\*\*ethernet0.virtualDev\*\* — NIC model/);
  assert.match(hoverText(3, 12), /XP has in-box drivers only for vlance/);
  assert.match(hoverText(7, 13), /windows, 32-bit/);
  assert.match(hoverText(1, 21), /ESX 3\.x.*Workstation 5\.x/);
  assert.match(hoverText(10, 28), /behind pciBridge0/);
  assert.match(hoverText(9, 20), /guest.s COM2/);
  assert.equal(describePciSlot(16), 'bus 0, device 0x10: PCI address 00:10.0');
  assert.equal(describePciSlot(17), 'bus 0, device 0x11: PCI address 00:11.0');
  assert.match(describePciSlot(160), /device 0x00 behind pciBridge4/);
  assert.match(describePciSlot(1184), /function 1/);
  assert.equal(vmxFeatures.hover!(input(DOC), { line: 12, character: 1 }), null);
});

test('document symbols: devices as an outline, disks under their controller', () => {
  const symbols = vmxFeatures.documentSymbols!(input(DOC));
  const byName = new Map(symbols.map((s) => [s.name, s]));
  const eth = byName.get('ethernet0')!;
  assert.equal(eth.kind, SymbolKind.Module);
  assert.equal(eth.detail, 'Network adapter');
  assert.deepEqual(eth.children!.map((c) => c.name), ['ethernet0.present', 'ethernet0.virtualDev', 'ethernet0.pciSlotNumber']);
  assert.deepEqual(eth.range, { start: { line: 2, character: 0 }, end: { line: 10, character: 30 } });
  const scsi = byName.get('scsi0')!;
  assert.deepEqual(scsi.children!.map((c) => c.name), ['scsi0.present', 'scsi0:0']);
  assert.deepEqual(scsi.children![1].children!.map((c) => c.detail), ['TRUE', 'xp.vmdk']);
  assert.equal(byName.get('guestOS')!.kind, SymbolKind.Property);
  assert.equal(byName.get('config')!.kind, SymbolKind.Namespace);
});

test('folding by device runs, units inside controllers, and comment blocks', () => {
  const ranges = vmxFeatures.foldingRanges!(input(DOC));
  assert.deepEqual(ranges.map((r) => [r.startLine, r.endLine, r.kind ?? '']), [
    [2, 3, ''],
    [4, 6, ''],
    [5, 6, ''],
    [11, 12, 'comment'],
  ]);
});

test('code actions come back for diagnostics without data (client did not echo it)', () => {
  const text = 'memsize = "255"\n';
  const [d] = vmxFeatures.diagnostics(input(text));
  const bare = { ...d, data: undefined };
  const actions = vmxFeatures.codeActions!(input(text), d.range, [bare]);
  assert.deepEqual(actions.map((a) => a.title), ['Change to "252"', 'Change to "256"']);
  assert.equal(actions[0].kind, 'quickfix');
  assert.equal(applyEdits(text, actions[0].edit!.changes!['file:///lab/vm.vmx']), 'memsize = "252"\n');
  assert.deepEqual(vmxFeatures.codeActions!(input(text), d.range, [{ ...d, source: 'other' }]), []);
});

test('completion right after a keystroke uses the previous parse for context and the new line', () => {
  const before = lines('config.version = "8"', 'ethernet0.present = "TRUE"', '');
  const uri = 'file:///lab/typing.vmx';
  vmxFeatures.diagnostics(input(before, uri)); // the server parsed the previous version
  const after = before.replace('"TRUE"\n', '"TRUE"\r\nethernet0.vir');
  const items = vmxFeatures.completions!(input(after, uri), { line: 2, character: 13 });
  const item = items.find((i) => i.label === 'ethernet0.virtualDev');
  assert.ok(item, 'offers ethernet0.virtualDev');
  assert.deepEqual((item.textEdit as TextEdit).range, { start: { line: 2, character: 0 }, end: { line: 2, character: 13 } });
  assert.ok(!labels(items).includes('ethernet0.present'));
});

test('value suggestions for free-form keys: pipe names, boot order from the NICs, hddOrder from the disks', () => {
  const text = lines('ethernet1.present = "TRUE"', 'scsi0:0.present = "TRUE"', 'ide0:1.present = "TRUE"', 'serial1.fileName = ""', 'bios.bootOrder = ""', 'bios.hddOrder = ""');
  const at = (line: number): string[] => labels(complete(text, line, text.split('\n')[line].length - 1));
  assert.deepEqual(at(3), ['\\\\.\\pipe\\com_2', '/tmp/com2']);
  assert.deepEqual(at(4).slice(0, 3), ['ethernet1', 'ethernet1,hdd', 'hdd,ethernet1']);
  assert.deepEqual(at(5), ['scsi0:0', 'ide0:1']);
});
