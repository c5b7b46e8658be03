// The .vmx TextMate grammar: wired in package.json, every regex compiles, and on every line of the
// corpus it sees what the parser sees (same key, comments as comments, "weird" lines as invalid).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseVmx } from '../../../language-server/vmx/vmxParser';
import { referencePath, repoRoot } from './vmxTestUtil';

const read = (p: string): Record<string, unknown> => JSON.parse(readFileSync(path.join(repoRoot, p), 'utf8')) as Record<string, unknown>;

/** Oniguruma → JS: `(?i)` / `(?i:` become the i flag, `\x{FEFF}` a \u escape. */
function compile(pattern: string, flags = ''): RegExp {
  const ci = /\(\?i[):]/.test(pattern);
  return new RegExp(pattern.replace(/\(\?i\)/g, '').replace(/\(\?i:/g, '(?:').replace(/\\x\{([0-9A-Fa-f]{4})\}/g, '\\u$1'), flags + (ci ? 'i' : ''));
}

function patterns(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) patterns(n, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if ((k === 'match' || k === 'begin' || k === 'end') && typeof v === 'string') out.push(v);
      else patterns(v, out);
    }
  }
  return out;
}

const grammar = read('syntaxes/vmx.tmLanguage.json');
const repo = grammar.repository as Record<string, { match?: string; begin?: string }>;

test('package.json contributes this grammar and configuration for vmx', () => {
  const pkg = read('package.json') as { contributes: { grammars: { language: string; scopeName: string; path: string }[]; languages: { id: string; configuration: string }[] } };
  const g = pkg.contributes.grammars.find((x) => x.language === 'vmx')!;
  assert.equal(g.scopeName, grammar.scopeName);
  assert.equal(g.path, './syntaxes/vmx.tmLanguage.json');
  assert.equal(pkg.contributes.languages.find((l) => l.id === 'vmx')!.configuration, './syntaxes/vmx.language-configuration.json');
  const config = read('syntaxes/vmx.language-configuration.json') as { comments: { lineComment: string } };
  assert.equal(config.comments.lineComment, '#');
});

test('every pattern compiles; escapes and booleans are recognised', () => {
  const all = patterns(grammar);
  assert.ok(all.length >= 10);
  for (const p of all) compile(p);
  const q = grammar.repository as Record<string, { patterns: { match: string; name: string }[] }>;
  const inQuotes = q['quoted-value'].patterns;
  assert.ok(compile(inQuotes.find((p) => p.name === 'constant.character.escape.vmx')!.match).test('|22'));
  const bool = compile(inQuotes.find((p) => p.name === 'constant.language.boolean.vmx')!.match);
  assert.ok(bool.test('"TRUE"') && bool.test('"false"') && !bool.test('"TRUEish"'));
});

test('on the corpus, the grammar finds the same keys, comments and ignored lines as the parser', { skip: referencePath('lang', 'corpus', 'vmx') ? false : 'reference corpus not found' }, () => {
  const dir = referencePath('lang', 'corpus', 'vmx')!;
  const setting = compile(repo.setting.begin!);
  const comment = compile(repo.comment.match!);
  const invalid = compile(repo.invalid.match!);
  let keys = 0;
  const extra = ['memsize 512', 'flag', '  # indented', 'ethernet0.virtualDev=e1000 # trailing'];
  const texts = readdirSync(dir).filter((f) => f.endsWith('.vmx')).map((f) => readFileSync(path.join(dir, f), 'utf8'));
  for (const text of [...texts, extra.join('\n')]) {
    const doc = parseVmx(text);
    const byLine = new Map(doc.entries.map((e) => [e.line, e]));
    const ignored = new Set(doc.problems.filter((p) => p.kind === 'missing-equals' || p.kind === 'missing-name').map((p) => p.line));
    doc.lines.forEach((line, n) => {
      const e = byLine.get(n);
      const m = setting.exec(line);
      if (e) {
        assert.ok(m, `setting line not matched: ${line}`);
        assert.equal(m[1], e.key, line);
        keys++;
      } else if (ignored.has(n)) {
        assert.ok(!m && invalid.test(line), `ignored line should be invalid: ${line}`);
      } else if (/^\s*#/.test(line)) {
        assert.ok(comment.test(line), line);
      }
    });
  }
  assert.ok(keys > 2000, `${keys} keys compared`);
});
