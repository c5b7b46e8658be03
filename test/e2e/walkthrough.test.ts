/**
 * Issue 7 item 2 (walkthrough): the packaged extension contributes a walkthrough that the
 * workbench lists ("Welcome: Open Walkthrough…") and opens with its steps, whose markdown pages
 * (media/walkthrough/) are in the .vsix. Screenshot in test-artifacts/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_DIR, copyFolder, e2eUnavailable, startE2e, waitFor, type E2eSession } from './harness';

const unavailable = e2eUnavailable();
let session: E2eSession;
const TITLE = 'Debug a boot prefix with BootDbg';
const STEPS = ['Open the demo folder', 'Build the prefix', 'Set a breakpoint in prefix.S', 'Press F5', 'Step'];

before(async () => {
  if (unavailable) return;
  session = await startE2e(copyFolder(DEMO_DIR));
}, { timeout: 180000 });

after(async () => {
  await session?.stop();
});

test('the BootDbg walkthrough is listed and opens with its five steps', { skip: unavailable ?? false, timeout: 120000 }, async () => {
  const wb = session.workbench;
  // Activation is lazy, but walkthroughs are static contributions: listed without opening a file.
  const items = await waitFor(async () => {
    const labels = await wb.quickPickItems('Welcome: Open Walkthrough...');
    return labels.some((l) => l.includes(TITLE)) ? labels : undefined;
  }, 30000, `"${TITLE}" in the walkthrough list`);
  assert.ok(items.length > 0);
  await wb.runCommand('Welcome: Open Walkthrough...');
  await wb.page.locator('.quick-input-list .monaco-list-row', { hasText: TITLE }).first().click();
  const page = wb.page.locator('.gettingStartedContainer');
  await page.waitFor({ timeout: 20000 });
  const text = await waitFor(async () => {
    const t = await page.innerText().catch(() => '');
    return STEPS.every((s) => t.includes(s)) ? t : undefined;
  }, 20000, 'the walkthrough steps');
  assert.match(text, /Clone the BootDbg repository/, 'the first step is open with its description');
  // The step's markdown page (media/walkthrough/open-demo.md, from the .vsix) renders in a webview frame.
  await waitFor(async () => {
    for (const f of wb.page.frames()) {
      if (f === wb.page.mainFrame()) continue;
      const body = await f.locator('body').innerText({ timeout: 1000 }).catch(() => '');
      if (/has a demo\/ folder made for this walkthrough/.test(body)) return true;
    }
    return undefined;
  }, 20000, 'the first step\'s markdown page');
  await wb.screenshot('walkthrough');
});
