// The boot.ini TextMate grammar and language configuration: valid, wired in package.json, regexes
// that compile, and no comment syntax (NTLDR has none, so "toggle comment" must not insert ';').
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const repoRoot = resolve(__dirname, '..', '..', '..', '..');
const read = (p: string) => JSON.parse(readFileSync(join(repoRoot, p), 'utf8')) as Record<string, unknown>;

/** Oniguruma's `(?i)` / `(?i:` become JS flags so the patterns can be compiled here. */
function compile(pattern: string): RegExp {
  return new RegExp(pattern.replace(/\(\?i\)/g, '').replace(/\(\?i:/g, '(?:'), 'i');
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

describe('boot.ini grammar', () => {
  const grammar = read('syntaxes/boot-ini.tmLanguage.json');
  const config = read('syntaxes/boot-ini.language-configuration.json');
  const pkg = read('package.json') as { contributes: { grammars: Array<{ language: string; scopeName: string; path: string }>; languages: Array<{ id: string; configuration: string }> } };

  it('is the grammar package.json contributes for boot-ini', () => {
    const g = pkg.contributes.grammars.find((x) => x.language === 'boot-ini')!;
    assert.equal(g.scopeName, grammar.scopeName);
    assert.equal(g.path, './syntaxes/boot-ini.tmLanguage.json');
    assert.equal(pkg.contributes.languages.find((l) => l.id === 'boot-ini')!.configuration, './syntaxes/boot-ini.language-configuration.json');
  });

  it('every pattern compiles and the main ones match real lines', () => {
    const all = patterns(grammar);
    assert.ok(all.length >= 8);
    for (const p of all) compile(p);
    const repo = grammar.repository as Record<string, { match?: string; begin?: string }>;
    assert.ok(compile(repo.section.match!).test('[operating systems]'));
    assert.ok(compile(repo.key.match!).test('Timeout = 30'));
    assert.ok(compile(repo.entry.begin!).test('multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS="XP" /fastdetect'));
    assert.ok(compile(repo.entry.begin!).test('C:\\="MS-DOS"'));
    assert.ok(!compile(repo.entry.begin!).test('/basevideo /sos'));
    assert.ok(compile(repo.switch.match!).test('/debugport=com1'));
  });

  it('declares no comment syntax', () => {
    assert.equal(config.comments, undefined);
  });
});
