/**
 * "BootDbg: Show iBFT": during a gdb-remote or windows-kd session, scans physical memory for the
 * iSCSI Boot Firmware Table through the adapter's `bootdbg.readPhysical`, decodes it (shared
 * decoder in adapter/ibft) and shows it as a markdown preview. When a transcript is at hand — the
 * active/open kd-transcript document, else the live KD session's report — the firmware's values
 * are compared with what Windows printed, disagreements first.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { compareIbftWithReport, ibftAddressFromReport } from '../adapter/ibft/ibftCompare';
import { findIbft } from '../adapter/ibft/ibftDecoder';
import { ibftMarkdown } from '../adapter/ibft/ibftMarkdown';
import { buildReport, iscsiBootAttempted, type IscsiBootReport } from '../language-server/transcript/iscsiBootReport';
import { getLiveBootReport } from './transcriptCommands';

const IBFT_SCHEME = 'bootdbg-ibft';
const IBFT_URI = vscode.Uri.from({ scheme: IBFT_SCHEME, path: '/iBFT.md' });
const DEBUG_TYPES = new Set(['gdb-remote', 'windows-kd']);

class IbftDocument implements vscode.TextDocumentContentProvider {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  text = '# iSCSI Boot Firmware Table\n\nRun *BootDbg: Show iBFT* while a gdb-remote or windows-kd session is stopped.\n';

  set(text: string): void {
    this.text = text;
    this.changed.fire(IBFT_URI);
  }

  provideTextDocumentContent(): string {
    return this.text;
  }
}

/** The transcript to compare with: the active or an open kd-transcript, else the live KD session. */
function transcriptReport(): { name: string; report: IscsiBootReport } | undefined {
  const active = vscode.window.activeTextEditor?.document;
  const doc = active?.languageId === 'kd-transcript' ? active : vscode.workspace.textDocuments.find((d) => d.languageId === 'kd-transcript');
  if (doc) {
    const report = buildReport(doc.getText());
    if (iscsiBootAttempted(report)) return { name: path.basename(doc.uri.fsPath || doc.uri.path), report };
  }
  const live = getLiveBootReport().report;
  if (iscsiBootAttempted(live)) return { name: 'the live KD session', report: live };
  return undefined;
}

async function showIbft(doc: IbftDocument): Promise<void> {
  const session = vscode.debug.activeDebugSession;
  if (!session || !DEBUG_TYPES.has(session.type)) {
    void vscode.window.showWarningMessage('BootDbg: Show iBFT reads physical memory of a stopped gdb-remote or windows-kd session; start one and stop it after iPXE has logged in (e.g. at the boot sector).');
    return;
  }
  const revealSecrets = vscode.workspace.getConfiguration('bootdbg').get<boolean>('ibft.revealSecrets', false);
  const transcript = transcriptReport();
  const scan = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: 'BootDbg: scanning for the iBFT' },
    () =>
      findIbft(
        async (address, length) => {
          const r = (await session.customRequest('bootdbg.readPhysical', { address, length })) as { data: string };
          return Buffer.from(r.data, 'base64');
        },
        { revealSecrets, hint: ibftAddressFromReport(transcript?.report) },
      ),
  );
  const table = scan.result?.table;
  const comparison = table && transcript ? { transcript: transcript.name, items: compareIbftWithReport(table, scan.address, transcript.report) } : undefined;
  doc.set(
    ibftMarkdown({
      source: `${session.type} session “${session.name}”, ${scan.bytesRead} bytes of physical memory read at ${new Date().toLocaleTimeString()}`,
      address: scan.address ?? scan.rejected[0]?.address,
      summary: scan.summary,
      result: scan.result,
      readErrors: scan.errors,
      comparison,
    }) + (transcript || !table ? '' : '\n_Open a KD transcript (or run a windows-kd session) to compare the firmware table with what Windows printed._\n'),
  );
  await vscode.commands.executeCommand('markdown.showPreviewToSide', IBFT_URI);
}

export function registerIbftView(context: vscode.ExtensionContext): void {
  const doc = new IbftDocument();
  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(IBFT_SCHEME, doc),
    vscode.commands.registerCommand('bootdbg.showIbft', () => showIbft(doc)),
  );
}
