/**
 * `npm run test:vscode`: runs the in-editor tests (test/vscode/suite) in a desktop VS Code with this
 * repository as the extension under development and a copy of demo/ as the workspace. Uses
 * $VSCODE_EXECUTABLE when set, otherwise @vscode/test-electron downloads VS Code (needs network).
 * Build first: `npm run compile && npm run build`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';

const repoRoot = path.resolve(__dirname, '..', '..', '..');

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(repoRoot, 'dist', 'extension.js'))) throw new Error('dist/extension.js is missing: run `npm run build` first');
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bootdbg-vscode-test-'));
  const workspace = path.join(scratch, 'demo');
  fs.cpSync(path.join(repoRoot, 'demo'), workspace, { recursive: true, filter: (p) => !p.split(path.sep).includes('build') });
  try {
    await runTests({
      vscodeExecutablePath: process.env.VSCODE_EXECUTABLE || undefined,
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: path.join(__dirname, 'suite', 'index'),
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes', `--user-data-dir=${path.join(scratch, 'user-data')}`],
    });
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`test:vscode failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
