import * as path from 'node:path';
import * as vscode from 'vscode';
import type * as LanguageClientModule from './languageClient';
import { SERVED_LANGUAGES } from './servedLanguages';
import { registerDebugAdapter } from './debugAdapter';
import { registerDebugConfigurations } from './debugConfigurations';
import { registerDebugCommands } from './debugCommands';
import { registerTranscriptCommands } from './transcriptCommands';
import { registerIbftView } from './ibftView';

const SERVED = new Set<string>(SERVED_LANGUAGES);

let languageClient: typeof LanguageClientModule | undefined;

/**
 * vscode-languageclient is most of the extension's code, and a debug-only session never needs it:
 * it is its own bundle (dist/languageClient.js), loaded once a served document is open, one tick
 * after activation so the activation event returns at once.
 */
function startLanguageClientWhenNeeded(context: vscode.ExtensionContext, channel: vscode.OutputChannel): void {
  const start = (): void => {
    if (languageClient) return;
    // A computed path keeps esbuild from inlining the module into dist/extension.js.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    languageClient = require(path.join(__dirname, 'languageClient.js')) as typeof LanguageClientModule;
    languageClient.registerLanguageClient(context, channel);
  };
  if (vscode.workspace.textDocuments.some((d) => SERVED.has(d.languageId))) {
    setImmediate(start);
    return;
  }
  const listener = vscode.workspace.onDidOpenTextDocument((d) => {
    if (!SERVED.has(d.languageId)) return;
    listener.dispose();
    start();
  });
  context.subscriptions.push(listener);
}

/** Activation is a flat list of registrations; each feature lives in its own module. */
export function activate(context: vscode.ExtensionContext): void {
  const channel = vscode.window.createOutputChannel('BootDbg');
  context.subscriptions.push(channel);
  channel.appendLine('BootDbg activated');
  startLanguageClientWhenNeeded(context, channel);
  registerDebugAdapter(context, channel);
  registerDebugConfigurations(context);
  registerDebugCommands(context);
  registerTranscriptCommands(context);
  registerIbftView(context);
}

export function deactivate(): Thenable<void> | undefined {
  return languageClient?.stopLanguageClient();
}
