import * as vscode from 'vscode';
import { registerLanguageClient, stopLanguageClient } from './languageClient';
import { registerDebugAdapter } from './debugAdapter';
import { registerDebugConfigurations } from './debugConfigurations';
import { registerDebugCommands } from './debugCommands';
import { registerTranscriptCommands } from './transcriptCommands';
import { registerIbftView } from './ibftView';

/** Activation is a flat list of registrations; each feature lives in its own module. */
export function activate(context: vscode.ExtensionContext): void {
  const channel = vscode.window.createOutputChannel('BootDbg');
  context.subscriptions.push(channel);
  channel.appendLine('BootDbg activated');
  registerLanguageClient(context, channel);
  registerDebugAdapter(context, channel);
  registerDebugConfigurations(context);
  registerDebugCommands(context);
  registerTranscriptCommands(context);
  registerIbftView(context);
}

export function deactivate(): Thenable<void> | undefined {
  return stopLanguageClient();
}
