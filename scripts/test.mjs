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

let failed = false;
for (const suite of suites) {
  const files = findTests(join('out', 'test', suite));
  if (files.length === 0) {
    console.log(`# suite ${suite}: no tests`);
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
