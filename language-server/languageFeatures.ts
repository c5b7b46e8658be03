/**
 * What every language (boot.ini, .vmx, KD transcripts, LoadOrd listings) provides to the server:
 * plain functions from text to LSP results. The LSP wiring (language-server/server.ts) only routes
 * requests by languageId; tests call these functions directly.
 */
import type {
  CodeAction,
  CompletionItem,
  Diagnostic,
  DocumentSymbol,
  FoldingRange,
  Hover,
  Position,
  Range,
} from 'vscode-languageserver-types';

/** User settings that rules read (e.g. the port and baud used by "Add a debugger-enabled entry"). */
export interface BootDbgSettings {
  debugPort: string; // e.g. "com1"
  baudRate: number; // e.g. 115200
  redactNames: boolean;
}

export const DEFAULT_SETTINGS: BootDbgSettings = { debugPort: 'com1', baudRate: 115200, redactNames: false };

/** A `windows-kd` launch configuration found in the workspace (for cross-file checks). */
export interface KdLaunchConfig {
  name: string;
  port?: string;
  baudRate?: number;
  /** Where it was found (launch.json URI) for messages. */
  uri: string;
}

/** Access to the rest of the workspace, so rules stay pure and tests can fake it. */
export interface WorkspaceContext {
  /** Text of another document (open buffers first, then disk); undefined when missing. */
  readText(uri: string): string | undefined;
  /** URIs of the files in the same folder as `uri` (not recursive). */
  siblings(uri: string): string[];
  kdLaunchConfigs(): KdLaunchConfig[];
  settings: BootDbgSettings;
}

export interface DocumentInput {
  uri: string;
  text: string;
  ctx: WorkspaceContext;
}

export interface LanguageFeatures {
  languageId: string;
  diagnostics(doc: DocumentInput): Diagnostic[];
  completions?(doc: DocumentInput, position: Position): CompletionItem[];
  hover?(doc: DocumentInput, position: Position): Hover | null;
  codeActions?(doc: DocumentInput, range: Range, diagnostics: Diagnostic[]): CodeAction[];
  documentSymbols?(doc: DocumentInput): DocumentSymbol[];
  foldingRanges?(doc: DocumentInput): FoldingRange[];
}

/** A WorkspaceContext with nothing around the document: for tests and single-file use. */
export function isolatedContext(settings: Partial<BootDbgSettings> = {}): WorkspaceContext {
  return {
    readText: () => undefined,
    siblings: () => [],
    kdLaunchConfigs: () => [],
    settings: { ...DEFAULT_SETTINGS, ...settings },
  };
}
