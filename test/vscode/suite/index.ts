/**
 * Entry point VS Code calls inside the extension host (extensionTestsPath). A small sequential
 * runner: every *.vscode-test.js next to this file exports `tests`; failures are printed and make
 * run() reject, which @vscode/test-electron turns into a non-zero exit.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface EditorTest {
  name: string;
  timeoutMs?: number;
  run(): Promise<void>;
}

function withTimeout<T>(p: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${name}: timed out after ${ms} ms`)), ms))),
  ]);
}

export async function run(): Promise<void> {
  const files = fs.readdirSync(__dirname).filter((f) => f.endsWith('.vscode-test.js')).sort();
  let failed = 0;
  let count = 0;
  for (const file of files) {
    const { tests } = (await import(path.join(__dirname, file))) as { tests: EditorTest[] };
    for (const t of tests) {
      count++;
      const t0 = Date.now();
      try {
        await withTimeout(t.run(), t.timeoutMs ?? 30000, t.name);
        console.log(`ok ${count} - ${t.name} (${Date.now() - t0} ms)`);
      } catch (err) {
        failed++;
        console.log(`not ok ${count} - ${t.name}\n  ${(err instanceof Error ? err.stack : String(err))?.replace(/\n/g, '\n  ')}`);
      }
    }
  }
  console.log(`# tests ${count}\n# pass ${count - failed}\n# fail ${failed}`);
  if (failed > 0) throw new Error(`${failed} of ${count} in-editor tests failed`);
}
