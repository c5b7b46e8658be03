/**
 * What opening each demo file must do, as data shared by the in-editor tests (test/vscode/, run by
 * @vscode/test-electron inside a desktop VS Code) and the code-server e2e tests (test/e2e/), so
 * both editors are held to the same expectations.
 */
export interface OpenFileScenario {
  /** Path inside demo/. */
  file: string;
  /** The language id VS Code assigns (TextDocument.languageId). */
  languageId: string;
  /** The language's name in the status bar's language-mode item. */
  modeLabel: string;
  /** Diagnostics the language server must report for the demo file (matched against messages). */
  diagnostics: RegExp[];
}

export const OPEN_FILE_SCENARIOS: OpenFileScenario[] = [
  // demo/boot.ini: default= names no entry, and /baudrate=115201 is not a valid rate.
  { file: 'boot.ini', languageId: 'boot-ini', modeLabel: 'boot.ini', diagnostics: [/default=/i, /115201/] },
  { file: 'win2003.vmx', languageId: 'vmx', modeLabel: 'VMware configuration', diagnostics: [] },
  { file: 'prefix.S', languageId: 'gas-x86', modeLabel: 'GNU assembler (x86)', diagnostics: [] },
];

export const EXTENSION_ID = 'bootdbg.bootdbg';
