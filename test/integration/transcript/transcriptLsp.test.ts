// LSP-level test for KD transcripts and LoadOrd listings: spawns the bundled language server over
// stdio in a temporary folder holding a transcript next to a .vmx (the VMware PCI-slot case),
// and checks diagnostics, the cross-file related information, the quick fix, hover and a
// transcript that grows while it is open (as a live capture does).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CodeActionRequest,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  DocumentSymbolRequest,
  HoverRequest,
  type Diagnostic,
  type ProtocolConnection,
} from 'vscode-languageserver-protocol/node';

import { startLanguageServer, type LspTestServer } from '../../support/lspTestClient';
const repoRoot = resolve(__dirname, '..', '..', '..', '..');
const fixtures = join(repoRoot, 'test', 'fixtures', 'transcripts');

describe('kd-transcript and loadord over LSP', () => {
  let server: LspTestServer;
  let conn: ProtocolConnection;
  let workDir: string;
  const nextDiagnostics = (forUri: string, version: number): Promise<Diagnostic[]> => server.nextDiagnostics(forUri, version);

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'bootdbg-transcript-'));
    copyFileSync(join(fixtures, 'vmware', 'boot.kdlog'), join(workDir, 'boot.kdlog'));
    copyFileSync(join(fixtures, 'vmware', 'diskless.vmx'), join(workDir, 'diskless.vmx'));
    server = await startLanguageServer({ workDir, configuration: (items) => items.map(() => ({})) });
    conn = server.conn;
  });

  after(async () => {
    await server.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('a failing transcript: NIC not matched (pointing into the .vmx) and 0x7B, with a quick fix', async () => {
    const uri = pathToFileURL(join(workDir, 'boot.kdlog')).toString();
    const text = readFileSync(join(workDir, 'boot.kdlog'), 'utf8');
    await conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'kd-transcript', version: 1, text } });
    const diags = await nextDiagnostics(uri, 1);
    assert.deepEqual(diags.map((d) => d.code).sort(), ['transcript/bugcheck-7b', 'transcript/nic-not-matched']);
    const nic = diags.find((d) => d.code === 'transcript/nic-not-matched')!;
    assert.equal(nic.source, 'bootdbg');
    assert.match(nic.relatedInformation?.[0].location.uri ?? '', /diskless\.vmx$/);
    assert.equal(nic.relatedInformation?.[0].location.range.start.line, 3);
    const actions = await conn.sendRequest(CodeActionRequest.type, { textDocument: { uri }, range: nic.range, context: { diagnostics: [nic] } });
    const fix = (actions ?? []).find((a) => 'edit' in a && /scsi0\.present/.test(a.title));
    assert.ok(fix && 'edit' in fix && fix.edit?.changes, 'quick fix offered');
    const hover = await conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: nic.range.start.line, character: 2 } });
    assert.match((hover?.contents as { value: string }).value, /#### NIC 0/);
    const symbols = await conn.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } });
    assert.ok((symbols ?? []).some((s) => s.name === 'Bugcheck'));
  });

  it('a transcript that grows while open: truncated until the boot disk arrives', async () => {
    const uri = pathToFileURL(join(workDir, 'live.kdlog')).toString();
    const text = readFileSync(join(fixtures, 'sanbootconf-success.kdlog'), 'utf8');
    const lines = text.split('\n');
    const waiting = lines.findIndex((l) => l.startsWith('Waiting for SAN system disk'));
    const head = lines.slice(0, waiting + 1).join('\n') + '\n';
    await conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'kd-transcript', version: 1, text: head } });
    assert.deepEqual((await nextDiagnostics(uri, 1)).map((d) => d.code), ['transcript/truncated']);
    const rest = lines.slice(waiting + 1).join('\n');
    const end = { line: waiting + 1, character: 0 };
    await conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version: 2 }, contentChanges: [{ range: { start: end, end }, text: rest }] });
    assert.deepEqual(await nextDiagnostics(uri, 2), []);
  });

  it('a LoadOrd listing with a NIC driver and Tcpip that are not boot-start', async () => {
    const uri = pathToFileURL(join(workDir, 'loadord.csv')).toString();
    const text = readFileSync(join(fixtures, 'loadord', 'loadord-not-boot.csv'), 'utf8');
    await conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'loadord', version: 1, text } });
    const diags = await nextDiagnostics(uri, 1);
    assert.deepEqual(diags.map((d) => d.code), ['loadord/not-boot-start', 'loadord/not-boot-start']);
    assert.ok(server.alive(), 'server still running');
  });
});
