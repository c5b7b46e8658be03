// Language-server benchmarks: each feature call on a large document against the floor of merely
// splitting the same text into lines, measured in the same run (median of several runs each).
// Shared by the boot.ini and .vmx languages: add a language's benchmarks to `benchmarks` below.
import type { Benchmark, BenchResult } from './benchTypes';
import { bootIniFeatures } from '../../language-server/bootini';
import { featuresFor } from '../../language-server/languages';
import { vmxFeatures } from '../../language-server/vmx/vmxFeatures';
import { isolatedContext, type DocumentInput, type LanguageFeatures } from '../../language-server/languageFeatures';

/** Median wall time of `runs` calls of `f`, in ms (after `warmup` untimed calls). */
export function medianMs(f: () => unknown, runs = 25, warmup = 5): number {
  for (let i = 0; i < warmup; i++) f();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** The baseline every language benchmark is measured against: splitting the text into lines. */
export function splitLinesMs(text: string, runs = 25): number {
  return medianMs(() => text.split(/\r\n|\r|\n/), runs);
}

/**
 * A document input whose text differs on every call (a trailing blank line toggles), so per-text
 * parse caches cannot turn the measurement into a lookup.
 */
export function freshInputs(uri: string, text: string): () => DocumentInput {
  const ctx = isolatedContext();
  let n = 0;
  return () => ({ uri, text: n++ % 2 === 0 ? text : text + '\r\n', ctx });
}

/** Measures `f` on fresh inputs of `text` against splitting `text` into lines. */
export function againstSplit(text: string, f: (doc: DocumentInput) => unknown, uri: string, note: string): BenchResult {
  const next = freshInputs(uri, text);
  const value = medianMs(() => f(next()));
  const baseline = splitLinesMs(text);
  return { value, baseline, note };
}

/** A large but realistic boot.ini: many entries with switches, some of them wrong. */
export function largeBootIni(entries: number): string {
  const lines = ['[boot loader]', 'timeout=30', 'default=multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS', 'redirect=COM2', '[operating systems]'];
  const switchSets = [
    '/fastdetect /noexecute=optin',
    '/fastdetect /debug /debugport=com1 /baudrate=115200 /break',
    '/3GB /userva=3030 /pae',
    '/safeboot:minimal /sos /bootlog /noguiboot',
    '/debug /debugport=1394 /channel=12',
    '/baudrate=12345 /fastdetct /nodebug /debug',
    '/redirect /maxmem=512 /numproc=2',
  ];
  for (let i = 0; i < entries; i++) {
    const p = `multi(0)disk(0)rdisk(${i % 4})partition(${1 + (i % 7)})\\WINDOWS${i % 10 === 0 ? '' : i}`;
    lines.push(`${p}="Windows XP entry ${i}" ${switchSets[i % switchSets.length]}`);
  }
  return lines.join('\r\n') + '\r\n';
}


// --- .vmx ------------------------------------------------------------------------------------

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

function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** boot.ini as the server registers it (with the cross-file checks), falling back to the bare features. */
const bootIni: LanguageFeatures = featuresFor('boot-ini') ?? bootIniFeatures;
const BIG_BOOT_INI_ENTRIES = 10_000;
const LARGE_BOOT_INI_ENTRIES = 1_000;

export const benchmarks: Benchmark[] = [
  {
    id: 'lang.bootini-diagnostics-10k',
    what: `boot.ini diagnostics, ${BIG_BOOT_INI_ENTRIES.toLocaleString('en')}-entry file, vs splitting it into lines`,
    unit: 'ms',
    goal: 'value <= 200 ms (scale check)',
    async run() {
      const text = largeBootIni(BIG_BOOT_INI_ENTRIES);
      let count = 0;
      const r = againstSplit(text, (doc) => (count = bootIni.diagnostics(doc).length), 'file:///bench/boot.ini', '');
      return { ...r, note: `${text.length} chars, ${count} diagnostics, median of 25` };
    },
  },
  {
    id: 'lang.bootini-completion-10k',
    what: 'boot.ini switch completion on the last line of the same file (parse included), vs splitting it into lines',
    unit: 'ms',
    goal: 'value <= 50 ms (scale check)',
    async run() {
      const text = largeBootIni(BIG_BOOT_INI_ENTRIES);
      const lines = text.split('\r\n');
      const line = lines.length - 2;
      const position = { line, character: lines[line].length };
      let count = 0;
      const r = againstSplit(text, (doc) => (count = bootIni.completions!(doc, position).length), 'file:///bench/boot.ini', '');
      return { ...r, note: `${count} items, median of 25` };
    },
  },
  {
    id: 'lang.bootini-diagnostics-1k',
    what: `boot.ini diagnostics, ${LARGE_BOOT_INI_ENTRIES.toLocaleString('en')}-entry file (100× what NTLDR can show), vs splitting it into lines`,
    unit: 'ms',
    goal: 'value <= 20 ms',
    async run() {
      const text = largeBootIni(LARGE_BOOT_INI_ENTRIES);
      let count = 0;
      const r = againstSplit(text, (doc) => (count = bootIni.diagnostics(doc).length), 'file:///bench/boot.ini', '');
      return { ...r, note: `${count} diagnostics, median of 25` };
    },
  },
  {
    id: 'lang.bootini-completion-1k',
    what: 'boot.ini switch completion on the last line of the 1,000-entry file (parse included), vs splitting it into lines',
    unit: 'ms',
    goal: 'value <= 5 ms',
    async run() {
      const text = largeBootIni(LARGE_BOOT_INI_ENTRIES);
      const lines = text.split('\r\n');
      const line = lines.length - 2;
      const position = { line, character: lines[line].length };
      return againstSplit(text, (doc) => bootIni.completions!(doc, position), 'file:///bench/boot.ini', 'median of 25');
    },
  },
  {
    id: 'lang.bootini-diagnostics-typical',
    what: 'boot.ini diagnostics, typical 8-line file, vs splitting it into lines',
    unit: 'ms',
    goal: 'value <= 1 ms',
    async run() {
      const text = largeBootIni(3);
      return againstSplit(text, (doc) => bootIni.diagnostics(doc), 'file:///bench/boot.ini', 'median of 25');
    },
  },
  {
    id: 'lang.vmx-diagnostics-10k',
    what: '.vmx diagnostics, 10,000-line file, vs splitting it into lines',
    unit: 'ms',
    goal: 'value <= 20 ms',
    async run() {
      const text = bigVmx(10_000);
      const count = vmxFeatures.diagnostics({ uri: 'file:///bench/big.vmx', text, ctx: isolatedContext() }).length;
      return againstSplit(text, (doc) => vmxFeatures.diagnostics(doc), 'file:///bench/big.vmx', `median of 25; ${count} diagnostics`);
    },
  },
  {
    id: 'lang.vmx-completion-10k',
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
        typed.split(/\r\n|\r|\n/);
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
        value: medianOf(values),
        baseline: medianOf(baselines),
        note: `median of 15 (fastest ${Math.min(...values).toFixed(2)} ms); ${count} items; first request on an unparsed file ${medianOf(cold).toFixed(1)} ms`,
      };
    },
  },
];
