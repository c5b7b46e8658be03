/**
 * The "iSCSI Boot Report" tree view: the report of the active KD transcript, or of the live KD
 * session when no transcript editor is active. Clicking a node reveals the transcript line.
 */
import * as vscode from 'vscode';
import { buildSessionReports, type IscsiBootReport } from '../language-server/transcript/iscsiBootReport';
import { reportTree, type NodeState, type ReportTreeNode } from '../language-server/transcript/reportTree';

const ICONS: Record<NodeState, vscode.ThemeIcon> = {
  ok: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  error: new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground')),
  warning: new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground')),
  info: new vscode.ThemeIcon('info'),
};

export interface LiveReportSource {
  readonly reports: readonly IscsiBootReport[];
}

class BootReportTree implements vscode.TreeDataProvider<ReportTreeNode> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private source: vscode.TextDocument | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly live: LiveReportSource) {}

  /** Follow the active editor when it shows a transcript; keep the last one otherwise. */
  follow(editor: vscode.TextEditor | undefined): void {
    if (editor && editor.document.languageId === 'kd-transcript' && editor.document !== this.source) {
      this.source = editor.document;
      this.refresh();
    }
  }

  /** Re-render soon (edits and live output arrive in bursts). */
  refresh(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.changed.fire();
    }, 200);
  }

  documentChanged(doc: vscode.TextDocument): void {
    if (doc === this.source) this.refresh();
  }

  documentClosed(doc: vscode.TextDocument): void {
    if (doc === this.source) {
      this.source = undefined;
      this.refresh();
    }
  }

  getTreeItem(node: ReportTreeNode): vscode.TreeItem {
    const item = new vscode.TreeItem(
      node.label,
      node.children && node.children.length > 0 ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None,
    );
    item.description = node.description;
    if (node.state) item.iconPath = ICONS[node.state];
    if (node.line !== undefined && this.source) {
      const pos = new vscode.Position(node.line, 0);
      item.command = {
        command: 'vscode.open',
        title: 'Show in transcript',
        arguments: [this.source.uri, { selection: new vscode.Range(pos, pos) } satisfies vscode.TextDocumentShowOptions],
      };
      item.tooltip = `line ${node.line + 1}`;
    }
    return item;
  }

  getChildren(node?: ReportTreeNode): ReportTreeNode[] {
    if (node) return node.children ?? [];
    const reports = this.source ? buildSessionReports(this.source.getText()) : this.live.reports;
    return reportTree(reports);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.changed.dispose();
  }
}

/** Registers the view; returns a function to call when the live report changed. */
export function registerBootReportView(context: vscode.ExtensionContext, live: LiveReportSource): () => void {
  const tree = new BootReportTree(live);
  tree.follow(vscode.window.activeTextEditor);
  context.subscriptions.push(
    tree,
    vscode.window.registerTreeDataProvider('bootdbg.bootReport', tree),
    vscode.window.onDidChangeActiveTextEditor((e) => tree.follow(e)),
    vscode.workspace.onDidChangeTextDocument((e) => tree.documentChanged(e.document)),
    vscode.workspace.onDidCloseTextDocument((d) => tree.documentClosed(d)),
  );
  return () => tree.refresh();
}
