// `npm run bench [-- --json FILE] [-- --filter=SUBSTR]`: runs every benchmark in test/bench/*.bench.js,
// prints a table of value, baseline and ratio, optionally writes JSON.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Benchmark } from './benchTypes';

interface Row {
  id: string;
  what: string;
  value: number | null;
  unit: string;
  baseline: number | null;
  ratio: number | null;
  goal: string;
  note?: string;
}

function loadBenchmarks(): Benchmark[] {
  const dir = __dirname;
  const all: Benchmark[] = [];
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith('.bench.js')) continue;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(join(dir, f)) as { benchmarks?: Benchmark[] };
    all.push(...(mod.benchmarks ?? []));
  }
  return all;
}

function fmt(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return '-';
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 1) return n.toFixed(2);
  return n.toPrecision(3);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const jsonIdx = args.indexOf('--json');
  const jsonFile = jsonIdx >= 0 ? args[jsonIdx + 1] : undefined;
  const filter = args.find((a) => a.startsWith('--filter='))?.slice('--filter='.length);
  const rows: Row[] = [];
  for (const b of loadBenchmarks()) {
    if (filter && !b.id.includes(filter)) continue;
    const skip = b.skip?.();
    if (skip) {
      rows.push({ id: b.id, what: b.what, value: null, unit: b.unit, baseline: null, ratio: null, goal: b.goal, note: `skipped: ${skip}` });
      continue;
    }
    try {
      const r = await b.run();
      const ratio = r.baseline !== 0 ? r.value / r.baseline : null;
      rows.push({ id: b.id, what: b.what, value: r.value, unit: b.unit, baseline: r.baseline, ratio, goal: b.goal, note: r.note });
    } catch (e) {
      rows.push({ id: b.id, what: b.what, value: null, unit: b.unit, baseline: null, ratio: null, goal: b.goal, note: `error: ${(e as Error).message}` });
    }
    const last = rows[rows.length - 1];
    console.log(`${last.id.padEnd(32)} ${fmt(last.value).padStart(10)} ${last.unit.padEnd(8)} base ${fmt(last.baseline).padStart(10)}  ratio ${fmt(last.ratio).padStart(7)}  goal ${last.goal}${last.note ? '  ' + last.note : ''}`);
  }
  console.log('\nid | what | value | baseline | ratio | goal');
  for (const r of rows) console.log(`${r.id} | ${r.what} | ${fmt(r.value)} ${r.unit} | ${fmt(r.baseline)} ${r.unit} | ${fmt(r.ratio)} | ${r.goal}`);
  if (jsonFile) writeFileSync(jsonFile, JSON.stringify(rows, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
