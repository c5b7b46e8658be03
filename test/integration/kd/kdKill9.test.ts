/**
 * `kill -9` of the bundled adapter in the middle of a DbgPrint flood: every line the target saw
 * acknowledged is already in the transcript (the link records a packet before it ACKs it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { repoRoot } from '../../support/dapHarness';
import { listenTcp } from '../../kdsim/kdSimTransports';

const adapter = path.join(repoRoot, 'dist', 'adapter.js');

test('kill -9 of the adapter mid-flood loses no acknowledged line from the transcript', { skip: existsSync(adapter) ? false : 'dist/adapter.js is not built', timeout: 60_000 }, async () => {
  const sim = await listenTcp({ scenario: 'dbgprint-flood', floodLines: 100000 });
  const acked: string[] = [];
  sim.sim.on('line', (l: string) => acked.push(l));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kdkill-'));
  const transcript = path.join(dir, 'flood.kdlog');
  const child = spawn(process.execPath, [adapter, '--server=0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const dc = new DebugClient('node', 'unused', 'windows-kd');
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let err = '';
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(err);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', () => reject(new Error(`adapter exited: ${err}`)));
    });
    await dc.start(port);
    await dc.initializeRequest({ adapterID: 'windows-kd', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true });
    await dc.attachRequest({ type: 'windows-kd', request: 'attach', port: `tcp:127.0.0.1:${sim.port}`, transcript } as DebugProtocol.AttachRequestArguments);
    await dc.configurationDoneRequest().catch(() => undefined);
    for (let i = 0; i < 800 && acked.length < 1000; i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(acked.length >= 1000, `flood running (${acked.length} lines acknowledged)`);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    const seenAtKill = acked.length;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(acked.length, seenAtKill, 'nothing is acknowledged after the adapter died');
    const lines = readFileSync(transcript, 'utf8').split('\n').filter((l) => l.startsWith('line '));
    assert.ok(lines.length >= acked.length, `transcript has ${lines.length} lines, target saw ${acked.length} acknowledged`);
    acked.forEach((l, i) => assert.equal(lines[i], l.replace(/\n$/, ''), `line ${i + 1}`));
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    // The adapter is gone: don't wait for a goodbye that cannot come.
    await Promise.race([dc.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 500))]);
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
