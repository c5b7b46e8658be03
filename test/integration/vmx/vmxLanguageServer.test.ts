// LSP-level test for .vmx: spawns the bundled server (`node dist/language-server.js --stdio`) in a
// folder holding an XP lab VM (xp.vmx) and its boot.ini, and checks .vmx diagnostics, completion,
// the iSCSI NIC-slot quick fix, and the boot.ini ↔ .vmx cross-file diagnostic read from disk.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CodeActionRequest,
  CompletionRequest,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  DocumentSymbolRequest,
  type CompletionItem,
  type CompletionList,
  type Diagnostic,
  type ProtocolConnection,
  type TextEdit,
} from 'vscode-languageserver-protocol/node';

import { startLanguageServer, type LspTestServer } from '../../support/lspTestClient';

/** A diskless XP VM for iSCSI boot that lost its SCSI controller, with ThinPrint on serial0 and
 *  the debug pipe on serial1 (so the guest's debug port is COM2). */
const VMX = [
  '.encoding = "UTF-8"',
  'config.version = "8"',
  'virtualHW.version = "4"',
  'guestOS = "winXPPro"',
  'memsize = "510"',
  'bios.bootOrder = "ethernet0"',
  'ethernet0.present = "TRUE"',
  'ethernet0.virtualDev = "vlance"',
  'serial0.present = "TRUE"',
  'serial0.fileType = "thinprint"',
  'serial1.present = "TRUE"',
  'serial1.fileType = "pipe"',
  'serial1.fileName = "\\\\.\\pipe\\com_2"',
  'serial1.pipe.endPoint = "server"',
  'serial1.tryNoRxLoss = "TRUE"',
  'serial1.yieldOnMsrRead = "TRUE"',
  '',
].join('\r\n');

const XP = 'multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS';
const BOOT_INI = ['[boot loader]', 'timeout=30', `default=${XP}`, '[operating systems]', `${XP}="Windows XP" /fastdetect /debug /debugport=com1 /baudrate=115200`, ''].join('\r\n');

describe('.vmx over the language server (stdio)', () => {
  let server: LspTestServer;
  let conn: ProtocolConnection;
  let workDir: string;
  let vmxUri: string;
  let bootUri: string;
  const nextDiagnostics = (forUri: string, version: number): Promise<Diagnostic[]> => server.nextDiagnostics(forUri, version);

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'bootdbg-vmx-lsp-'));
    writeFileSync(join(workDir, 'xp.vmx'), VMX);
    writeFileSync(join(workDir, 'boot.ini'), BOOT_INI);
    vmxUri = pathToFileURL(join(workDir, 'xp.vmx')).toString();
    bootUri = pathToFileURL(join(workDir, 'boot.ini')).toString();
    server = await startLanguageServer({ workDir, folderName: 'lab', capabilities: { textDocument: { publishDiagnostics: { versionSupport: true } } } });
    conn = server.conn;
  });

  after(async () => {
    await server.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('pushes .vmx diagnostics with stable codes', async () => {
    await conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: vmxUri, languageId: 'vmx', version: 1, text: VMX } });
    const diags = await nextDiagnostics(vmxUri, 1);
    // serial0 is ThinPrint while boot.ini next to the VM debugs over COM1: the .vmx says so too.
    assert.deepEqual(diags.map((d) => `${d.code}@${d.range.start.line}`).sort(), ['vmx/iscsi-nic-slot@6', 'vmx/memsize@4', 'vmx/serial-kd@9']);
    assert.match(String(diags.find((d) => d.code === 'vmx/serial-kd')!.message), /boot\.ini next to this VM sends the kernel debugger to COM1/);
    assert.ok(diags.every((d) => d.source === 'bootdbg'));
  });

  it('offers the scsi0.present = "TRUE" quick fix, and applying it clears the diagnostic', async () => {
    const diags = await nextDiagnostics(vmxUri, 1);
    const nic = diags.filter((d) => d.code === 'vmx/iscsi-nic-slot');
    const actions = (await conn.sendRequest(CodeActionRequest.type, { textDocument: { uri: vmxUri }, range: nic[0].range, context: { diagnostics: nic } })) ?? [];
    const fix = actions.find((a) => 'edit' in a && a.title.includes('scsi0.present'));
    assert.ok(fix && 'edit' in fix && fix.edit?.changes, actions.map((a) => a.title).join(' | '));
    const [edit] = fix.edit.changes[vmxUri] as TextEdit[];
    assert.equal(edit.newText, 'scsi0.present = "TRUE"\r\n');
    await conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri: vmxUri, version: 2 }, contentChanges: [{ range: edit.range, text: edit.newText }] });
    const after = await nextDiagnostics(vmxUri, 2);
    assert.deepEqual(after.map((d) => d.code).sort(), ['vmx/memsize', 'vmx/serial-kd']);
  });

  it('completes keys with device indices and enum values', async () => {
    // Type "ethernet1.vi" on the empty last line (16 settings + the inserted scsi0 line).
    const line = 17;
    await conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri: vmxUri, version: 3 }, contentChanges: [{ range: { start: { line, character: 0 }, end: { line, character: 0 } }, text: 'ethernet1.vi' }] });
    const res = (await conn.sendRequest(CompletionRequest.type, { textDocument: { uri: vmxUri }, position: { line, character: 12 } })) as CompletionItem[] | CompletionList | null;
    const items = Array.isArray(res) ? res : (res?.items ?? []);
    assert.ok(items.some((i) => i.label === 'ethernet1.virtualDev'), 'offers ethernet1.virtualDev');
    const values = (await conn.sendRequest(CompletionRequest.type, { textDocument: { uri: vmxUri }, position: { line: 8, character: 25 } })) as CompletionItem[] | null; // ethernet0.virtualDev, below the new scsi0 line
    assert.deepEqual((values ?? []).map((i) => i.label), ['vlance', 'vmxnet', 'vmxnet3', 'e1000', 'e1000e']);
    const symbols = (await conn.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri: vmxUri } })) ?? [];
    assert.ok(symbols.some((s) => s.name === 'serial1'));
  });

  it('checks boot.ini /debugport against the .vmx next to it (ThinPrint on serial0 → COM2)', async () => {
    await conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: bootUri, languageId: 'boot-ini', version: 1, text: BOOT_INI } });
    const diags = await nextDiagnostics(bootUri, 1);
    const cross = diags.filter((d) => d.code === 'crossfile/vmx-serial');
    assert.equal(cross.length, 1, JSON.stringify(diags.map((d) => d.code)));
    assert.match(String(cross[0].message), /ThinPrint/);
    const actions = (await conn.sendRequest(CodeActionRequest.type, { textDocument: { uri: bootUri }, range: cross[0].range, context: { diagnostics: cross } })) ?? [];
    assert.ok(actions.some((a) => a.title === 'Use /debugport=com2 (serial1 of xp.vmx)'), actions.map((a) => a.title).join(' | '));
    assert.ok(server.alive(), 'server still running');
  });
});
