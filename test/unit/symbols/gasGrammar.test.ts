/**
 * The GNU as (x86) TextMate grammar and language configuration: valid JSON, every regex compiles,
 * every include resolves, and a small TextMate tokenizer (match / begin-end / captures / includes,
 * multi-line state, earliest match wins, end pattern first on ties) run over a real-mode .S sample
 * gives the expected scopes. VS Code runs the grammar with Oniguruma; the grammar sticks to the
 * regex syntax Oniguruma and JavaScript share, which the compile test enforces.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture, missingTools, objdumpDecodedLines, repoRoot, run, tempDir } from './toolchain';

interface Capture {
  name?: string;
}
interface Rule {
  name?: string;
  contentName?: string;
  match?: string;
  begin?: string;
  end?: string;
  captures?: Record<string, Capture>;
  beginCaptures?: Record<string, Capture>;
  endCaptures?: Record<string, Capture>;
  patterns?: Rule[];
  include?: string;
}
interface Grammar {
  scopeName: string;
  patterns: Rule[];
  repository: Record<string, Rule>;
}

const grammar = JSON.parse(readFileSync(join(repoRoot, 'syntaxes', 'gas-x86.tmLanguage.json'), 'utf8')) as Grammar;
const config = JSON.parse(readFileSync(join(repoRoot, 'syntaxes', 'gas-x86.language-configuration.json'), 'utf8')) as {
  comments: { lineComment: string; blockComment: [string, string] };
  brackets: [string, string][];
  wordPattern: string;
  folding: { markers: { start: string; end: string } };
};

const compiled = new Map<string, RegExp>();
function re(src: string): RegExp {
  let r = compiled.get(src);
  if (!r) {
    r = new RegExp(src, 'dg');
    compiled.set(src, r);
  }
  return r;
}

function allRules(): Rule[] {
  const out: Rule[] = [];
  const walk = (r: Rule): void => {
    out.push(r);
    for (const p of r.patterns ?? []) walk(p);
  };
  grammar.patterns.forEach(walk);
  Object.values(grammar.repository).forEach(walk);
  return out;
}

/** Patterns of a list with includes expanded (#name and $self). */
function expand(list: Rule[], seen = new Set<Rule>()): Rule[] {
  const out: Rule[] = [];
  for (const r of list) {
    if (r.include === '$self') out.push(...expand(grammar.patterns, seen));
    else if (r.include?.startsWith('#')) {
      const target = grammar.repository[r.include.slice(1)];
      if (!target || seen.has(target)) continue;
      seen.add(target);
      out.push(...(target.patterns ? expand(target.patterns, seen) : [target]));
      seen.delete(target);
    } else out.push(r);
  }
  return out;
}

interface Frame {
  rule: Rule;
  scopes: string[];
}

/** Per-character scope lists of each line. */
function tokenize(text: string): string[][][] {
  const stack: Frame[] = [];
  const result: string[][][] = [];
  for (const line of text.split('\n')) {
    const chars: string[][] = Array.from({ length: line.length }, () => []);
    const paint = (from: number, to: number, scopes: string[]): void => {
      for (let i = from; i < to && i < line.length; i++) chars[i] = [...scopes];
    };
    const paintCaptures = (m: RegExpExecArray, caps: Record<string, Capture> | undefined, base: string[]): void => {
      if (!caps) return;
      for (const [k, c] of Object.entries(caps)) {
        const span = m.indices?.[Number(k)];
        if (span && c.name) for (let i = span[0]; i < span[1]; i++) chars[i] = [...(Number(k) === 0 ? base : chars[i]), c.name];
      }
    };
    let pos = 0;
    for (let guard = 0; guard < 10000 && pos <= line.length; guard++) {
      const top = stack[stack.length - 1];
      const base = [grammar.scopeName, ...(top ? top.scopes : [])];
      let best: { m: RegExpExecArray; rule?: Rule; isEnd: boolean } | undefined;
      if (top) {
        const e = re(top.rule.end!);
        e.lastIndex = pos;
        const m = e.exec(line);
        if (m) best = { m, isEnd: true };
      }
      // At the end of the line only a (zero-width) end pattern can still match.
      const candidates = pos < line.length ? expand(top ? top.rule.patterns ?? [] : grammar.patterns) : [];
      for (const rule of candidates) {
        const src = rule.match ?? rule.begin;
        if (!src) continue;
        const r = re(src);
        r.lastIndex = pos;
        const m = r.exec(line);
        if (m && (!best || m.index < best.m.index)) best = { m, rule, isEnd: false };
      }
      if (!best) {
        paint(pos, line.length, base);
        break;
      }
      const { m } = best;
      const start = m.index;
      const end = start + m[0].length;
      paint(pos, start, base);
      if (best.isEnd) {
        paint(start, end, base);
        paintCaptures(m, top!.rule.endCaptures ?? top!.rule.captures, base);
        stack.pop();
      } else if (best.rule!.match !== undefined) {
        const scopes = best.rule!.name ? [...base, best.rule!.name] : base;
        paint(start, end, scopes);
        paintCaptures(m, best.rule!.captures, scopes);
        if (end === start) {
          // An empty match would loop: treat the character as unmatched.
          paint(start, start + 1, base);
          pos = start + 1;
          continue;
        }
      } else {
        const r = best.rule!;
        const scopes = r.name ? [...base, r.name] : base;
        paint(start, end, scopes);
        paintCaptures(m, r.beginCaptures ?? r.captures, scopes);
        stack.push({ rule: r, scopes: [...(top ? top.scopes : []), ...(r.name ? [r.name] : []), ...(r.contentName ? [r.contentName] : [])] });
      }
      if (end === pos && best.isEnd && pos >= line.length) {
        // Popped at the end of the line: keep popping frames whose end also matches here.
        continue;
      }
      pos = end;
    }
    result.push(chars);
  }
  return result;
}

const SAMPLE = [
  '/* libprefix-style sample',
  '   spanning two lines */',
  '#include "config.h"',
  '#define STACK_TOP 0x7c00',
  '#ifdef DEBUG',
  '\t.code16',
  '\t.section ".prefix", "ax", @progbits',
  '\t.globl\t_start',
  '_start:\tljmp\t$0x07c0, $go\t# normalise CS',
  'go:',
  '\txorw\t%ax, %ax ; movw %ax, %ss',
  '1:\tincw\tcounter',
  '\tloop\t1b',
  '\tjz\t2f',
  '\trep movsb',
  '\tmovw\t%es:4(%bx,%si), %ax',
  '.Lskip:\tmovb\t$\'A\', %al',
  'msg:\t.asciz\t"BootDbg\\r\\n"',
  '\t.org\t510',
  'count = 3',
  '\t.macro\tprint_msg msg',
  '\tmovw\t$\\msg, %si',
  '\t.endm',
  '\tmovl\t$-16, %eax // cpp comment',
  '#endif',
].join('\n');

describe('gas-x86 grammar', () => {
  test('every regex compiles with the syntax JavaScript shares with Oniguruma; includes resolve', () => {
    let n = 0;
    for (const r of allRules()) {
      for (const src of [r.match, r.begin, r.end]) {
        if (src === undefined) continue;
        assert.doesNotThrow(() => new RegExp(src), src);
        assert.doesNotMatch(src, /\\[hHAzZG]|\(\?[imx]/, `Oniguruma-only syntax in ${src}`);
        n++;
      }
      if (r.include?.startsWith('#')) assert.ok(grammar.repository[r.include.slice(1)], r.include);
    }
    assert.ok(n > 25, `${n} regexes`);
    assert.equal(grammar.scopeName, 'source.gas-x86');
  });

  test('the manifest contributes the grammar and the language configuration', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
      contributes: { grammars: { language: string; scopeName: string; path: string }[]; languages: { id: string; configuration?: string }[] };
    };
    const g = pkg.contributes.grammars.find((x) => x.language === 'gas-x86');
    assert.equal(g?.scopeName, 'source.gas-x86');
    assert.equal(g?.path, './syntaxes/gas-x86.tmLanguage.json');
    assert.equal(pkg.contributes.languages.find((l) => l.id === 'gas-x86')?.configuration, './syntaxes/gas-x86.language-configuration.json');
  });

  const lines = SAMPLE.split('\n');
  const tokens = tokenize(SAMPLE);
  /** Scopes of the first character of `text` on line `n` (1-based). */
  const scopesOf = (n: number, text: string, occurrence = 0): string[] => {
    let at = -1;
    for (let k = 0; k <= occurrence; k++) at = lines[n - 1].indexOf(text, at + 1);
    assert.ok(at >= 0, `"${text}" on line ${n}`);
    return tokens[n - 1][at];
  };
  const expectScope = (n: number, text: string, scope: string, occurrence = 0): void => {
    const s = scopesOf(n, text, occurrence);
    assert.ok(s.some((x) => x.startsWith(scope)), `line ${n} "${text}": ${s.join(' ')} lacks ${scope}`);
  };

  const cases: [number, string, string, number?][] = [
    [1, 'libprefix', 'comment.block'],
    [2, 'spanning', 'comment.block'],
    [3, 'include', 'keyword.control.directive.include'],
    [3, '"config.h"', 'string.quoted.double'],
    [4, 'STACK_TOP', 'entity.name.function.preprocessor'],
    [4, '0x7c00', 'constant.numeric.hex'],
    [5, 'ifdef', 'keyword.control.directive.conditional'],
    [6, '.code16', 'keyword.other.directive'],
    [7, '.section', 'keyword.other.directive'],
    [7, '".prefix"', 'string.quoted.double'],
    [7, '@progbits', 'constant.language.section-type'],
    [9, '_start', 'entity.name.function.label'],
    [9, 'ljmp', 'keyword.other.instruction'],
    [9, '$', 'punctuation.definition.immediate'],
    [9, '0x07c0', 'constant.numeric.hex'],
    [9, 'go', 'variable.other.symbol'],
    [9, '# normalise', 'comment.line.number-sign'],
    [10, 'go', 'entity.name.function.label'],
    [11, 'xorw', 'keyword.other.instruction'],
    [11, '%ax', 'variable.language.register'],
    [11, ';', 'punctuation.separator.statement'],
    [11, 'movw', 'keyword.other.instruction'],
    [11, '%ss', 'variable.language.register'],
    [12, '1', 'entity.name.label.local.numeric'],
    [12, 'incw', 'keyword.other.instruction'],
    [13, '1b', 'variable.other.label.local'],
    [14, '2f', 'variable.other.label.local'],
    [15, 'rep', 'storage.modifier.prefix'],
    [15, 'movsb', 'keyword.other.instruction'],
    [16, '%es', 'variable.language.register'],
    [16, '4', 'constant.numeric.decimal'],
    [16, '%bx', 'variable.language.register'],
    [17, '.Lskip', 'entity.name.label.local'],
    [17, "'A", 'constant.character'],
    [18, 'msg', 'entity.name.function.label'],
    [18, '.asciz', 'keyword.other.directive'],
    [18, '\\r', 'constant.character.escape'],
    [19, '510', 'constant.numeric.decimal'],
    [20, 'count', 'variable.other.constant'],
    [20, '3', 'constant.numeric.decimal'],
    [21, '.macro', 'keyword.other.directive'],
    [22, '\\msg', 'variable.parameter.macro'],
    [22, '%si', 'variable.language.register'],
    [23, '.endm', 'keyword.other.directive'],
    [24, '-16', 'constant.numeric.decimal'],
    [24, '// cpp', 'comment.line.double-slash'],
    [25, 'endif', 'keyword.control.directive.conditional'],
  ];
  for (const [n, text, scope, occ] of cases) {
    test(`line ${n}: ${text} → ${scope}`, () => expectScope(n, text, scope, occ ?? 0));
  }

  test('operands are not mistaken for instructions or labels', () => {
    assert.ok(!scopesOf(11, '%ax').some((s) => s.startsWith('keyword.other.instruction')));
    assert.ok(!scopesOf(16, '%es').some((s) => s.startsWith('entity.name')));
    assert.ok(!scopesOf(13, '1b').some((s) => s.startsWith('constant.numeric')));
    // The comment after code does not leak into the next line.
    assert.ok(!scopesOf(10, 'go').some((s) => s.startsWith('comment')));
  });
});

describe('gas-x86 grammar on the test prefix, with the assembler as the oracle', { skip: missingTools('as', 'objdump') }, () => {
  test('every line that assembles to code has an instruction scope; no other line does', () => {
    const src = fixture('bootsector.S');
    const tmp = tempDir();
    try {
      const obj = join(tmp.dir, 'bs.o');
      run('as', ['--32', '-g', '-o', obj, src]);
      const codeLines = new Set(objdumpDecodedLines(obj).flatMap((r) => (r.line === undefined ? [] : [r.line])));
      const text = readFileSync(src, 'utf8');
      const toks = tokenize(text);
      const withInstruction = new Set<number>();
      toks.forEach((chars, i) => {
        if (chars.some((c) => c.some((x) => x.startsWith('keyword.other.instruction')))) withInstruction.add(i + 1);
      });
      assert.ok(codeLines.size > 20);
      assert.deepEqual([...withInstruction].sort((a, b) => a - b), [...codeLines].sort((a, b) => a - b));
    } finally {
      tmp.dispose();
    }
  });
});

describe('gas-x86 language configuration', () => {
  test('comments and brackets', () => {
    assert.equal(config.comments.lineComment, '#');
    assert.deepEqual(config.comments.blockComment, ['/*', '*/']);
    assert.deepEqual(config.brackets, [['(', ')'], ['[', ']']]);
  });

  test('words include registers, directives, local label references and hex numbers', () => {
    const word = new RegExp(config.wordPattern, 'g');
    assert.deepEqual('movw %ax, 1b .code16 0x7c00 $go _start.x'.match(word), ['movw', '%ax', '1b', '.code16', '0x7c00', 'go', '_start.x']);
  });

  test('folding markers for macros and #if blocks', () => {
    const start = new RegExp(config.folding.markers.start);
    const end = new RegExp(config.folding.markers.end);
    assert.match('\t.macro print_msg msg', start);
    assert.match('#ifdef DEBUG', start);
    assert.match('\t.endm', end);
    assert.match('#endif', end);
    assert.doesNotMatch('\tmovw %ax, %bx', start);
  });
});
