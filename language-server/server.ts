/**
 * Thin LSP wiring: incremental text sync, diagnostics pushed per document on open and (lightly
 * debounced) on change, and completion/hover/code actions/symbols/folding routed by languageId to
 * the LanguageFeatures registry (languages.ts). No language knowledge lives here.
 */
import {
  CodeActionKind,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  TextDocuments,
  TextDocumentSyncKind,
  type Connection,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { DocumentInput, LanguageFeatures } from './languageFeatures';
import { featuresFor } from './languages';
import { ServerWorkspaceContext, settingsFrom } from './workspaceContext';

/** Delay between the last keystroke and re-checking a document. */
export const DIAGNOSTICS_DEBOUNCE_MS = 150;
/** Characters after which clients should ask for completions (union over the languages). */
export const COMPLETION_TRIGGERS = ['[', '/', '=', ':', '.', '"'];

export function startServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  const ctx = new ServerWorkspaceContext({ text: (uri) => documents.get(uri)?.getText() });
  const timers = new Map<string, NodeJS.Timeout>();
  let canPullConfiguration = false;
  let canWatchFiles = false;
  let initOptionsSettings: unknown;

  const input = (doc: TextDocument): DocumentInput => ({ uri: doc.uri, text: doc.getText(), ctx });

  /** Runs a feature function; a failure is logged and answered with `fallback`, never a crash. */
  function guarded<T>(what: string, uri: string, fallback: T, f: () => T): T {
    try {
      return f();
    } catch (e) {
      connection.console.error(`${what} failed for ${uri}: ${(e as Error)?.stack ?? String(e)}`);
      return fallback;
    }
  }

  function withFeatures<T>(uri: string, fallback: T, what: string, f: (lang: LanguageFeatures, doc: TextDocument) => T): T {
    const doc = documents.get(uri);
    const lang = doc && featuresFor(doc.languageId);
    if (!doc || !lang) return fallback;
    return guarded(what, uri, fallback, () => f(lang, doc));
  }

  function validate(uri: string): void {
    timers.delete(uri);
    const doc = documents.get(uri);
    if (!doc) return;
    const lang = featuresFor(doc.languageId);
    if (!lang) return;
    const diagnostics = guarded('diagnostics', uri, [], () => lang.diagnostics(input(doc)));
    void connection.sendDiagnostics({ uri, version: doc.version, diagnostics });
  }

  function schedule(uri: string, delay: number): void {
    const t = timers.get(uri);
    if (t) clearTimeout(t);
    timers.set(uri, setTimeout(() => validate(uri), delay));
  }

  function revalidateAll(delay: number): void {
    for (const d of documents.all()) schedule(d.uri, delay);
  }

  async function refreshSettings(pushed?: unknown): Promise<void> {
    let config: unknown = pushed;
    if (canPullConfiguration) {
      try {
        config = await connection.workspace.getConfiguration('bootdbg');
      } catch (e) {
        connection.console.warn(`workspace/configuration failed: ${(e as Error).message}`);
      }
    }
    ctx.settings = settingsFrom(config, settingsFrom(initOptionsSettings));
  }

  connection.onInitialize((params): InitializeResult => {
    const caps = params.capabilities;
    canPullConfiguration = !!caps.workspace?.configuration;
    canWatchFiles = !!caps.workspace?.didChangeWatchedFiles?.dynamicRegistration;
    const init = params.initializationOptions as Record<string, unknown> | undefined;
    initOptionsSettings = init?.bootdbg ?? init?.settings ?? init;
    ctx.settings = settingsFrom(initOptionsSettings);
    ctx.folders = (params.workspaceFolders ?? []).map((f) => f.uri);
    if (ctx.folders.length === 0 && params.rootUri) ctx.folders = [params.rootUri];
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        completionProvider: { triggerCharacters: COMPLETION_TRIGGERS, resolveProvider: false },
        hoverProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        documentSymbolProvider: true,
        foldingRangeProvider: true,
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: 'bootdbg-language-server', version: '0.1.0' },
    };
  });

  connection.onInitialized(async () => {
    if (canPullConfiguration) {
      void connection.client.register(DidChangeConfigurationNotification.type, { section: 'bootdbg' }).catch(() => undefined);
    }
    if (canWatchFiles) {
      void connection.client
        .register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: '**/.vscode/launch.json' }, { globPattern: '**/*.vmx' }, { globPattern: '**/[bB][oO][oO][tT].[iI][nN][iI]' }] })
        .catch(() => undefined);
    }
    try {
      connection.workspace.onDidChangeWorkspaceFolders((ev) => {
        const removed = new Set(ev.removed.map((f) => f.uri));
        ctx.folders = [...ctx.folders.filter((f) => !removed.has(f)), ...ev.added.map((f) => f.uri)];
        ctx.invalidate();
        revalidateAll(0);
      });
    } catch {
      // client without workspace-folder notifications
    }
    await refreshSettings();
    revalidateAll(0);
  });

  connection.onDidChangeConfiguration(async (params) => {
    const pushed = (params.settings as Record<string, unknown> | undefined)?.bootdbg;
    await refreshSettings(pushed);
    revalidateAll(0);
  });

  connection.onDidChangeWatchedFiles(() => {
    ctx.invalidate();
    revalidateAll(DIAGNOSTICS_DEBOUNCE_MS);
  });

  documents.onDidOpen((e) => {
    validate(e.document.uri);
    // Cross-file rules (boot.ini ↔ .vmx ↔ launch.json) may see the new text.
    for (const d of documents.all()) if (d.uri !== e.document.uri) schedule(d.uri, DIAGNOSTICS_DEBOUNCE_MS * 3);
  });
  documents.onDidChangeContent((e) => {
    schedule(e.document.uri, DIAGNOSTICS_DEBOUNCE_MS);
    for (const d of documents.all()) if (d.uri !== e.document.uri && !timers.has(d.uri)) schedule(d.uri, DIAGNOSTICS_DEBOUNCE_MS * 3);
  });
  documents.onDidClose((e) => {
    const t = timers.get(e.document.uri);
    if (t) clearTimeout(t);
    timers.delete(e.document.uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  connection.onCompletion((p) => withFeatures(p.textDocument.uri, [], 'completion', (lang, doc) => lang.completions?.(input(doc), p.position) ?? []));
  connection.onHover((p) => withFeatures(p.textDocument.uri, null, 'hover', (lang, doc) => lang.hover?.(input(doc), p.position) ?? null));
  connection.onCodeAction((p) => withFeatures(p.textDocument.uri, [], 'codeAction', (lang, doc) => lang.codeActions?.(input(doc), p.range, p.context.diagnostics) ?? []));
  connection.onDocumentSymbol((p) => withFeatures(p.textDocument.uri, [], 'documentSymbol', (lang, doc) => lang.documentSymbols?.(input(doc)) ?? []));
  connection.onFoldingRanges((p) => withFeatures(p.textDocument.uri, [], 'foldingRange', (lang, doc) => lang.foldingRanges?.(input(doc)) ?? []));

  connection.onShutdown(() => {
    for (const t of timers.values()) clearTimeout(t);
    timers.clear();
  });

  documents.listen(connection);
  connection.listen();
}
