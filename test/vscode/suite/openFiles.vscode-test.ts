/**
 * Inside a desktop VS Code: opening each demo file gives it BootDbg's language, activates the
 * extension, and the language server reports the expected diagnostics.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID, OPEN_FILE_SCENARIOS } from '../scenarios';
import type { EditorTest } from './index';

async function eventually<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function workspaceFile(file: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the test run opens a copy of demo/ as the workspace');
  return vscode.Uri.file(path.join(folder.uri.fsPath, file));
}

export const tests: EditorTest[] = OPEN_FILE_SCENARIOS.map((s) => ({
  name: `opening demo/${s.file} gives language ${s.languageId}, activates BootDbg${s.diagnostics.length ? ' and shows its diagnostics' : ''}`,
  timeoutMs: 60000,
  run: async () => {
    const doc = await vscode.workspace.openTextDocument(workspaceFile(s.file));
    await vscode.window.showTextDocument(doc);
    assert.equal(doc.languageId, s.languageId);
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is installed`);
    await eventually(() => ext.isActive || undefined, 20000, `${EXTENSION_ID} to activate`);
    if (s.diagnostics.length === 0) return;
    const messages = await eventually(() => {
      const found = vscode.languages.getDiagnostics(doc.uri).map((d) => d.message);
      return s.diagnostics.every((re) => found.some((m) => re.test(m))) ? found : undefined;
    }, 30000, `diagnostics ${s.diagnostics.join(', ')} on ${s.file}`);
    assert.ok(messages.length >= s.diagnostics.length);
  },
}));
