/**
 * Transcript commands on the VS Code side:
 * - "BootDbg: Share Transcript (redacted)" writes a copy with CHAP secrets (and, per the
 *   `bootdbg.transcript.redactNames` setting, CHAP names) replaced, next to the file or via Save As.
 * - "BootDbg: Show iSCSI Boot Report" opens the report of the active transcript as a markdown
 *   preview of a virtual document that follows the transcript as it is edited.
 * - `getLiveBootReport()` is the report of the running KD session. A debug-adapter tracker on
 *   `windows-kd` sessions feeds it the DbgPrint text (DAP `output` events, category `stdout`) as it
 *   arrives; "BootDbg: Show iSCSI Boot Report (live session)" opens its preview. Other code may
 *   also feed it (`addText`/`addLines`).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { BootReportBuilder, buildSessionReports } from '../language-server/transcript/iscsiBootReport';
import { redactedFileName, redactTranscript } from '../language-server/transcript/redact';
import { reportToMarkdown, sessionsToMarkdown } from '../language-server/transcript/reportMarkdown';
import { dbgPrintText } from '../language-server/transcript/dapOutput';
import { registerBootReportView } from './bootReportView';

const REPORT_SCHEME = 'bootdbg-report';
const LIVE_PATH = '/live-session.md';

/** Serves the markdown of report documents: `bootdbg-report:/<name>.md?<source uri>`. */
class ReportProvider implements vscode.TextDocumentContentProvider {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly open = new Set<string>();

  constructor(private readonly live: LiveBootReport) {}

  provideTextDocumentContent(uri: vscode.Uri): string {
    this.open.add(uri.toString());
    if (uri.path === LIVE_PATH) return this.live.markdown();
    const source = vscode.Uri.parse(decodeURIComponent(uri.query));
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === source.toString());
    if (!doc) return `# iSCSI boot report\n\nThe transcript ${source.fsPath} is not open any more.\n`;
    return sessionsToMarkdown(buildSessionReports(doc.getText()), { title: `iSCSI boot report — ${path.basename(source.fsPath)}` });
  }

  /** Re-render the report of `source` if its preview is open. */
  refreshFor(source: vscode.Uri): void {
    const uri = reportUriFor(source);
    if (this.open.has(uri.toString())) this.changed.fire(uri);
  }

  refreshLive(): void {
    const uri = vscode.Uri.from({ scheme: REPORT_SCHEME, path: LIVE_PATH });
    if (this.open.has(uri.toString())) this.changed.fire(uri);
  }

  dispose(): void {
    this.changed.dispose();
  }
}

function reportUriFor(source: vscode.Uri): vscode.Uri {
  const name = path.basename(source.path || 'transcript') + '.report.md';
  return vscode.Uri.from({ scheme: REPORT_SCHEME, path: '/' + name, query: encodeURIComponent(source.toString()) });
}

/** The boot report of the live KD session, fed with DbgPrint output as it arrives. */
export class LiveBootReport {
  private builder = new BootReportBuilder();
  private timer: NodeJS.Timeout | undefined;
  onChange: (() => void) | undefined;

  /** Raw DbgPrint text (any chunking; lines are reassembled). */
  addText(chunk: string): void {
    this.builder.addText(chunk);
    this.scheduleRefresh();
  }

  /** Whole lines (no line breaks). */
  addLines(lines: readonly string[]): void {
    for (const l of lines) this.builder.addLine(l);
    this.scheduleRefresh();
  }

  /** A new session starts with an empty report. */
  reset(): void {
    this.builder = new BootReportBuilder();
    this.scheduleRefresh();
  }

  markdown(): string {
    return reportToMarkdown(this.builder.report, { title: 'iSCSI boot report — live KD session' });
  }

  get report(): BootReportBuilder['report'] {
    return this.builder.report;
  }

  /** Every boot seen in this session (the target may reboot and reconnect). */
  get reports(): BootReportBuilder['reports'] {
    return this.builder.reports;
  }

  async show(): Promise<void> {
    await vscode.commands.executeCommand('markdown.showPreviewToSide', vscode.Uri.from({ scheme: REPORT_SCHEME, path: LIVE_PATH }));
  }

  private scheduleRefresh(): void {
    // DbgPrint can arrive at ~90 lines/s: re-render at most four times a second.
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.onChange?.();
    }, 250);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

const liveReport = new LiveBootReport();

/** The live session's report, for the KD debug session to feed (see LiveBootReport). */
export function getLiveBootReport(): LiveBootReport {
  return liveReport;
}

async function shareTranscript(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showWarningMessage('BootDbg: open the transcript to share first.');
    return;
  }
  const doc = editor.document;
  const names = vscode.workspace.getConfiguration('bootdbg').get<boolean>('transcript.redactNames', false);
  const result = redactTranscript(doc.getText(), { names });
  let target: vscode.Uri | undefined;
  if (doc.uri.scheme === 'file') {
    target = vscode.Uri.file(path.join(path.dirname(doc.uri.fsPath), redactedFileName(path.basename(doc.uri.fsPath))));
    let exists = false;
    try {
      await vscode.workspace.fs.stat(target);
      exists = true;
    } catch {
      exists = false;
    }
    if (exists) {
      const choice = await vscode.window.showWarningMessage(`${path.basename(target.fsPath)} exists.`, 'Overwrite', 'Save As…');
      if (choice === 'Save As…') target = await vscode.window.showSaveDialog({ defaultUri: target });
      else if (choice !== 'Overwrite') return;
    }
  } else {
    target = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(redactedFileName('transcript.kdlog')) });
  }
  if (!target) return;
  await vscode.workspace.fs.writeFile(target, Buffer.from(result.text, 'utf8'));
  const opened = await vscode.workspace.openTextDocument(target);
  await vscode.window.showTextDocument(opened, { preview: false });
  const what = `${result.secrets} secret(s)${names ? ` and ${result.names} name(s)` : ''}`;
  void vscode.window.showInformationMessage(`BootDbg: wrote ${path.basename(target.fsPath)} with ${what} redacted. Check it before posting.`);
}

async function showBootReport(): Promise<void> {
  const doc = vscode.window.activeTextEditor?.document;
  if (!doc) {
    await liveReport.show();
    return;
  }
  await vscode.commands.executeCommand('markdown.showPreviewToSide', reportUriFor(doc.uri));
}

let registered = false;

/** Registers the transcript commands and the report documents. Call from activate() (a second call is ignored). */
export function registerTranscriptCommands(context: vscode.ExtensionContext): void {
  if (registered) return;
  registered = true;
  context.subscriptions.push({ dispose: () => (registered = false) });
  const provider = new ReportProvider(liveReport);
  const refreshView = registerBootReportView(context, liveReport);
  liveReport.onChange = () => {
    provider.refreshLive();
    refreshView();
  };
  context.subscriptions.push(
    provider,
    liveReport,
    vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, provider),
    vscode.workspace.onDidChangeTextDocument((e) => provider.refreshFor(e.document.uri)),
    vscode.commands.registerCommand('bootdbg.shareTranscript', shareTranscript),
    vscode.commands.registerCommand('bootdbg.showBootReport', showBootReport),
    vscode.commands.registerCommand('bootdbg.showLiveBootReport', () => liveReport.show()),
    vscode.debug.registerDebugAdapterTrackerFactory('windows-kd', {
      createDebugAdapterTracker(): vscode.DebugAdapterTracker {
        // Each KD session starts with an empty report; it follows the target's DbgPrint output.
        liveReport.reset();
        return {
          onDidSendMessage(message: unknown): void {
            const text = dbgPrintText(message);
            if (text !== undefined) liveReport.addText(text);
          },
        };
      },
    }),
  );
}
