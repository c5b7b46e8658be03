/**
 * Starts the BootDbg language server (dist/language-server.js) for boot.ini, .vmx, KD transcripts
 * and LoadOrd listings, and keeps it supplied with the `bootdbg.*` settings its rules read.
 * A server that fails to start or keeps crashing is reported once in the output channel and left
 * stopped: the rest of the extension (debugging) keeps working without it.
 */
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  TransportKind,
  type CloseHandlerResult,
  type ErrorHandler,
  type ErrorHandlerResult,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';

import { SERVED_LANGUAGES } from './servedLanguages';

/** Crashes within this window count towards the restart limit. */
const RESTART_WINDOW_MS = 3 * 60 * 1000;
const MAX_RESTARTS = 4;

/** The settings object sent to the server (initializationOptions and on every change). */
export interface ServerSettings {
  debugPort: string;
  baudRate: number;
  redactNames: boolean;
}

export function readServerSettings(): ServerSettings {
  const cfg = vscode.workspace.getConfiguration('bootdbg');
  return {
    debugPort: cfg.get<string>('kd.debugPort', 'com1'),
    baudRate: cfg.get<number>('kd.baudRate', 115200),
    redactNames: cfg.get<boolean>('transcript.redactNames', false),
  };
}

/** Restart a crashed server a few times, then give up quietly (logged, not a popup storm). */
class BoundedRestarts implements ErrorHandler {
  private crashes: number[] = [];
  constructor(private readonly log: vscode.OutputChannel) {}

  error(error: Error): ErrorHandlerResult {
    this.log.appendLine(`[language server] connection error: ${error.message}`);
    return { action: ErrorAction.Continue, handled: true };
  }

  closed(): CloseHandlerResult {
    const now = Date.now();
    this.crashes = this.crashes.filter((t) => now - t < RESTART_WINDOW_MS);
    this.crashes.push(now);
    if (this.crashes.length > MAX_RESTARTS) {
      const message = `BootDbg language server stopped after ${MAX_RESTARTS} restarts; see the "BootDbg" output.`;
      this.log.appendLine(`[language server] ${message}`);
      return { action: CloseAction.DoNotRestart, message, handled: true };
    }
    this.log.appendLine('[language server] connection closed; restarting');
    return { action: CloseAction.Restart, handled: true };
  }
}

let runningClient: LanguageClient | undefined;

/** Called from deactivate(): VS Code waits for the returned promise so the server exits cleanly. */
export async function stopLanguageClient(): Promise<void> {
  const client = runningClient;
  runningClient = undefined;
  if (client?.isRunning()) await client.stop().catch(() => undefined);
}

export function registerLanguageClient(context: vscode.ExtensionContext, log: vscode.OutputChannel): void {
  const serverModule = context.asAbsolutePath(path.join('dist', 'language-server.js'));
  if (!fs.existsSync(serverModule)) {
    log.appendLine(`[language server] ${serverModule} is missing (run \`npm run build\`); language features are off.`);
    return;
  }
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const documentSelector = SERVED_LANGUAGES.flatMap((language) => [
    { scheme: 'file', language },
    { scheme: 'untitled', language },
  ]);
  const clientOptions: LanguageClientOptions = {
    documentSelector,
    initializationOptions: { settings: readServerSettings() },
    synchronize: { configurationSection: 'bootdbg' },
    errorHandler: new BoundedRestarts(log),
    initializationFailedHandler: (error: unknown) => {
      log.appendLine(`[language server] initialization failed: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    },
  };
  const client = new LanguageClient('bootdbg.languageServer', 'BootDbg Language Server', serverOptions, clientOptions);
  runningClient = client;
  client.start().then(
    () => log.appendLine('[language server] started'),
    (err: unknown) => log.appendLine(`[language server] failed to start: ${err instanceof Error ? err.message : String(err)}`),
  );
}
