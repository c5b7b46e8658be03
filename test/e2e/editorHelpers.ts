/**
 * Editor operations the issue-7 e2e tests need on top of harness.ts: squiggles in the active
 * editor (read from the rendered decorations and mapped to line numbers by position), the
 * lightbulb's quick-fix menu (Ctrl+.), and saving a file and waiting for it on disk.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { waitFor, type Workbench } from './harness';

/** Lines (1-based) of the active editor carrying a squiggle of `severity` ("error", "warning", "info"). */
export async function squiggleLines(wb: Workbench, severity: 'error' | 'warning' | 'info'): Promise<number[]> {
  const editor = wb.page.locator('.editor-instance').first();
  const tops = await editor.locator(`.view-overlays .cdr.squiggly-${severity}, .view-overlays .squiggly-${severity}`).evaluateAll((els) =>
    els.map((e) => {
      const r = e.getBoundingClientRect();
      return r.top + r.height / 2;
    }),
  );
  const numbers = await editor.locator('.line-numbers').evaluateAll((els) =>
    els.map((e) => {
      const r = e.getBoundingClientRect();
      return { top: r.top, bottom: r.bottom, line: Number(e.textContent) };
    }),
  );
  const lines = tops.flatMap((y) => numbers.filter((n) => y >= n.top && y < n.bottom).map((n) => n.line));
  return [...new Set(lines)].sort((a, b) => a - b);
}

/** Wait until line `line` of the active editor shows a squiggle of any severity. */
export async function waitForSquiggle(wb: Workbench, line: number, timeoutMs = 30000): Promise<void> {
  await waitFor(async () => {
    for (const s of ['error', 'warning', 'info'] as const) if ((await squiggleLines(wb, s)).includes(line)) return true;
    return undefined;
  }, timeoutMs, `a squiggle on line ${line}`);
}

/** Titles in the quick-fix menu that Ctrl+. opens at the cursor (the menu stays open). */
export async function openQuickFixMenu(wb: Workbench, timeoutMs = 20000): Promise<string[]> {
  const rows = wb.page.locator('.action-widget .monaco-list-row.action');
  return waitFor(async () => {
    if (!(await rows.first().isVisible().catch(() => false))) {
      await wb.page.keyboard.press('Escape');
      await wb.page.keyboard.press('Control+.');
      await rows.first().waitFor({ timeout: 3000 }).catch(() => undefined);
    }
    const titles = await rows.evaluateAll((els) => els.map((e) => (e.getAttribute('aria-label') ?? e.textContent ?? '').trim()));
    return titles.length > 0 ? titles : undefined;
  }, timeoutMs, 'the quick-fix menu (Ctrl+.)');
}

/** Ctrl+. at the cursor, then click the action whose title contains `title`. */
export async function applyQuickFix(wb: Workbench, title: string, timeoutMs = 20000): Promise<string[]> {
  const titles = await waitFor(async () => {
    const t = await openQuickFixMenu(wb, timeoutMs);
    return t.some((x) => x.includes(title)) ? t : undefined;
  }, timeoutMs, `a quick fix "${title}"`).catch(async (err: Error) => {
    await wb.screenshot(`failed-quick-fix-${title}`).catch(() => undefined);
    throw err;
  });
  // The menu is rebuilt when fresh diagnostics arrive while it is open (the row detaches under the
  // click): reopen it and click again until the click lands.
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await wb.page.locator('.action-widget .monaco-list-row.action', { hasText: title }).first().click({ timeout: 3000 });
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        await wb.screenshot(`failed-quick-fix-click-${title}`).catch(() => undefined);
        throw err;
      }
      await wb.page.keyboard.press('Escape');
      await openQuickFixMenu(wb, timeoutMs);
    }
  }
  await wb.page.locator('.action-widget').waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
  return titles;
}

/** Ctrl+S and wait until the file on disk contains `expected`. */
export async function saveAndWaitForDisk(wb: Workbench, file: string, expected: string | RegExp, timeoutMs = 10000): Promise<string> {
  await wb.page.keyboard.press('Control+S');
  return waitFor(() => {
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    const ok = typeof expected === 'string' ? text.includes(expected) : expected.test(text);
    return ok ? text : undefined;
  }, timeoutMs, `${path.basename(file)} on disk to contain ${String(expected)}`);
}

/** The Problems panel's rendered text (message, source(code), position per row); the rows'
 *  accessible labels leave the diagnostic code out. */
export async function problemsPanelText(wb: Workbench): Promise<string> {
  await wb.problems();
  return wb.page.locator('.markers-panel').innerText();
}

/** Wait until the debugger is stopped (the toolbar offers Continue) and the Call Stack shows a
 *  frame matching `frame`; returns the Call Stack's text (its header carries the stop reason, e.g.
 *  "Break instruction exception", which harness.waitForPaused's "Paused on …" does not cover). */
export async function waitForStoppedIn(wb: Workbench, frame: RegExp, timeoutMs = 60000): Promise<string> {
  try {
    await wb.page.locator('.debug-toolbar .codicon-debug-continue').first().waitFor({ timeout: timeoutMs });
    await wb.runCommand('View: Show Run and Debug');
    const view = wb.page.locator('.debug-call-stack');
    const header = wb.page.locator('.pane-header', { hasText: 'Call Stack' }).first();
    return await waitFor(async () => {
      const frames = await view.innerText().catch(() => '');
      const reason = await header.innerText().catch(() => '');
      return frame.test(frames) ? `${reason}\n${frames}` : undefined;
    }, 20000, `a frame matching ${frame} in the Call Stack`);
  } catch (err) {
    await wb.screenshot(`failed-stopped-in-${frame.source}`).catch(() => undefined);
    throw err;
  }
}

/** Debug Console rows containing `text`: the console renders only the rows in view, so type `text`
 *  into its filter box (as a person would to find a line), read, then clear the filter. */
export async function debugConsoleLinesWith(wb: Workbench, text: string): Promise<string> {
  await wb.debugConsoleText();
  const filter = wb.page.getByPlaceholder(/^Filter \(e\.g\. text, !exclude/).first();
  await filter.fill(text);
  await wb.page.waitForTimeout(500);
  const rows = await wb.page.locator('.repl .monaco-list-rows').innerText();
  await filter.fill('');
  return rows;
}

/** Click the active editor's gutter (glyph margin) beside `line`, as a person sets a breakpoint;
 *  resolves when a breakpoint glyph shows there. */
export async function clickGutter(wb: Workbench, line: number): Promise<void> {
  await wb.goToLine(line);
  const editor = wb.page.locator('.editor-instance').first();
  const lineBox = await editor.locator('.line-numbers', { hasText: new RegExp(`^${line}$`) }).first().boundingBox();
  const margin = await editor.locator('.glyph-margin').first().boundingBox();
  if (!lineBox || !margin) throw new Error(`line ${line} or the glyph margin is not rendered`);
  await wb.page.mouse.click(margin.x + margin.width / 2, lineBox.y + lineBox.height / 2);
  await waitFor(async () => ((await wb.glyphLines('debug-breakpoint')).includes(line) ? true : undefined), 10000, `a breakpoint glyph on line ${line}`);
}
