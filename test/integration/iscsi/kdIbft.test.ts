/**
 * The iBFT through the windows-kd debugger: the KD target simulator boots with sanbootconf's iBFT
 * dump (iscsi-boot scenario) and holds the table iPXE left at physical 0x9E620; after a break-in,
 * the shared scanner reads it through `bootdbg.readPhysical` (KD ReadPhysicalMemory), decodes it,
 * and the comparison with the transcript's iSCSI boot report agrees on every NIC/target field and
 * flags the initiator IQN Windows printed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { listenTcp } from '../../kdsim/kdSimTransports';
import { Harness } from '../kd/kdHarness';
import { findIbft } from '../../../adapter/ibft/ibftDecoder';
import { compareIbftWithReport, disagreements } from '../../../adapter/ibft/ibftCompare';
import { buildReport } from '../../../language-server/transcript/iscsiBootReport';

test('windows-kd: Show iBFT reads physical memory over KD; firmware compared with the transcript', { timeout: 60_000 }, async () => {
  const sim = await listenTcp({ scenario: 'iscsi-boot' });
  const h = new Harness(`tcp:127.0.0.1:${sim.port}`);
  try {
    await h.target.start();
    await h.target.configurationDone();
    await h.waitForOutput(/iSCSI boot complete/);
    await h.target.pause();
    assert.equal((await h.nextStop()).reason, 'pause');
    const report = buildReport(readFileSync(h.transcript, 'utf8'));
    assert.equal(report.ibft.found?.address, '9e620');
    let reads = 0;
    const scan = await findIbft(
      async (address, length) => {
        reads++;
        const r = (await h.target.customRequest!('bootdbg.readPhysical', { address, length })) as { data: string };
        return Buffer.from(r.data, 'base64');
      },
      { hint: Number.parseInt(report.ibft.found!.address!, 16) },
    );
    assert.equal(scan.address, 0x9e620, scan.summary);
    assert.ok(reads <= 2, `the transcript's address is tried first (${reads} reads)`);
    const t = scan.result!.table!;
    assert.equal(t.initiator?.name, 'iqn.2010-04.org.ipxe:xpclient');
    assert.deepEqual([t.nics[0].ip, t.nics[0].mac, t.nics[0].pci, t.nics[0].hostname], ['10.0.2.15', '52:54:00:12:34:56', '00:03.0', 'xpclient']);
    assert.deepEqual([t.targets[0].ip, t.targets[0].port, t.targets[0].lunNumber, t.targets[0].name], ['10.0.2.2', 3260, 1, 'iqn.2010-04.org.example:disk1']);
    const items = compareIbftWithReport(t, scan.address, report);
    assert.ok(items.length >= 15, `${items.length} fields compared`);
    // The simulated boot also runs the Microsoft initiator, whose IscsiBP line names Windows' own
    // initiator IQN: the one disagreement a user must see; every NIC and target field agrees.
    assert.deepEqual(
      disagreements(items).map((c) => [c.section, c.field, c.firmware, c.transcript, c.verdict]),
      [['initiator', 'name', 'iqn.2010-04.org.ipxe:xpclient', 'iqn.1991-05.com.microsoft:xpclient', 'differ']],
    );
    assert.ok(items.some((c) => c.section === 'target 0' && c.field === 'LUN' && c.verdict === 'agree'), 'LUN as sanbootconf prints it');
    // Without the hint the scanner finds it too (128 KiB over KD in 0xF68-byte-or-less packets).
    const full = await findIbft(async (address, length) => {
      const r = (await h.target.customRequest!('bootdbg.readPhysical', { address, length })) as { data: string };
      return Buffer.from(r.data, 'base64');
    });
    assert.equal(full.address, 0x9e620, full.summary);
  } finally {
    await h.dispose();
    await sim.close();
  }
});
