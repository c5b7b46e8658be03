/**
 * Talks real JSON-RPC to the bundled language server (`node dist/language-server.js --stdio`), as an
 * editor does: LSP-level tests start one per suite, open documents and wait for the diagnostics the
 * server pushes for a given document version.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  ConfigurationRequest,
  createProtocolConnection,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  PublishDiagnosticsNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type ClientCapabilities,
  type ConfigurationItem,
  type Diagnostic,
  type InitializeResult,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node';
import { repoRoot } from './dapHarness';

export const serverJs = join(repoRoot, 'dist', 'language-server.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : e.name.endsWith('.ts') ? statSync(p).mtimeMs : 0);
  }
  return newest;
}

/** Builds the language-server bundle when it is missing or older than its sources. */
export async function ensureLanguageServerBundle(): Promise<void> {
  if (existsSync(serverJs) && statSync(serverJs).mtimeMs >= newestSource(join(repoRoot, 'language-server'))) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  await esbuild.build({ entryPoints: [join(repoRoot, 'language-server', 'main.ts')], outfile: serverJs, bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'silent' });
}

/** Waits for a server process to exit after `exit`, and SIGKILLs it if it has not within `ms`. */
export function exitOrKill(child: ChildProcess, ms = 3000): Promise<void> {
  return new Promise<void>((r) => {
    if (child.exitCode !== null || child.signalCode !== null) return r();
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      r();
    }, ms);
    child.once('exit', () => {
      clearTimeout(t);
      r();
    });
  });
}

export interface LspTestServer {
  conn: ProtocolConnection;
  init: InitializeResult;
  stderr: string[];
  /** The diagnostics the server published for `uri` at `version` (the latest such push). */
  nextDiagnostics(uri: string, version: number, timeoutMs?: number): Promise<Diagnostic[]>;
  /** The server process has not exited. */
  alive(): boolean;
  stop(): Promise<void>;
}

export interface LspTestOptions {
  /** The workspace folder. */
  workDir: string;
  folderName?: string;
  capabilities?: ClientCapabilities;
  /** Answers workspace/configuration; when omitted the client does not announce that capability. */
  configuration?: (items: ConfigurationItem[]) => unknown[];
}

export async function startLanguageServer(opts: LspTestOptions): Promise<LspTestServer> {
  await ensureLanguageServerBundle();
  const child: ChildProcess = spawn(process.execPath, [serverJs, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr!.on('data', (b: Buffer) => stderr.push(b.toString()));
  const conn = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const published: PublishDiagnosticsParams[] = [];
  let waiters: Array<() => boolean> = [];
  conn.onNotification(PublishDiagnosticsNotification.type, (p) => {
    published.push(p);
    waiters = waiters.filter((w) => !w());
  });
  if (opts.configuration) {
    const answer = opts.configuration;
    conn.onRequest(ConfigurationRequest.type, (p) => answer(p.items));
  }
  conn.listen();
  const folder = pathToFileURL(opts.workDir).toString();
  const init = await conn.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri: folder,
    workspaceFolders: [{ uri: folder, name: opts.folderName ?? 'w' }],
    capabilities: opts.capabilities ?? {
      workspace: { configuration: opts.configuration !== undefined },
      textDocument: { publishDiagnostics: { versionSupport: true, relatedInformation: true } },
    },
  });
  await conn.sendNotification(InitializedNotification.type, {});

  return {
    conn,
    init,
    stderr,
    nextDiagnostics(uri, version, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no diagnostics for ${uri} v${version}; stderr: ${stderr.join('')}`)), timeoutMs);
        const check = (): boolean => {
          const p = [...published].reverse().find((x) => x.uri === uri && x.version === version);
          if (!p) return false;
          clearTimeout(timer);
          resolve(p.diagnostics);
          return true;
        };
        if (!check()) waiters.push(check);
      });
    },
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      try {
        await Promise.race([conn.sendRequest(ShutdownRequest.type), new Promise((r) => setTimeout(r, 2000))]);
        await conn.sendNotification(ExitNotification.type);
      } catch {
        // already gone
      }
      await exitOrKill(child);
      conn.dispose();
    },
  };
}
