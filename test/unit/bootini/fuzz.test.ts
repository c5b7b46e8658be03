// Fuzz: 10,000 boot.ini documents mutated from real and inline seeds with a seeded PRNG (failures
// reproduce from the printed seed and index). Every feature must answer without throwing, within
// 50 ms per document, with ranges inside the document and only known codes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Position, Range } from 'vscode-languageserver-types';
import { bootIniFeatures } from '../../../language-server/bootini';
import { BOOTINI_CODES } from '../../../language-server/bootini/diagnostic';
import { isolatedContext, type DocumentInput } from '../../../language-server/languageFeatures';
import { prng } from '../../support/prng';

const SEED = Number(process.env.BOOTDBG_FUZZ_SEED ?? 0x5eed_b007);
const COUNT = 10_000;
const BUDGET_MS = 50;

const INLINE_SEEDS = [
  '[boot loader]\r\ntimeout=30\r\ndefault=multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS\r\n[operating systems]\r\nmulti(0)disk(0)rdisk(0)partition(1)\\WINDOWS="Microsoft Windows XP Professional" /fastdetect /debug /debugport=com1 /baudrate=115200 /break\r\nC:\\="MS-DOS"\r\n',
  '[flexboot]\ntimeout=-1\ndefault=scsi(0)disk(1)rdisk(0)partition(2)\\WINNT\n[operating systems]\nscsi(0)disk(1)rdisk(0)partition(2)\\WINNT="NT" /3GB /userva=3030 /safeboot:minimal(alternateshell) /noexecute=optin\n',
  'signature(8b5a2c10)disk(0)rdisk(0)partition(1)\\WINDOWS="x" /rdpath=net(0)\\a.iso /rdexportascd /pae /nopae',
];

const ALPHABET = ['[', ']', '"', '/', '=', ':', '(', ')', '\\', ' ', '\t', '\r\n', '\n', '\r', ';', ',', '0', '1', '9', 'a', 'Z', '\uFEFF', 'é', '€', '\u0000', '𝄞'];
const TOKENS = ['/debug', '/debugport=', '/baudrate=115200', '/break', '/nodebug', '/channel=99', '/userva=', '/3GB', '[boot loader]', '[operating systems]', 'timeout=', 'default=', 'multi(0)', 'partition(0)', 'ramdisk(0)', 'C:\\=', '"', '/safeboot=x', '/maxmem=1', '/redirect', 'redirect=COM1'];

function mutate(text: string, rnd: () => number): string {
  const n = 1 + Math.floor(rnd() * 6);
  for (let i = 0; i < n; i++) {
    const pos = Math.floor(rnd() * (text.length + 1));
    const op = Math.floor(rnd() * 8);
    switch (op) {
      case 0:
        text = text.slice(0, pos) + ALPHABET[Math.floor(rnd() * ALPHABET.length)] + text.slice(pos);
        break;
      case 1:
        text = text.slice(0, pos) + text.slice(pos + 1 + Math.floor(rnd() * 20));
        break;
      case 2:
        text = text.slice(0, pos) + TOKENS[Math.floor(rnd() * TOKENS.length)] + text.slice(pos);
        break;
      case 3: {
        const lines = text.split('\n');
        const a = Math.floor(rnd() * lines.length);
        lines.splice(Math.floor(rnd() * lines.length), 0, lines[a]);
        text = lines.join('\n');
        break;
      }
      case 4: {
        const lines = text.split('\n');
        const a = Math.floor(rnd() * lines.length);
        const b = Math.floor(rnd() * lines.length);
        [lines[a], lines[b]] = [lines[b], lines[a]];
        text = lines.join('\n');
        break;
      }
      case 5:
        text = text.slice(0, pos);
        break;
      case 6:
        text = text.slice(0, pos) + text.slice(pos, pos + 40).repeat(1 + Math.floor(rnd() * 4)) + text.slice(pos);
        break;
      default: {
        const c = text.charCodeAt(pos) || 65;
        text = text.slice(0, pos) + String.fromCharCode((c + 1 + Math.floor(rnd() * 200)) % 0xd7ff) + text.slice(pos + 1);
      }
    }
  }
  return text;
}

function seeds(): string[] {
  const repoRoot = resolve(__dirname, '..', '..', '..', '..');
  for (const up of ['..', join('..', '..')]) {
    const dir = resolve(repoRoot, up, 'shared', 'reference', 'lang', 'corpus', 'bootini');
    if (existsSync(dir)) return [...INLINE_SEEDS, ...readdirSync(dir).map((f) => readFileSync(join(dir, f), 'latin1'))];
  }
  return INLINE_SEEDS;
}

function inside(r: Range, lines: string[]): boolean {
  const ok = (p: { line: number; character: number }) => p.line >= 0 && p.line < lines.length && p.character >= 0 && p.character <= lines[p.line].length;
  return ok(r.start) && ok(r.end);
}

function runAll(doc: DocumentInput, pos: Position, lineCount: number) {
  const diags = bootIniFeatures.diagnostics(doc);
  bootIniFeatures.completions!(doc, pos);
  bootIniFeatures.hover!(doc, pos);
  const actions = bootIniFeatures.codeActions!(doc, { start: { line: 0, character: 0 }, end: { line: lineCount - 1, character: 0 } }, diags);
  bootIniFeatures.documentSymbols!(doc);
  bootIniFeatures.foldingRanges!(doc);
  return { diags, actions };
}

describe('boot.ini fuzz', () => {
  it(`${COUNT} mutated documents: no exception, each under ${BUDGET_MS} ms (seed ${SEED})`, () => {
    const rnd = prng(SEED);
    const base = seeds();
    const ctx = isolatedContext();
    const codes = new Set<string>(BOOTINI_CODES);
    // Warm the JIT on the seeds first so the budget measures the code, not compilation.
    for (const text of base) runAll({ uri: 'file:///fuzz/boot.ini', text, ctx }, { line: 0, character: 0 }, text.split(/\r\n|\r|\n/).length);
    let max = 0;
    let total = 0;
    let retimed = 0;
    const times: number[] = [];
    let diagnosticsSeen = 0;
    for (let i = 0; i < COUNT; i++) {
      const text = mutate(base[Math.floor(rnd() * base.length)], rnd);
      const lines = text.split(/\r\n|\r|\n/);
      const doc = { uri: 'file:///fuzz/boot.ini', text, ctx };
      const line = Math.floor(rnd() * lines.length);
      const pos = { line, character: Math.floor(rnd() * (lines[line].length + 1)) };
      try {
        let t0 = performance.now();
        const { diags, actions } = runAll(doc, pos, lines.length);
        let ms = performance.now() - t0;
        // On a machine shared by many workers a single run can be preempted: a slow case is
        // re-timed twice and the fastest run counts (a pathological input stays slow every time).
        if (ms >= BUDGET_MS) retimed++;
        for (let retry = 0; retry < 2 && ms >= BUDGET_MS; retry++) {
          t0 = performance.now();
          runAll(doc, pos, lines.length);
          ms = Math.min(ms, performance.now() - t0);
        }
        total += ms;
        times.push(ms);
        max = Math.max(max, ms);
        diagnosticsSeen += diags.length;
        for (const d of diags) {
          assert.ok(codes.has(String(d.code)), `unknown code ${String(d.code)}`);
          assert.ok(inside(d.range, lines), `diagnostic ${String(d.code)} range outside the document`);
        }
        for (const a of actions) for (const e of a.edit?.changes?.[doc.uri] ?? []) assert.ok(inside(e.range, lines), `edit of "${a.title}" outside the document`);
        assert.ok(ms < BUDGET_MS, `${ms.toFixed(1)} ms`);
      } catch (e) {
        throw new Error(`fuzz case #${i} (seed ${SEED}) failed: ${(e as Error).message}\n--- text (JSON) ---\n${JSON.stringify(text)}`);
      }
    }
    times.sort((a, b) => a - b);
    const p99 = times[Math.floor(times.length * 0.99)];
    console.log(`# boot.ini fuzz: ${COUNT} docs, max ${max.toFixed(2)} ms, p99 ${p99.toFixed(3)} ms, mean ${(total / COUNT).toFixed(3)} ms, ${retimed} re-timed after a slow first run, ${diagnosticsSeen} diagnostics`);
    assert.ok(diagnosticsSeen > COUNT, 'the mutations do produce findings');
  });
});
