/**
 * Issue 7, e2e (d): a .vmx for a diskless iSCSI-booting VM without a SCSI controller. In a
 * throw-away copy of demo/: open win2003.vmx → the `vmx/iscsi-nic-slot` diagnostic is in the
 * Problems panel and squiggles the NIC; Ctrl+. on it → "Add scsi0.present = "TRUE"" → the editor
 * (and, after Ctrl+S, the file) has the line and the diagnostic is gone. Screenshots in test-artifacts/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEMO_DIR, copyFolder, e2eUnavailable, startE2e, waitFor, type E2eSession } from './harness';
import { applyQuickFix, problemsPanelText, saveAndWaitForDisk, waitForSquiggle } from './editorHelpers';

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

test('win2003.vmx without a SCSI controller: vmx/iscsi-nic-slot in Problems, its quick fix adds scsi0.present = "TRUE"', { skip: unavailable ?? false, timeout: 150000 }, async () => {
  const wb = session.workbench;
  const vmx = path.join(workspace, 'win2003.vmx');
  const original = fs.readFileSync(vmx, 'utf8');
  assert.doesNotMatch(original, /^scsi0\./m, 'the demo .vmx has no SCSI controller');
  const nicLine = original.split(/\r?\n/).findIndex((l) => /^ethernet0\.present/.test(l)) + 1;
  assert.ok(nicLine > 0);

  await wb.quickOpen('win2003.vmx');
  await wb.waitForProblem(/No SCSI controller is present/, 60000);
  const panel = await problemsPanelText(wb);
  assert.match(panel, /bootdbg\W*vmx\/iscsi-nic-slot/, `the Problems row names the rule:\n${panel}`);
  await wb.quickOpen('win2003.vmx'); // the Problems panel took the focus
  await waitForSquiggle(wb, nicLine);
  await wb.screenshot('vmx-fix-diagnostic');

  await wb.goToLine(nicLine);
  await applyQuickFix(wb, 'scsi0.present = "TRUE"');
  const editor = (await wb.editorText()).replace(/\u00a0/g, ' ');
  assert.match(editor, /scsi0\.present = "TRUE"/, `the editor shows the new line:\n${editor}`);
  await wb.screenshot('vmx-fix-applied');
  const saved = await saveAndWaitForDisk(wb, vmx, 'scsi0.present = "TRUE"');
  assert.equal(saved.split(/\r?\n/).length, original.split(/\r?\n/).length + 1, 'exactly one line was added');
  // With the controller present the rule is satisfied: its Problems row goes away.
  await waitFor(async () => (/iscsi-nic-slot/.test(await problemsPanelText(wb)) ? undefined : true), 30000, 'vmx/iscsi-nic-slot to leave the Problems panel');
});
