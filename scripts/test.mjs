// Runs node's built-in test runner over the compiled tests (out/test/**), unit and integration
// first, then the end-to-end suite. `--only=unit,integration` or `--only=e2e` narrows it.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const onlyArg = process.argv.find((a) => a.startsWith('--only='));
const suites = onlyArg ? onlyArg.slice('--only='.length).split(',') : ['unit', 'integration', 'e2e'];

function findTests(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}

/** The e2e suite tests what ships: the code-server/Node 24 installs (cached) and a fresh .vsix. */
function prepareE2e() {
  const steps = [
    [process.execPath, ['scripts/setup-e2e.mjs']],
    ['npm', ['run', '--silent', 'package']],
  ];
  for (const [cmd, args] of steps) {
    const t0 = Date.now();
    const r = spawnSync(cmd, args, { stdio: 'inherit' });
    console.log(`# ${cmd === 'npm' ? 'npm' : 'node'} ${args.join(' ')}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    if (r.status !== 0) return false;
  }
  return true;
}

let failed = false;
for (const suite of suites) {
  const files = findTests(join('out', 'test', suite));
  if (files.length === 0) {
    console.log(`# suite ${suite}: no tests`);
    continue;
  }
  if (suite === 'e2e' && !prepareE2e()) {
    console.log('# suite e2e: setup failed');
    failed = true;
    continue;
  }
  console.log(`# suite ${suite}: ${files.length} files`);
  const concurrency = suite === 'unit' ? '2' : '1';
  const r = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], {
    stdio: 'inherit',
    env: { ...process.env, BOOTDBG_TEST_SUITE: suite },
  });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
