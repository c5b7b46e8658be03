/**
 * .vmx language server speed on a 10,000-line file: full diagnostics and one key-completion
 * request, each against the floor of merely splitting the same text into lines, measured in the
 * same run. Every iteration gets a distinct text so the parse cache never answers.
 */
import type { Benchmark } from './benchTypes';
import { isolatedContext } from '../../language-server/languageFeatures';
import { vmxFeatures } from '../../language-server/vmx/vmxFeatures';

/** A realistic big .vmx: a Workstation-style header and device blocks, then shared folders and
 *  guestinfo keys (unique keys), with a sprinkling of mistakes the rules must find. */
export function bigVmx(lines: number): string {
  const out = [
    '.encoding = "UTF-8"',
    'config.version = "8"',
    'virtualHW.version = "4"',
    'guestOS = "winNetStandard"',
    'memsize = "512"',
    'displayName = "XP iSCSI boot"',
    'ethernet0.present = "TRUE"',
    'ethernet0.virtualDev = "vlance"',
    'ethernet0.connectionType = "bridged"',
    'serial0.present = "TRUE"',
    'serial0.fileType = "pipe"',
    'serial0.fileName = "\\\\.\\pipe\\com_1"',
    '# shared folders',
  ];
  for (let i = 0; out.length < lines; i++) {
    const sf = `sharedFolder${i}`;
    out.push(`${sf}.present = "TRUE"`, `${sf}.enabled = "TRUE"`, `${sf}.readAccess = "TRUE"`, `${sf}.writeAccess = "FALSE"`, `${sf}.hostPath = "D:\\share\\${i}"`, `${sf}.guestName = "share${i}"`);
    out.push(`guestinfo.bench.${i} = "value |22${i}|22" # note`);
    if (i % 100 === 0) out.push(`ethernet${i % 10}.virtualDev = "e1000E "`, `sharedFolder${i}.hostPathh = "x"`);
  }
  return out.slice(0, lines).join('\r\n') + '\r\n';
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const LINE_BREAK = /\r\n|\r|\n/;

interface Measured {
  value: number;
  baseline: number;
  /** Fastest run and median CPU time: the machine may be shared, wall time alone is noisy. */
  min: number;
  cpu: number;
}

function measure(runs: number, text: string, f: (t: string) => unknown): Measured {
  const values: number[] = [];
  const baselines: number[] = [];
  const cpus: number[] = [];
  for (let i = -3; i < runs; i++) {
    const t = `${text}# run ${i}\r\n`; // distinct text: no cache hit
    const t0 = performance.now();
    t.split(LINE_BREAK);
    const t1 = performance.now();
    const c0 = process.cpuUsage();
    f(t);
    const c1 = process.cpuUsage(c0);
    const t2 = performance.now();
    if (i >= 0) {
      baselines.push(t1 - t0);
      values.push(t2 - t1);
      cpus.push((c1.user + c1.system) / 1000);
    }
  }
  return { value: median(values), baseline: median(baselines), min: Math.min(...values), cpu: median(cpus) };
}

export const benchmarks: Benchmark[] = [
  {
    id: 'vmx.diagnostics-10k',
    what: 'diagnostics for a 10,000-line .vmx vs splitting it into lines',
    unit: 'ms',
    goal: 'value <= 20 ms',
    async run() {
      const text = bigVmx(10_000);
      let count = 0;
      const r = measure(15, text, (t) => (count = vmxFeatures.diagnostics({ uri: 'file:///bench/big.vmx', text: t, ctx: isolatedContext() }).length));
      return { value: r.value, baseline: r.baseline, note: `median of 15 (fastest ${r.min.toFixed(1)} ms, CPU ${r.cpu.toFixed(1)} ms); ${count} diagnostics` };
    },
  },
  {
    id: 'vmx.completion-10k',
    what: 'key completion just after typing in a 10,000-line .vmx vs splitting it into lines',
    unit: 'ms',
    goal: 'value <= 5 ms',
    async run() {
      const base = bigVmx(10_000);
      const position = { line: 10_001, character: 4 }; // after the 10,000 lines and the "# run" line
      const uri = 'file:///bench/big.vmx';
      const values: number[] = [];
      const baselines: number[] = [];
      const cold: number[] = [];
      let count = 0;
      for (let i = -3; i < 15; i++) {
        // The server parsed the previous version (diagnostics); the user types "ethe" on a new line.
        const previous = `${base}# run ${i}\r\n`;
        vmxFeatures.diagnostics({ uri, text: previous, ctx: isolatedContext() });
        const typed = `${previous}ethe`;
        const t0 = performance.now();
        typed.split(LINE_BREAK);
        const t1 = performance.now();
        count = vmxFeatures.completions!({ uri, text: typed, ctx: isolatedContext() }, position).length;
        const t2 = performance.now();
        // A first request on an unseen document parses it all.
        const c0 = performance.now();
        vmxFeatures.completions!({ uri: `file:///bench/cold${i}.vmx`, text: `${typed}\r\n`, ctx: isolatedContext() }, position);
        const c1 = performance.now();
        if (i >= 0) {
          baselines.push(t1 - t0);
          values.push(t2 - t1);
          cold.push(c1 - c0);
        }
      }
      if (count < 10) throw new Error(`completion returned ${count} items`);
      return {
        value: median(values),
        baseline: median(baselines),
        note: `median of 15 (fastest ${Math.min(...values).toFixed(2)} ms); ${count} items; first request on an unparsed file ${median(cold).toFixed(1)} ms`,
      };
    },
  },
];
