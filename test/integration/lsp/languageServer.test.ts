// LSP-level test: spawns the bundled server (`node dist/language-server.js --stdio`) and talks
// JSON-RPC to it: diagnostics on open and on incremental change, completion, hover, a code action
// that uses settings pulled through workspace/configuration, symbols, folding.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import {
  CodeActionRequest,
  CompletionRequest,
  createProtocolConnection,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  DocumentSymbolRequest,
  ExitNotification,
  FoldingRangeRequest,
  HoverRequest,
  InitializedNotification,
  InitializeRequest,
  IPCMessageReader,
  IPCMessageWriter,
  PublishDiagnosticsNotification,
  ShutdownRequest,
  SocketMessageReader,
  SocketMessageWriter,
  type CompletionItem,
  type CompletionList,
  type Diagnostic,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node';

import { ensureLanguageServerBundle as ensureBundle, exitOrKill, serverJs, startLanguageServer, type LspTestServer } from '../../support/lspTestClient';

const XP = 'multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS';
const BOOT_INI = ['[boot loader]', 'timeout=30', 'default=multi(0)disk(0)rdisk(0)partition(2)\\WINDOWS', '[operating systems]', `${XP}="Microsoft Windows XP Professional" /fastdetect /baudrate=12345`, ''].join('\r\n');

describe('language server over stdio', () => {
  let server: LspTestServer;
  let conn: ProtocolConnection;
  let workDir: string;
  let uri: string;
  const nextDiagnostics = (forUri: string, version: number): Promise<Diagnostic[]> => server.nextDiagnostics(forUri, version);

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'bootdbg-lsp-'));
    mkdirSync(join(workDir, '.vscode'));
    // JSON with comments and a trailing comma, as VS Code writes launch.json.
    writeFileSync(join(workDir, '.vscode', 'launch.json'), '{\n // kd\n "configurations": [ { "type": "windows-kd", "name": "XP", "port": "/tmp/x.pipe", "baudRate": 115200, }, ],\n}\n');
    writeFileSync(join(workDir, 'boot.ini'), BOOT_INI);
    uri = pathToFileURL(join(workDir, 'boot.ini')).toString();
    server = await startLanguageServer({
      workDir,
      capabilities: { workspace: { configuration: true }, textDocument: { publishDiagnostics: { versionSupport: true } } },
      configuration: (items) => items.map(() => ({ kd: { debugPort: 'com2', baudRate: 57600 } })),
    });
    conn = server.conn;
    assert.ok(server.init.capabilities.completionProvider);
    assert.equal(server.init.capabilities.hoverProvider, true);
  });

  after(async () => {
    await server.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('pushes diagnostics with stable codes on open', async () => {
    await conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'boot-ini', version: 1, text: BOOT_INI } });
    const diags = await nextDiagnostics(uri, 1);
    const codes = diags.map((d) => d.code).sort();
    assert.deepEqual(codes, ['bootini/default-not-found', 'bootini/invalid-switch-value', 'bootini/switch-requires']);
    assert.ok(diags.every((d) => d.source === 'bootdbg'));
  });

  it('re-checks after an incremental change', async () => {
    // Replace "partition(2)" in default= with "partition(1)" (line 2).
    const col = BOOT_INI.split('\r\n')[2].indexOf('partition(2)') + 'partition('.length;
    await conn.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: { line: 2, character: col }, end: { line: 2, character: col + 1 } }, text: '1' }],
    });
    const diags = await nextDiagnostics(uri, 2);
    assert.deepEqual(diags.map((d) => d.code).sort(), ['bootini/invalid-switch-value', 'bootini/switch-requires']);
  });

  it('completes switches after a slash and values after =', async () => {
    const line = 4;
    const text = BOOT_INI.split('\r\n')[line];
    await conn.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version: 3 },
      contentChanges: [{ range: { start: { line, character: text.length }, end: { line, character: text.length } }, text: ' /debugp' }],
    });
    const res = (await conn.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line, character: text.length + 8 } })) as CompletionItem[] | CompletionList | null;
    const items = Array.isArray(res) ? res : (res?.items ?? []);
    assert.ok(items.some((i) => i.label === '/debugport'), 'offers /debugport');
    await conn.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version: 4 },
      contentChanges: [{ range: { start: { line, character: text.length + 8 }, end: { line, character: text.length + 8 } }, text: 'ort=' }],
    });
    const res2 = (await conn.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line, character: text.length + 12 } })) as CompletionItem[] | CompletionList | null;
    const values = (Array.isArray(res2) ? res2 : (res2?.items ?? [])).map((i) => i.label);
    assert.deepEqual(values.slice(0, 2), ['com1', 'com2']);
    assert.ok(values.includes('1394'));
  });

  it('offers "Add a debugger-enabled entry" with port and baud from the settings, and value fixes', async () => {
    const diags = await nextDiagnostics(uri, 4);
    const onLine = diags.filter((d) => d.range.start.line === 4);
    const actions = await conn.sendRequest(CodeActionRequest.type, { textDocument: { uri }, range: { start: { line: 4, character: 0 }, end: { line: 4, character: 0 } }, context: { diagnostics: onLine } });
    const titles = (actions ?? []).map((a) => a.title);
    const add = (actions ?? []).find((a) => a.title === 'Add a debugger-enabled entry');
    assert.ok(add && 'edit' in add && add.edit, `actions: ${titles.join(' | ')}`);
    const edit = add.edit!.changes![uri][0];
    assert.match(edit.newText, /^\r\nmulti\(0\)disk\(0\)rdisk\(0\)partition\(1\)\\WINDOWS="Microsoft Windows XP Professional \(kernel debug\)" \/fastdetect \/debug \/debugport=com2 \/baudrate=57600 \/break$/);
    assert.ok(titles.includes('Change to /baudrate=9600') || titles.some((t) => /\/baudrate=/.test(t)), titles.join(' | '));
  });

  it('answers hover, document symbols and folding ranges', async () => {
    const line = BOOT_INI.split('\r\n')[4];
    const hover = await conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 4, character: line.indexOf('/baudrate') + 3 } });
    assert.ok(hover && typeof hover.contents === 'object' && 'value' in hover.contents);
    assert.match((hover.contents as { value: string }).value, /debugger enabled/);
    const symbols = await conn.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } });
    assert.deepEqual((symbols ?? []).map((s) => s.name), ['[boot loader]', '[operating systems]']);
    const folds = await conn.sendRequest(FoldingRangeRequest.type, { textDocument: { uri } });
    assert.equal((folds ?? []).length, 2);
  });

  it('survives requests for unknown documents and languages', async () => {
    const res = await conn.sendRequest(CompletionRequest.type, { textDocument: { uri: 'file:///nowhere/boot.ini' }, position: { line: 0, character: 0 } });
    assert.deepEqual(res, []);
    await conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: 'file:///x/readme.txt', languageId: 'plaintext', version: 1, text: 'hello' } });
    const hover = await conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 99, character: 99 } });
    assert.equal(hover, null);
    assert.ok(server.alive(), 'server still running');
  });
});

describe('language server over node IPC (the transport the extension uses)', () => {
  it('answers initialize and pushes diagnostics', async () => {
    await ensureBundle();
    const child = fork(serverJs, ['--node-ipc'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    const conn = createProtocolConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
    try {
      const got = new Promise<PublishDiagnosticsParams>((r) => conn.onNotification(PublishDiagnosticsNotification.type, r));
      conn.listen();
      // The extension sends its settings as initializationOptions: { settings: { debugPort, baudRate, redactNames } }.
      await conn.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions: { settings: { debugPort: 'com3', baudRate: 19200, redactNames: false } } });
      await conn.sendNotification(InitializedNotification.type, {});
      const uri = 'untitled:boot.ini';
      const text = `[boot loader]\r\ntimeout=30\r\ndefault=${XP}\r\n[operating systems]\r\n${XP}="XP" /break\r\n`;
      await conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'boot-ini', version: 1, text } });
      const p = await got;
      assert.deepEqual(p.diagnostics.map((d) => [d.code, d.severity]), [['bootini/switch-requires', 1]]);
      const actions = await conn.sendRequest(CodeActionRequest.type, { textDocument: { uri }, range: { start: { line: 4, character: 0 }, end: { line: 4, character: 0 } }, context: { diagnostics: [] } });
      const add = (actions ?? []).find((a) => a.title === 'Add a debugger-enabled entry');
      assert.ok(add && 'edit' in add);
      assert.match(add.edit!.changes![uri][0].newText, /\/debugport=com3 \/baudrate=19200 \/break$/);
      await conn.sendRequest(ShutdownRequest.type);
      await conn.sendNotification(ExitNotification.type);
    } finally {
      await exitOrKill(child);
      conn.dispose();
    }
  });
});

describe('language server over a loopback socket (--socket=<port>)', () => {
  it('connects to the listening client and answers a hover', async () => {
    await ensureBundle();
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const accepted = new Promise<Socket>((r) => server.once('connection', r));
    const child = spawn(process.execPath, [serverJs, `--socket=${port}`], { stdio: 'ignore' });
    try {
      const socket = await accepted;
      const conn = createProtocolConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
      conn.listen();
      await conn.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: {} });
      await conn.sendNotification(InitializedNotification.type, {});
      const uri = 'untitled:socket-boot.ini';
      const text = `[operating systems]\r\n${XP}="XP" /userva=3030\r\n`;
      await conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'boot-ini', version: 1, text } });
      const hover = await conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 1, character: text.split('\r\n')[1].indexOf('/userva') + 2 } });
      assert.match((hover?.contents as { value: string }).value, /3GB/);
      await conn.sendRequest(ShutdownRequest.type);
      await conn.sendNotification(ExitNotification.type);
      conn.dispose();
      socket.destroy();
    } finally {
      await exitOrKill(child);
      server.close();
    }
  });
});
