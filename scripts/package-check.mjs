// Checks a packaged .vsix the way a user would get it: only the shipped files are inside, it is
// small, and serialport's native addon loads from the shipped dist/prebuilds under every Node we
// support (Node 20 for VS Code's extension host and `node dist/adapter.js`, Node 24 for code-server).
// A probe is bundled with the same esbuild options into the extracted dist/ and moves bytes through
// a real socat pty pair. Usage: node scripts/package-check.mjs [bootdbg.vsix] [--node=PATH]... [--json]
import * as esbuild from 'esbuild';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { commonOptions } from './bundleOptions.mjs';
import { NODE24, REPO_ROOT } from './setup-e2e.mjs';

const MAX_VSIX_BYTES = 3 * 1024 * 1024;
/** Everything a .vsix may contain (vsce's own metadata, then what .vscodeignore lets through). */
const ALLOWED = [
  /^extension\.vsixmanifest$/,
  /^\[Content_Types\]\.xml$/,
  /^extension\/(package\.json|readme\.md|changelog\.md|LICENSE\.txt)$/,
  /^extension\/dist\/[^/]+\.(js|wasm)$/,
  /^extension\/dist\/prebuilds\/[^/]+\/[^/]+\.node$/,
  /^extension\/syntaxes\/[^/]+\.json$/,
  /^extension\/media\/[^/]+\.(png|svg)$/,
  /^extension\/media\/walkthrough\/[^/]+\.md$/,
];
const REQUIRED = ['extension/package.json', 'extension/dist/extension.js', 'extension/dist/adapter.js', 'extension/dist/language-server.js', 'extension/LICENSE.txt'];

function listZip(file) {
  const r = spawnSync('unzip', ['-Z1', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`unzip -Z1 ${file} failed: ${r.stderr || r.error}`);
  return r.stdout.split('\n').filter((l) => l && !l.endsWith('/'));
}

/** Start `socat` with a linked pty pair; resolves once it is relaying (its -d -d log says so). */
async function ptyPair(dir) {
  const a = join(dir, 'ttyA'), b = join(dir, 'ttyB');
  const proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (t) => (log += t));
  for (let i = 0; i < 200 && !(/starting data transfer loop/.test(log) && existsSync(a) && existsSync(b)); i++) await new Promise((r) => setTimeout(r, 50));
  if (!/starting data transfer loop/.test(log)) {
    proc.kill();
    throw new Error(`socat did not set up the pty pair: ${log}`);
  }
  return { a, b, stop: () => proc.kill() };
}

function runProbe(node, probe, a, b) {
  const r = spawnSync(node, [probe, a, b], { encoding: 'utf8', timeout: 20000 });
  if (r.status !== 0) return { node, ok: false, error: (r.stderr || String(r.error)).trim() };
  return { node, ok: true, ...JSON.parse(r.stdout.trim().split('\n').pop()) };
}

export async function checkPackage(vsix, nodes) {
  const problems = [];
  const entries = listZip(vsix);
  const size = statSync(vsix).size;
  for (const e of entries) if (!ALLOWED.some((re) => re.test(e))) problems.push(`unexpected file in package: ${e}`);
  for (const r of REQUIRED) if (!entries.includes(r)) problems.push(`missing from package: ${r}`);
  if (size > MAX_VSIX_BYTES) problems.push(`package is ${size} bytes (limit ${MAX_VSIX_BYTES})`);

  const work = mkdtempSync(join(tmpdir(), 'bootdbg-vsix-'));
  const probes = [];
  try {
    const x = spawnSync('unzip', ['-q', vsix, '-d', work], { encoding: 'utf8' });
    if (x.status !== 0) throw new Error(`unzip ${vsix} failed: ${x.stderr}`);
    const dist = join(work, 'extension', 'dist');
    const probe = join(dist, 'serial-probe.js');
    await esbuild.build({ ...commonOptions({ production: true }), logLevel: 'warning', entryPoints: [join(REPO_ROOT, 'test/e2e/fixtures/serialProbe.ts')], outfile: probe });
    for (const node of nodes) {
      const pair = await ptyPair(work);
      try {
        const result = runProbe(node, probe, pair.a, pair.b);
        probes.push(result);
        if (!result.ok) problems.push(`serialport probe failed under ${node}: ${result.error}`);
      } finally {
        pair.stop();
        rmSync(pair.a, { force: true });
        rmSync(pair.b, { force: true });
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { vsix, size, files: entries.length, probes, problems };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(REPO_ROOT, 'scripts', 'package-check.mjs')) {
  const args = process.argv.slice(2);
  const vsix = resolve(args.find((a) => !a.startsWith('--')) ?? join(REPO_ROOT, 'bootdbg.vsix'));
  const nodeArgs = args.filter((a) => a.startsWith('--node=')).map((a) => a.slice('--node='.length));
  const nodes = nodeArgs.length > 0 ? nodeArgs : [process.execPath, ...(existsSync(NODE24) ? [NODE24] : [])];
  const report = await checkPackage(vsix, nodes);
  if (args.includes('--json')) console.log(JSON.stringify(report));
  else {
    console.log(`${report.vsix}: ${report.files} files, ${(report.size / 1024).toFixed(0)} KiB`);
    for (const p of report.probes) console.log(`  serialport under ${p.node}: ${p.ok ? `ok (${p.listed} ports listed, bytes echoed)` : p.error}`);
    for (const p of report.problems) console.log(`  PROBLEM: ${p}`);
  }
  process.exit(report.problems.length === 0 ? 0 : 1);
}
