/**
 * Reliability of the whole receive path: 10,000 DbgPrint lines from the simulator through seeded
 * faults (bytes dropped, corrupted and duplicated in both directions) must reach the transcript
 * exactly once and in order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listenTcp } from '../../kdsim/kdSimTransports';
import { floodLine } from '../../kdsim/kdSimScenarios';
import { Harness } from './kdHarness';

const LINES = 10000;
/** A flood line is ~97 bytes on the wire: ≈2 % of packets get each kind of fault. */
const PER_BYTE = 0.02 / 97;

test(`${LINES} DbgPrint lines through drop + corrupt + duplicate faults arrive exactly once, in order`, { timeout: 300000 }, async () => {
  const sim = await listenTcp({
    scenario: 'dbgprint-flood',
    floodLines: LINES,
    seed: 42,
    faults: { drop: PER_BYTE, corrupt: PER_BYTE, duplicate: PER_BYTE, receive: true },
    ackTimeoutMs: 50,
    printRetries: 1000,
  });
  const h = new Harness(`tcp:127.0.0.1:${sim.port}`, { ackTimeoutMs: 100 });
  try {
    await h.target.start();
    await h.target.configurationDone();
    const last = floodLine(LINES);
    await h.waitFor('output', (o) => o.text === last, 280000);
    const body = h.transcriptText().split('\n').filter((l) => l.startsWith('line '));
    assert.equal(body.length, LINES);
    for (let i = 0; i < LINES; i++) assert.equal(body[i] + '\n', floodLine(i + 1), `line ${i + 1}`);
    const st = sim.sim.stats;
    const faults = st.txFaults.dropped + st.txFaults.corrupted + st.txFaults.duplicated + st.rxFaults.dropped + st.rxFaults.corrupted + st.rxFaults.duplicated;
    assert.ok(faults > 300, `faults were injected (${JSON.stringify(st.txFaults)} / ${JSON.stringify(st.rxFaults)})`);
    assert.ok(st.retransmissions > 100, 'the target had to retransmit');
    assert.equal(st.printsGivenUp, 0);
  } finally {
    await h.dispose();
    await sim.close();
  }
});
