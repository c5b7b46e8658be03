/**
 * Issue 7, e2e (b): editing boot.ini with linting, the way a person does. In a throw-away copy of
 * demo/: open boot.ini → the wrong `default=` and the bad baud rate are squiggled in the editor and
 * listed in the Problems panel; put the cursor on an OS entry, Ctrl+. → "Add a debugger-enabled
 * entry" → the editor (and, after Ctrl+S, the file) holds a copy of that entry with the debug
 * switches. Screenshots in test-artifacts/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEMO_DIR, copyFolder, e2eUnavailable, startE2e, type E2eSession } from './harness';
import { applyQuickFix, saveAndWaitForDisk, waitForSquiggle } from './editorHelpers';

const unavailable = e2eUnavailable();
let session: E2eSession;
let workspace: string;

before(async () => {
  if (unavailable) return;
  workspace = copyFolder(DEMO_DIR);
  session = await startE2e(workspace);
}, { timeout: 180000 });

after(async () => {
  await session?.stop();
});

/** 1-based line of the first line of `file` matching `re`. */
function lineOf(file: string, re: RegExp): number {
  const i = fs.readFileSync(file, 'utf8').split(/\r?\n/).findIndex((l) => re.test(l));
  assert.ok(i >= 0, `${path.basename(file)} has a line matching ${re}`);
  return i + 1;
}

test('boot.ini: squiggles and Problems for default= and the baud rate; the lightbulb adds a debugger-enabled entry', { skip: unavailable ?? false, timeout: 150000 }, async () => {
  const wb = session.workbench;
  const bootIni = path.join(workspace, 'boot.ini');
  const defaultLine = lineOf(bootIni, /^default=/);
  const baudLine = lineOf(bootIni, /baudrate=115201/);
  const osLine = lineOf(bootIni, /^multi\(0\).*="Windows Server 2003, Enterprise" /);

  await wb.quickOpen('boot.ini');
  const rows = await wb.waitForProblem(/115201/, 60000);
  assert.ok(rows.some((r) => /default=/i.test(r)), `a Problems row about default=:\n${rows.join('\n')}`);
  await wb.quickOpen('boot.ini'); // back to the editor: the Problems panel took the focus
  await waitForSquiggle(wb, defaultLine);
  await waitForSquiggle(wb, baudLine);
  await wb.screenshot('boot-ini-fix-diagnostics');

  await wb.goToLine(osLine);
  const titles = await applyQuickFix(wb, 'Add a debugger-enabled entry');
  assert.ok(titles.length > 0);
  const expected = /="Windows Server 2003, Enterprise \(kernel debug\)" \/noexecute=optout \/fastdetect \/debug \/debugport=com1 \/baudrate=115200 \/break/;
  const editor = await wb.editorText();
  assert.match(editor.replace(/\u00a0/g, ' '), expected, `the editor shows the new entry:\n${editor}`);
  await wb.screenshot('boot-ini-fix-applied');
  const saved = await saveAndWaitForDisk(wb, bootIni, expected);
  const lines = saved.split(/\r?\n/);
  assert.match(lines[osLine], expected, 'the copy is inserted right after the entry it was made from');
  assert.equal(lines.length, fs.readFileSync(path.join(DEMO_DIR, 'boot.ini'), 'utf8').split(/\r?\n/).length + 1, 'exactly one line was added');
});
