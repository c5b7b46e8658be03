// LSP-level test for KD transcripts and LoadOrd listings: spawns the bundled language server over
// stdio in a temporary folder holding a transcript next to a .vmx (the VMware PCI-slot case),
// and checks diagnostics, the cross-file related information, the quick fix, hover and a
// transcript that grows while it is open (as a live capture does).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CodeActionRequest,
  ConfigurationRequest,
  createProtocolConnection,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  DocumentSymbolRequest,
  ExitNotification,
  HoverRequest,
  InitializedNotification,
  InitializeRequest,
  PublishDiagnosticsNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type Diagnostic,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node';

const repoRoot = resolve(__dirname, '..', '..', '..', '..');
const serverJs = join(repoRoot, 'dist', 'language-server.js');
const fixtures = join(repoRoot, 'test', 'fixtures', 'transcripts');

function newestSource(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    newest = Math.max(newest, st.isDirectory() ? newestSource(p) : name.endsWith('.ts') ? st.mtimeMs : 0);
  }
  return newest;
}

async function ensureBundle(): Promise<void> {
  if (existsSync(serverJs) && statSync(serverJs).mtimeMs >= newestSource(join(repoRoot, 'language-server'))) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  await esbuild.build({ entryPoints: [join(repoRoot, 'language-server', 'main.ts')], outfile: serverJs, bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'silent' });
}

describe('kd-transcript and loadord over LSP', () => {
  let child: ChildProcess;
  let conn: ProtocolConnection;
  let workDir: string;
  const published: PublishDiagnosticsParams[] = [];
  let waiters: Array<() => boolean> = [];
  const stderr: string[] = [];

  function nextDiagnostics(forUri: string, version: number, timeoutMs = 10_000): Promise<Diagnostic[]> {
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error(`no diagnostics for ${forUri} v${version}; stderr: ${stderr.join('')}`)), timeoutMs);
      const test = (): boolean => {
        const p = published.find((x) => x.uri === forUri && x.version === version);
        if (!p) return false;
        clearTimeout(timer);
        resolvePromise(p.diagnostics);
        return true;
      };
      if (!test()) waiters.push(test);
    });
  }

  before(async () => {
    await ensureBundle();
    workDir = mkdtempSync(join(tmpdir(), 'bootdbg-transcript-'));
    copyFileSync(join(fixtures, 'vmware', 'boot.kdlog'), join(workDir, 'boot.kdlog'));
    copyFileSync(join(fixtures, 'vmware', 'diskless.vmx'), join(workDir, 'diskless.vmx'));
    child = spawn(process.execPath, [serverJs, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stderr!.on('data', (b: Buffer) => stderr.push(b.toString()));
    conn = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    conn.onNotification(PublishDiagnosticsNotification.type, (p) => {
      published.push(p);
      waiters = waiters.filter((w) => !w());
    });
    conn.onRequest(ConfigurationRequest.type, (p) => p.items.map(() => ({})));
    conn.listen();
    await conn.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: pathToFileURL(workDir).toString(),
      workspaceFolders: [{ uri: pathToFileURL(workDir).toString(), name: 'w' }],
      capabilities: { workspace: { configuration: true }, textDocument: { publishDiagnostics: { versionSupport: true, relatedInformation: true } } },
    });
    await conn.sendNotification(InitializedNotification.type, {});
  });

  after(async () => {
    try {
      await Promise.race([conn.sendRequest(ShutdownRequest.type), new Promise((r) => setTimeout(r, 2000))]);
      await conn.sendNotification(ExitNotification.type);
    } catch {
      // already gone
    }
    await new Promise<void>((r) => {
      if (child.exitCode !== null) return r();
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        r();
      }, 3000);
      child.once('exit', () => {
        clearTimeout(t);
        r();
      });
    });
    conn.dispose();
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
    assert.equal(child.exitCode, null, 'server still running');
  });
});
