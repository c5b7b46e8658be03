/**
 * Palette commands that work on a running session or the editor: the guest's VGA text screen
 * (read from 0xB8000 through the adapter, refreshed on every stop) and "Insert a debugger-enabled
 * boot entry" (the language server's quick fix, applied to the OS entry under the cursor).
 */
import * as vscode from 'vscode';

export const VGA_SCHEME = 'bootdbg-vga';
const VGA_URI = vscode.Uri.parse(`${VGA_SCHEME}:/VGA%20text%20screen.txt`);
const ADD_DEBUG_ENTRY_TITLE = 'Add a debugger-enabled entry';

class VgaScreen implements vscode.TextDocumentContentProvider {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private text = 'No gdb-remote session is stopped yet.\n';

  async refresh(session: vscode.DebugSession | undefined): Promise<void> {
    if (!session || session.type !== 'gdb-remote') {
      this.text = 'The VGA text screen is read from a stopped gdb-remote session; start or pause one first.\n';
    } else {
      try {
        const r = (await session.customRequest('bootdbg.vgaText')) as { text: string };
        const ruler = '-'.repeat(80);
        this.text = `${ruler}\n${r.text.replace(/\n?$/, '\n')}${ruler}\n(${session.name}, read from 0xB8000 at ${new Date().toLocaleTimeString()})\n`;
      } catch (e) {
        this.text = `Could not read the screen: ${(e as Error).message}\n`;
      }
    }
    this.changed.fire(VGA_URI);
  }

  provideTextDocumentContent(): string {
    return this.text;
  }
}

async function insertDebugEntry(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== 'boot-ini') {
    void vscode.window.showWarningMessage('Open a boot.ini and put the cursor on an entry of [operating systems] first.');
    return;
  }
  const range = new vscode.Range(editor.selection.active, editor.selection.active);
  const actions = (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', editor.document.uri, range)) ?? [];
  const action = actions.find((a) => a.title.startsWith(ADD_DEBUG_ENTRY_TITLE));
  if (!action) {
    void vscode.window.showWarningMessage('Put the cursor on an operating-system entry (a line under [operating systems]) to add its debugger-enabled twin.');
    return;
  }
  if (action.edit) await vscode.workspace.applyEdit(action.edit);
  if (action.command) await vscode.commands.executeCommand(action.command.command, ...(action.command.arguments ?? []));
}

export function registerDebugCommands(context: vscode.ExtensionContext): void {
  const vga = new VgaScreen();
  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(VGA_SCHEME, vga),
    vscode.commands.registerCommand('bootdbg.showVgaScreen', async () => {
      await vga.refresh(vscode.debug.activeDebugSession);
      const doc = await vscode.workspace.openTextDocument(VGA_URI);
      await vscode.window.showTextDocument(doc, { preview: false, viewColumn: vscode.ViewColumn.Beside, preserveFocus: true });
    }),
    vscode.commands.registerCommand('bootdbg.insertDebugEntry', insertDebugEntry),
    // Keep an open VGA view current: refresh it whenever a gdb-remote session stops.
    vscode.debug.registerDebugAdapterTrackerFactory('gdb-remote', {
      createDebugAdapterTracker(session) {
        return {
          onDidSendMessage(m: { type?: string; event?: string }) {
            const open = vscode.workspace.textDocuments.some((d) => d.uri.toString() === VGA_URI.toString());
            if (open && m.type === 'event' && m.event === 'stopped') void vga.refresh(session);
          },
        };
      },
    }),
  );
}
