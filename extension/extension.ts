import * as vscode from 'vscode';

export function activate(context: vscode.ExtensionContext): void {
  const channel = vscode.window.createOutputChannel('BootDbg');
  context.subscriptions.push(channel);
  channel.appendLine('BootDbg activated');
}

export function deactivate(): void {
  // Subscriptions are disposed by VS Code.
}
